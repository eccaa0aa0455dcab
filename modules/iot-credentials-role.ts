import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IotPolicy } from "@cdktf/provider-aws/lib/iot-policy/index.js";
import { IotRoleAlias } from "@cdktf/provider-aws/lib/iot-role-alias/index.js";
import { assumeRolePolicyFor, policyJson, type PolicyStatement } from "./iam.js";
import { named } from "./logical-id.js";

/** The IAM policy variable the IoT credentials provider sets to the thing name of the caller (a VIN, a gateway id). */
export const THING_NAME_VARIABLE = "credentials-iot:ThingName";
/** The IAM condition key the IoT credentials provider sets to the thing type of the caller (absent for an untyped thing). */
export const THING_TYPE_NAME_KEY = "credentials-iot:ThingTypeName";

/**
 * The variable as it must appear in Terraform JSON: `$${…}` is Terraform's escape for a literal `${…}`,
 * so AWS receives `${credentials-iot:ThingName}` and Terraform does not try to interpolate it.
 */
export const THING_NAME = `$\${${THING_NAME_VARIABLE}}`;

/** The S3 condition key of an upload's storage class (its `x-amz-storage-class` header; absent: STANDARD). */
export const STORAGE_CLASS_KEY = "s3:x-amz-storage-class";
/** The S3 condition key present when an upload brings its own encryption key (SSE-C). */
export const SSE_C_ALGORITHM_KEY = "s3:x-amz-server-side-encryption-customer-algorithm";
/** The S3 condition key present when a PutObject is a server-side copy (CopyObject, UploadPartCopy: `x-amz-copy-source`). */
export const COPY_SOURCE_KEY = "s3:x-amz-copy-source";

type Condition = NonNullable<PolicyStatement["Condition"]>;

/**
 * `condition` narrowed to uploads the telemetry processor can read: the STANDARD storage class (or none named, S3's
 * default) and no key of the uploader's own (SSE-C). A GLACIER or DEEP_ARCHIVE object answers every read 403
 * InvalidObjectState and an SSE-C one 400, so either would be parked unread; the other classes only cost more (minimum
 * sizes and days). Review 18, R18-T1: a device could choose either at will.
 *
 * @example
 * readableUploadsOnly({ StringEquals: { "credentials-iot:ThingTypeName": "fleetota-dev-gateway" } });
 * // { StringEquals: {…}, StringEqualsIfExists: { "s3:x-amz-storage-class": "STANDARD" },
 * //   Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "true" } }
 */
export function readableUploadsOnly(condition: Condition): Condition {
  return {
    ...condition,
    StringEqualsIfExists: { ...condition.StringEqualsIfExists, [STORAGE_CLASS_KEY]: "STANDARD" },
    Null: { ...condition.Null, [SSE_C_ALGORITHM_KEY]: "true" },
  };
}

/**
 * `condition` narrowed to uploads of bytes the device sent: no server-side copy. AWS authorizes CopyObject and
 * UploadPartCopy as s3:PutObject on the destination (with `s3:x-amz-copy-source` set) plus s3:GetObject on the source,
 * so a vehicle, which may read every published image, could make telemetry objects of firmware bytes without uploading
 * any: one CopyObject per image (up to 5 GB), or up to 10,000 UploadPartCopy parts of one multipart upload (5 TiB), kept
 * as telemetry for its whole retention at the fleet owner's cost. A gateway reads nothing, so only a source policy
 * granting it a read would let it copy; refused all the same. Devices upload whole objects (PutObject) and never copy.
 * Review 21, R21-02.
 *
 * @example
 * sentBytesOnly({ StringEquals: { "credentials-iot:ThingTypeName": "fleetota-dev-gateway" } });
 * // { StringEquals: {…}, Null: { "s3:x-amz-copy-source": "true" } }
 */
export function sentBytesOnly(condition: Condition): Condition {
  return { ...condition, Null: { ...condition.Null, [COPY_SOURCE_KEY]: "true" } };
}

/** The service the IoT credentials provider assumes the role as. */
export const CREDENTIALS_PROVIDER_SERVICE = "credentials.iot.amazonaws.com";

