/**
 * The front door's judgment of a local Lambda's calls to a JSON-protocol service (DynamoDB, KMS), as IAM judges them
 * on AWS: the service's reading of the request (a JsonServiceReading: the IAM questions its operation and body ask,
 * each an action, a resource, its condition keys and, for KMS, the key policy) is evaluated by iam-simulate against
 * the inline policies of the function's role as the applied stack wrote them. One question refused refuses the
 * request with the service's AccessDeniedException, before moto sees it. A request in another form than the SDKs'
 * (`POST /`, the service's JSON content type, `X-Amz-Target: <prefix>.<Operation>`, no query, no `Action` header)
 * is refused too: moto could read another operation from it than the one judged. Pure but for the description it reads.
 */
import type { LocalCloudDescription } from "../model.js";
import { refusal, requestFormProblem, type CredentialScope, type FrontDoorRequest, type Refusal } from "./front-door.js";
import { functionCallOf, functionRoleOf, type BodyAuthorizer, type FunctionCall } from "./function-policy.js";
import { requestAction } from "./request-action.js";
import { evaluateRoleRequest, type VehiclePolicyDocument } from "./vehicle-policy.js";

export interface FunctionJsonAuthorizerOptions {
  /** The applied stack; undefined before it is applied (nothing is judged then). */
  readonly description: () => LocalCloudDescription | undefined;
  readonly accountId: string;
  readonly onRefusal?: (refusal: Refusal) => void;
}

/** One IAM question a request asks. */
export interface JsonQuestion {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
  /** The resource's own policy where the service requires it to allow too (a KMS key policy). */
  readonly resourcePolicy?: VehiclePolicyDocument;
}

/** How one service's requests are read. */
export interface JsonServiceReading {
  /** The credential scope's service (the signing name). */
  readonly service: string;
  /** `X-Amz-Target` is `<targetPrefix><Operation>`. */
  readonly targetPrefix: string;
  readonly contentType: string;
  /** The questions an operation's body asks, or why it cannot be read (refused). */
  questions(operation: string, body: string, call: FunctionCall & { description: LocalCloudDescription; accountId: string }): JsonQuestion[] | { problem: string };
}

/**
 * The ARN Lambda puts in `lambda:SourceFunctionArn` on every call a function makes with its execution role's
 * credentials. A reading adds it where the stack's policies test it (KMS Sign): it costs about 0.4 ms a simulation.
 *
 * @example
 * sourceFunctionArnOf(description, "fleetota-dev-update-manager"); // "arn:aws:lambda:eu-central-1:123456789012:function:fleetota-dev-update-manager"
 */
export function sourceFunctionArnOf(description: Pick<LocalCloudDescription, "functions">, functionName: string): string | undefined {
  return description.functions.find((candidate) => candidate.functionName === functionName)?.functionArn;
}

/** Distinct questions remembered: a function asks a few table- or key-level ones often; item questions differ by key. */
const DECISIONS_MAX = 1024;

/** Why a request is not in the form the SDKs send, else undefined. */
function formProblem(request: FrontDoorRequest, scope: CredentialScope, reading: JsonServiceReading): string | undefined {
  const problem = requestFormProblem(request, scope);
  if (problem) return problem;
  const mapped = requestAction({ method: request.method ?? "GET", url: request.url ?? "/", headers: request.headers, service: scope.service });
  if (mapped.kind === "unmapped") return mapped.reason;
  if (request.method !== "POST" || request.headers["content-type"] !== reading.contentType) return `${request.method ?? "GET"} with content type ${String(request.headers["content-type"])} (the SDKs POST ${reading.contentType})`;
  const target = String(request.headers["x-amz-target"]);
  return target.startsWith(reading.targetPrefix) && /^[A-Za-z]+$/.test(target.slice(reading.targetPrefix.length)) ? undefined : `X-Amz-Target ${JSON.stringify(target)}`;
}

/**
 * Refuses a local function's call to the service `reading` reads that its role's policy does not allow, with the
 * service's AccessDeniedException (400); forwards (undefined) every other request, and every request before the
 * stack is applied.
 *
 * @example
 * import { DYNAMODB_READING } from "./function-dynamodb-policy.js";
 * const functionDynamoDb = functionJsonAuthorizer({ description: () => applied, accountId: "123456789012" }, DYNAMODB_READING);
 */
export function functionJsonAuthorizer(options: FunctionJsonAuthorizerOptions, reading: JsonServiceReading): BodyAuthorizer {
  /** iam-simulate's answer by question, oldest first. */
  const decisions = new Map<string, string>();

  const callOf = (request: FrontDoorRequest) => {
    const description = options.description();
    const call = functionCallOf(request);
    return description && call?.scope.service === reading.service ? { ...call, description, accountId: options.accountId } : undefined;
  };

  const refuse = (principal: string, action: string, resource: string, reason: string, policies = "identity-based policy"): Refusal => {
    const message = `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} because no ${policies} allows the ${action} action`;
    const refused = refusal(reading.service, 400, "AccessDenied", message, reason);
    options.onRefusal?.(refused);
    return refused;
  };

  const decide = (policy: VehiclePolicyDocument, principal: string, asked: JsonQuestion): string => {
    const key = JSON.stringify([policy, principal, asked.action, asked.resource, asked.context ?? null, asked.resourcePolicy ?? null]);
    let result = decisions.get(key);
    if (result === undefined) {
      result = evaluateRoleRequest(policy, principal, options.accountId, { action: asked.action, resource: asked.resource, context: asked.context ?? {} }, asked.resourcePolicy).result;
      if (decisions.size >= DECISIONS_MAX) decisions.delete(decisions.keys().next().value!);
      decisions.set(key, result);
    }
    return result;
  };

  return {
    needsBody: (request) => callOf(request) !== undefined,
    judge(request, body) {
      const call = callOf(request);
      if (!call) return undefined;
      const { policy, principal } = functionRoleOf(call.description, call.functionName, options.accountId);
      const form = formProblem(request, call.scope, reading);
      if (form) return refuse(principal, `${reading.service}:*`, "*", `${call.functionName}: ${reading.service} request not as the SDKs send it: ${form}`);
      const operation = String(request.headers["x-amz-target"]).slice(reading.targetPrefix.length);
      const questions = reading.questions(operation, body, call);
      if ("problem" in questions) return refuse(principal, `${reading.service}:${operation}`, "*", `${call.functionName}: ${questions.problem}`);
      for (const asked of questions) {
        const result = policy ? decide(policy, principal, asked) : "(no role policy)";
        if (result !== "Allowed") {
          const context = asked.context && Object.keys(asked.context).length ? ` ${JSON.stringify(asked.context)}` : "";
          const policies = asked.resourcePolicy ? "identity-based policy and resource-based policy together" : undefined;
          return refuse(principal, asked.action, asked.resource, `${call.functionName}: ${asked.action} on ${asked.resource}${context} ${result}`, policies);
        }
      }
      return undefined;
    },
  };
}
