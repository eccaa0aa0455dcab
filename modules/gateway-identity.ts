import { Construct } from "constructs";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import type { IotPolicy } from "@cdktf/provider-aws/lib/iot-policy/index.js";
import type { IotRoleAlias } from "@cdktf/provider-aws/lib/iot-role-alias/index.js";
import { IotThingType } from "@cdktf/provider-aws/lib/iot-thing-type/index.js";
import { gatewayIdentityNames } from "../contracts/gateway-identity.js";
import type { PolicyStatement } from "./iam.js";
import { IotCredentialsRole, isKeyPrefix, readableUploadsOnly, sentBytesOnly, THING_NAME, THING_TYPE_NAME_KEY } from "./iot-credentials-role.js";
import { named } from "./logical-id.js";

export interface GatewayIdentityProps {
  /** Prefix of the role, role alias, IoT policy and thing type names, e.g. `fleetota-dev`. */
  readonly namePrefix: string;
  /** ARN of the data-lake bucket. */
  readonly dataBucketArn: string;
  /** Key prefix under which each gateway writes `<gatewayId>/…`, `telemetry/fleet/`. */
  readonly fleetTelemetryPrefix: string;
  /** Lifetime of the credentials the provider hands out (AWS: 900…43,200 s). */
  readonly credentialDurationSeconds: number;
}

export class InvalidGatewayIdentityPropsError extends Error {
  override readonly name = "InvalidGatewayIdentityPropsError";
}

/**
 * Fleet-gateway identity: a multi-vehicle uploader (the simulator's scale runs) is an IoT thing of the
 * gateway thing type, named by its gateway id, with its own certificate (`fleetota gateways register`).
 * It gets short-lived credentials for the gateway role, whose one permission is `s3:PutObject` under
 * `telemetry/fleet/${credentials-iot:ThingName}/*` (STANDARD, no SSE-C: readableUploadsOnly; no server-side copy: sentBytesOnly), and only when the thing is of the gateway thing type
 * (`credentials-iot:ThingTypeName`): no jobs, no firmware, no listing, no reading, no table. Vehicle
 * certificates carry the vehicle IoT policy, which does not name this alias; and even a vehicle thing
 * given this alias is of the vehicle type (or untyped) and gets nothing.
 *
 * @example
 * const gateways = new GatewayIdentity(this, "gateway-identity", { namePrefix: "fleetota-dev", dataBucketArn: storage.bucketArn,
 *   fleetTelemetryPrefix: "telemetry/fleet/", credentialDurationSeconds: 900 });
 * gateways.thingTypeName // "fleetota-dev-gateway"
 */
export class GatewayIdentity extends Construct {
  readonly role: IamRole;
  readonly roleAlias: IotRoleAlias;
  readonly iotPolicy: IotPolicy;
  readonly thingType: IotThingType;
  readonly roleAliasName: string;
  readonly iotPolicyName: string;
  readonly thingTypeName: string;
  /** The statements of the gateway role's one policy (tests evaluate them). */
  readonly statements: readonly PolicyStatement[];

  constructor(scope: Construct, id: string, props: GatewayIdentityProps) {
    super(scope, id);
    if (!isKeyPrefix(props.fleetTelemetryPrefix)) throw new InvalidGatewayIdentityPropsError(`"${props.fleetTelemetryPrefix}" is not a key prefix ending in /`);
    const names = gatewayIdentityNames(props.namePrefix);
    this.thingTypeName = names.thingType;
    this.thingType = named(
      new IotThingType(this, "thing-type", {
        name: names.thingType,
        properties: { description: "FleetOTA fleet gateway: uploads telemetry of many vehicles, never a status report" },
      }),
      "gateway_thing_type",
    );
    this.statements = [
      {
        Sid: "PutOwnFleetTelemetry",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `${props.dataBucketArn}/${props.fleetTelemetryPrefix}${THING_NAME}/*`,
        // A literal name, not the thing type's reference, so the policy stays plain JSON text for Terraform and local/apply.
        Condition: sentBytesOnly(readableUploadsOnly({ StringEquals: { [THING_TYPE_NAME_KEY]: names.thingType } })),
      },
    ];
    const access = new IotCredentialsRole(this, "access", {
      name: names.role,
      logicalId: "gateway",
      description: "Assumed by the AWS IoT credentials provider for one fleet gateway at a time (scoped by its thing name and type)",
      policyName: "gateway-scope",
      statements: this.statements,
      iotPolicySid: "AssumeGatewayRoleOnly",
      credentialDurationSeconds: props.credentialDurationSeconds,
    });
    ({ role: this.role, roleAlias: this.roleAlias, iotPolicy: this.iotPolicy, roleAliasName: this.roleAliasName, iotPolicyName: this.iotPolicyName } = access);
  }
}
