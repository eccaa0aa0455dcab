/**
 * The local front door's authorization: AWS evaluates IAM on every request; moto evaluates none. So the
 * front door fails closed. It forwards to moto only
 * - requests of the local cloud's own principals (local/identity/local-principals.ts: the operator, each
 *   Lambda, the event source mappings, the emulation), told by their access key id (a Lambda's SQS, S3 and DynamoDB
 *   calls are then judged against its role: function-policy.ts, function-s3-policy.ts, function-dynamodb-policy.ts), and
 * - requests of live sessions the local credentials provider issued (vehicles), whose session token
 *   matches and whose role policy, evaluated by iam-simulate for that thing name, allows exactly what
 *   the emulator will do with the request.
 * Everything else gets AWS's error in the protocol the caller speaks: unsigned (`AccessDenied` for S3,
 * `MissingAuthenticationToken` for the JSON protocols), an unknown key (`InvalidAccessKeyId`), SigV2
 * (`InvalidRequest`), a malformed `Authorization` header or presigned query, an expired presigned URL.
 *
 * The signature itself is not recomputed: a session's token, a random secret only the vehicle received
 * over mutual TLS, stands in for it. A local principal's key is a convention on loopback, not a secret.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Log } from "../../lib/logger.js";
import { localPrincipalOf } from "./local-principals.js";
import { requestAction } from "./request-action.js";
import type { VehicleSession, VehicleSessions } from "./sessions.js";
import { evaluateDeviceRequest, s3RequestContext } from "./vehicle-policy.js";

export interface FrontDoorRequest {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingHttpHeaders;
}

export interface Refusal {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** For logs and counters. */
  readonly code: string;
  readonly reason: string;
}

/** Returns a refusal to send instead of forwarding, or undefined to forward the request. */
export type RequestAuthorizer = (request: FrontDoorRequest) => Refusal | undefined;

export interface FrontDoorStats {
  /** Requests signed with the key of a session the credentials provider issued. */
  vehicleRequests: number;
  /** Session requests forwarded. */
  allowed: number;
  /** Every refusal, sessions' and the unauthenticated ones. */
  refused: number;
  /** Refusals of requests that named no session and no local principal: unsigned, unknown keys, SigV2, malformed. */
  unauthenticated: number;
}

/** A request's SigV4 credential scope, read as AWS (and the emulator) read it. */
export interface CredentialScope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
  readonly token?: string;
  /** Authenticated by the query (a presigned URL) rather than the `Authorization` header. */
  readonly presigned: boolean;
}

export type Authentication =
  | { readonly kind: "signed"; readonly scope: CredentialScope }
  | { readonly kind: "unsigned" }
  | { readonly kind: "refused"; readonly statusCode: number; readonly code: string; readonly message: string; readonly reason: string };

/**
 * The whole header as the AWS SDKs write it. moto reads the service from the first comma-separated part
 * (`…Credential=<key>/<date>/<region>/<service>/aws4_request`), so nothing else may come before it.
 */
