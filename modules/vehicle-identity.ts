import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IotPolicy } from "@cdktf/provider-aws/lib/iot-policy/index.js";
import { IotRoleAlias } from "@cdktf/provider-aws/lib/iot-role-alias/index.js";
import { vehicleIdentityNames } from "../contracts/vehicle-identity.js";
import { assumeRolePolicyFor, policyJson, type PolicyStatement } from "./iam.js";
import { named } from "./logical-id.js";

/** The IAM policy variable the IoT credentials provider sets to the thing name (the VIN) of the caller. */
export const THING_NAME_VARIABLE = "credentials-iot:ThingName";

/**
 * The variable as it must appear in Terraform JSON: `$${…}` is Terraform's escape for a literal `${…}`,
 * so AWS receives `${credentials-iot:ThingName}` and Terraform does not try to interpolate it.
 */
const THING_NAME = `$\${${THING_NAME_VARIABLE}}`;

/** The service the IoT credentials provider assumes the role as. */
export const CREDENTIALS_PROVIDER_SERVICE = "credentials.iot.amazonaws.com";

export interface VehicleIdentityProps {
  /** Prefix of the role, role alias and IoT policy names, e.g. `fleetota-dev`. */
  readonly namePrefix: string;
  /** ARN of the data-lake bucket. */
  readonly dataBucketArn: string;
  /** Key prefix under which each vehicle writes `<VIN>/…`, e.g. `telemetry/vehicle/`. */
  readonly telemetryPrefix: string;
  /** Key prefix of the job documents, `jobs/` (a vehicle reads `jobs/<VIN>.json`). */
  readonly jobsPrefix: string;
  /** Key prefix of the firmware images and their metadata, `firmware/`. */
  readonly firmwarePrefix: string;
  /** Lifetime of the credentials the provider hands out (AWS: 900…43,200 s). */
  readonly credentialDurationSeconds: number;
}

export class InvalidVehicleIdentityPropsError extends Error {
  override readonly name = "InvalidVehicleIdentityPropsError";
}

/**
 * Per-vehicle identity, the AWS pattern for devices that write to S3: a vehicle (an IoT thing named by
 * its VIN, with its own X.509 certificate, both created by `fleetota vehicles register`, not by Terraform)
 * presents its certificate to the IoT credentials provider and receives short-lived credentials for the
 * vehicle role. The certificate's IoT policy allows only `iot:AssumeRoleWithCertificate` on the role
 * alias; the role's policy is scoped by `${credentials-iot:ThingName}`: put under its own telemetry
 * prefix, get its own job document and the firmware. No listing, nothing else.
 *
 * @example
 * const identity = new VehicleIdentity(this, "vehicle-identity", { namePrefix: "fleetota-dev", dataBucketArn: storage.bucketArn,
 *   telemetryPrefix: "telemetry/vehicle/", jobsPrefix: "jobs/", firmwarePrefix: "firmware/", credentialDurationSeconds: 900 });
 * identity.roleAliasName // "fleetota-dev-vehicle"
 */
export class VehicleIdentity extends Construct {
  readonly role: IamRole;
  readonly roleAlias: IotRoleAlias;
  readonly iotPolicy: IotPolicy;
  readonly roleAliasName: string;
  readonly iotPolicyName: string;
  /** The statements of the vehicle role's one policy (tests evaluate them). */
  readonly statements: readonly PolicyStatement[];

  constructor(scope: Construct, id: string, props: VehicleIdentityProps) {
    super(scope, id);
    if (props.credentialDurationSeconds < 900 || props.credentialDurationSeconds > 43_200) {
      throw new InvalidVehicleIdentityPropsError(`credentialDurationSeconds must be 900…43200 (AWS IoT), got ${props.credentialDurationSeconds}`);
    }
    for (const prefix of [props.telemetryPrefix, props.jobsPrefix, props.firmwarePrefix]) {
      if (!/^[a-z0-9-]+(\/[a-z0-9-]+)*\/$/.test(prefix)) throw new InvalidVehicleIdentityPropsError(`"${prefix}" is not a key prefix ending in /`);
    }
    const names = vehicleIdentityNames(props.namePrefix);
    this.roleAliasName = names.roleAlias;
    this.iotPolicyName = names.iotPolicy;

    this.role = named(
      new IamRole(this, "role", {
        name: names.role,
        description: "Assumed by the AWS IoT credentials provider for one vehicle at a time (scoped by its thing name)",
        assumeRolePolicy: assumeRolePolicyFor(CREDENTIALS_PROVIDER_SERVICE),
        // The shortest session IAM allows; the role alias hands out shorter ones.
        maxSessionDuration: 3600,
      }),
      "vehicle_role",
    );

    this.statements = [
      {
        Sid: "PutOwnTelemetry",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `${props.dataBucketArn}/${props.telemetryPrefix}${THING_NAME}/*`,
      },
      {
        Sid: "GetOwnJobDocumentAndFirmware",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [`${props.dataBucketArn}/${props.jobsPrefix}${THING_NAME}.json`, `${props.dataBucketArn}/${props.firmwarePrefix}*`],
      },
    ];
    named(new IamRolePolicy(this, "policy", { role: this.role.id, name: "vehicle-scope", policy: policyJson(this.statements) }), "vehicle_policy");

    this.roleAlias = named(
      new IotRoleAlias(this, "role-alias", {
        alias: this.roleAliasName,
        roleArn: this.role.arn,
        credentialDuration: props.credentialDurationSeconds,
      }),
      "vehicle_role_alias",
    );

    this.iotPolicy = named(
      new IotPolicy(this, "iot-policy", {
        name: this.iotPolicyName,
        policy: policyJson([{ Sid: "AssumeVehicleRoleOnly", Effect: "Allow", Action: "iot:AssumeRoleWithCertificate", Resource: this.roleAlias.arn }]),
      }),
      "vehicle_iot_policy",
    );
  }
}
