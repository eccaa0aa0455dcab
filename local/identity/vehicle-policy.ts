/**
 * How a vehicle session's request is judged: the vehicle role's policy (as synthesized, then applied)
 * evaluated by `@cloud-copilot/iam-simulate` with the one context key the IoT credentials provider adds,
 * `credentials-iot:ThingName`. Pure; used by the local front door and by the stack tests alike.
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
}

export interface VehicleDecision {
  readonly allowed: boolean;
  /** iam-simulate's verdict: `Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`. */
  readonly result: string;
}

/**
 * Evaluates one request of the vehicle `thingName` against the vehicle role's policy.
 *
 * The validating entry point (`runSimulation`) drops context keys its service data does not list for the
 * action, `credentials-iot:ThingName` among them, which would deny every request; the request here
 * has a fixed, known shape, so the unvalidated entry point is used.
 *
 * @example
 * evaluateVehicleRequest(policy, "1HGCM82633A004352", "123456789012",
 *   { action: "s3:PutObject", resource: "arn:aws:s3:::lake/telemetry/vehicle/1HGCM82633A004352/x.ndjson.gz" });
 * // { allowed: true, result: "Allowed" }
 */
export function evaluateVehicleRequest(
  policy: VehiclePolicyDocument,
  thingName: string,
  accountId: string,
  request: VehicleRequest,
): VehicleDecision {
  const result = runUnsafeSimulation(
    {
      identityPolicies: [{ name: "vehicle-role", policy: policy as never }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal: `arn:aws:sts::${accountId}:assumed-role/vehicle/${thingName}`,
        resource: { accountId, resource: request.resource },
        contextVariables: { "credentials-iot:ThingName": thingName },
      },
    },
    {},
  );
  return { allowed: result === "Allowed", result };
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
