/**
 * What an HTTP request to the local cloud asks for, in IAM terms: the action and the resource ARN, read
 * from the method, path and query (S3, path-style) or the `X-Amz-Target` header (JSON protocols). Pure.
 * A request it cannot name precisely is `unmapped`: the front door refuses those for vehicle sessions
 * (fail closed) instead of guessing.
 */

export type RequestAction =
  | { readonly kind: "mapped"; readonly service: string; readonly actions: ReadonlyArray<{ action: string; resource: string }> }
  | { readonly kind: "unmapped"; readonly service: string; readonly reason: string };

export interface RequestFacts {
  readonly method: string;
  /** The raw request target: path and query, as received. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Service of the SigV4 credential scope (`s3`, `dynamodb`, `sqs` …). */
  readonly service: string;
}

/** Signing names whose IAM prefix differs. */
const IAM_PREFIX: Record<string, string> = { monitoring: "cloudwatch" };

const OBJECT_SUBRESOURCE_ACTIONS: Record<string, Record<string, string>> = {
  GET: { acl: "s3:GetObjectAcl", tagging: "s3:GetObjectTagging", attributes: "s3:GetObjectAttributes", retention: "s3:GetObjectRetention", "legal-hold": "s3:GetObjectLegalHold", torrent: "s3:GetObjectTorrent", uploadId: "s3:ListMultipartUploadParts" },
  HEAD: {},
  PUT: { acl: "s3:PutObjectAcl", tagging: "s3:PutObjectTagging", retention: "s3:PutObjectRetention", "legal-hold": "s3:PutObjectLegalHold", uploadId: "s3:PutObject" },
  POST: { uploads: "s3:PutObject", uploadId: "s3:PutObject", restore: "s3:RestoreObject", select: "s3:GetObject" },
  DELETE: { tagging: "s3:DeleteObjectTagging", uploadId: "s3:AbortMultipartUpload" },
};
const OBJECT_ACTIONS: Record<string, string> = { GET: "s3:GetObject", HEAD: "s3:GetObject", PUT: "s3:PutObject", DELETE: "s3:DeleteObject" };
/** Query parameters that do not change what an object request does. */
const NEUTRAL_PARAMETERS = new Set(["x-id", "partNumber", "versionId", "response-content-type", "response-content-disposition", "response-cache-control", "response-expires", "response-content-encoding", "response-content-language"]);
const PRESIGN_PARAMETER = /^x-amz-/i;

function header(facts: RequestFacts, name: string): string | undefined {
  const value = facts.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Splits a path-style S3 target into bucket and key, refusing what S3 and the emulator might read
 * differently: dot segments (`..`), undecodable escapes.
 */
function s3Location(url: string): { bucket: string; key: string; query: URLSearchParams } | { error: string } {
  const [rawPath = "/", rawQuery = ""] = url.split("?", 2) as [string, string?];
  const normalized = new URL(rawPath, "http://front-door").pathname;
  if (normalized !== rawPath) return { error: `the path ${JSON.stringify(rawPath)} has dot segments` };
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { error: "the path has an invalid escape" };
  }
  if (/(^|\/)\.\.?(\/|$)/.test(path)) return { error: "the key has dot segments" };
  const [, bucket = "", ...keyParts] = path.split("/");
  return { bucket, key: keyParts.join("/"), query: new URLSearchParams(rawQuery) };
}

function s3Action(facts: RequestFacts): RequestAction {
  const service = "s3";
  const location = s3Location(facts.url);
  if ("error" in location) return { kind: "unmapped", service, reason: location.error };
  const { bucket, key, query } = location;
  const method = facts.method.toUpperCase();
  const parameters = [...query.keys()].filter((name) => !NEUTRAL_PARAMETERS.has(name) && !PRESIGN_PARAMETER.test(name));
  if (!bucket) return method === "GET" ? { kind: "mapped", service, actions: [{ action: "s3:ListAllMyBuckets", resource: "*" }] } : { kind: "unmapped", service, reason: `${method} /` };
  if (!key) {
    const bucketArn = `arn:aws:s3:::${bucket}`;
    if (method === "GET" && parameters.every((name) => ["list-type", "prefix", "delimiter", "continuation-token", "start-after", "max-keys", "marker", "encoding-type", "fetch-owner"].includes(name))) {
      return { kind: "mapped", service, actions: [{ action: "s3:ListBucket", resource: bucketArn }] };
    }
    if (method === "POST" && parameters.length === 1 && parameters[0] === "delete") {
      return { kind: "mapped", service, actions: [{ action: "s3:DeleteObject", resource: `${bucketArn}/*` }] };
    }
    return { kind: "unmapped", service, reason: `bucket-level ${method} ${parameters.join(",") || "(no subresource)"}` };
  }
  const objectArn = `arn:aws:s3:::${bucket}/${key}`;
  if (parameters.length > 1 && !(parameters.length === 2 && parameters.includes("uploadId") && parameters.includes("partNumber"))) {
    return { kind: "unmapped", service, reason: `object ${method} with ${parameters.join(",")}` };
  }
  const subresource = parameters.find((name) => name !== "partNumber");
  const action = subresource === undefined ? OBJECT_ACTIONS[method] : OBJECT_SUBRESOURCE_ACTIONS[method]?.[subresource];
  if (!action) return { kind: "unmapped", service, reason: `object ${method} ${subresource ?? ""}`.trim() };
  const actions = [{ action, resource: objectArn }];
  const copySource = header(facts, "x-amz-copy-source");
  if (copySource !== undefined && method === "PUT") {
    const source = decodeURIComponent(copySource.split("?")[0]!.replace(/^\//, ""));
    actions.push({ action: "s3:GetObject", resource: `arn:aws:s3:::${source}` });
  }
  return { kind: "mapped", service, actions };
}

/**
 * The IAM action(s) and resource(s) of one request. A copy needs two (put the target, get the source).
 *
 * @example
 * requestAction({ method: "PUT", url: "/lake/telemetry/vehicle/V/x.gz?x-id=PutObject", headers: {}, service: "s3" });
 * // { kind: "mapped", service: "s3", actions: [{ action: "s3:PutObject", resource: "arn:aws:s3:::lake/telemetry/vehicle/V/x.gz" }] }
 */
export function requestAction(facts: RequestFacts): RequestAction {
  if (facts.service === "s3") return s3Action(facts);
  const service = IAM_PREFIX[facts.service] ?? facts.service;
  const target = header(facts, "x-amz-target");
  const operation = target?.split(".").at(-1);
  if (operation && /^[A-Za-z]+$/.test(operation)) return { kind: "mapped", service, actions: [{ action: `${service}:${operation}`, resource: "*" }] };
  return { kind: "unmapped", service, reason: `a ${facts.service} request without X-Amz-Target (query protocol)` };
}
