import { createHash } from "node:crypto";
import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";
import { InvalidEventError, parseQueueMessage } from "./telemetry-events.js";
import { updateMessageSchema } from "./update-messages.js";

/**
 * Why a message is in a DLQ. SQS's own redrive attaches no error to a message, so the kind is read
 * from the `errorKind` / `errorMessage` message attributes when a producer or consumer set them, and
 * otherwise diagnosed from the body against the contract of the queue's messages (update messages,
 * or the telemetry queue's EventBridge "Object Created" events).
 */
export const ERROR_KIND = {
  /** The body is not JSON at all. */
  InvalidJson: "invalid-json",
  /** JSON, but not a message of the queue's contract (schema violation, not an S3 event). */
  InvalidMessage: "invalid-message",
  /** A well-formed message its consumer failed on maxReceiveCount times. */
  ProcessingFailed: "processing-failed",
} as const;

/** The dead-letter queues of the stack, named by the work they hold. */
export const DEAD_LETTER_QUEUE = {
  /** The update-job DLQ (update manager): vehicles' candidates and status reports. */
  Updates: "updates",
  /** The command DLQ (update manager): operator commands and ticks. */
  Commands: "commands",
  /** The telemetry DLQ (telemetry processor). */
  Telemetry: "telemetry",
} as const;
export type DeadLetterQueue = (typeof DEAD_LETTER_QUEUE)[keyof typeof DEAD_LETTER_QUEUE];

export const ERROR_KIND_ATTRIBUTE = "errorKind";
export const ERROR_MESSAGE_ATTRIBUTE = "errorMessage";

/** One message read from the DLQ, with what an operator needs to decide about it. */
export interface DeadLetter {
  messageId: string;
  receiptHandle: string;
  body: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  /**
   * The business identity, for reading: the message's idempotencyKey (update DLQ), the object version
   * (telemetry DLQ), or a digest of the body when it names none. Not proof that two letters are the same
   * message: a status report's key is the vehicle's own text, so another vehicle can send the same key.
   */
  businessKey: string;
  /** `sha256:<hex>` of the body: two DLQ letters are copies of one message only when these are equal. */
  bodyDigest: string;
  messageKind?: string;
  campaignId?: string;
  /** Update DLQ, command messages: when the sender asked for it (its clock), what a dry run shows the age of. */
  requestedAt?: string;
  /** Telemetry DLQ: the object the event announces, `s3://bucket/key`. */
  object?: string;
  /** Telemetry DLQ: that object's key, what `--key-prefix` selects on. */
  objectKey?: string;
  errorKind: string;
  error: string;
  receiveCount: number;
}

/**
 * Reads an SQS message from a DLQ into a DeadLetter (pure: no I/O): from the update DLQ by default,
 * or from the telemetry DLQ, where the business key is the object version (`s3://bucket/key#etag`,
 * what the processor is idempotent on).
 *
 * @example
 * describeDeadLetter({ MessageId: "m1", ReceiptHandle: "r", Body: "not json" }).errorKind; // "invalid-json"
 * describeDeadLetter({ Body: '{"detail-type":"Object Created","detail":{"bucket":{"name":"b"},"object":{"key":"k","etag":"e"}}}' }, "telemetry").businessKey; // "s3://b/k#e"
 */
export function describeDeadLetter(message: Message, queue: DeadLetterQueue = DEAD_LETTER_QUEUE.Updates): DeadLetter {
  const body = message.Body ?? "";
  const messageAttributes = message.MessageAttributes ?? {};
  const { kind, error, businessKey, ...identity } = queue === DEAD_LETTER_QUEUE.Telemetry ? diagnoseTelemetry(body) : diagnoseUpdate(body);
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body,
    messageAttributes,
    businessKey: businessKey ?? bodyDigest(body),
    bodyDigest: bodyDigest(body),
    ...identity,
    errorKind: messageAttributes[ERROR_KIND_ATTRIBUTE]?.StringValue ?? kind,
    error: messageAttributes[ERROR_MESSAGE_ATTRIBUTE]?.StringValue ?? error,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
  };
}

/** What a body says about itself, against its queue's contract; a recorded error kind or message overrides `kind` and `error`. */
interface Diagnosis extends Pick<DeadLetter, "messageKind" | "campaignId" | "requestedAt" | "object" | "objectKey"> {
  kind: string;
  error: string;
  /** Absent when the body names none: the body's digest stands in. */
  businessKey?: string;
}

function diagnoseUpdate(body: string): Diagnosis {
  const parsed = parseBody(body);
  const fields = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const identity = {
    businessKey: stringField(fields, "idempotencyKey"),
    messageKind: stringField(fields, "kind"),
    campaignId: stringField(fields, "campaignId"),
    ...(fields.kind === "command" && typeof fields.requestedAt === "string" ? { requestedAt: fields.requestedAt } : {}),
  };
  if (parsed === NOT_JSON) return { ...identity, kind: ERROR_KIND.InvalidJson, error: `body is not JSON: ${preview(body)}` };
  const result = updateMessageSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.join(".") : "(message)";
    return { ...identity, kind: ERROR_KIND.InvalidMessage, error: `${path}: ${issue?.message ?? "invalid"}` };
  }
  return { ...identity, kind: ERROR_KIND.ProcessingFailed, error: "valid message; the update manager gave up on it (no error recorded)" };
}

function diagnoseTelemetry(body: string): Diagnosis {
  if (parseBody(body) === NOT_JSON) return { kind: ERROR_KIND.InvalidJson, error: `body is not JSON: ${preview(body)}` };
  let parsed;
  try {
    parsed = parseQueueMessage(body);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    return { kind: ERROR_KIND.InvalidMessage, error: `not an S3 event: ${error.message}` };
  }
  if (parsed.kind === "ignored") {
    return { kind: ERROR_KIND.InvalidMessage, error: `a "${parsed.detailType}" event, which the telemetry processor ignores` };
  }
  const object = `s3://${parsed.object.bucket}/${parsed.object.key}`;
  return {
    kind: ERROR_KIND.ProcessingFailed,
    error: "valid event; the telemetry processor gave up on it (no error recorded)",
    object,
    objectKey: parsed.object.key,
    businessKey: `${object}#${parsed.object.etag}`,
  };
}

function bodyDigest(body: string): string {
  return `sha256:${createHash("sha256").update(body).digest("hex")}`;
}

const NOT_JSON = Symbol("not-json");

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return NOT_JSON;
  }
}

function stringField(fields: Record<string, unknown>, name: string): string | undefined {
  const value = fields[name];
  return typeof value === "string" ? value : undefined;
}

function preview(text: string, length = 40): string {
  const oneLine = text.replace(/\s+/g, " ");
  return JSON.stringify(oneLine.length > length ? `${oneLine.slice(0, length)}…` : oneLine);
}
