/**
 * Counts the AWS requests that pass the local front door, by service and operation: every SDK call of
 * the functions, the simulated vehicles and the CLI goes through it, so a local run yields the request
 * mix the cost model prices (`cost/`). Requests AWS makes on its own behalf (S3 → EventBridge → SQS)
 * happen inside the emulator and are not seen here; the model adds them per object.
 */
import type { IncomingHttpHeaders } from "node:http";

/** One request's service (as in the SigV4 credential scope) and operation (as AWS bills it). */
export interface RequestKind {
  readonly service: string;
  readonly operation: string;
}

const CREDENTIAL_SCOPE = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/;
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

/**
 * Classifies a request from its headers and URL.
 *
 * @example
 * classifyRequest("POST", "/", { "x-amz-target": "DynamoDB_20120810.PutItem", authorization: "… /dynamodb/aws4_request …" });
 * // { service: "dynamodb", operation: "PutItem" }
 */
export function classifyRequest(method: string, url: string, headers: IncomingHttpHeaders): RequestKind {
  const authorization = typeof headers.authorization === "string" ? headers.authorization : "";
  const service = CREDENTIAL_SCOPE.exec(authorization)?.[1] ?? "unsigned";
  const target = headers["x-amz-target"];
  if (typeof target === "string" && target.includes(".")) return { service, operation: target.slice(target.lastIndexOf(".") + 1) };
  const parsed = new URL(url, "http://local");
  if (service === "s3") return { service, operation: s3Operation(method, parsed.pathname, parsed.searchParams) };
  const action = parsed.searchParams.get("Action");
  if (action) return { service, operation: action };
  // REST-JSON services (IoT): the first path segment names the resource.
  const resource = parsed.pathname.split("/")[1] ?? "";
  return { service, operation: `${method} /${resource}` };
}

/** Running totals by `service:operation`. */
export class RequestCensus {
  readonly #counts = new Map<string, number>();

  record(kind: RequestKind): void {
    const key = `${kind.service}:${kind.operation}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Counts so far, sorted by key, e.g. `{ "s3:PutObject": 120, "sqs:DeleteMessageBatch": 12 }`. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.#counts.clear();
  }
}
