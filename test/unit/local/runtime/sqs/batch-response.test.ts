import { test } from "uvu";
import * as assert from "uvu/assert";
import { decideBatch, type InvocationResult } from "../../../../../local/runtime/sqs/batch-response.js";

const ids = (count: number): string[] => Array.from({ length: count }, (_, index) => `message-${index + 1}`);
const success = (payload: unknown): InvocationResult => ({ ok: true, payload });
const failures = (...identifiers: unknown[]) => ({ batchItemFailures: identifiers.map((itemIdentifier) => ({ itemIdentifier })) });

test("reported failures stay, the rest is deleted", () => {
  const batch = ids(3);
  const decision = decideBatch(batch, success(failures(batch[1])), true);
  assert.equal(decision.succeeded, [batch[0], batch[2]]);
  assert.equal(decision.failed, [batch[1]]);
});

for (const [label, payload] of [
  ["null response", null],
  ["empty object", {}],
  ["null batchItemFailures", { batchItemFailures: null }],
  ["empty batchItemFailures", { batchItemFailures: [] }],
  ["a string", "done"],
] as const) {
  test(`${label} deletes the whole batch`, () => {
    const batch = ids(2);
    assert.equal(decideBatch(batch, success(payload), true), { succeeded: batch, failed: [] });
  });
}

for (const [label, payload] of [
  ["an unknown itemIdentifier", failures("not-in-batch")],
  ["an empty itemIdentifier", failures("")],
  ["a null itemIdentifier", failures(null)],
  ["a misspelt key", { batchItemFailures: [{ itemIdentifer: "message-1" }] }],
  ["batchItemFailures that is not a list", { batchItemFailures: "message-1" }],
] as const) {
  test(`${label} fails the whole batch`, () => {
    const batch = ids(2);
    const decision = decideBatch(batch, success(payload), true);
    assert.equal(decision.succeeded, []);
    assert.equal(decision.failed, batch);
    assert.match(decision.reason ?? "", "invalid response");
  });
}

test("a failed invocation fails the whole batch with its reason", () => {
  const batch = ids(2);
  const decision = decideBatch(batch, { ok: false, error: new Error("timed out") }, true);
  assert.equal(decision.failed, batch);
  assert.match(decision.reason ?? "", "timed out");
});

test("without ReportBatchItemFailures a reported failure list is ignored", () => {
  const batch = ids(2);
  assert.equal(decideBatch(batch, success(failures(batch[0])), false), { succeeded: batch, failed: [] });
});

test("a record reported twice is failed once", () => {
  const batch = ids(2);
  assert.equal(decideBatch(batch, success(failures(batch[0], batch[0])), true).failed, [batch[0]]);
});

test.run();
