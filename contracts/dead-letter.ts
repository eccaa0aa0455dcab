import { createHash } from "node:crypto";
import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";
import { updateMessageSchema } from "./update-messages.js";

/**
 * Why a message is in the update DLQ. SQS's own redrive attaches no error to a message, so the kind
 * is read from the `errorKind` / `errorMessage` message attributes when a producer or consumer set
 * them, and otherwise diagnosed from the body against the update-message contract.
 */
export const ERROR_KIND = {
  /** The body is not JSON at all. */
  InvalidJson: "invalid-json",
  /** JSON, but not an update message (schema violation). */
  InvalidMessage: "invalid-message",
  /** A well-formed message the update manager failed on maxReceiveCount times. */
  ProcessingFailed: "processing-failed",
} as const;

export const ERROR_KIND_ATTRIBUTE = "errorKind";
export const ERROR_MESSAGE_ATTRIBUTE = "errorMessage";

/** One message read from the DLQ, with what an operator needs to decide about it. */
export interface DeadLetter {
  messageId: string;
  receiptHandle: string;
  body: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  /** The business identity: the message's idempotencyKey, or a digest of the body when it has none. */
  businessKey: string;
  messageKind?: string;
  campaignId?: string;
  errorKind: string;
  error: string;
  receiveCount: number;
}

/**
 * Reads an SQS message from the DLQ into a DeadLetter (pure: no I/O).
 *
 * @example
 * describeDeadLetter({ MessageId: "m1", ReceiptHandle: "r", Body: "not json" }).errorKind; // "invalid-json"
 */
export function describeDeadLetter(message: Message): DeadLetter {
  const body = message.Body ?? "";
  const messageAttributes = message.MessageAttributes ?? {};
  const parsed = parseBody(body);
  const diagnosis = diagnose(body, parsed);
  const recordedKind = messageAttributes[ERROR_KIND_ATTRIBUTE]?.StringValue;
  const recordedError = messageAttributes[ERROR_MESSAGE_ATTRIBUTE]?.StringValue;
  const fields = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body,
    messageAttributes,
    businessKey: stringField(fields, "idempotencyKey") ?? `sha256:${createHash("sha256").update(body).digest("hex")}`,
    messageKind: stringField(fields, "kind"),
    campaignId: stringField(fields, "campaignId"),
    errorKind: recordedKind ?? diagnosis.kind,
    error: recordedError ?? diagnosis.error,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
  };
}

const NOT_JSON = Symbol("not-json");

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return NOT_JSON;
  }
}

function diagnose(body: string, parsed: unknown): { kind: string; error: string } {
  if (parsed === NOT_JSON) return { kind: ERROR_KIND.InvalidJson, error: `body is not JSON: ${preview(body)}` };
  const result = updateMessageSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.join(".") : "(message)";
    return { kind: ERROR_KIND.InvalidMessage, error: `${path}: ${issue?.message ?? "invalid"}` };
  }
  return { kind: ERROR_KIND.ProcessingFailed, error: "valid message; the update manager gave up on it (no error recorded)" };
}

function stringField(fields: Record<string, unknown>, name: string): string | undefined {
  const value = fields[name];
  return typeof value === "string" ? value : undefined;
}

function preview(text: string, length = 40): string {
  const oneLine = text.replace(/\s+/g, " ");
  return JSON.stringify(oneLine.length > length ? `${oneLine.slice(0, length)}…` : oneLine);
}
