/**
 * Counts the AWS requests that pass the local front door, by service and operation: every SDK call of
 * the functions, the simulated vehicles and the CLI goes through it, so a local run yields the request
 * mix the cost model prices (`cost/`). Requests AWS makes on its own behalf (S3 → EventBridge → SQS)
 * happen inside the emulator and are not seen here; the model adds them per object.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { localPrincipalOf, type LocalPrincipal } from "./identity/local-principals.js";
import { GATEWAY_ACCESS_KEY_PREFIX } from "./identity/sessions.js";

/**
 * Who made a request, told by its access key id: each local Lambda signs with its own key (as each
 * function has its own role on AWS), the runtime's event source mappings and its emulation of AWS's own
 * work (alarm evaluation, AWS/* metrics) with theirs, the operator (CLI, simulator gateways, tests) with
 * the local key (the list: local/identity/local-principals.ts), and vehicles and fleet gateways with the
 * session keys the credentials provider issued (a gateway's start with `ASIAGATEWAY`).
 */
export { LOCAL_PRINCIPAL_KEY } from "./identity/local-principals.js";

/** `function:<name>`, `esm`, `emulation` (AWS does this itself, unbilled), `operator`, `vehicle` or `gateway`. */
export type Principal = LocalPrincipal | "vehicle" | "gateway" | "unsigned";

/** One request's principal, service (as in the SigV4 credential scope) and operation (as AWS bills it). */
export interface RequestKind {
  readonly principal: Principal;
  readonly service: string;
  readonly operation: string;
}

function principalOf(accessKeyId: string | undefined): Principal {
  if (accessKeyId === undefined) return "unsigned";
  return localPrincipalOf(accessKeyId) ?? (accessKeyId.startsWith(GATEWAY_ACCESS_KEY_PREFIX) ? "gateway" : "vehicle");
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

interface DynamoDbBody {
  TransactItems?: unknown[];
  RequestItems?: Record<string, unknown[] | { Keys?: unknown[]; ConsistentRead?: boolean }>;
  ConsistentRead?: boolean;
}

/**
 * DynamoDB on-demand capacity units one request consumes, for items under 1 KB (writes) and results
 * under 4 KB (reads), which is what this project's items are: a transaction costs two units per item,
 * an eventually consistent read half a unit.
 *
 * @example
 * dynamoDbCapacityUnits("TransactWriteItems", { TransactItems: [{}, {}, {}] }); // { write: 6, read: 0 }
 */
export function dynamoDbCapacityUnits(operation: string, body: DynamoDbBody): { write: number; read: number } {
  const readUnit = body.ConsistentRead ? 1 : 0.5;
  const batchItems = Object.values(body.RequestItems ?? {}).reduce<number>(
    (sum, entry) => sum + (Array.isArray(entry) ? entry.length : (entry.Keys?.length ?? 0)),
    0,
  );
  switch (operation) {
    case "PutItem":
    case "UpdateItem":
    case "DeleteItem":
      return { write: 1, read: 0 };
    case "TransactWriteItems":
      return { write: 2 * (body.TransactItems?.length ?? 0), read: 0 };
    case "BatchWriteItem":
      return { write: batchItems, read: 0 };
    case "TransactGetItems":
      return { write: 0, read: 2 * (body.TransactItems?.length ?? 0) };
    case "BatchGetItem":
      return { write: 0, read: batchItems * 0.5 };
    case "GetItem":
    case "Query":
    case "Scan":
      return { write: 0, read: readUnit };
    default:
      return { write: 0, read: 0 };
  }
}

/** What a request consumes beyond being one request, where AWS bills by it. */
export interface RequestUnits {
  /** DynamoDB capacity units. */
  write: number;
  read: number;
  /** Metrics asked for by CloudWatch GetMetricData (billed per metric). */
  metrics: number;
}

export interface CensusSnapshot {
  /** Requests by `principal service:operation`. */
  requests: Record<string, number>;
  /** Units by principal: `{ "function:…": { write: 12, read: 3.5, metrics: 0 } }`. */
  units: Record<string, RequestUnits>;
}

/** The units one request's body asks for; undefined when it asks for none. */
function unitsOf(kind: RequestKind, body: unknown): RequestUnits | undefined {
  if (kind.service === "dynamodb") return { ...dynamoDbCapacityUnits(kind.operation, body as DynamoDbBody), metrics: 0 };
  if (kind.service === "monitoring" && kind.operation === "GetMetricData") {
    const queries = (body as { MetricDataQueries?: Array<{ MetricStat?: unknown }> }).MetricDataQueries ?? [];
    return { write: 0, read: 0, metrics: queries.filter((query) => query.MetricStat).length };
  }
  return undefined;
}

/** Running totals by `principal service:operation`, and billed units by principal. */
export class RequestCensus {
  readonly #counts = new Map<string, number>();
  readonly #units = new Map<string, RequestUnits>();

  record(kind: RequestKind): void {
    const key = `${kind.principal} ${kind.service}:${kind.operation}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  recordUnits(principal: Principal, units: RequestUnits): void {
    const total = this.#units.get(principal) ?? { write: 0, read: 0, metrics: 0 };
    total.write += units.write;
    total.read += units.read;
    total.metrics += units.metrics;
    this.#units.set(principal, total);
  }

  /**
   * Records a request arriving at the front door. The body of a DynamoDB or GetMetricData request is
   * read alongside (never consumed: it still flows to the emulator when the proxy pipes it) for its units.
   */
  observe(request: IncomingMessage): void {
    const kind = classifyRequest(request.method ?? "GET", request.url ?? "/", request.headers);
    this.record(kind);
    if (kind.service !== "dynamodb" && kind.operation !== "GetMetricData") return;
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.once("end", () => {
      try {
        const units = unitsOf(kind, JSON.parse(Buffer.concat(chunks).toString("utf8")));
        if (units) this.recordUnits(kind.principal, units);
      } catch {
        // not JSON: the emulator will answer it with an error; nothing consumed
      }
    });
  }

  /** Counts so far, sorted by key, e.g. `{ requests: { "vehicle s3:PutObject": 120 }, units: {} }`. */
  snapshot(): CensusSnapshot {
    const sorted = <T>(map: Map<string, T>) => Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
    return { requests: sorted(this.#counts), units: sorted(new Map([...this.#units].map(([k, v]) => [k, { ...v }]))) };
  }

  reset(): void {
    this.#counts.clear();
    this.#units.clear();
  }
}
