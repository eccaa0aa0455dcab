/**
 * The front door's judgment of a local Lambda's SQS calls. AWS evaluates each function's execution role on every
 * call; the local runtime signs a function's calls with its own key (`fleetota-fn-<name>`, local-principals.ts) and
 * the front door forwarded them unjudged. For SQS, where a queue's senders are part of the trust model (the
 * telemetry processor may send to the vehicle-report queue, never to the command queue), the call is judged here:
 * the queue named by the body's `QueueUrl`, the IAM action of the operation (a batch is its single form, as IAM
 * checks it), evaluated by iam-simulate against the inline policies of the function's role as the applied stack
 * wrote them (role-policies.ts). A function's request to SQS in any other form than the SDKs' JSON protocol is
 * refused, so that what moto does is what was judged. S3 and DynamoDB calls are judged by function-s3-policy.ts and
 * function-dynamodb-policy.ts with the role read here (functionRoleOf); other services' calls of functions are still
 * forwarded unjudged (README, local fidelity).
 * Pure but for the description it reads.
 */
import type { LocalCloudDescription } from "../model.js";
import { readAuthentication, refusal, type CredentialScope, type FrontDoorRequest, type Refusal } from "./front-door.js";
import { localPrincipalOf } from "./local-principals.js";
import { rolePolicyFromDescription } from "./role-policies.js";
import { evaluateRoleRequest, type VehiclePolicyDocument } from "./vehicle-policy.js";

/** Judges a request whose body it needs: `needsBody` on the headers, then `judge` with the whole body. */
export interface BodyAuthorizer {
  needsBody(request: FrontDoorRequest): boolean;
  judge(request: FrontDoorRequest, body: string): Refusal | undefined;
}

/**
 * One BodyAuthorizer of several: a request is judged by the first that needs its body.
 *
 * @example
 * import { startSqsProxy } from "../message-moves/proxy.js";
 * startSqsProxy({ upstream, credentials, authorizeBody: eitherBodyAuthorizer(functionSqs, functionS3) });
 */
export function eitherBodyAuthorizer(...authorizers: readonly BodyAuthorizer[]): BodyAuthorizer {
  return {
    needsBody: (request) => authorizers.some((authorizer) => authorizer.needsBody(request)),
    judge: (request, body) => authorizers.find((authorizer) => authorizer.needsBody(request))?.judge(request, body),
  };
}

/** Distinct questions remembered (a stack has a few functions, each calling a few queues). */
const DECISIONS_MAX = 512;
const SQS_TARGET = /^AmazonSQS\.([A-Za-z]+)$/;
/** SQS operations whose IAM action is another's: the batch forms are authorized as the single ones. */
const SQS_ACTION_OF: Readonly<Record<string, string>> = {
  SendMessageBatch: "SendMessage",
  DeleteMessageBatch: "DeleteMessage",
  ChangeMessageVisibilityBatch: "ChangeMessageVisibility",
};
/** Credential-scope services the emulator answers as SQS: moto routes `queue` (SQS's old endpoint name) there too. */
const SQS_SIGNING_NAMES: readonly string[] = ["sqs", "queue"];

