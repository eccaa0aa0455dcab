import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Message } from "@aws-sdk/client-sqs";
import { ERROR_KIND, describeDeadLetter } from "../../../contracts/dead-letter.js";
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

test("isSelective is true only when a criterion is given", () => {
  assert.is(isSelective({}), false);
  assert.is(isSelective({ campaignId: "cmp-1" }), true);
  assert.is(isSelective({ errorKind: "invalid-json" }), true);
});

test.run();
