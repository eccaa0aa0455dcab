/**
 * The front door's judgment of a local Lambda's KMS calls (function-json-policy.ts, with KMS's reading): a key
 * operation (Sign, Verify, GetPublicKey, DescribeKey) is `kms:<Operation>` on the key's ARN, evaluated against the
 * function's role and, as KMS requires, the key's policy as applied (it must allow the role, or the account and
 * then the role's policy decides), with the condition keys the stack's policies use: `kms:SigningAlgorithm` and
 * `kms:MessageType` of a Sign or Verify (the SDK's default type is RAW) and `lambda:SourceFunctionArn`, which Lambda
 * adds to every call of a function. A key named by an alias, a key the stack did not create, and any other operation
 * are refused: no function uses them. Pure but for the description it reads.
 */
import type { LocalCloudDescription } from "../model.js";
import { functionJsonAuthorizer, sourceFunctionArnOf, type FunctionJsonAuthorizerOptions, type JsonQuestion, type JsonServiceReading } from "./function-json-policy.js";
import type { BodyAuthorizer } from "./function-policy.js";
import type { VehiclePolicyDocument } from "./vehicle-policy.js";

const KEY_OPERATIONS: readonly string[] = ["Sign", "Verify", "GetPublicKey", "DescribeKey"];
const SIGNING_OPERATIONS: readonly string[] = ["Sign", "Verify"];

/** The applied key a KeyId names (its ARN or its id), with its key policy; undefined for an alias or another key. */
export function appliedKeyOf(description: Pick<LocalCloudDescription, "resources">, keyId: string): { arn: string; policy: VehiclePolicyDocument } | undefined {
  const key = Object.entries(description.resources).find(([address, attributes]) => address.startsWith("aws_kms_key.") && (attributes.arn === keyId || attributes.key_id === keyId))?.[1];
  if (!key || typeof key.arn !== "string") return undefined;
  // A key created without a policy gets KMS's default: the account may do everything, its IAM policies decide.
  const policy = typeof key.policy === "string" && key.policy !== "" ? (JSON.parse(key.policy) as VehiclePolicyDocument) : defaultKeyPolicy(key.arn);
  return { arn: key.arn, policy };
}

function defaultKeyPolicy(keyArn: string): VehiclePolicyDocument {
  const account = keyArn.split(":")[4];
  return { Version: "2012-10-17", Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" }] };
}

/** KMS as the SDKs call it: `X-Amz-Target: TrentService.<Operation>`, JSON 1.1. */
export const KMS_READING: JsonServiceReading = {
  service: "kms",
  targetPrefix: "TrentService.",
  contentType: "application/x-amz-json-1.1",
  questions(operation, body, call) {
    if (!KEY_OPERATIONS.includes(operation)) return { problem: `the operation ${operation} is not read here (no function makes it)` };
    let parsed: { KeyId?: unknown; SigningAlgorithm?: unknown; MessageType?: unknown };
    try {
      parsed = JSON.parse(body || "{}") as typeof parsed;
    } catch {
      return { problem: "the body is not JSON" };
    }
    if (typeof parsed !== "object" || parsed === null || typeof parsed.KeyId !== "string") return { problem: `${operation} without a KeyId` };
    const key = appliedKeyOf(call.description, parsed.KeyId);
    if (!key) return { problem: `${operation} of ${JSON.stringify(parsed.KeyId)}, not a key of the applied stack by its ARN or id (aliases are not read here)` };
    const sourceFunctionArn = sourceFunctionArnOf(call.description, call.functionName);
    const context: Record<string, string> = sourceFunctionArn ? { "lambda:SourceFunctionArn": sourceFunctionArn } : {};
    if (SIGNING_OPERATIONS.includes(operation)) {
      if (typeof parsed.SigningAlgorithm === "string") context["kms:SigningAlgorithm"] = parsed.SigningAlgorithm;
      context["kms:MessageType"] = typeof parsed.MessageType === "string" ? parsed.MessageType : "RAW";
    }
    const question: JsonQuestion = { action: `kms:${operation}`, resource: key.arn, context, resourcePolicy: key.policy };
    return [question];
  },
};

/**
 * Refuses a local function's KMS call that its role's policy and the key's policy do not allow together, with KMS's
 * AccessDeniedException; forwards (undefined) every other request, and every request before the stack is applied.
 *
 * @example
 * const functionKms = functionKmsAuthorizer({ description: () => applied, accountId: "123456789012" });
 * // startSqsProxy({ upstream, credentials, authorizeBody: eitherBodyAuthorizer(functionSqs, functionS3, functionDynamoDb, functionKms) })
 */
export function functionKmsAuthorizer(options: FunctionJsonAuthorizerOptions): BodyAuthorizer {
  return functionJsonAuthorizer(options, KMS_READING);
}
