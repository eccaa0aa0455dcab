/**
 * Faults injected at the local front door, between the callers (the functions, by default) and the
 * emulator: throttling, 500s and slow answers, as AWS gives them, so the reliability suite can show
 * that retries, partial batch responses, leases and the DLQ keep every record accounted for.
 * No rule, no fault: the proxy asks `decide` for every request and forwards it untouched when the answer
 * is undefined.
 */
import { SeededRandom } from "../simulator/random.js";
import type { RequestKind } from "./request-census.js";

export const FAULT = {
  /** AWS's throttling answer: S3 `503 SlowDown`, JSON services `400 ThrottlingException`, others 429. */
  Throttle: "throttle",
  /** `500 InternalError`. */
  ServerError: "server-error",
  /** The request is held `delayMs`, then forwarded. */
  Slow: "slow",
} as const;
export type Fault = (typeof FAULT)[keyof typeof FAULT];

export interface FaultRule {
  fault: Fault;
  /** Share of the matching requests that get the fault, 0 to 1. */
  rate: number;
  /** Principal prefix the rule applies to (`function:` = every function, `function:fleetota-dev-update-manager`, `esm`); default `function:`. */
  principal?: string;
  /** Service as in the SigV4 scope (`s3`, `sqs`, `dynamodb`, `monitoring`); default every service. */
  service?: string;
  /** Operation as the census names it (`GetObject`, `SendMessageBatch`, …); default every operation. */
  operation?: string;
  /** For `slow`: how long to hold the request. */
  delayMs?: number;
}

export interface FaultDecision {
  fault: Fault;
  delayMs: number;
  /** The request's service, for the answer's protocol. */
  service: string;
}

export interface FaultResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The rules in force and what they did. Tests replace the rules between cases.
 *
 * @example
 * cloud.faults.inject([{ fault: FAULT.Throttle, rate: 0.2, service: "dynamodb" }]);
 * cloud.faults.injected; // { throttle: 17, "server-error": 0, slow: 0 }
 */
export class FaultInjector {
  private rules: FaultRule[] = [];
  readonly injected: Record<Fault, number> = { throttle: 0, "server-error": 0, slow: 0 };
  private readonly random: SeededRandom;

  /** Seeded, so a fault run can be repeated. */
  constructor(seed = 2026) {
    this.random = new SeededRandom(seed);
  }

  inject(rules: readonly FaultRule[]): void {
    this.rules = [...rules];
  }

  clear(): void {
    this.rules = [];
  }

  get total(): number {
    return this.injected.throttle + this.injected["server-error"] + this.injected.slow;
  }

  /** The fault for one request, if a rule picks it. */
  decide(kind: RequestKind): FaultDecision | undefined {
    for (const rule of this.rules) {
      if (!kind.principal.startsWith(rule.principal ?? "function:")) continue;
      if (rule.service !== undefined && rule.service !== kind.service) continue;
      if (rule.operation !== undefined && rule.operation !== kind.operation) continue;
      if (this.random.next() >= rule.rate) continue;
      this.injected[rule.fault]++;
      return { fault: rule.fault, delayMs: rule.delayMs ?? 1_000, service: kind.service };
    }
    return undefined;
  }
}

const xml = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

/**
 * The answer AWS gives for a throttle or an internal error, in the request's protocol: S3 XML, the
 * JSON protocols (DynamoDB, SQS: `X-Amz-Target`), or a bare status the SDK retries by code alone.
 *
 * @example
 * faultResponse("s3", true, FAULT.Throttle).statusCode; // 503
 */
export function faultResponse(service: string, jsonProtocol: boolean, fault: Exclude<Fault, "slow">): FaultResponse {
  const throttle = fault === FAULT.Throttle;
  const message = throttle ? "Rate exceeded (injected fault)" : "We encountered an internal error (injected fault)";
  if (service === "s3") {
    return { statusCode: throttle ? 503 : 500, headers: { "content-type": "application/xml" }, body: xml(throttle ? "SlowDown" : "InternalError", message) };
  }
  if (jsonProtocol) {
    const type = throttle ? "ThrottlingException" : "InternalFailure";
    return {
      statusCode: throttle ? 400 : 500,
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-errortype": type,
        "x-amzn-query-error": `${throttle ? "ThrottlingException" : "InternalFailure"};${throttle ? "Sender" : "Receiver"}`,
      },
      body: JSON.stringify({ __type: `com.amazonaws#${type}`, message }),
    };
  }
  return { statusCode: throttle ? 429 : 500, headers: { "content-type": "text/plain" }, body: message };
}
