import type { SQSMessageAttributes, SQSRecord } from "aws-lambda";
import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";

/** What the mapping knows about its queue, to stamp on every record. */
export interface RecordSource {
  queueArn: string;
  region: string;
}

function base64(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString("base64");
}

function lambdaMessageAttributes(attributes: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const shaped: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    shaped[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((bytes) => base64(bytes) ?? ""),
      dataType: value.DataType ?? "String",
    };
  }
  return shaped;
}

/**
 * Shapes a received SQS message as the record Lambda's SQS event source mapping delivers: camelCase
 * fields, system attributes as strings, message attributes with `stringListValues`/`binaryListValues`,
 * binary values base64-encoded.
 *
 * @example
 * const event = { Records: messages.map((message) => toSqsRecord(message, { queueArn, region: "us-east-1" })) };
 */
export function toSqsRecord(message: Message, source: RecordSource): SQSRecord {
  const record: SQSRecord = {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: { ...(message.Attributes ?? {}) } as SQSRecord["attributes"],
    messageAttributes: lambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** The region is the fourth field of an ARN (`arn:aws:sqs:<region>:<account>:<name>`). */
export function regionOfArn(arn: string): string | undefined {
  return arn.split(":")[3] || undefined;
}
