import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Message, SQSClient } from "@aws-sdk/client-sqs";
import { redriveSelected } from "../../../../cli/redrive/selective-redrive.js";
import { MoveJournal } from "../../../../cli/redrive/journal.js";
import { DEAD_LETTER_QUEUE } from "../../../../contracts/dead-letter.js";
import { silentLog } from "../../../../lib/logger.js";

const A = "1M8GDM9AXKP042788";
const B = "1HGCM82633A004352";

/** A status report as the telemetry processor sends it: the key is the reporting vehicle's own job-id text. */
function statusReport(vin: string, jobId: string, status: string, sequence = 5): string {
  return JSON.stringify({
    kind: "status-report",
    idempotencyKey: `${jobId}#1#${sequence}`,
    vin,
    campaignId: "c-1",
    jobId,
    attempt: 1,
    sequence,
    status,
    firmwareVersion: "2.4.0",
    reportedAt: "2026-12-02T06:00:00.000Z",
  });
}

function objectCreated(key: string, etag: string, id: string): string {
  return JSON.stringify({
    version: "0",
    id,
    "detail-type": "Object Created",
    source: "aws.s3",
    time: "2026-12-02T06:00:00Z",
    detail: { bucket: { name: "data" }, object: { key, etag, size: 10 } },
  });
}

/** An SQS client holding one DLQ: received once, then empty; records what is sent and deleted. */
function fakeSqs(bodies: string[]) {
  const messages: Message[] = bodies.map((Body, index) => ({ MessageId: `m-${index}`, ReceiptHandle: `r-${index}`, Body, Attributes: { ApproximateReceiveCount: "5" } }));
  const sent: string[] = [];
  const deleted: string[] = [];
  let received = false;
  const sqs = {
    async send(command: { constructor: { name: string }; input: any }) {
      switch (command.constructor.name) {
        case "ReceiveMessageCommand":
          if (received) return { Messages: [] };
          received = true;
          return { Messages: messages };
        case "SendMessageBatchCommand":
          for (const entry of command.input.Entries) sent.push(entry.MessageBody);
          return { Successful: command.input.Entries.map((entry: { Id: string }) => ({ Id: entry.Id })) };
        case "DeleteMessageBatchCommand":
          for (const entry of command.input.Entries) deleted.push(entry.ReceiptHandle);
          return {};
        default:
          return {};
      }
    },
  } as unknown as SQSClient;
  return { sqs, sent, deleted };
}

function redrive(sqs: SQSClient, queue: (typeof DEAD_LETTER_QUEUE)[keyof typeof DEAD_LETTER_QUEUE] = DEAD_LETTER_QUEUE.Updates, filter = {}) {
  return redriveSelected({ sqs, dlqUrl: "dlq", sourceUrl: "source", filter, journal: MoveJournal.open(undefined), log: silentLog, read: { queue } });
}

test("a vehicle's report that copies another vehicle's idempotency key does not get the other's report dropped: both are sent", async () => {
  // A wrote B's job id into its own telemetry: same idempotencyKey, different VIN (the update manager parks A's).
  const forged = statusReport(A, `c-1:${B}`, "FAILED");
  const genuine = statusReport(B, `c-1:${B}`, "SUCCEEDED");
  assert.is(JSON.parse(forged).idempotencyKey, JSON.parse(genuine).idempotencyKey);
  const { sqs, sent, deleted } = fakeSqs([forged, genuine]);

  const result = await redrive(sqs, DEAD_LETTER_QUEUE.Updates, { campaignId: "c-1" });

  assert.equal(sent.sort(), [forged, genuine].sort());
  assert.is(result.duplicates.length, 0);
  assert.is(result.moved.length, 2);
  assert.equal(deleted.sort(), ["r-0", "r-1"]);
});

test("the same key from the same vehicle with other content is sent too (the update manager's sequence rule decides)", async () => {
  const first = statusReport(B, `c-1:${B}`, "INSTALLING");
  const second = statusReport(B, `c-1:${B}`, "SUCCEEDED");
  const { sqs, sent } = fakeSqs([first, second]);

  const result = await redrive(sqs);

  assert.is(sent.length, 2);
  assert.is(result.duplicates.length, 0);
});

test("byte-identical DLQ copies (SQS's own duplicates) are sent once; the other copy is deleted as a duplicate", async () => {
  const report = statusReport(B, `c-1:${B}`, "SUCCEEDED");
  const other = statusReport(B, `c-1:${B}`, "SUCCEEDED", 6);
  const { sqs, sent, deleted } = fakeSqs([report, report, other]);

  const result = await redrive(sqs);

  assert.equal(sent, [report, other]);
  assert.equal(result.duplicates.map((letter) => letter.messageId), ["m-1"]);
  assert.equal(deleted.sort(), ["r-0", "r-1", "r-2"]);
});

test("telemetry DLQ: identical events are sent once; two events of one object version that differ are both sent (the processor is idempotent on the version)", async () => {
  const event = objectCreated("telemetry/vehicle/V/a.ndjson.gz", "9b2cf535f27731c974343645a3985328", "e-1");
  const again = objectCreated("telemetry/vehicle/V/a.ndjson.gz", "9b2cf535f27731c974343645a3985328", "e-2");
  const { sqs, sent } = fakeSqs([event, event, again]);

  const result = await redrive(sqs, DEAD_LETTER_QUEUE.Telemetry);

  assert.equal(sent, [event, again]);
  assert.is(result.duplicates.length, 1);
  assert.is(result.moved[0]?.businessKey, result.moved[1]?.businessKey);
});

test.run();
