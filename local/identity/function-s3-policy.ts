/**
 * The front door's judgment of a local Lambda's S3 calls, as IAM judges them on AWS: each IAM action the request
 * needs (request-action.ts, the reading the front door applies to device sessions: a copy is Put on the target and
 * Get on the source, `versionId` reads are GetObjectVersion, ACL/tagging/lock headers add their actions) is
 * evaluated by iam-simulate (evaluateRoleRequest) against the inline policies of the function's role as the applied
 * stack wrote them, with the condition keys the request carries (`s3:x-amz-copy-source`, `s3:x-amz-storage-class`,
 * the SSE-C algorithm from its headers; `s3:prefix`, `s3:delimiter`, `s3:max-keys` from a listing's query). A refusal
 * is S3's 403 AccessDenied. The bucket policy is not evaluated here: moto evaluates it for every caller (serve.py
 * completes its conditions), so its Denys hold for functions as for everyone.
 *
 * Two S3 behaviours follow from the role and are kept too:
 * - DeleteObjects names its keys in the body: each key is evaluated as s3:DeleteObject (s3:DeleteObjectVersion with a
 *   version id). One key refused refuses the whole request (AWS answers 200 with an AccessDenied error for that key;
 *   here the failure is loud rather than a line in a quiet response).
 * - A read of a missing key or version: AWS answers 404 only to a caller that may `s3:ListBucket` that key (the key as
 *   `s3:prefix`), 403 AccessDenied to anyone else; moto answers 404 to all. answersMissingWith403 tells the proxy
 *   which reads to answer 403 when moto says 404.
 *
 * A request it cannot name precisely (a multipart upload, a form POST, a subresource not listed) is refused, as for
 * sessions: no function uses those. Pure but for the description it reads.
 */
import type { LocalCloudDescription } from "../model.js";
import { refusal, requestFormProblem, type FrontDoorRequest, type Refusal, type RequestAuthorizer } from "./front-door.js";
import { functionCallOf, functionRoleOf, type BodyAuthorizer } from "./function-policy.js";
import { requestAction } from "./request-action.js";
import { evaluateRoleRequest, s3ListContext, s3RequestContext } from "./vehicle-policy.js";

export interface FunctionS3Authorizer extends BodyAuthorizer {
  /** Judges a local function's S3 request by its headers; a DeleteObjects is left to `judge`, with its body. */
  readonly authorize: RequestAuthorizer;
  /** True for a forwarded read whose 404 S3 would answer 403: the function may not list the key. */
  answersMissingWith403(request: FrontDoorRequest): boolean;
}

export interface FunctionS3AuthorizerOptions {
  /** The applied stack; undefined before it is applied (nothing is judged then). */
  readonly description: () => LocalCloudDescription | undefined;
  readonly accountId: string;
  readonly onRefusal?: (refusal: Refusal) => void;
}

/** Listing actions, which carry the listing's query parameters as condition keys. */
const LIST_ACTIONS: readonly string[] = ["s3:ListBucket", "s3:ListBucketVersions"];
/** Reads that S3 answers 404 or 403 for a missing key, by the caller's s3:ListBucket. */
const OBJECT_READS: readonly string[] = ["s3:GetObject", "s3:GetObjectVersion"];
const XML_ENTITY = /&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));/gi;
const NAMED_ENTITY: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function isDeleteObjects(request: FrontDoorRequest): boolean {
  if (request.method !== "POST") return false;
  const [path = "", ...rest] = (request.url ?? "").split("?");
  const query = new URLSearchParams(rest.join("?"));
  return query.has("delete") && /^\/[^/]+\/?$/.test(path);
}

function xmlText(text: string): string | undefined {
  if (text.includes("<") || text.includes(">")) return undefined;
  let unreadable = false;
  const decoded = text.replace(XML_ENTITY, (_, hex: string | undefined, decimal: string | undefined, name: string | undefined) => {
    if (name !== undefined) return NAMED_ENTITY[name.toLowerCase()]!;
    const codePoint = hex !== undefined ? parseInt(hex, 16) : Number(decimal);
    // Past Unicode's last code point: not a character (String.fromCodePoint throws), and S3 answers 400.
    if (codePoint > 0x10ffff) return ((unreadable = true), "");
    return String.fromCodePoint(codePoint);
  });
  return unreadable ? undefined : decoded;
}

/**
 * The objects a DeleteObjects body names, each with its version id when it has one; an error for a body it cannot
 * read plainly (comments, CDATA, an object without a key, no object at all).
 *
 * @example
 * deleteObjectsOf("<Delete><Object><Key>fleet-state/parts/a&amp;b</Key></Object><Quiet>true</Quiet></Delete>");
 * // [{ key: "fleet-state/parts/a&b" }]
 */