export interface IotCredentialsRoleProps {
  /** Name of the role, its role alias and its IoT policy, e.g. `fleetota-dev-vehicle`. */
  readonly name: string;
  /** Logical-id stem of the four resources: `<stem>_role`, `<stem>_policy`, `<stem>_role_alias`, `<stem>_iot_policy`. */
  readonly logicalId: string;
  readonly description: string;
  /** Name of the role's one inline policy. */
  readonly policyName: string;
  /** Its statements (scoped by `THING_NAME`). */
  readonly statements: readonly PolicyStatement[];
  /** Sid of the IoT policy's one statement. */
  readonly iotPolicySid: string;
  /** Lifetime of the credentials the provider hands out (AWS: 900…43,200 s). */
  readonly credentialDurationSeconds: number;
}

export class InvalidIotCredentialsRoleError extends Error {
  override readonly name = "InvalidIotCredentialsRoleError";
}

/**
 * What a device class needs to exchange its X.509 certificate for short-lived AWS credentials: an IAM
 * role trusted only by the IoT credentials provider (1-hour maximum session, the shortest IAM allows), its
 * one inline policy, an IoT role alias in front of it, and the IoT policy (attached to the class's
 * certificates) allowing only `iot:AssumeRoleWithCertificate` on that alias. A certificate carrying
 * another class's IoT policy cannot use this alias.
 *
 * @example
 * const access = new IotCredentialsRole(this, "access", { name: "fleetota-dev-vehicle", logicalId: "vehicle", description: "…",
 *   policyName: "vehicle-scope", statements, iotPolicySid: "AssumeVehicleRoleOnly", credentialDurationSeconds: 900 });
 * access.roleAliasName // "fleetota-dev-vehicle"
 */
export class IotCredentialsRole extends Construct {
  readonly role: IamRole;
  readonly roleAlias: IotRoleAlias;
  readonly iotPolicy: IotPolicy;
  readonly roleAliasName: string;
  readonly iotPolicyName: string;

  constructor(scope: Construct, id: string, props: IotCredentialsRoleProps) {
    super(scope, id);
    if (props.credentialDurationSeconds < 900 || props.credentialDurationSeconds > 43_200) {
      throw new InvalidIotCredentialsRoleError(`credentialDurationSeconds must be 900…43200 (AWS IoT), got ${props.credentialDurationSeconds}`);
    }
    if (props.statements.some((statement) => list(statement.Action).some((action) => action.includes("*")))) {
      throw new InvalidIotCredentialsRoleError(`${props.name}: a device role names its actions one by one`);
    }
    this.roleAliasName = props.name;
    this.iotPolicyName = props.name;

    this.role = named(
      new IamRole(this, "role", {
        name: props.name,
        description: props.description,
        assumeRolePolicy: assumeRolePolicyFor(CREDENTIALS_PROVIDER_SERVICE),
        // The shortest session IAM allows; the role alias hands out shorter ones.
        maxSessionDuration: 3600,
      }),
      `${props.logicalId}_role`,
    );
    named(new IamRolePolicy(this, "policy", { role: this.role.id, name: props.policyName, policy: policyJson(props.statements) }), `${props.logicalId}_policy`);

    this.roleAlias = named(
      new IotRoleAlias(this, "role-alias", { alias: this.roleAliasName, roleArn: this.role.arn, credentialDuration: props.credentialDurationSeconds }),
      `${props.logicalId}_role_alias`,
    );

    this.iotPolicy = named(
      new IotPolicy(this, "iot-policy", {
        name: this.iotPolicyName,
        policy: policyJson([{ Sid: props.iotPolicySid, Effect: "Allow", Action: "iot:AssumeRoleWithCertificate", Resource: this.roleAlias.arn }]),
      }),
      `${props.logicalId}_iot_policy`,
    );
  }
}

function list(value: string | readonly string[]): readonly string[] {
  return typeof value === "string" ? [value] : value;
}

/**
 * Whether a key prefix is one as the stack names them: lowercase segments, ending in `/`.
 *
 * @example
 * isKeyPrefix("telemetry/fleet/"); // true
 */
export function isKeyPrefix(prefix: string): boolean {
  return /^[a-z0-9-]+(\/[a-z0-9-]+)*\/$/.test(prefix);
}
