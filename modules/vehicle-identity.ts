import { Construct } from "constructs";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import type { IotPolicy } from "@cdktf/provider-aws/lib/iot-policy/index.js";
import type { IotRoleAlias } from "@cdktf/provider-aws/lib/iot-role-alias/index.js";
import { IotThingType } from "@cdktf/provider-aws/lib/iot-thing-type/index.js";
import { VEHICLE_ATTRIBUTE, vehicleIdentityNames } from "../contracts/vehicle-identity.js";
import type { PolicyStatement } from "./iam.js";
import { IotCredentialsRole, isKeyPrefix, readableUploadsOnly, sentBytesOnly, THING_NAME, THING_NAME_VARIABLE, THING_TYPE_NAME_KEY } from "./iot-credentials-role.js";
import { named } from "./logical-id.js";

export { CREDENTIALS_PROVIDER_SERVICE, THING_NAME_VARIABLE } from "./iot-credentials-role.js";

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

/**
 * The condition on every statement of the vehicle role: the session names its thing
 * (`credentials-iot:ThingName` present) and that thing is of the vehicle thing type, or untyped
 * (`credentials-iot:ThingTypeName` equal to the vehicle type when present: a vehicle registered before vehicles
 * had a type, until `fleetota vehicles retype`). A fleet gateway is of the gateway type, so a gateway certificate
 * that was given the vehicle IoT policy by mistake still gets nothing from this role, nor does a thing of any
 * other type. The thing name must be present too: the credentials provider adds both keys only when the caller
 * sends `x-amzn-iot-thingname`, which AWS does not require, so "no type" alone would let a gateway that leaves
 * the header out read the firmware.
 *
 * @example
 * vehicleSessionCondition("fleetota-dev-vehicle");
 * // { Null: { "credentials-iot:ThingName": "false" }, StringEqualsIfExists: { "credentials-iot:ThingTypeName": "fleetota-dev-vehicle" } }
 */
export function vehicleSessionCondition(vehicleThingType: string): NonNullable<PolicyStatement["Condition"]> {
  return { Null: { [THING_NAME_VARIABLE]: "false" }, StringEqualsIfExists: { [THING_TYPE_NAME_KEY]: vehicleThingType } };
}

/**
 * The vehicle thing type's searchable attributes (AWS IoT allows three): what an operator filters ListThings by.
 * The model year is an attribute too, just not searchable.
 */
export const VEHICLE_SEARCHABLE_ATTRIBUTES = [VEHICLE_ATTRIBUTE.Make, VEHICLE_ATTRIBUTE.Model, VEHICLE_ATTRIBUTE.Hardware] as const;

/**
 * What a vehicle reads under the firmware prefix: the published images (`images/<sha256>`) and the image
 * repository's metadata (`metadata/…`), as uptane/metadata.ts REPOSITORY_LAYOUT lays them out. Not
 * `staged/`: a release there waits for a threshold of release engineers' signatures and may never get
 * them (refused, broken, or not yet announced); one vehicle's credentials must not fetch it.
 */
export const VEHICLE_FIRMWARE_FOLDERS = ["images/", "metadata/"] as const;

export class InvalidVehicleIdentityPropsError extends Error {
  override readonly name = "InvalidVehicleIdentityPropsError";
}

/**
 * Per-vehicle identity, the AWS pattern for devices that write to S3: a vehicle (an IoT thing of the vehicle
 * thing type named by its VIN, with its own X.509 certificate, both created by `fleetota vehicles register`, not by
 * Terraform; the thing type is made here: a vehicle has 4 attributes, an untyped thing may hold only 3)
 * presents its certificate to the IoT credentials provider and receives short-lived credentials for the
 * vehicle role. The certificate's IoT policy allows only `iot:AssumeRoleWithCertificate` on the role
 * alias; the role's policy is scoped by `${credentials-iot:ThingName}`: put under its own telemetry
 * prefix (STANDARD, no SSE-C: readableUploadsOnly; no server-side copy: sentBytesOnly), get its own job document and the published firmware (not what is staged). No listing, nothing else, and nothing at all for a
 * thing of another type (a fleet gateway) or a session without a thing name (vehicleSessionCondition).
 *
 * @example
 * const identity = new VehicleIdentity(this, "vehicle-identity", { namePrefix: "fleetota-dev", dataBucketArn: storage.bucketArn,
 *   telemetryPrefix: "telemetry/vehicle/", jobsPrefix: "jobs/", firmwarePrefix: "firmware/", credentialDurationSeconds: 900 });
 * identity.roleAliasName // "fleetota-dev-vehicle"
 * identity.thingTypeName // "fleetota-dev-vehicle"
 */
export class VehicleIdentity extends Construct {
  readonly role: IamRole;
  readonly roleAlias: IotRoleAlias;
  readonly iotPolicy: IotPolicy;
  readonly thingType: IotThingType;
  readonly roleAliasName: string;
  readonly iotPolicyName: string;
  readonly thingTypeName: string;
  /** The statements of the vehicle role's one policy (tests evaluate them). */
  readonly statements: readonly PolicyStatement[];

  constructor(scope: Construct, id: string, props: VehicleIdentityProps) {
    super(scope, id);
    for (const prefix of [props.telemetryPrefix, props.jobsPrefix, props.firmwarePrefix]) {
      if (!isKeyPrefix(prefix)) throw new InvalidVehicleIdentityPropsError(`"${prefix}" is not a key prefix ending in /`);
    }
    const names = vehicleIdentityNames(props.namePrefix);
    this.thingTypeName = names.thingType;
    this.thingType = named(
      new IotThingType(this, "thing-type", {
        name: names.thingType,
        properties: { description: "FleetOTA vehicle: a thing named by its VIN, with its own certificate", searchableAttributes: [...VEHICLE_SEARCHABLE_ATTRIBUTES] },
      }),
      "vehicle_thing_type",
    );
    // A literal name, not the thing type's reference, so the policy stays plain JSON text for Terraform and local/apply.
    const condition = vehicleSessionCondition(names.thingType);
    this.statements = [
      {
        Sid: "PutOwnTelemetry",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `${props.dataBucketArn}/${props.telemetryPrefix}${THING_NAME}/*`,
        Condition: sentBytesOnly(readableUploadsOnly(condition)),
      },
      {
        Sid: "GetOwnJobDocumentAndFirmware",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [
          `${props.dataBucketArn}/${props.jobsPrefix}${THING_NAME}.json`,
          ...VEHICLE_FIRMWARE_FOLDERS.map((folder) => `${props.dataBucketArn}/${props.firmwarePrefix}${folder}*`),
        ],
        Condition: condition,
      },
    ];
    const access = new IotCredentialsRole(this, "access", {
      name: names.role,
      logicalId: "vehicle",
      description: "Assumed by the AWS IoT credentials provider for one vehicle at a time (scoped by its thing name)",
      policyName: "vehicle-scope",
      statements: this.statements,
      iotPolicySid: "AssumeVehicleRoleOnly",
      credentialDurationSeconds: props.credentialDurationSeconds,
    });
    ({ role: this.role, roleAlias: this.roleAlias, iotPolicy: this.iotPolicy, roleAliasName: this.roleAliasName, iotPolicyName: this.iotPolicyName } = access);
  }
}
