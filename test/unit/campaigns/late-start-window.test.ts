/**
 * Which TIMED_OUT record a late start's limit counts from, in the pure job machine (review 29 on 657755b): the latest
 * transition into TIMED_OUT, not a refused retry's TIMED_OUT -> TIMED_OUT record (the oldest of those only when they
 * have pushed the timeout out of the kept history).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decideJobEvent, type JobEvent } from "../../../campaigns/job-machine.js";
import type { Job } from "../../../campaigns/model.js";
import { T0, definition, job, minutesAfter } from "./support/factories.js";

const DEF = definition({ startTimeoutMinutes: 30, inProgressTimeoutMinutes: 60, maxInProgressMinutes: 360, retries: { max: 2, backoffBaseSeconds: 60, backoffCapSeconds: 600 } });
const apply = (current: Job, event: JobEvent): Job => {
  const decision = decideJobEvent(current, event, DEF);
  assert.is(decision.kind, "applied", JSON.stringify(decision));
  return (decision as { job: Job }).job;
};
const report = (status: "DOWNLOADING" | "SUCCEEDED", attempt: number, sequence: number, minute: number): JobEvent => ({
  type: "report", status, attempt, sequence, firmwareVersion: status === "SUCCEEDED" ? "2.4.0" : "2.3.1", at: minutesAfter(minute),
});
const admitted = (): Job => job({ history: [{ from: "", to: "QUEUED", at: T0.toISOString(), reason: "admitted in wave 1", cause: "candidate" }], attemptQueuedAt: T0.toISOString() });

test("a refused retry-failed's TIMED_OUT -> TIMED_OUT record is not the timeout: a start 400 min after the timeout (limit 360) is ignored", () => {
  const timedOut = apply(admitted(), { type: "timeout-check", at: minutesAfter(31) });
  assert.is(timedOut.inProgressSince, undefined);
  // campaigns/job-documents.ts mayRetryNow: the vehicle is busy in another campaign, the refusal is recorded in the job's history.
  const refused: Job = { ...timedOut, history: [...timedOut.history, { from: "TIMED_OUT", to: "TIMED_OUT", at: minutesAfter(31 + 300).toISOString(), reason: "retry refused: busy", cause: "retry-failed#k1" }] };
  const decision = decideJobEvent(refused, report("DOWNLOADING", 1, 1, 31 + 400), DEF);
  assert.is(decision.kind, "ignored", `400 min after the timeout (limit 360) it should be ignored, got ${decision.kind} with inProgressSince ${decision.kind === "applied" ? decision.job.inProgressSince : "-"}`);
});

test("refused retries that pushed the timeout out of the kept history: the window counts from the oldest of them", () => {
  const timedOut = apply(admitted(), { type: "timeout-check", at: minutesAfter(31) });
  const refusal = (minute: number) => ({ from: "TIMED_OUT", to: "TIMED_OUT", at: minutesAfter(minute).toISOString(), reason: "retry refused: busy", cause: `retry-failed#${minute}` });
  const trimmed: Job = { ...timedOut, history: [refusal(40), refusal(300)] };
  assert.is(decideJobEvent(trimmed, report("DOWNLOADING", 1, 1, 40 + 360), DEF).kind, "ignored", "360 min after the oldest refusal");
  const revived = decideJobEvent(trimmed, report("DOWNLOADING", 1, 1, 40 + 359), DEF);
  assert.equal([revived.kind, revived.kind === "applied" ? revived.job.inProgressSince : undefined], ["applied", minutesAfter(40).toISOString()]);
});

test("after a retry, a second unstarted timeout is the one counted (not attempt 1's older record)", () => {
  let current = apply(admitted(), { type: "timeout-check", at: minutesAfter(31) });
  current = apply(current, { type: "retry", manual: false, cause: "ticker", at: minutesAfter(40) });
  current = apply(current, { type: "timeout-check", at: minutesAfter(80) });
  assert.equal([current.state, current.attempt, current.inProgressSince], ["TIMED_OUT", 2, undefined]);
  const revived = apply(current, report("DOWNLOADING", 2, 1, 80 + 300));
  assert.equal([revived.state, revived.inProgressSince], ["IN_PROGRESS", minutesAfter(80).toISOString()]);
  assert.is(decideJobEvent(current, report("DOWNLOADING", 2, 1, 80 + 360), DEF).kind, "ignored");
  assert.is(decideJobEvent(current, report("SUCCEEDED", 2, 1, 80 + 10_000), DEF).kind, "applied", "a final report still lands");
});

test("a started attempt timed out, retried, then timed out unstarted: its limit counts from the second timeout", () => {
  let current = apply(admitted(), report("DOWNLOADING", 1, 1, 5));
  current = apply(current, { type: "timeout-check", at: minutesAfter(5 + 60) });
  assert.ok(current.inProgressSince !== undefined);
  current = apply(current, { type: "retry", manual: false, cause: "ticker", at: minutesAfter(70) });
  assert.is(current.inProgressSince, undefined);
  current = apply(current, { type: "timeout-check", at: minutesAfter(101) });
  const revived = apply(current, report("DOWNLOADING", 2, 2, 101 + 30));
  assert.is(revived.inProgressSince, minutesAfter(101).toISOString());
});

test.run();
