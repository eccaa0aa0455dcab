/**
 * The local front door's authorization of vehicle sessions. AWS evaluates IAM on every request; moto
 * evaluates none. Here, a request signed with a vehicle session's access key (handed out by the local
 * credentials provider) is checked like AWS would: the session must exist, be unexpired and carry its
 * session token, and the vehicle role's policy, evaluated by iam-simulate for that thing name, must allow
 * what the request does. Anything else gets AWS's error (`AccessDenied`, `ExpiredToken`, …).
 * Requests signed with any other key are the operator's and the Lambdas' (moto accepts any key): they pass.
 *
 * The signature itself is not recomputed: the session token, a random secret only the vehicle received
 * over mutual TLS, stands in for it.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Log } from "../../lib/logger.js";
import { requestAction } from "./request-action.js";
import { VEHICLE_ACCESS_KEY_PREFIX, type VehicleSessions } from "./sessions.js";
import { evaluateVehicleRequest } from "./vehicle-policy.js";

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
  vehicleRequests: number;
  allowed: number;
  refused: number;
}

const CREDENTIAL_IN_HEADER = /Credential=([^/,\s]+)\/[^/]+\/([^/]+)\/([^/]+)\/aws4_request/;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Access key id and service of the SigV4 credential scope, from the header or a presigned URL. */
export function credentialScope(request: FrontDoorRequest): { accessKeyId: string; region: string; service: string; token?: string } | undefined {
  const authorization = first(request.headers.authorization);
  const inHeader = authorization ? CREDENTIAL_IN_HEADER.exec(authorization) : null;
  if (inHeader) return { accessKeyId: inHeader[1]!, region: inHeader[2]!, service: inHeader[3]!, token: first(request.headers["x-amz-security-token"]) };
  const query = new URLSearchParams((request.url ?? "").split("?")[1] ?? "");
  const credential = query.get("X-Amz-Credential")?.split("/");
  if (credential && credential.length === 5) {
    return { accessKeyId: credential[0]!, region: credential[2]!, service: credential[3]!, token: query.get("X-Amz-Security-Token") ?? undefined };
  }
  return undefined;
}

/** The error in the protocol the caller speaks: S3's XML, or the JSON protocols' `__type`. */
function refusal(service: string, statusCode: number, code: string, message: string, reason: string): Refusal {
  const requestId = crypto.randomUUID();
  if (service === "s3") {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`;
    return { statusCode, headers: { "content-type": "application/xml", "x-amz-request-id": requestId }, body, code, reason };
  }
  const type = code === "AccessDenied" ? "AccessDeniedException" : code;
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
 * @example
 * const authorize = vehicleAuthorizer({ sessions, accountId: "123456789012", log });
 * startSqsProxy({ upstream, credentials, authorize });
 */
export function vehicleAuthorizer(options: { sessions: VehicleSessions; accountId: string; log: Log; stats?: FrontDoorStats }): RequestAuthorizer {
  const { sessions, accountId, log } = options;
  const stats = options.stats ?? { vehicleRequests: 0, allowed: 0, refused: 0 };
  const refuse = (service: string, statusCode: number, code: string, message: string, reason: string): Refusal => {
    stats.refused++;
    log.warn("front door refused a vehicle request", { code, reason });
    return refusal(service, statusCode, code, message, reason);
  };
  return function authorizeVehicleRequest(request) {
    const scope = credentialScope(request);
    if (!scope) return undefined;
    const session = sessions.find(scope.accessKeyId);
    if (!session) {
      if (!scope.accessKeyId.startsWith(VEHICLE_ACCESS_KEY_PREFIX)) return undefined;
      stats.vehicleRequests++;
      return refuse(scope.service, 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", `unknown key ${scope.accessKeyId}`);
    }
    stats.vehicleRequests++;
    if (scope.token !== session.sessionToken) {
      return refuse(scope.service, 403, "InvalidToken", "The provided token is malformed or otherwise invalid.", `wrong session token for ${session.thingName}`);
    }
    if (sessions.isExpired(session)) {
      return refuse(scope.service, 400, "ExpiredToken", "The provided token has expired.", `expired session of ${session.thingName}`);
    }
    const asked = requestAction({ method: request.method ?? "GET", url: request.url ?? "/", headers: request.headers, service: scope.service });
    if (asked.kind === "unmapped") {
      return refuse(asked.service, 403, "AccessDenied", "Access Denied", `${session.thingName}: ${asked.reason}`);
    }
    for (const { action, resource } of asked.actions) {
      const decision = evaluateVehicleRequest(session.policy, session.thingName, accountId, { action, resource });
      if (!decision.allowed) {
        return refuse(asked.service, 403, "AccessDenied", asked.service === "s3" ? "Access Denied" : `User is not authorized to perform: ${action} on resource: ${resource}`, `${session.thingName}: ${action} on ${resource} ${decision.result}`);
      }
    }
    stats.allowed++;
    return undefined;
  };
}
