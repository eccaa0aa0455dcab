/**
 * What an HTTP request to the local cloud asks for, in IAM terms: the action(s) and resource ARN(s), read
 * from the method, path, query and headers (S3, path-style) or the `X-Amz-Target` header (JSON protocols).
 * Pure. The reading follows both AWS (which action IAM checks) and the emulator (what moto will actually
 * do with the request), so that what is evaluated is what happens:
 * - the bucket and key are those moto stores: the path decoded once, split at literal `/`; anything the
 *   two could read differently (dot segments, `%2F`, empty segments, control characters, bytes outside
 *   printable ASCII, an invalid escape or bucket name) is refused;
 * - every query parameter is either known not to change the operation or names a subresource with its
 *   own action; two subresources, or one not listed, are refused; `versionId` turns reads, tag, ACL and
 *   delete actions into their `…Version…` form;
 * - headers that need their own permission on AWS add it (`x-amz-acl`, `x-amz-tagging`, object lock,
 *   governance bypass), and a copy needs the source, parsed as moto parses it;
 * - where moto does something other than AWS (a GET subresource it ignores and answers with the object;
 *   multipart parts that it does not bind to the key in the URL), the request needs both actions or is refused.
 * A request it cannot name precisely is `unmapped`, with the reason: the front door refuses those for
 * sessions (fail closed) instead of guessing.
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

type Actions = Array<{ action: string; resource: string }>;
type Mapped = Extract<RequestAction, { kind: "mapped" }>;
type Unmapped = Extract<RequestAction, { kind: "unmapped" }>;

/** Signing names whose IAM prefix differs. */
const IAM_PREFIX: Record<string, string> = { monitoring: "cloudwatch" };

/** An object operation's action, and its form with `versionId` (absent: no such versioned operation). */
interface ObjectOperation {
  readonly action: string;
  readonly versioned?: string;
  /** moto answers this with GetObject (it ignores the subresource): the caller needs that too. */
  readonly motoReadsObject?: true;
}

const OBJECT_OPERATIONS: Record<string, Record<string, ObjectOperation>> = {
  GET: {
    "": { action: "s3:GetObject", versioned: "s3:GetObjectVersion" },
    acl: { action: "s3:GetObjectAcl", versioned: "s3:GetObjectVersionAcl" },
    tagging: { action: "s3:GetObjectTagging", versioned: "s3:GetObjectVersionTagging" },
    attributes: { action: "s3:GetObjectAttributes", versioned: "s3:GetObjectVersionAttributes" },
    "legal-hold": { action: "s3:GetObjectLegalHold", versioned: "s3:GetObjectLegalHold" },
    retention: { action: "s3:GetObjectRetention", versioned: "s3:GetObjectRetention", motoReadsObject: true },
    torrent: { action: "s3:GetObjectTorrent", versioned: "s3:GetObjectVersionTorrent", motoReadsObject: true },
  },
  HEAD: { "": { action: "s3:GetObject", versioned: "s3:GetObjectVersion" } },
  PUT: {
    "": { action: "s3:PutObject" },
    acl: { action: "s3:PutObjectAcl", versioned: "s3:PutObjectVersionAcl" },
    tagging: { action: "s3:PutObjectTagging", versioned: "s3:PutObjectVersionTagging" },
    retention: { action: "s3:PutObjectRetention", versioned: "s3:PutObjectRetention" },
    "legal-hold": { action: "s3:PutObjectLegalHold", versioned: "s3:PutObjectLegalHold" },
  },
  POST: {
    restore: { action: "s3:RestoreObject", versioned: "s3:RestoreObject" },
  },
  DELETE: {
    "": { action: "s3:DeleteObject", versioned: "s3:DeleteObjectVersion" },
    tagging: { action: "s3:DeleteObjectTagging", versioned: "s3:DeleteObjectVersionTagging" },
  },
};

/** Query parameters that do not change what an object request does (the SDK's `x-id`, response overrides). */
const OBJECT_MODIFIERS = new Set(["x-id", "response-content-type", "response-content-disposition", "response-cache-control", "response-expires", "response-content-encoding", "response-content-language"]);
/** Query parameters of listings. */
const LIST_MODIFIERS = new Set(["x-id", "list-type", "prefix", "delimiter", "continuation-token", "start-after", "max-keys", "marker", "encoding-type", "fetch-owner", "key-marker", "version-id-marker", "upload-id-marker", "max-uploads"]);
/** Multipart: moto writes a part into whatever upload the id names, whatever key the URL says (AWS binds the id to the key). */
const MULTIPART_PARAMETERS = new Set(["uploads", "uploadId", "partNumber"]);

