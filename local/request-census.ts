/**
 * Counts the AWS requests that pass the local front door, by service and operation: every SDK call of
 * the functions, the simulated vehicles and the CLI goes through it, so a local run yields the request
 * mix the cost model prices (`cost/`). Requests AWS makes on its own behalf (S3 → EventBridge → SQS)
 * happen inside the emulator and are not seen here; the model adds them per object.
 */
import type { IncomingHttpHeaders } from "node:http";
import { LOCAL_CREDENTIALS } from "./apply/context.js";

/**
 * Who made a request, told by its access key id: each local Lambda signs with its own key (as each
 * function has its own role on AWS), the runtime's event source mappings and its emulation of AWS's own
 * work (alarm evaluation, AWS/* metrics) with theirs, the operator (CLI, simulator gateways, tests) with
 * the local key, and vehicles with the session keys the credentials provider issued.
 */
export const LOCAL_PRINCIPAL_KEY = {
  functionPrefix: "fleetota-fn-",
  eventSourceMapping: "fleetota-esm",
  emulation: "fleetota-emulation",
  operator: LOCAL_CREDENTIALS.accessKeyId,
} as const;

/** `function:<name>`, `esm`, `emulation` (AWS does this itself, unbilled), `operator` or `vehicle`. */
export type Principal = `function:${string}` | "esm" | "emulation" | "operator" | "vehicle" | "unsigned";

/** One request's principal, service (as in the SigV4 credential scope) and operation (as AWS bills it). */
export interface RequestKind {
  readonly principal: Principal;
  readonly service: string;
  readonly operation: string;
}

function principalOf(accessKeyId: string | undefined): Principal {
  if (accessKeyId === undefined) return "unsigned";
  if (accessKeyId.startsWith(LOCAL_PRINCIPAL_KEY.functionPrefix)) return `function:${accessKeyId.slice(LOCAL_PRINCIPAL_KEY.functionPrefix.length)}`;
  if (accessKeyId === LOCAL_PRINCIPAL_KEY.eventSourceMapping) return "esm";
  if (accessKeyId === LOCAL_PRINCIPAL_KEY.emulation) return "emulation";
  if (accessKeyId === LOCAL_PRINCIPAL_KEY.operator) return "operator";
  return "vehicle";
}

const CREDENTIAL_SCOPE = /Credential=([^/]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/;
/** Path-style S3: `/bucket`, `/bucket/`, `/bucket/key…`. */
const S3_PATH = /^\/([^/?]+)(\/[^?]*)?/;

function s3Operation(method: string, path: string, query: URLSearchParams): string {
  const match = S3_PATH.exec(path);
  const hasKey = Boolean(match?.[2] && match[2] !== "/");
  if (!match) return method === "GET" ? "ListBuckets" : `${method} /`;
  if (!hasKey) {
    if (method === "GET") return query.has("list-type") || !query.size ? "ListObjects" : `GetBucket${[...query.keys()][0] ?? ""}`;
    if (method === "POST" && query.has("delete")) return "DeleteObjects";
    return `${method}Bucket`;
  }
  switch (method) {
    case "PUT":
      return query.has("tagging") ? "PutObjectTagging" : "PutObject";
    case "GET":
      return "GetObject";
    case "HEAD":
      return "HeadObject";
    case "DELETE":
      return "DeleteObject";
    default:
      return `${method}Object`;
  }
}

function operationOf(service: string, method: string, url: string, headers: IncomingHttpHeaders): string {
  const target = headers["x-amz-target"];
  if (typeof target === "string" && target.includes(".")) return target.slice(target.lastIndexOf(".") + 1);
  const parsed = new URL(url, "http://local");
  if (service === "s3") return s3Operation(method, parsed.pathname, parsed.searchParams);
  const action = parsed.searchParams.get("Action");
  if (action) return action;
  // REST-JSON services (IoT): the first path segment names the resource.
  return `${method} /${parsed.pathname.split("/")[1] ?? ""}`;
}

/**
 * Classifies a request from its headers and URL.
 *
 * @example
 * classifyRequest("POST", "/", {
 *   "x-amz-target": "DynamoDB_20120810.PutItem",
 *   authorization: "AWS4-HMAC-SHA256 Credential=fleetota-fn-fleetota-dev-update-manager/20261201/us-east-1/dynamodb/aws4_request, …",
 * });
 * // { principal: "function:fleetota-dev-update-manager", service: "dynamodb", operation: "PutItem" }
 */
export function classifyRequest(method: string, url: string, headers: IncomingHttpHeaders): RequestKind {
  const authorization = typeof headers.authorization === "string" ? headers.authorization : "";
  const scope = CREDENTIAL_SCOPE.exec(authorization);
  const principal = principalOf(scope?.[1]);
  const service = scope?.[2] ?? "unsigned";
  return { principal, service, operation: operationOf(service, method, url, headers) };
}

/** Running totals by `principal service:operation`. */
export class RequestCensus {
  readonly #counts = new Map<string, number>();

  record(kind: RequestKind): void {
    const key = `${kind.principal} ${kind.service}:${kind.operation}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Counts so far, sorted by key, e.g. `{ "vehicle s3:PutObject": 120, "esm sqs:DeleteMessageBatch": 12 }`. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.#counts.clear();
  }
}