const SIGV4_HEADER = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=[a-z0-9;.-]+, ?Signature=[0-9a-f]{64}$/;
const SIGV4_CREDENTIAL = /^([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** Query parameters of a presigned URL (SigV4), and of SigV2's. Matched case-insensitively. */
const SIGV4_QUERY = ["x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders", "x-amz-signature", "x-amz-security-token"];
const SIGV2_QUERY = ["awsaccesskeyid", "signature"];
/** AWS's longest presigned URL lifetime: 7 days. */
const MAX_PRESIGNED_SECONDS = 604_800;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const refused = (statusCode: number, code: string, message: string, reason: string): Authentication => ({ kind: "refused", statusCode, code, message, reason });

/**
 * How a request authenticates, read strictly: a complete SigV4 `Authorization` header, or a complete
 * SigV4 presigned query (each parameter once, unexpired), never both; no credentials at all is `unsigned`;
 * anything else (SigV2, a header or query missing parts, two mechanisms) is refused with AWS's code.
 *
 * @example
 * readAuthentication({ headers: { authorization: "AWS4-HMAC-SHA256 Credential=fleetota-local/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + "0".repeat(64) } });
 * // { kind: "signed", scope: { accessKeyId: "fleetota-local", region: "us-east-1", service: "s3", token: undefined, presigned: false } }
 */
export function readAuthentication(request: FrontDoorRequest, nowMs: number = Date.now()): Authentication {
  const authorization = first(request.headers.authorization);
  const query = new URLSearchParams((request.url ?? "").split("?").slice(1).join("?"));
  const names = [...query.keys()].map((name) => name.toLowerCase());
  const inQuery = names.filter((name) => SIGV4_QUERY.includes(name));
  const sigV2InQuery = names.some((name) => SIGV2_QUERY.includes(name));
  if (authorization !== undefined && (inQuery.length > 0 || sigV2InQuery)) {
    return refused(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified", "both an Authorization header and a presigned query");
  }
  if (authorization !== undefined) {
    if (/^AWS [^:\s]+:/.test(authorization)) return refused(400, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.", "SigV2 Authorization header");
    const match = SIGV4_HEADER.exec(authorization);
    if (!match) return refused(400, "AuthorizationHeaderMalformed", "The authorization header is malformed.", "malformed Authorization header");
    return { kind: "signed", scope: { accessKeyId: match[1]!, region: match[3]!, service: match[4]!, token: first(request.headers["x-amz-security-token"]), presigned: false } };
  }
  if (sigV2InQuery) return refused(400, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.", "SigV2 presigned query");
  if (inQuery.length === 0) return { kind: "unsigned" };
  return presignedScope(query, inQuery, nowMs);
}

function presignedScope(query: URLSearchParams, inQuery: readonly string[], nowMs: number): Authentication {
  const malformed = (what: string) => refused(400, "AuthorizationQueryParametersError", `Error parsing the X-Amz-Credential parameter; ${what}.`, `malformed presigned query: ${what}`);
  if (new Set(inQuery).size !== inQuery.length) return malformed("a parameter appears twice");
  const only = (name: string): string | undefined => (query.getAll(name).length === 1 ? query.get(name)! : undefined);
  if (inQuery.some((name) => !query.has(SIGV4_NAME[name]!))) return malformed("the parameter names are not spelled as AWS spells them");
  if (only("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") return malformed("X-Amz-Algorithm must be AWS4-HMAC-SHA256");
  const credential = SIGV4_CREDENTIAL.exec(only("X-Amz-Credential") ?? "");
  if (!credential) return malformed("X-Amz-Credential must be <key>/<date>/<region>/<service>/aws4_request");
  if (!/^[0-9a-f]{64}$/.test(only("X-Amz-Signature") ?? "")) return malformed("X-Amz-Signature must be 64 hex digits");
  if (!/^[a-z0-9;.-]+$/.test(only("X-Amz-SignedHeaders") ?? "")) return malformed("X-Amz-SignedHeaders is missing");
  const date = AMZ_DATE.exec(only("X-Amz-Date") ?? "");
  const expires = Number(only("X-Amz-Expires") ?? Number.NaN);
  if (!date || !Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGNED_SECONDS) return malformed("X-Amz-Date and X-Amz-Expires (1 s to 7 days) are required");
  const [, year, month, day, hour, minute, second] = date.map(Number) as [number, number, number, number, number, number, number];
  const signedAtMs = Date.UTC(year, month - 1, day, hour, minute, second);
  if (nowMs > signedAtMs + expires * 1000) return refused(403, "AccessDenied", "Request has expired", "expired presigned URL");
  return { kind: "signed", scope: { accessKeyId: credential[1]!, region: credential[3]!, service: credential[4]!, token: only("X-Amz-Security-Token"), presigned: true } };
}

const SIGV4_NAME: Record<string, string> = {
  "x-amz-algorithm": "X-Amz-Algorithm",
  "x-amz-credential": "X-Amz-Credential",
  "x-amz-date": "X-Amz-Date",
  "x-amz-expires": "X-Amz-Expires",
  "x-amz-signedheaders": "X-Amz-SignedHeaders",
  "x-amz-signature": "X-Amz-Signature",
  "x-amz-security-token": "X-Amz-Security-Token",
};

/** The protocol to answer in when the credential scope does not say: the JSON protocols carry `X-Amz-Target`. */
function protocolService(request: FrontDoorRequest, authentication: Authentication): string {
  if (authentication.kind === "signed") return authentication.scope.service;
  return first(request.headers["x-amz-target"]) === undefined ? "s3" : "json";
}

/** The error in the protocol the caller speaks: S3's XML, or the JSON protocols' `__type`. */
export function refusal(service: string, statusCode: number, code: string, message: string, reason: string): Refusal {
  const requestId = crypto.randomUUID();
  if (service === "s3") {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`;
    return { statusCode, headers: { "content-type": "application/xml", "x-amz-request-id": requestId }, body, code, reason };
  }
  if (service === "dynamodb" && code === "AccessDenied") {
    // DynamoDB's own shape: the type qualified by its namespace, the message as `Message`, no x-amzn-errortype header.
    const body = JSON.stringify({ __type: "com.amazon.coral.service#AccessDeniedException", Message: message });
    return { statusCode, headers: { "content-type": "application/x-amz-json-1.0" }, body, code, reason };
  }
  const type = code === "AccessDenied" || code === "MissingAuthenticationToken" ? `${code}Exception` : code;
  // SQS's JSON protocol also carries the query-protocol code, which the SDK reports as the error name.
  const queryCode: Record<string, string> = service === "sqs" ? { "x-amzn-query-error": `${code};Sender` } : {};
  return {
    statusCode,
    headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-errortype": type, ...queryCode },
    body: JSON.stringify({ __type: type, message }),
    code,
    reason,
  };
}

/**
 * Hosts the emulator reads as path-style S3 (moto takes the bucket from any other `Host` with a dot in it,
 * virtual-hosted style): a loopback IPv4 address or `localhost`, with a port.
 */
const PATH_STYLE_HOST = /^(?:127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}|localhost)(?::\d{1,5})?$/;
/** Paths moto answers itself whatever the credentials (its own API, instance metadata), decoded as it decodes them. */
const EMULATOR_PATH = /^\/(?:moto-api(?:\/|$)|favicon\.ico$|latest\/(?:meta-data|api)\/)/;
/** Bodies moto parses into request parameters (which it may prefer to the URL's), named anywhere in Content-Type. */
const FORM_CONTENT = /x-www-form-urlencoded|form-data/i;
/**
 * Header bytes both parsers read alike: tab and printable ASCII. Node passes obs-text (0x80-0xff) through, and
 * Python's `strip()` removes some of it (0x85), so `\x85application/x-www-form-urlencoded` is a form to moto.
 */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
/** moto's own control headers (`x-moto-account-id` switches the account it serves). */
const EMULATOR_HEADER = /^x-moto-/;

function decodedPath(url: string): string | undefined {
  try {
    return decodeURIComponent(url.split("?")[0]!);
  } catch {
    return undefined;
  }
}

/**
 * What a session's (or a local function's, function-s3-policy.ts) request must look like before its action is
 * evaluated, so that the emulator does exactly what was evaluated: path-style `Host`, none of the emulator's own paths, header values of tab and
 * printable ASCII only, no emulator control header, no form body, and a
 * presigned URL only for S3, without an X-Amz-Target (moto routes a request without an Authorization header
 * by its target, body and path).
 */
export function requestFormProblem(request: FrontDoorRequest, scope: CredentialScope): string | undefined {
  const host = first(request.headers.host);
  if (host === undefined || !PATH_STYLE_HOST.test(host)) return `Host ${JSON.stringify(host ?? "")} is not path-style loopback (virtual-hosted or unexpected)`;
  const path = decodedPath(request.url ?? "/");
  if (path === undefined) return "the path has an invalid escape";
  if (EMULATOR_PATH.test(path)) return `the emulator's own path ${JSON.stringify(path)}`;
  for (const [name, value] of Object.entries(request.headers)) {
    if (EMULATOR_HEADER.test(name)) return `the emulator's control header ${name}`;
    if (![value ?? ""].flat().every((text) => HEADER_VALUE.test(text))) return `the header ${name} has bytes outside printable ASCII`;
  }
  if (FORM_CONTENT.test(first(request.headers["content-type"]) ?? "")) return "a form body (the emulator reads parameters from it)";
  if (scope.presigned && scope.service !== "s3") return `a presigned ${scope.service} request (only S3 takes presigned URLs here)`;
  // moto routes a request without an Authorization header by its X-Amz-Target (Cognito's, for one), whatever the URL says.
  if (scope.service === "s3" && first(request.headers["x-amz-target"]) !== undefined) return "an X-Amz-Target on an S3 request";
  return undefined;
}

/**
 * Judges every request before it reaches the emulator.
 *
 * @example
 * import { startSqsProxy } from "../message-moves/proxy.js";
 * const authorize = vehicleAuthorizer({ sessions, accountId: "123456789012", log });
 * startSqsProxy({ upstream, credentials, authorize });
 */
export function vehicleAuthorizer(options: { sessions: VehicleSessions; accountId: string; log: Log; stats?: FrontDoorStats; now?: () => number }): RequestAuthorizer {
  const { sessions, accountId, log } = options;
  const now = options.now ?? Date.now;
  const stats = options.stats ?? { vehicleRequests: 0, allowed: 0, refused: 0, unauthenticated: 0 };
  const refuse = (service: string, statusCode: number, code: string, message: string, reason: string): Refusal => {
    stats.refused++;
    log.warn("front door refused a request", { code, reason });
    return refusal(service, statusCode, code, message, reason);
  };
  const unauthenticated = (service: string, statusCode: number, code: string, message: string, reason: string): Refusal => {
    stats.unauthenticated++;
    return refuse(service, statusCode, code, message, reason);
  };

  const authorizeSession = function authorizeSessionRequest(request: FrontDoorRequest, scope: CredentialScope, session: VehicleSession): Refusal | undefined {
    const { service } = scope;
    if (scope.token !== session.sessionToken) {
      return refuse(service, 403, "InvalidToken", "The provided token is malformed or otherwise invalid.", `wrong session token for ${session.thingName}`);
    }
    if (sessions.isExpired(session)) {
      return refuse(service, 400, "ExpiredToken", "The provided token has expired.", `expired session of ${session.thingName}`);
    }
    const problem = requestFormProblem(request, scope);
    if (problem) return refuse(service, 403, "AccessDenied", "Access Denied", `${session.thingName}: ${problem}`);
    const asked = requestAction({ method: request.method ?? "GET", url: request.url ?? "/", headers: request.headers, service });
    if (asked.kind === "unmapped") {
      return refuse(asked.service, 403, "AccessDenied", "Access Denied", `${session.thingName}: ${asked.reason}`);
    }
    const context = asked.service === "s3" ? s3RequestContext(request.headers) : {};
    for (const { action, resource } of asked.actions) {
      const decision = evaluateDeviceRequest(session.policy, session, accountId, { action, resource, context });
      if (!decision.allowed) {
        return refuse(asked.service, 403, "AccessDenied", asked.service === "s3" ? "Access Denied" : `User is not authorized to perform: ${action} on resource: ${resource}`, `${session.thingName}: ${action} on ${resource} ${decision.result}`);
      }
    }
    stats.allowed++;
    return undefined;
  };

  return function authorizeRequest(request) {
    const authentication = readAuthentication(request, now());
    const service = protocolService(request, authentication);
    if (authentication.kind === "unsigned") {
      return service === "s3"
        ? unauthenticated(service, 403, "AccessDenied", "Access Denied", "unsigned request")
        : unauthenticated(service, 403, "MissingAuthenticationToken", "Missing Authentication Token", "unsigned request");
    }
    if (authentication.kind === "refused") {
      const { statusCode, code, message, reason } = authentication;
      return unauthenticated(service, statusCode, code, message, reason);
    }
    const { scope } = authentication;
    if (localPrincipalOf(scope.accessKeyId)) return undefined;
    const session = sessions.find(scope.accessKeyId);
    if (!session) {
      return unauthenticated(service, 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", `unknown key ${JSON.stringify(scope.accessKeyId)}`);
    }
    stats.vehicleRequests++;
    return authorizeSession(request, scope, session);
  };
}