const BUCKET_OPERATIONS: Record<string, Record<string, string>> = {
  GET: {
    "": "s3:ListBucket",
    versions: "s3:ListBucketVersions",
    uploads: "s3:ListBucketMultipartUploads",
    policy: "s3:GetBucketPolicy",
    acl: "s3:GetBucketAcl",
    tagging: "s3:GetBucketTagging",
    location: "s3:GetBucketLocation",
    versioning: "s3:GetBucketVersioning",
    "object-lock": "s3:GetBucketObjectLockConfiguration",
    notification: "s3:GetBucketNotification",
    cors: "s3:GetBucketCORS",
    lifecycle: "s3:GetLifecycleConfiguration",
    encryption: "s3:GetEncryptionConfiguration",
    logging: "s3:GetBucketLogging",
    website: "s3:GetBucketWebsite",
    publicAccessBlock: "s3:GetBucketPublicAccessBlock",
    ownershipControls: "s3:GetBucketOwnershipControls",
    replication: "s3:GetReplicationConfiguration",
    accelerate: "s3:GetAccelerateConfiguration",
  },
  HEAD: { "": "s3:ListBucket" },
  PUT: {
    "": "s3:CreateBucket",
    policy: "s3:PutBucketPolicy",
    acl: "s3:PutBucketAcl",
    tagging: "s3:PutBucketTagging",
    versioning: "s3:PutBucketVersioning",
    "object-lock": "s3:PutBucketObjectLockConfiguration",
    notification: "s3:PutBucketNotification",
    cors: "s3:PutBucketCORS",
    lifecycle: "s3:PutLifecycleConfiguration",
    encryption: "s3:PutEncryptionConfiguration",
    logging: "s3:PutBucketLogging",
    website: "s3:PutBucketWebsite",
    publicAccessBlock: "s3:PutBucketPublicAccessBlock",
    ownershipControls: "s3:PutBucketOwnershipControls",
    replication: "s3:PutReplicationConfiguration",
    accelerate: "s3:PutAccelerateConfiguration",
  },
  DELETE: {
    "": "s3:DeleteBucket",
    policy: "s3:DeleteBucketPolicy",
    tagging: "s3:PutBucketTagging",
    website: "s3:DeleteBucketWebsite",
    cors: "s3:PutBucketCORS",
    lifecycle: "s3:PutLifecycleConfiguration",
    encryption: "s3:PutEncryptionConfiguration",
    publicAccessBlock: "s3:PutBucketPublicAccessBlock",
    ownershipControls: "s3:PutBucketOwnershipControls",
    replication: "s3:PutReplicationConfiguration",
  },
};

/** Presigned-URL parameters (read by the front door, not an operation). */
const PRESIGN_PARAMETER = /^X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Signature|Security-Token)$/;
/** S3 bucket naming rules (lower case, digits, `.` and `-`, 3 to 63 characters). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** The request target as S3 requires it sent: printable ASCII, everything else percent-encoded. */
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
/** Control characters (decoded), which S3 keys may hold but nothing here needs. */
const CONTROL = /[\x00-\x1f\x7f]/;
/** Literal `/` and `\` escaped: a segment that is one segment to one reader and two to another. */
const ENCODED_SEPARATOR = /%(?:2f|5c)/i;
/** Paths moto routes to S3 Control, not S3. */
const S3_CONTROL_BUCKET = "v20180820";

