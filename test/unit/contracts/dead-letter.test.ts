import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Message } from "@aws-sdk/client-sqs";
import { DEAD_LETTER_QUEUE, ERROR_KIND, describeDeadLetter } from "../../../contracts/dead-letter.js";
// The redrive filter reads these dead letters; its cases live beside the contract they read.
import { isSelective, matchesFilter } from "../../../cli/redrive/redrive-filter.js";

const VIN = "1HGCM82633A004352";

function statusReport(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: "status-report",
    idempotencyKey: `report:cmp-1:${VIN}:4`,
    vin: VIN,
    campaignId: "cmp-1",
    jobId: `cmp-1:${VIN}`,
    attempt: 1,
    sequence: 4,
    status: "SUCCEEDED",
    firmwareVersion: "2.4.0",
    reportedAt: "2026-11-26T12:00:00.000Z",
    ...overrides,
  };
}

function sqsMessage(body: string, extra: Partial<Message> = {}): Message {
  return { MessageId: "m-1", ReceiptHandle: "rh-1", Body: body, Attributes: { ApproximateReceiveCount: "5" }, ...extra };
}

test("a well-formed message the update manager gave up on is processing-failed, keyed by its idempotencyKey", () => {
  const letter = describeDeadLetter(sqsMessage(JSON.stringify(statusReport())));
  assert.is(letter.errorKind, ERROR_KIND.ProcessingFailed);
  assert.is(letter.businessKey, `report:cmp-1:${VIN}:4`);
  assert.is(letter.campaignId, "cmp-1");
  assert.is(letter.messageKind, "status-report");
  assert.is(letter.receiveCount, 5);
});

test("a body that is not JSON is invalid-json, keyed by a digest of the body", () => {
  const letter = describeDeadLetter(sqsMessage("{ definitely not json"));
  assert.is(letter.errorKind, ERROR_KIND.InvalidJson);
  assert.match(letter.businessKey, /^sha256:[0-9a-f]{64}$/);
  assert.match(letter.error, "not JSON");
});

test("the same body always gets the same digest key, another body another", () => {
  const first = describeDeadLetter(sqsMessage("garbage-a")).businessKey;
  assert.is(describeDeadLetter(sqsMessage("garbage-a", { MessageId: "m-2" })).businessKey, first);
  assert.is.not(describeDeadLetter(sqsMessage("garbage-b")).businessKey, first);
});

test("JSON that breaks the update-message contract is invalid-message naming the field", () => {
  const letter = describeDeadLetter(sqsMessage(JSON.stringify(statusReport({ sequence: -3 }))));
  assert.is(letter.errorKind, ERROR_KIND.InvalidMessage);
  assert.match(letter.error, "sequence");
});

test("an error recorded in message attributes wins over the diagnosis", () => {
  const letter = describeDeadLetter(
    sqsMessage(JSON.stringify(statusReport()), {
      MessageAttributes: {
        errorKind: { DataType: "String", StringValue: "campaign-not-found" },
        errorMessage: { DataType: "String", StringValue: "campaign cmp-1 does not exist" },
      },
    }),
  );
  assert.is(letter.errorKind, "campaign-not-found");
  assert.is(letter.error, "campaign cmp-1 does not exist");
});

const filterCases: Array<[string, Record<string, string>, boolean]> = [
  ["no filter", {}, true],
  ["its campaign", { campaignId: "cmp-1" }, true],
  ["another campaign", { campaignId: "cmp-2" }, false],
  ["its error kind", { errorKind: ERROR_KIND.ProcessingFailed }, true],
  ["another error kind", { errorKind: ERROR_KIND.InvalidJson }, false],
  ["its campaign and error kind", { campaignId: "cmp-1", errorKind: ERROR_KIND.ProcessingFailed }, true],
  ["its campaign but another error kind", { campaignId: "cmp-1", errorKind: ERROR_KIND.InvalidJson }, false],
];
for (const [name, filter, expected] of filterCases) {
  test(`a filter on ${name} ${expected ? "matches" : "does not match"}`, () => {
    const letter = describeDeadLetter(sqsMessage(JSON.stringify(statusReport())));
    assert.is(matchesFilter(letter, filter), expected);
  });
}

test("a campaign filter never matches a message without a campaign (a candidate, or garbage)", () => {
  assert.is(matchesFilter(describeDeadLetter(sqsMessage("garbage")), { campaignId: "cmp-1" }), false);
});