function header(request: FrontDoorRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A local Lambda's signed request: the function it is signed as and its credential scope. */
export interface FunctionCall {
  readonly functionName: string;
  readonly scope: CredentialScope;
}

/**
 * The function a request is signed as (its key `fleetota-fn-<name>`), with the credential scope; undefined for anyone else.
 *
 * @example
 * functionCallOf(request)?.functionName; // "fleetota-dev-telemetry-processor"
 */
export function functionCallOf(request: FrontDoorRequest): FunctionCall | undefined {
  const authentication = readAuthentication(request);
  if (authentication.kind !== "signed") return undefined;
  const principal = localPrincipalOf(authentication.scope.accessKeyId);
  if (!principal?.startsWith("function:")) return undefined;
  return { functionName: principal.slice("function:".length), scope: authentication.scope };
}

/** A local function's execution role: its ARN, its applied inline policies' statements, and the session ARN it calls as. */
export interface FunctionRole {
  readonly roleArn: string | undefined;
  /** Undefined when the function or its role has no inline policy applied: nothing is allowed. */
  readonly policy: VehiclePolicyDocument | undefined;
  /** `arn:aws:sts::<account>:assumed-role/<role name>/<function name>`, as Lambda's session is named. */
  readonly principal: string;
}

/**
 * The role a local function runs with, read from the applied stack (its `aws_lambda_function`'s `role`).
 *
 * @example
 * functionRoleOf(description, "fleetota-dev-update-manager", "123456789012").principal;
 * // "arn:aws:sts::123456789012:assumed-role/fleetota-dev-update-manager-role/fleetota-dev-update-manager"
 */
export function functionRoleOf(description: LocalCloudDescription, functionName: string, accountId: string): FunctionRole {
  const fn = description.functions.find((candidate) => candidate.functionName === functionName);
  const role = fn ? description.resources[fn.address]?.role : undefined;
  const roleArn = typeof role === "string" ? role : undefined;
  return {
    roleArn,
    policy: roleArn === undefined ? undefined : rolePolicyFromDescription(description, roleArn),
    principal: `arn:aws:sts::${accountId}:assumed-role/${String(roleArn ?? "unknown").split("/").pop()}/${functionName}`,
  };
}

/** The function a request is signed as, when it is a local Lambda's request to SQS (in whatever form). */
function sqsCallOf(request: FrontDoorRequest): { functionName: string; service: string; region: string } | undefined {
  const call = functionCallOf(request);
  if (!call || !SQS_SIGNING_NAMES.includes(call.scope.service)) return undefined;
  return { functionName: call.functionName, service: call.scope.service, region: call.scope.region };
}

/**
 * The operation of a request in the form the SDKs send (the JSON protocol: `POST /`, `application/x-amz-json-1.0`,
 * `X-Amz-Target: AmazonSQS.<Operation>`), else why it is not. moto also serves the query protocol and takes the
 * operation from an `Action` parameter (query string, form body, or a header when neither holds one) or from the
 * last dot-part of any target, so a request in another form could do another operation than the one judged.
 */
function jsonOperation(request: FrontDoorRequest, service: string): { operation: string } | { problem: string } {
  const target = request.headers["x-amz-target"];
  const operation = typeof target === "string" ? SQS_TARGET.exec(target)?.[1] : undefined;
  if (service !== "sqs") return { problem: `signed for "${service}"` };
  if (request.method !== "POST" || request.url !== "/") return { problem: `${request.method} ${request.url} (the JSON protocol posts to /)` };
  if (header(request, "content-type") !== "application/x-amz-json-1.0") return { problem: `content type ${header(request, "content-type") ?? "(none)"}` };
  if (!operation) return { problem: `X-Amz-Target ${JSON.stringify(target ?? null)}` };
  if (request.headers.action !== undefined) return { problem: "an Action header" };
  return { operation };
}

/**
 * The queue ARN a queue URL names: the applied queue with that URL, else read from the URL's
 * `/<account>/<name>` path as SQS does.
 *
 * @example
 * queueArnOf(description, "http://127.0.0.1:4566/123456789012/fleetota-dev-commands", "eu-central-1"); // "arn:aws:sqs:eu-central-1:123456789012:fleetota-dev-commands"
 */
export function queueArnOf(description: Pick<LocalCloudDescription, "resources">, queueUrl: string, region: string): string | undefined {
  const applied = Object.entries(description.resources).find(([address, attributes]) => address.startsWith("aws_sqs_queue.") && attributes.url === queueUrl)?.[1];
  if (typeof applied?.arn === "string") return applied.arn;
  const path = /^[a-z]+:\/\/[^/]+\/(\d{12})\/([A-Za-z0-9_.-]+)$/.exec(queueUrl);
  return path ? `arn:aws:sqs:${region}:${path[1]}:${path[2]}` : undefined;
}

/**
 * Refuses a local function's SQS call that its role's policy does not allow, with SQS's AccessDenied; forwards
 * (undefined) every other request, and every request before the stack is applied (`description()` undefined).
 *
 * @example
 * const authorizeBody = functionSqsAuthorizer({ description: () => applied, accountId: "123456789012" });
 * // startSqsProxy({ upstream, credentials, authorize, authorizeBody }) judges each local function's SQS call with it
 */
export function functionSqsAuthorizer(options: { description: () => LocalCloudDescription | undefined; accountId: string; onRefusal?: (refusal: Refusal) => void }): BodyAuthorizer {
  const refuse = (message: string, reason: string): Refusal => {
    const refused = refusal("sqs", 403, "AccessDenied", message, reason);
    options.onRefusal?.(refused);
    return refused;
  };
  /** iam-simulate's answer by question (policy, principal, action, queue), oldest first; a function asks a few, often. */
  const decisions = new Map<string, string>();
  return {
    needsBody: (request) => options.description() !== undefined && sqsCallOf(request) !== undefined,
    judge(request, body) {
      const description = options.description();
      const signed = sqsCallOf(request);
      if (!description || !signed) return undefined;
      const form = jsonOperation(request, signed.service);
      if ("problem" in form) {
        return refuse(
          "A local function's SQS request must be in the JSON protocol (POST / with X-Amz-Target: AmazonSQS.<Operation>), as the AWS SDKs send it.",
          `${signed.functionName}: SQS request not in the JSON protocol: ${form.problem}`,
        );
      }
      const call = { ...signed, operation: form.operation };
      const { policy, principal } = functionRoleOf(description, call.functionName, options.accountId);
      let queueUrl: unknown;
      try {
        queueUrl = (JSON.parse(body || "{}") as { QueueUrl?: unknown }).QueueUrl;
      } catch {
        return refuse("The request body is not JSON.", `${call.functionName}: ${call.operation} with a body that is not JSON`);
      }
      const action = `sqs:${SQS_ACTION_OF[call.operation] ?? call.operation}`;
      const resource = typeof queueUrl === "string" ? queueArnOf(description, queueUrl, call.region) : "*";
      const denied = (result: string) =>
        refuse(
          `User: ${principal} is not authorized to perform: ${action} on resource: ${resource ?? String(queueUrl)} because no identity-based policy allows the ${action} action`,
          `${call.functionName}: ${action} on ${resource ?? String(queueUrl)} ${result}`,
        );
      if (!policy || resource === undefined) return denied(policy ? "(unknown queue)" : "(no role policy)");
      // The decision depends on the policy's statements, the principal, the action and the queue only: one
      // simulation per distinct question, and a policy applied since (other statements) is another question.
      const question = JSON.stringify([policy, principal, action, resource]);
      let result = decisions.get(question);
      if (result === undefined) {
        result = evaluateRoleRequest(policy, principal, options.accountId, { action, resource }).result;
        if (decisions.size >= DECISIONS_MAX) decisions.delete(decisions.keys().next().value!);
        decisions.set(question, result);
      }
      return result === "Allowed" ? undefined : denied(result);
    },
  };
}