function header(facts: RequestFacts, name: string): string | undefined {
  const value = facts.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

const unmapped = (service: string, reason: string): Unmapped => ({ kind: "unmapped", service, reason });

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads `<bucket>/<key>` (the key may be empty) as moto reads it: decoded once, split at literal `/`.
 * Refuses what two readers could take for different objects.
 */
function bucketAndKey(rawPath: string, what: string): { bucket: string; key: string } | { error: string } {
  if (!PRINTABLE_ASCII.test(rawPath)) return { error: `the ${what} has bytes outside printable ASCII` };
  if (rawPath.includes("\\") || ENCODED_SEPARATOR.test(rawPath)) return { error: `the ${what} has an encoded or backward slash` };
  // moto takes the key from urlparse(raw target).path, which drops a fragment and `;params` of the last segment.
  if (/[#;]/.test(rawPath)) return { error: `the ${what} has a raw # or ; (the emulator's URL parser cuts the key there)` };
  const path = decode(rawPath);
  if (path === undefined) return { error: `the ${what} has an invalid escape` };
  if (CONTROL.test(path)) return { error: `the ${what} has control characters` };
  const [bucket = "", ...keyParts] = path.split("/");
  if (!BUCKET_NAME.test(bucket)) return { error: `the ${what} names no valid bucket (${JSON.stringify(bucket)})` };
  if (bucket === S3_CONTROL_BUCKET) return { error: `the ${what} is an S3 Control path` };
  const key = keyParts.join("/");
  if (keyParts.some((segment) => segment === "." || segment === "..")) return { error: `the ${what} has dot segments` };
  if (key !== "" && keyParts.some((segment) => segment === "")) return { error: `the ${what} has an empty segment (a double or trailing slash)` };
  return { bucket, key };
}

/** The query's parameter names, each once (a repeated one is read differently by different parsers). */
function parameterNames(rawQuery: string): string[] | { error: string } {
  const names = [...new URLSearchParams(rawQuery).keys()];
  if (new Set(names).size !== names.length) return { error: "a query parameter appears twice" };
  return names.filter((name) => !PRESIGN_PARAMETER.test(name));
}

/** The actions the headers of an object write add on AWS. */
function headerActions(facts: RequestFacts, objectArn: string): Actions {
  const names = Object.keys(facts.headers).map((name) => name.toLowerCase());
  const actions: Actions = [];
  if (names.includes("x-amz-acl") || names.some((name) => name.startsWith("x-amz-grant-"))) actions.push({ action: "s3:PutObjectAcl", resource: objectArn });
  if (names.includes("x-amz-tagging")) actions.push({ action: "s3:PutObjectTagging", resource: objectArn });
  if (names.includes("x-amz-object-lock-mode") || names.includes("x-amz-object-lock-retain-until-date")) actions.push({ action: "s3:PutObjectRetention", resource: objectArn });
  if (names.includes("x-amz-object-lock-legal-hold")) actions.push({ action: "s3:PutObjectLegalHold", resource: objectArn });
  return actions;
}

function bypassActions(facts: RequestFacts, resource: string): Actions {
  return header(facts, "x-amz-bypass-governance-retention") === undefined ? [] : [{ action: "s3:BypassGovernanceRetention", resource }];
}

/**
 * The object a copy reads, parsed as moto parses `x-amz-copy-source` (`[/]<bucket>/<key>[?versionId=…]`,
 * decoded once), refusing anything a URL parser would split differently (`#`, `;`, `//host`, a scheme).
 */
function copySourceAction(copySource: string): { action: string; resource: string } | { error: string } {
  if (!PRINTABLE_ASCII.test(copySource)) return { error: "the copy source has bytes outside printable ASCII" };
  const [rawPath = "", ...rest] = copySource.split("?");
  const rawQuery = rest.join("?");
  const path = rawPath.startsWith("/") ? rawPath.slice(1) : rawPath;
  if (path.startsWith("/")) return { error: "the copy source starts with //" };
  const location = bucketAndKey(path, "copy source");
  if ("error" in location) return location;
  if (location.key === "") return { error: "the copy source names no key" };
  const resource = `arn:aws:s3:::${location.bucket}/${location.key}`;
  if (rawQuery === "") return { action: "s3:GetObject", resource };
  const query = new URLSearchParams(rawQuery);
  if ([...query.keys()].length !== 1 || !query.get("versionId")) return { error: `the copy source query ${JSON.stringify(rawQuery)} is not one versionId` };
  return { action: "s3:GetObjectVersion", resource };
}

function bucketAction(facts: RequestFacts, method: string, bucket: string, parameters: readonly string[]): RequestAction {
  const service = "s3";
  const bucketArn = `arn:aws:s3:::${bucket}`;
  if (method === "POST") {
    if (parameters.length === 1 && parameters[0] === "delete") {
      // Multi-object delete: the keys (and versions) are in the body, which is not read here, so the caller
      // must be allowed to delete any object and version of the bucket.
      const objects = `${bucketArn}/*`;
      return { kind: "mapped", service, actions: [{ action: "s3:DeleteObject", resource: objects }, { action: "s3:DeleteObjectVersion", resource: objects }, ...bypassActions(facts, objects)] };
    }
    return unmapped(service, parameters.length === 0 ? "POST object (form upload): the key and fields are in the body" : `bucket POST ${parameters.join(",")}`);
  }
  // moto answers a bucket request by its one subresource, whatever listing parameters come with it.
  const subresources = parameters.filter((name) => !LIST_MODIFIERS.has(name));
  if (subresources.length > 1) return unmapped(service, `bucket ${method} with ${subresources.join(",")}`);
  if (method === "HEAD" && parameters.length > 0) return unmapped(service, `bucket HEAD with ${parameters.join(",")}`);
  const subresource = subresources[0] ?? "";
  const action = BUCKET_OPERATIONS[method]?.[subresource];
  if (!action) return unmapped(service, `bucket ${method} ${subresource || "(no subresource)"}`);
  return { kind: "mapped", service, actions: [{ action, resource: bucketArn }] };
}

function objectAction(facts: RequestFacts, method: string, bucket: string, key: string, parameters: readonly string[]): RequestAction {
  const service = "s3";
  const objectArn = `arn:aws:s3:::${bucket}/${key}`;
  const multipart = parameters.filter((name) => MULTIPART_PARAMETERS.has(name));
  if (multipart.length > 0 && !(multipart.length === 1 && multipart[0] === "partNumber" && (method === "GET" || method === "HEAD"))) {
    return unmapped(service, `multipart upload (${multipart.join(",")}): not mapped for sessions (stricter than AWS, where s3:PutObject allows it; vehicles and gateways upload objects whole)`);
  }
  const versioned = parameters.includes("versionId");
  const subresources = parameters.filter((name) => !OBJECT_MODIFIERS.has(name) && name !== "versionId" && name !== "partNumber");
  if (subresources.length > 1) return unmapped(service, `object ${method} with ${subresources.join(",")}`);
  const subresource = subresources[0] ?? "";
  const operation = OBJECT_OPERATIONS[method]?.[subresource];
  if (!operation) return unmapped(service, `object ${method} ${subresource || "(no subresource)"}`);
  const action = versioned ? operation.versioned : operation.action;
  if (!action) return unmapped(service, `object ${method} ${subresource || "(no subresource)"} with versionId`);
  const actions: Actions = [{ action, resource: objectArn }];
  if (operation.motoReadsObject) actions.push({ action: versioned ? "s3:GetObjectVersion" : "s3:GetObject", resource: objectArn });
  const copySource = header(facts, "x-amz-copy-source");
  if (copySource !== undefined) {
    if (method !== "PUT" || subresource !== "") return unmapped(service, `x-amz-copy-source on object ${method} ${subresource}`.trim());
    const source = copySourceAction(copySource);
    if ("error" in source) return unmapped(service, source.error);
    actions.push(source);
  }
  if (method === "PUT" && subresource === "") actions.push(...headerActions(facts, objectArn));
  if (method === "DELETE" || (method === "PUT" && subresource === "retention")) actions.push(...bypassActions(facts, objectArn));
  return { kind: "mapped", service, actions } satisfies Mapped;
}

function s3Action(facts: RequestFacts): RequestAction {
  const service = "s3";
  if (!PRINTABLE_ASCII.test(facts.url)) return unmapped(service, "the request target has bytes outside printable ASCII");
  const [rawPath = "/", ...rest] = facts.url.split("?");
  const rawQuery = rest.join("?");
  const method = facts.method.toUpperCase();
  const names = parameterNames(rawQuery);
  if ("error" in names) return unmapped(service, names.error);
  if (!rawPath.startsWith("/")) return unmapped(service, "the path is not absolute");
  if (rawPath === "/") return method === "GET" && names.every((name) => name === "x-id") ? { kind: "mapped", service, actions: [{ action: "s3:ListAllMyBuckets", resource: "*" }] } : unmapped(service, `${method} /`);
  const location = bucketAndKey(rawPath.slice(1), "path");
  if ("error" in location) return unmapped(service, location.error);
  if (location.key === "") {
    if (header(facts, "x-amz-copy-source") !== undefined) return unmapped(service, "x-amz-copy-source on a bucket request");
    return bucketAction(facts, method, location.bucket, names);
  }
  return objectAction(facts, method, location.bucket, location.key, names);
}

/** The JSON protocols: moto takes the operation from `X-Amz-Target` only when nothing else names one. */
function jsonAction(facts: RequestFacts): RequestAction {
  const service = IAM_PREFIX[facts.service] ?? facts.service;
  const target = header(facts, "x-amz-target");
  if (target === undefined) return unmapped(service, `a ${facts.service} request without X-Amz-Target (query or REST protocol)`);
  const match = /^[A-Za-z0-9_]+\.([A-Za-z]+)$/.exec(target);
  if (!match) return unmapped(service, `X-Amz-Target ${JSON.stringify(target)} is not <service>.<operation>`);
  // moto reads an `Action` from the query, and from the headers when there is no query or body: either wins over the target.
  if (facts.url !== "/") return unmapped(service, "a JSON-protocol request with a path or query other than /");
  if (Object.keys(facts.headers).some((name) => name.toLowerCase() === "action")) return unmapped(service, "an Action header");
  if (!/^application\/x-amz-json-1\.[01]\b/.test(header(facts, "content-type") ?? "")) return unmapped(service, "a JSON-protocol request without a JSON content type");
  return { kind: "mapped", service, actions: [{ action: `${service}:${match[1]}`, resource: "*" }] };
}

/**
 * The IAM action(s) and resource(s) of one request. A copy needs two (put the target, get the source).
 *
 * @example
 * requestAction({ method: "PUT", url: "/lake/telemetry/vehicle/V/x.gz?x-id=PutObject", headers: {}, service: "s3" });
 * // { kind: "mapped", service: "s3", actions: [{ action: "s3:PutObject", resource: "arn:aws:s3:::lake/telemetry/vehicle/V/x.gz" }] }
 */
export function requestAction(facts: RequestFacts): RequestAction {
  return facts.service === "s3" ? s3Action(facts) : jsonAction(facts);
}
