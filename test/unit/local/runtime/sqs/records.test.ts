import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Message } from "@aws-sdk/client-sqs";
import { toSqsRecord } from "../../../../../local/runtime/sqs/records.js";

const source = { queueArn: "arn:aws:sqs:eu-west-1:123456789012:telemetry", region: "eu-west-1" };

function message(overrides: Partial<Message> = {}): Message {
  return {
    MessageId: "4f1c2d3e",
    ReceiptHandle: "handle-1",
    Body: '{"detail":{}}',
    MD5OfBody: "0f3d",
    Attributes: { ApproximateReceiveCount: "2", SentTimestamp: "1700000000000", SenderId: "AIDA", ApproximateFirstReceiveTimestamp: "1700000000100" },
    ...overrides,
  };
}

test("a message becomes a Lambda SQS record with camelCase fields and the source queue", () => {
  const record = toSqsRecord(message(), source);
  assert.equal(record, {
    messageId: "4f1c2d3e",
    receiptHandle: "handle-1",
    body: '{"detail":{}}',
    attributes: { ApproximateReceiveCount: "2", SentTimestamp: "1700000000000", SenderId: "AIDA", ApproximateFirstReceiveTimestamp: "1700000000100" },
    messageAttributes: {},
    md5OfBody: "0f3d",
    eventSource: "aws:sqs",
    eventSourceARN: source.queueArn,
    awsRegion: "eu-west-1",
  });
});

test("message attributes are reshaped, binary values base64-encoded", () => {
  const record = toSqsRecord(
    message({
      MD5OfMessageAttributes: "abcd",
      MessageAttributes: {
        vin: { DataType: "String", StringValue: "1M8GDM9AXKP042788" },
        blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
      },
    }),
    source,
  );
  assert.equal(record.messageAttributes, {
    vin: { stringValue: "1M8GDM9AXKP042788", stringListValues: [], binaryListValues: [], dataType: "String" },
    blob: { binaryValue: "AQID", stringListValues: [], binaryListValues: [], dataType: "Binary" },
  });
  assert.is(record.md5OfMessageAttributes, "abcd");
});

test.run();