function objectCreated(key: string, etag = "9b2cf535f27731c974343645a3985328", spelling: "etag" | "eTag" = "etag"): string {
  return JSON.stringify({ "detail-type": "Object Created", source: "aws.s3", time: "2026-11-26T12:00:00Z", detail: { bucket: { name: "fleetota-dev-data" }, object: { key, size: 900, [spelling]: `"${etag}"` } } });
}

const telemetryLetter = (body: string, extra: Partial<Message> = {}) => describeDeadLetter(sqsMessage(body, extra), DEAD_LETTER_QUEUE.Telemetry);

test("a telemetry dead letter is keyed by the object version the processor is idempotent on, with either etag spelling", () => {
  const letter = telemetryLetter(objectCreated(`telemetry/fleet/gw-depot-7/2026/11/26/12/a.ndjson.gz`));
  assert.is(letter.errorKind, ERROR_KIND.ProcessingFailed);
  assert.is(letter.object, "s3://fleetota-dev-data/telemetry/fleet/gw-depot-7/2026/11/26/12/a.ndjson.gz");
  assert.is(letter.objectKey, "telemetry/fleet/gw-depot-7/2026/11/26/12/a.ndjson.gz");
  assert.is(letter.businessKey, "s3://fleetota-dev-data/telemetry/fleet/gw-depot-7/2026/11/26/12/a.ndjson.gz#9b2cf535f27731c974343645a3985328");
  assert.is(telemetryLetter(objectCreated("telemetry/fleet/gw-depot-7/2026/11/26/12/a.ndjson.gz", undefined, "eTag")).businessKey, letter.businessKey);
  assert.is(letter.campaignId, undefined);
  assert.is(letter.receiveCount, 5);
});

test("a telemetry dead letter that is not an S3 event is invalid-json or invalid-message, keyed by a digest", () => {
  const garbage = telemetryLetter("hello");
  assert.is(garbage.errorKind, ERROR_KIND.InvalidJson);
  assert.match(garbage.businessKey, /^sha256:/);
  const notEvent = telemetryLetter(JSON.stringify(statusReport()));
  assert.is(notEvent.errorKind, ERROR_KIND.InvalidMessage);
  assert.match(notEvent.error, "not an S3 event");
  assert.is(notEvent.object, undefined);
  assert.is(notEvent.objectKey, undefined);
  const tagging = telemetryLetter(JSON.stringify({ "detail-type": "Object Tags Added", detail: {} }));
  assert.is(tagging.errorKind, ERROR_KIND.InvalidMessage);
  assert.match(tagging.error, "ignores");
});

test("the same body reads differently per queue: an update message is processing-failed in its own DLQ only", () => {
  const body = JSON.stringify(statusReport());
  assert.is(describeDeadLetter(sqsMessage(body)).errorKind, ERROR_KIND.ProcessingFailed);
  assert.is(telemetryLetter(body).errorKind, ERROR_KIND.InvalidMessage);
});

test("a key-prefix filter matches telemetry objects under it only, never a letter without an object", () => {
  const letter = telemetryLetter(objectCreated("telemetry/fleet/gw-depot-7/2026/11/26/12/a.ndjson.gz"));
  assert.is(matchesFilter(letter, { keyPrefix: "telemetry/fleet/gw-depot-7/" }), true);
  assert.is(matchesFilter(letter, { keyPrefix: "telemetry/fleet/gw-depot-70/" }), false);
  assert.is(matchesFilter(letter, { keyPrefix: "fleetota-dev-data/telemetry/" }), false, "the prefix is of the key, not the bucket");
  assert.is(matchesFilter(letter, { keyPrefix: "telemetry/", errorKind: ERROR_KIND.InvalidJson }), false);
  assert.is(matchesFilter(telemetryLetter("hello"), { keyPrefix: "" }), false);
  assert.is(matchesFilter(describeDeadLetter(sqsMessage(JSON.stringify(statusReport()))), { keyPrefix: "telemetry/" }), false);
});

test("isSelective is true only when a criterion is given", () => {
  assert.is(isSelective({ keyPrefix: "telemetry/" }), true);
  assert.is(isSelective({}), false);
  assert.is(isSelective({ campaignId: "cmp-1" }), true);
  assert.is(isSelective({ errorKind: "invalid-json" }), true);
});

test.run();
