/**
 * How a role's request is judged: its policy (as synthesized, then applied) evaluated by
 * `@cloud-copilot/iam-simulate` (evaluateRoleRequest). A device session's (the vehicle role, the fleet-gateway
 * role) carries the context keys the IoT credentials provider adds, `credentials-iot:ThingName` and
 * `credentials-iot:ThingTypeName`; a local function's carries none beyond its request's own
 * (local/identity/function-policy.ts). Pure; used by the local credentials provider, the front door and the
 * stack tests alike.
 */
import { runUnsafeSimulation } from "@cloud-copilot/iam-simulate";

export interface VehiclePolicyDocument {
  readonly Version: string;
  readonly Statement: readonly Record<string, unknown>[] | Record<string, unknown>;
}

export interface VehicleRequest {
  /** IAM action, e.g. `s3:PutObject`. */
  readonly action: string;
  /** ARN of what the request touches, e.g. `arn:aws:s3:::bucket/telemetry/vehicle/<VIN>/x.ndjson.gz`. */
  readonly resource: string;
  /** The request's own condition keys, e.g. `{ "s3:x-amz-storage-class": "GLACIER" }` (s3RequestContext); multi-valued ones as lists (`dynamodb:LeadingKeys`). */
  readonly context?: Readonly<Record<string, string | string[]>>;
}

/**
 * The S3 request headers that are condition keys of the same name (`s3:<header>`) the device roles test. The copy
 * source is passed as sent (AWS's value is `<bucket>/<key>`); the roles test only whether it is there.
 */
const S3_CONDITION_HEADERS = ["x-amz-storage-class", "x-amz-server-side-encryption-customer-algorithm", "x-amz-copy-source"] as const;

/**
 * The condition keys an S3 request carries in its headers, as AWS sets them (present only when the header is).
 *
 * @example
 * s3RequestContext({ "x-amz-storage-class": "GLACIER" }); // { "s3:x-amz-storage-class": "GLACIER" }
 * s3RequestContext({ "x-amz-copy-source": "lake/firmware/images/ab12" }); // { "s3:x-amz-copy-source": "lake/firmware/images/ab12" }
 */
export function s3RequestContext(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const context: Record<string, string> = {};
  for (const header of S3_CONDITION_HEADERS) {
    const value = [headers[header] ?? []].flat()[0];
    if (value !== undefined) context[`s3:${header}`] = value;
  }
  return context;
}

/** Listing parameters that are condition keys of the same name (`s3:<parameter>`) on s3:ListBucket and s3:ListBucketVersions. */
const S3_LIST_PARAMETERS = ["prefix", "delimiter", "max-keys"] as const;

/**
 * The condition keys a bucket listing carries in its query, as AWS sets them (present only when the parameter is).
 *
 * @example
 * s3ListContext("/lake?list-type=2&prefix=fleet-state%2Fparts%2F"); // { "s3:prefix": "fleet-state/parts/" }
 */
export function s3ListContext(url: string): Record<string, string> {
  const query = new URLSearchParams(url.split("?").slice(1).join("?"));
  const context: Record<string, string> = {};
  for (const parameter of S3_LIST_PARAMETERS) {
    const value = query.get(parameter);
    if (value !== null) context[`s3:${parameter}`] = value;
  }
  return context;
}

export interface VehicleDecision {
  readonly allowed: boolean;
  /** iam-simulate's verdict: `Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`. */
  readonly result: string;
}

/**
 * Who a device session speaks for, as the IoT credentials provider tells IAM: the thing name (a VIN or
 * a gateway id) and, for a typed thing (a vehicle or a fleet gateway), its thing type. On AWS both keys are absent
 * when the caller did not send `x-amzn-iot-thingname` (AWS does not require it; the local provider
 * does), which `thingName: undefined` stands for.
 */
export interface DeviceContext {
  readonly thingName: string | undefined;
  readonly thingTypeName?: string;
}