export function deleteObjectsOf(body: string): Array<{ key: string; versionId?: string }> | { error: string } {
  const document = /^\s*(?:<\?xml[^>]*\?>)?\s*<Delete(?:\s[^>]*)?>([\s\S]*)<\/Delete>\s*$/.exec(body);
  if (!document) return { error: "the body is not one <Delete> element" };
  const content = document[1]!;
  if (content.includes("<!") || content.includes("<?")) return { error: "the body has comments, CDATA or processing instructions" };
  const elements = [...content.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((match) => match[1]!);
  if (elements.length === 0 || elements.length !== (content.match(/<Object\b/g) ?? []).length) return { error: "the objects are not plain <Object> elements" };
  const objects: Array<{ key: string; versionId?: string }> = [];
  for (const element of elements) {
    const keys = [...element.matchAll(/<Key>([^<]*)<\/Key>/g)];
    const versions = [...element.matchAll(/<VersionId>([^<]*)<\/VersionId>/g)];
    const key = keys.length === 1 ? xmlText(keys[0]![1]!) : undefined;
    if (!key || versions.length > 1 || (element.match(/<Key\b/g) ?? []).length !== 1) return { error: "an object without exactly one plain key" };
    const versionId = versions.length === 1 ? xmlText(versions[0]![1]!) : undefined;
    objects.push(versionId === undefined ? { key } : { key, versionId });
  }
  return objects;
}

/**
 * Refuses a local function's S3 call that its role's policy does not allow, with S3's 403 AccessDenied; forwards
 * (undefined) every other request, and every request before the stack is applied.
 *
 * @example
 * const functionS3 = functionS3Authorizer({ description: () => applied, accountId: "123456789012" });
 * // startSqsProxy({ upstream, credentials, authorize: (request) => vehicles(request) ?? functionS3.authorize(request), … })
 */
export function functionS3Authorizer(options: FunctionS3AuthorizerOptions): FunctionS3Authorizer {
  /** Forwarded reads (the request objects the proxy hands over), each with S3's question for a 404: may the caller list the key? Asked only on a 404. */
  const mayListMissing = new WeakMap<object, () => boolean>();

  const refuse = (principal: string, action: string, resource: string, reason: string): Refusal => {
    const message = `User: ${principal} is not authorized to perform: ${action} on resource: "${resource}" because no identity-based policy allows the ${action} action`;
    const refused = refusal("s3", 403, "AccessDenied", message, reason);
    options.onRefusal?.(refused);
    return refused;
  };

  /** The function's call, when it is a local function's S3 request and the stack is applied. */
  const s3CallOf = (request: FrontDoorRequest) => {
    const description = options.description();
    const call = functionCallOf(request);
    if (!description || !call || call.scope.service !== "s3") return undefined;
    return { description, call, role: functionRoleOf(description, call.functionName, options.accountId) };
  };

  /** The first of `actions` the role does not allow, as a refusal; undefined when it allows them all. */
  const judgeActions = (
    functionName: string,
    role: ReturnType<typeof functionRoleOf>,
    actions: ReadonlyArray<{ action: string; resource: string }>,
    context: (action: string) => Record<string, string>,
  ): Refusal | undefined => {
    for (const { action, resource } of actions) {
      const decision = role.policy ? evaluateRoleRequest(role.policy, role.principal, options.accountId, { action, resource, context: context(action) }).result : "(no role policy)";
      if (decision !== "Allowed") return refuse(role.principal, action, resource, `${functionName}: ${action} on ${resource} ${decision}`);
    }
    return undefined;
  };

  const authorize: RequestAuthorizer = function authorizeFunctionS3(request) {
    const signed = s3CallOf(request);
    if (!signed) return undefined;
    const { call, role } = signed;
    const problem = requestFormProblem(request, call.scope);
    if (problem) return refuse(role.principal, "s3:*", "*", `${call.functionName}: ${problem}`);
    const asked = requestAction({ method: request.method ?? "GET", url: request.url ?? "/", headers: request.headers, service: "s3" });
    if (asked.kind === "unmapped") return refuse(role.principal, "s3:*", request.url ?? "/", `${call.functionName}: ${asked.reason}`);
    // Its keys are in the body: judged key by key when the body is read (judge).
    if (isDeleteObjects(request)) return undefined;
    const headerContext = s3RequestContext(request.headers);
    const listContext = s3ListContext(request.url ?? "/");
    const refused = judgeActions(call.functionName, role, asked.actions, (action) => (LIST_ACTIONS.includes(action) ? { ...headerContext, ...listContext } : headerContext));
    if (refused) return refused;
    const [read] = asked.actions;
    const policy = role.policy;
    if (asked.actions.length === 1 && read && OBJECT_READS.includes(read.action) && policy) {
      const [bucket = "", key = ""] = read.resource.replace(/^arn:aws:s3:::/, "").split(/\/(.*)/s);
      mayListMissing.set(request, () => evaluateRoleRequest(policy, role.principal, options.accountId, { action: "s3:ListBucket", resource: `arn:aws:s3:::${bucket}`, context: { "s3:prefix": key } }).allowed);
    }
    return undefined;
  };

  return {
    authorize,
    needsBody: (request) => s3CallOf(request) !== undefined && isDeleteObjects(request),
    judge(request, body) {
      const signed = s3CallOf(request);
      if (!signed || !isDeleteObjects(request)) return undefined;
      const { call, role } = signed;
      const bucket = (request.url ?? "").split("?")[0]!.split("/")[1]!;
      const objects = deleteObjectsOf(body);
      if ("error" in objects) return refuse(role.principal, "s3:DeleteObject", `arn:aws:s3:::${bucket}/*`, `${call.functionName}: DeleteObjects: ${objects.error}`);
      const bypass = request.headers["x-amz-bypass-governance-retention"] !== undefined;
      const actions = objects.flatMap(({ key, versionId }) => {
        const resource = `arn:aws:s3:::${bucket}/${key}`;
        return [{ action: versionId === undefined ? "s3:DeleteObject" : "s3:DeleteObjectVersion", resource }, ...(bypass ? [{ action: "s3:BypassGovernanceRetention", resource }] : [])];
      });
      return judgeActions(call.functionName, role, actions, () => ({}));
    },
    answersMissingWith403: (request) => mayListMissing.get(request)?.() === false,
  };
}
