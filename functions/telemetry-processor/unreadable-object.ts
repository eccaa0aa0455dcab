/**
 * Which S3 answers to the processor's read (or quarantine copy) of an event's object say that no read of it will ever
 * succeed: the object's fault, parked `object-unreadable`, never retried into the telemetry DLQ. Judged by S3's error
 * code and HTTP status, never by its message text (AWS may reword that; review 21 of R18-T1).
 *
 * - An archive storage class (GLACIER, DEEP_ARCHIVE, an archive tier): a GET answers 403 `InvalidObjectState`, a
 *   copy 403 `ObjectNotInActiveTierError`. Until someone restores it, nothing a retry does changes that.
 * - A 400 to a request the processor sends alike for every object (GET by key, version id and If-Match; a copy of
 *   it): what differs is the object, e.g. one encrypted with its uploader's own key (SSE-C: `InvalidRequest`) or a
 *   version id S3 does not take (`InvalidArgument`). A 400 whatever its code, so a code AWS adds is judged alike.
 *
 * Not the object's fault, so left transient (retried, then dead-lettered for a redrive): any other status (403 of the
 * processor's own role, 404 and 412 have their own handling, 409 `OperationAborted`, 429, 5xx such as 503 `SlowDown`,
 * an error with no status: a socket, a timeout), and the 400s about the processor's request rather than the object:
 * REQUEST_FAULT_400 (a timeout, the processor's credentials or signature), the bucket's KMS key (`KMS.*`: disabled,
 * pending deletion, throttled), anything S3 or the SDK marks retryable or throttling, and a 400 without S3's code.
 */

/** S3's codes of a read of an archived object (GET, copy): 403, but the object's, not the role's. */
export const ARCHIVED_CODES: ReadonlySet<string> = new Set(["InvalidObjectState", "ObjectNotInActiveTierError"]);

/**
 * The 400s S3 answers for the request or its sender, whatever the object: a socket too slow (`RequestTimeout`), the
 * processor's session credentials (`ExpiredToken`, `TokenRefreshRequired`, `InvalidToken`), its signature or region
 * (`AuthorizationHeaderMalformed`, `AuthorizationQueryParametersError`, `CredentialsNotSupported`,
 * `MissingSecurityHeader`, `IllegalLocationConstraintException`). A retry, or the fix of a configuration and a redrive,
 * reads the object: parking it would drop it silently.
 */
export const REQUEST_FAULT_400: ReadonlySet<string> = new Set([
  "RequestTimeout",
  "ExpiredToken",
  "TokenRefreshRequired",
  "InvalidToken",
  "AuthorizationHeaderMalformed",
  "AuthorizationQueryParametersError",
  "CredentialsNotSupported",
  "MissingSecurityHeader",
  "IllegalLocationConstraintException",
]);

/** The SDK's name for an error whose body names no code (a proxy's page, an empty body): not S3 judging the object. */
const NO_CODE = "Unknown";

/** Error codes that name throttling, whatever their status (the SDK's own list names these and more). */
const THROTTLING_CODE = /Throttl|SlowDown|TooManyRequests|LimitExceeded|BandwidthLimit/;

/** What S3 said of an object no read of which can succeed. */
export interface UnreadableObject {
  /** S3's error code, e.g. `InvalidRequest`. */
  readonly code: string;
  readonly status: number;
  /** S3's message, as it sent it. */
  readonly message: string;
  readonly archived: boolean;
}

interface S3ErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/**
 * S3's verdict that the object itself cannot be read, whatever is retried; undefined for any other error (transient or
 * handled elsewhere).
 *
 * @example
 * import { S3ServiceException } from "@aws-sdk/client-s3";
 * const error = new S3ServiceException({ name: "InvalidRequest", $fault: "client", $metadata: { httpStatusCode: 400 }, message: "The object was stored using a form of Server Side Encryption." });
 * unreadableObject(error); // { code: "InvalidRequest", status: 400, message: "The object was stored using …", archived: false }
 */
export function unreadableObject(error: unknown): UnreadableObject | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { name, message, $metadata, $retryable } = error as S3ErrorShape;
  const code = typeof name === "string" ? name : "";
  const status = $metadata?.httpStatusCode;
  if (status === undefined) return undefined;
  const verdict = { code, status, message: typeof message === "string" ? message : "", archived: ARCHIVED_CODES.has(code) };
  if (verdict.archived) return verdict;
  if (status !== 400 || code === "" || code === NO_CODE) return undefined;
  if ($retryable !== undefined || REQUEST_FAULT_400.has(code) || code.startsWith("KMS.") || THROTTLING_CODE.test(code)) return undefined;
  return verdict;
}