/**
 * Evaluates one request of a device (a vehicle, a fleet gateway) against its role's policy, with the
 * context keys the IoT credentials provider adds: `credentials-iot:ThingName` and, when the thing has a
 * type, `credentials-iot:ThingTypeName`.
 *
 * The validating entry point (`runSimulation`) drops context keys its service data does not list for the
 * action, `credentials-iot:ThingName` among them, which would deny every request; the request here
 * has a fixed, known shape, so the unvalidated entry point is used.
 *
 * @example
 * evaluateDeviceRequest(policy, { thingName: "gw-depot-7", thingTypeName: "fleetota-dev-gateway" }, "123456789012",
 *   { action: "s3:PutObject", resource: "arn:aws:s3:::lake/telemetry/fleet/gw-depot-7/x.ndjson.gz" });
 * // { allowed: true, result: "Allowed" }
 */
export function evaluateDeviceRequest(policy: VehiclePolicyDocument, device: DeviceContext, accountId: string, request: VehicleRequest): VehicleDecision {
  const context: Record<string, string | string[]> = { ...request.context };
  if (device.thingName !== undefined) context["credentials-iot:ThingName"] = device.thingName;
  if (device.thingName !== undefined && device.thingTypeName !== undefined) context["credentials-iot:ThingTypeName"] = device.thingTypeName;
  return evaluateRoleRequest(policy, `arn:aws:sts::${accountId}:assumed-role/device/${device.thingName ?? "unnamed"}`, accountId, { ...request, context });
}

/**
 * Evaluates one request of a role's session (`principal`, an assumed-role ARN) against the role's policy, with the
 * request's own condition keys only, and against the resource's own policy when given (a KMS key policy, which
 * must allow the session or delegate to the account). The unvalidated entry point, as above: the request's shape is known.
 *
 * @example
 * evaluateRoleRequest(policy, "arn:aws:sts::123456789012:assumed-role/fleetota-dev-update-manager-role/fleetota-dev-update-manager", "123456789012",
 *   { action: "s3:ListBucket", resource: "arn:aws:s3:::lake", context: { "s3:prefix": "jobs/1HGCM82633A004352.json" } });
 * // { allowed: true, result: "Allowed" }
 */
export function evaluateRoleRequest(policy: VehiclePolicyDocument, principal: string, accountId: string, request: VehicleRequest, resourcePolicy?: VehiclePolicyDocument): VehicleDecision {
  const result = runUnsafeSimulation(
    {
      identityPolicies: [{ name: "role", policy: policy as never }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // Handed over as iam-policy's ValidatedPolicy (a documented plain shape): the unsafe entry point loads a bare
      // resource policy without the name its analysis reads, and fails.
      ...(resourcePolicy ? { resourcePolicy: { __validated: true, policyDocument: resourcePolicy, metadata: { name: "resource policy" }, errors: [] } } : {}),
      request: { action: request.action, principal, resource: { accountId, resource: request.resource }, contextVariables: { ...request.context } },
    },
    {},
  );
  return { allowed: result === "Allowed", result };
}

/**
 * Evaluates one request of the device `thingName`, without a thing type (an IoT policy, which does not look at
 * it; or a vehicle registered before vehicles had a type), against a policy.
 *
 * @example
 * evaluateVehicleRequest(policy, "1HGCM82633A004352", "123456789012",
 *   { action: "s3:PutObject", resource: "arn:aws:s3:::lake/telemetry/vehicle/1HGCM82633A004352/x.ndjson.gz" });
 * // { allowed: true, result: "Allowed" }
 */
export function evaluateVehicleRequest(policy: VehiclePolicyDocument, thingName: string, accountId: string, request: VehicleRequest): VehicleDecision {
  return evaluateDeviceRequest(policy, { thingName }, accountId, request);
}

/**
 * A policy as Terraform hands it to AWS: the JSON text with `$${…}` (Terraform's escape) turned into `${…}`.
 *
 * @example
 * policyAsAwsSeesIt('{"Resource":"arn:…/$${credentials-iot:ThingName}/*"}') // { Resource: "arn:…/${credentials-iot:ThingName}/*" }
 */
export function policyAsAwsSeesIt(terraformText: string): VehiclePolicyDocument {
  return JSON.parse(terraformText.replaceAll("$${", "${")) as VehiclePolicyDocument;
}
