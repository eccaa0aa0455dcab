import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  decideJobEvent,
  MAX_SEQUENCE_STEP,
  newJob,
  nextRetryAt,
  REPORT_REFUSAL,
  retryDelaySeconds,
  type JobEvent,
  type ReportRefusal,
} from "../../../campaigns/job-machine.js";
import { JOB_HISTORY_LIMIT, type Job, type JobState } from "../../../campaigns/model.js";
import type { AgentStatus } from "../../../contracts/update-messages.js";
import { T0, definition, job, minutesAfter } from "./support/factories.js";

const report = (status: AgentStatus, sequence: number, at = minutesAfter(1), attempt = 1): JobEvent => ({
  type: "report",
  status,
  attempt,
  sequence,
  firmwareVersion: status === "SUCCEEDED" ? "2.4.0" : "2.3.1",
  at,
});

const stateOf = (decision: ReturnType<typeof decideJobEvent>): string =>
  decision.kind === "applied" ? (decision.job.substate ? `${decision.job.state}/${decision.job.substate}` : decision.job.state) : decision.kind;

// [from state, event, expected state or "refused"/"ignored"]
const reportTable: Array<[JobState, AgentStatus, string]> = [
  ["QUEUED", "DOWNLOADING", "IN_PROGRESS/DOWNLOADING"],
  ["QUEUED", "DEFERRED", "DEFERRED"],
  ["QUEUED", "SUCCEEDED", "SUCCEEDED"],
  ["QUEUED", "REJECTED", "REJECTED"],
  ["DEFERRED", "DOWNLOADING", "IN_PROGRESS/DOWNLOADING"],
  ["DEFERRED", "FAILED", "FAILED"],
  ["IN_PROGRESS", "INSTALLING", "IN_PROGRESS/INSTALLING"],
  ["IN_PROGRESS", "VERIFYING", "IN_PROGRESS/VERIFYING"],
  ["IN_PROGRESS", "DEFERRED", "DEFERRED"],
  ["IN_PROGRESS", "SUCCEEDED", "SUCCEEDED"],
  ["IN_PROGRESS", "FAILED", "FAILED"],
  ["IN_PROGRESS", "ROLLED_BACK", "ROLLED_BACK"],
  ["TIMED_OUT", "SUCCEEDED", "SUCCEEDED"],
  ["TIMED_OUT", "INSTALLING", "IN_PROGRESS/INSTALLING"],
  ["SUCCEEDED", "FAILED", "refused"],
  ["SUCCEEDED", "DOWNLOADING", "refused"],
  ["FAILED", "DOWNLOADING", "refused"],
  ["ROLLED_BACK", "SUCCEEDED", "refused"],
  ["REJECTED", "DOWNLOADING", "refused"],
  ["CANCELED", "DOWNLOADING", "refused"],
];

for (const [from, status, expected] of reportTable) {
  test(`report ${status} on ${from} → ${expected}`, () => {
    const substate = from === "IN_PROGRESS" ? "DOWNLOADING" : undefined;
    const decision = decideJobEvent(job({ state: from, ...(substate ? { substate } : {}), lastSequence: 3 }), report(status, 4), definition());
    assert.is(stateOf(decision), expected);
  });
}

test("every applied state change is recorded with time, reason and cause", () => {
  const at = minutesAfter(5);
  const decision = decideJobEvent(job({ lastSequence: 0 }), { ...report("DOWNLOADING", 1, at), reason: "download started" } as JobEvent, definition());
  assert.is(decision.kind, "applied");
  if (decision.kind !== "applied") return;
  assert.equal(decision.record, { from: "QUEUED", to: "IN_PROGRESS/DOWNLOADING", at: at.toISOString(), reason: "download started", cause: "report#1" });
  assert.is(decision.job.lastSequence, 1);
  assert.is(decision.job.lastProgressAt, at.toISOString());
});

test("a duplicate report (same sequence) changes nothing", () => {
  const applied = job({ state: "IN_PROGRESS", substate: "INSTALLING", lastSequence: 5 });
  assert.is(decideJobEvent(applied, report("INSTALLING", 5), definition()).kind, "ignored");
});

test("an out-of-order older report after a newer one changes nothing", () => {
  let current = job();
  for (const [status, sequence] of [["DOWNLOADING", 1], ["SUCCEEDED", 3], ["INSTALLING", 2]] as const) {
    const decision = decideJobEvent(current, report(status, sequence), definition());
    if (decision.kind === "applied") current = decision.job;
  }
  assert.is(current.state, "SUCCEEDED");
  assert.is(current.lastSequence, 3);
});

test("a replayed whole history applied twice ends where applying it once ends", () => {
  const history = [report("DOWNLOADING", 1), report("INSTALLING", 2), report("VERIFYING", 3), report("SUCCEEDED", 4)];
  const apply = (start: Job, events: JobEvent[]) =>
    events.reduce((current, event) => {
      const decision = decideJobEvent(current, event, definition());
      return decision.kind === "applied" ? decision.job : current;
    }, start);
  const once = apply(job(), history);
  const twice = apply(once, history);
  assert.equal(twice, once);
});

test("repeated progress in the same substate updates bookkeeping without a transition record", () => {
  const decision = decideJobEvent(job({ state: "IN_PROGRESS", substate: "DOWNLOADING", lastSequence: 1 }), report("DOWNLOADING", 2), definition());
  assert.is(decision.kind, "applied");
  if (decision.kind === "applied") {
    assert.is(decision.record, undefined);
    assert.is(decision.job.lastSequence, 2);
  }
});

test("outcomes are tallied only when the state changes into them", () => {
  const decision = decideJobEvent(job({ state: "IN_PROGRESS", substate: "VERIFYING" }), report("ROLLED_BACK", 0), definition());
  assert.is(decision.kind === "applied" ? decision.outcome : undefined, "rolledBack");
});

const backoff = { backoffBaseSeconds: 60, backoffCapSeconds: 600 };
const backoffTable: Array<[number, number]> = [
  [1, 60],
  [2, 120],
  [3, 240],
  [4, 480],
  [5, 600],
  [9, 600],
];
for (const [attempt, seconds] of backoffTable) {
  test(`backoff before retry after attempt ${attempt} is ${seconds}s (base 60, cap 600)`, () => {
    assert.is(retryDelaySeconds(attempt, backoff), seconds);
  });
}

test("a failure schedules its retry after the backoff; the last allowed attempt schedules none", () => {
  const retries = { max: 2, ...backoff };
  const failedAt = minutesAfter(10);
  assert.is(nextRetryAt(1, retries, failedAt), minutesAfter(11).toISOString());
  assert.is(nextRetryAt(2, retries, failedAt), minutesAfter(12).toISOString());
  assert.is(nextRetryAt(3, retries, failedAt), undefined);
});

test("a FAILED report carries the retry time", () => {
  const decision = decideJobEvent(job({ state: "IN_PROGRESS", attempt: 2 }), report("FAILED", 0, minutesAfter(10), 2), definition());
  assert.is(decision.kind === "applied" ? decision.job.nextRetryAt : "", minutesAfter(12).toISOString());
});

test("automatic retry waits for the backoff, then returns the job to QUEUED with the next attempt", () => {
  const failed = job({ state: "FAILED", attempt: 1, nextRetryAt: minutesAfter(1).toISOString() });
  const early = decideJobEvent(failed, { type: "retry", manual: false, cause: "ticker", at: minutesAfter(0.5) }, definition());
  const due = decideJobEvent(failed, { type: "retry", manual: false, cause: "ticker", at: minutesAfter(1) }, definition());
  assert.is(early.kind, "ignored");
  assert.is(stateOf(due), "QUEUED");
  if (due.kind === "applied") {
    assert.is(due.job.attempt, 2);
    assert.is(due.job.nextRetryAt, undefined);
  }
});

test("automatic retry stops when retries are exhausted; an operator retry does not", () => {
  const exhausted = job({ state: "TIMED_OUT", attempt: 3 });
  assert.is(decideJobEvent(exhausted, { type: "retry", manual: false, cause: "ticker", at: T0 }, definition()).kind, "ignored");
  assert.is(stateOf(decideJobEvent(exhausted, { type: "retry", manual: true, cause: "cli", at: T0 }, definition())), "QUEUED");
});

const retryTable: Array<[JobState, boolean, string]> = [
  ["FAILED", false, "QUEUED"],
  ["TIMED_OUT", false, "QUEUED"],
  ["ROLLED_BACK", false, "refused"],
  ["ROLLED_BACK", true, "QUEUED"],
  ["SUCCEEDED", true, "refused"],
  ["REJECTED", true, "refused"],
  ["IN_PROGRESS", true, "refused"],
  ["QUEUED", false, "refused"],
];
for (const [from, manual, expected] of retryTable) {
  test(`${manual ? "operator" : "automatic"} retry of ${from} → ${expected}`, () => {
    const decision = decideJobEvent(job({ state: from, nextRetryAt: T0.toISOString() }), { type: "retry", manual, cause: "t", at: minutesAfter(1) }, definition());
    assert.is(stateOf(decision), expected);
  });
}

test("a silent IN_PROGRESS job times out after the campaign's timeout and counts as a failure", () => {
  const silent = job({ state: "IN_PROGRESS", substate: "DOWNLOADING", lastProgressAt: T0.toISOString() });
  const before = decideJobEvent(silent, { type: "timeout-check", at: minutesAfter(29) }, definition());
  const after = decideJobEvent(silent, { type: "timeout-check", at: minutesAfter(30) }, definition());
  assert.is(before.kind, "ignored");
  assert.is(stateOf(after), "TIMED_OUT");
  if (after.kind === "applied") {
    assert.is(after.outcome, "timedOut");
    assert.is(after.job.nextRetryAt, minutesAfter(31).toISOString());
  }
});

for (const state of ["SUCCEEDED", "FAILED", "ROLLED_BACK", "CANCELED"] as const) {
  test(`a finished ${state} job never times out`, () => {
    const finished = job({ state, lastProgressAt: T0.toISOString(), inProgressSince: T0.toISOString() });
    assert.is(decideJobEvent(finished, { type: "timeout-check", at: minutesAfter(100_000) }, definition()).kind, "ignored");
  });
}

// [state, started, minutes after T0, expected]: limits are 30 min silence, 120 min in progress, 240 min to
// start; a started job began at minute 60 and last reported 5 minutes before the check.
const limitTable: Array<[JobState, boolean, number, string]> = [
  ["IN_PROGRESS", true, 179, "ignored"],
  ["IN_PROGRESS", true, 180, "TIMED_OUT"],
  ["QUEUED", false, 239, "ignored"],
  ["QUEUED", false, 240, "TIMED_OUT"],
  ["DEFERRED", false, 239, "ignored"],
  ["DEFERRED", false, 240, "TIMED_OUT"],
  ["DEFERRED", true, 179, "ignored"],
  ["DEFERRED", true, 180, "TIMED_OUT"],
];
for (const [state, started, minutes, expected] of limitTable) {
  test(`limits: a ${started ? "started" : "unstarted"} ${state} job after ${minutes} min → ${expected}`, () => {
    const current = job({
      state,
      ...(state === "IN_PROGRESS" ? { substate: "INSTALLING" as const } : {}),
      attemptQueuedAt: T0.toISOString(),
      ...(started ? { inProgressSince: minutesAfter(60).toISOString(), lastProgressAt: minutesAfter(Math.max(0, minutes - 5)).toISOString() } : {}),
    });
    const limits = definition({ maxInProgressMinutes: 120, startTimeoutMinutes: 240 });
    assert.is(stateOf(decideJobEvent(current, { type: "timeout-check", at: minutesAfter(minutes) }, limits)), expected);
  });
}

test("a job that keeps heartbeating INSTALLING times out once it has been in progress past maxInProgressMinutes", () => {
  const limits = definition({ maxInProgressMinutes: 120 });
  let current = job({ attemptQueuedAt: T0.toISOString() });
  let sequence = 0;
  for (let minute = 0; minute <= 185; minute += 5) {
    const event = minute === 0 ? report("DOWNLOADING", sequence++, minutesAfter(minute)) : report("INSTALLING", sequence++, minutesAfter(minute));
    const reported = decideJobEvent(current, event, limits);
    if (reported.kind === "applied") current = reported.job;
    const checked = decideJobEvent(current, { type: "timeout-check", at: minutesAfter(minute) }, limits);
    if (checked.kind === "applied") {
      current = checked.job;
      break;
    }
  }
  assert.is(current.state, "TIMED_OUT");
  assert.is(current.inProgressSince, T0.toISOString());
  assert.match(current.stateReason ?? "", /still INSTALLING 120 minutes after it started \(limit 120\)/);
  assert.is(current.history.at(-1)?.at, minutesAfter(120).toISOString());
});

test("after a stuck timeout a progress report is ignored, a final report still lands", () => {
  const limits = definition({ maxInProgressMinutes: 120 });
  const stuck = job({ state: "TIMED_OUT", inProgressSince: T0.toISOString(), lastSequence: 40, attemptQueuedAt: T0.toISOString() });
  assert.is(decideJobEvent(stuck, report("INSTALLING", 41, minutesAfter(125)), limits).kind, "ignored");
  assert.is(stateOf(decideJobEvent(stuck, report("SUCCEEDED", 42, minutesAfter(125)), limits)), "SUCCEEDED");
  const silentOnly = job({ state: "TIMED_OUT", inProgressSince: minutesAfter(100).toISOString(), lastSequence: 40 });
  assert.is(stateOf(decideJobEvent(silentOnly, report("INSTALLING", 41, minutesAfter(125)), limits)), "IN_PROGRESS/INSTALLING");
});

/** Runs `events` through the machine from `start`, returning the job and the outcomes tallied on the way. */
function run(start: Job, events: readonly JobEvent[], limits = definition()): { job: Job; outcomes: Record<string, number> } {
  let current = start;
  const outcomes: Record<string, number> = {};
  for (const event of events) {
    const decision = decideJobEvent(current, event, limits);
    if (decision.kind !== "applied") continue;
    current = decision.job;
    if (decision.outcome) outcomes[decision.outcome] = (outcomes[decision.outcome] ?? 0) + 1;
    if (decision.replaces) outcomes[decision.replaces] = (outcomes[decision.replaces] ?? 0) - 1;
  }
  return { job: current, outcomes: Object.fromEntries(Object.entries(outcomes).filter(([, count]) => count !== 0)) };
}

test("one outcome per attempt: a final report after a counted timeout replaces it (the vehicle came back)", () => {
  const silent = job({ state: "IN_PROGRESS", substate: "DOWNLOADING", attemptQueuedAt: T0.toISOString(), inProgressSince: T0.toISOString(), lastProgressAt: T0.toISOString(), lastSequence: 3 });
  const timeout: JobEvent = { type: "timeout-check", at: minutesAfter(30) };
  for (const [late, kept] of [[["FAILED"], { failed: 1 }], [["ROLLED_BACK"], { rolledBack: 1 }], [["INSTALLING", "SUCCEEDED"], { succeeded: 1 }]] as Array<[AgentStatus[], Record<string, number>]>) {
    const { job: after, outcomes } = run(silent, [timeout, ...late.map((status, index) => report(status, 4 + index, minutesAfter(40 + index)))]);
    assert.equal(outcomes, kept, late.join(" → "));
    assert.is(after.timedOutAttempt, undefined);
  }
  const replaced = decideJobEvent({ ...silent, state: "TIMED_OUT", substate: undefined, timedOutAttempt: 1 }, report("FAILED", 4, minutesAfter(40)), definition());
  assert.equal(replaced.kind === "applied" && [replaced.outcome, replaced.replaces], ["failed", "timedOut"]);
  // An earlier attempt's timeout is not this attempt's: a retried job's failure replaces nothing.
  const retried = decideJobEvent({ ...silent, attempt: 2, timedOutAttempt: 1 }, report("FAILED", 4, minutesAfter(40), 2), definition());
  assert.equal(retried.kind === "applied" && [retried.outcome, retried.replaces], ["failed", undefined]);
});

test("a job timed out before it started (its document withdrawn) takes no late DEFERRED; a start or a final report still brings it back; a started one takes DEFERRED as before", () => {
  const unstarted = job({ state: "TIMED_OUT", attemptQueuedAt: T0.toISOString(), timedOutAttempt: 1, nextRetryAt: minutesAfter(100).toISOString() });
  const table: Array<[Job, AgentStatus, string]> = [
    [unstarted, "DEFERRED", "ignored"],
    [unstarted, "DOWNLOADING", "IN_PROGRESS/DOWNLOADING"],
    [unstarted, "SUCCEEDED", "SUCCEEDED"],
    [unstarted, "FAILED", "FAILED"],
    [{ ...unstarted, inProgressSince: T0.toISOString(), lastProgressAt: T0.toISOString() }, "DEFERRED", "DEFERRED"],
  ];
  for (const [from, status, expected] of table) {
    const decision = decideJobEvent(from, report(status, 1, minutesAfter(70)), definition({ startTimeoutMinutes: 60 }));
    assert.is(stateOf(decision), expected, `${from.inProgressSince ? "started" : "unstarted"} + ${status}`);
  }
});

test("a cancel and a timeout before the start make the job owe its withdrawal on its attempt; a timeout after the start does not", () => {
  const limits = definition({ startTimeoutMinutes: 60, inProgressTimeoutMinutes: 30 });
  const owedAfter = (from: Job, event: JobEvent) => {
    const decision = decideJobEvent(from, event, limits);
    return decision.kind === "applied" ? [decision.job.state, decision.job.withdrawalOwedAttempt] : [decision.kind];
  };
  const queued = job({ attempt: 2, attemptQueuedAt: T0.toISOString() });
  assert.equal(owedAfter(queued, { type: "cancel", reason: "campaign canceled", cause: "ticker", at: minutesAfter(1) }), ["CANCELED", 2]);
  assert.equal(owedAfter(queued, { type: "timeout-check", at: minutesAfter(61) }), ["TIMED_OUT", 2]);
  const started = job({ state: "IN_PROGRESS", substate: "DOWNLOADING", attempt: 2, inProgressSince: T0.toISOString(), lastProgressAt: T0.toISOString() });
  assert.equal(owedAfter(started, { type: "timeout-check", at: minutesAfter(31) }), ["TIMED_OUT", undefined]);
});

test("a vehicle that times out and then fails every attempt weighs one failure an attempt, not two", () => {
  const limits = definition({ retries: { max: 10, backoffBaseSeconds: 60, backoffCapSeconds: 60 } });
  let current = job({ attemptQueuedAt: T0.toISOString() });
  const outcomes: Record<string, number> = {};
  let minute = 0;
  for (let attempt = 1; attempt <= 11; attempt++) {
    const { job: after, outcomes: ofAttempt } = run(current, [
      report("DOWNLOADING", 1, minutesAfter(++minute), attempt),
      { type: "timeout-check", at: minutesAfter((minute += 31)) },
      report("FAILED", 2, minutesAfter(++minute), attempt),
      { type: "retry", manual: false, cause: "ticker", at: minutesAfter((minute += 2)) },
    ], limits);
    for (const [kind, count] of Object.entries(ofAttempt)) outcomes[kind] = (outcomes[kind] ?? 0) + count;
    current = after;
  }
  assert.equal(outcomes, { failed: 11 });
  assert.is(current.state, "FAILED");
});

test("a vehicle that answers every start timeout with a late DEFERRED adds one timeout per attempt, not one per tick", () => {
  const limits = definition({ startTimeoutMinutes: 60, retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 } });
  // Each minute for a day: the vehicle reports DEFERRED (the TIMED_OUT job takes late reports), then the ticker checks.
  const events = Array.from({ length: 24 * 60 }, (_, minute): JobEvent[] => [
    report("DEFERRED", minute + 1, minutesAfter(61 + minute)),
    { type: "timeout-check", at: minutesAfter(61 + minute) },
  ]).flat();
  const { job: after, outcomes } = run(job({ attemptQueuedAt: T0.toISOString() }), [{ type: "timeout-check", at: minutesAfter(60) }, ...events], limits);

  assert.equal(outcomes, { timedOut: 1 });
  assert.is(after.state, "TIMED_OUT");
  assert.is(after.timedOutAttempt, 1);
});

test("a job brought back by progress reports after each silence timeout counts one timeout per attempt; the next attempt's counts again", () => {
  const limits = definition({ maxInProgressMinutes: 600 });
  let sequence = 0;
  const silentAgain = (from: number): JobEvent[] => [report("DOWNLOADING", ++sequence, minutesAfter(from)), { type: "timeout-check", at: minutesAfter(from + 30) }];
  const first = run(job({ attemptQueuedAt: T0.toISOString() }), [0, 31, 62, 93, 124].flatMap(silentAgain), limits);
  assert.equal(first.outcomes, { timedOut: 1 });
  assert.is(first.job.state, "TIMED_OUT");

  const retried = run(first.job, [{ type: "retry", manual: true, cause: "operator", at: minutesAfter(200) }, report("DOWNLOADING", 1, minutesAfter(201), 2), { type: "timeout-check", at: minutesAfter(231) }], limits);
  assert.equal([retried.job.attempt, retried.job.state, retried.outcomes], [2, "TIMED_OUT", { timedOut: 1 }]);
});

test("the start timeout defaults to the job document's lifetime", () => {
  const waiting = job({ state: "QUEUED", attemptQueuedAt: T0.toISOString(), documentPublishedAttempt: 1 });
  const limits = definition({ documentTtlHours: 2 });
  assert.is(decideJobEvent(waiting, { type: "timeout-check", at: minutesAfter(119) }, limits).kind, "ignored");
  const expired = decideJobEvent(waiting, { type: "timeout-check", at: minutesAfter(120) }, limits);
  assert.is(stateOf(expired), "TIMED_OUT");
  if (expired.kind === "applied") {
    assert.is(expired.outcome, "timedOut");
    assert.match(expired.job.stateReason ?? "", /not started within 120 minutes of attempt 1 \(the vehicle never picked it up\)/);
    assert.is(expired.job.nextRetryAt, minutesAfter(121).toISOString());
  }
});

test("a retry starts a new attempt's clocks: queued now, not yet started", () => {
  const timedOut = job({ state: "TIMED_OUT", inProgressSince: T0.toISOString(), nextRetryAt: minutesAfter(1).toISOString() });
  const retried = decideJobEvent(timedOut, { type: "retry", manual: false, cause: "ticker", at: minutesAfter(2) }, definition());
  assert.is(retried.kind, "applied");
  if (retried.kind !== "applied") return;
  assert.is(retried.job.attemptQueuedAt, minutesAfter(2).toISOString());
  assert.is(retried.job.inProgressSince, undefined);
  const started = decideJobEvent(retried.job, report("DOWNLOADING", 1, minutesAfter(3), 2), definition());
  assert.is(started.kind === "applied" ? started.job.inProgressSince : undefined, minutesAfter(3).toISOString());
});

const preconditionTable: Array<[JobState, boolean, boolean, string]> = [
  ["DEFERRED", true, false, "QUEUED"],
  ["DEFERRED", false, false, "ignored"],
  ["QUEUED", false, false, "DEFERRED"],
  ["QUEUED", false, true, "ignored"],
  ["IN_PROGRESS", false, false, "ignored"],
];
for (const [from, met, published, expected] of preconditionTable) {
  test(`preconditions ${met ? "met" : "unmet"} on ${from}${published ? " (document out)" : ""} → ${expected}`, () => {
    const current = job({ state: from, ...(published ? { documentPublishedAttempt: 1 } : {}) });
    assert.is(stateOf(decideJobEvent(current, { type: "preconditions", met, reason: "not parked", at: T0 }, definition())), expected);
  });
}

const cancelTable: Array<[JobState, string]> = [
  ["QUEUED", "CANCELED"],
  ["DEFERRED", "CANCELED"],
  ["IN_PROGRESS", "ignored"],
  ["SUCCEEDED", "ignored"],
];
for (const [from, expected] of cancelTable) {
  test(`cancel on ${from} → ${expected}`, () => {
    assert.is(stateOf(decideJobEvent(job({ state: from }), { type: "cancel", reason: "campaign canceled", cause: "ticker", at: T0 }, definition())), expected);
  });
}

test("cancel drops a pending retry of a FAILED job without changing its state", () => {
  const decision = decideJobEvent(job({ state: "FAILED", nextRetryAt: T0.toISOString() }), { type: "cancel", reason: "x", cause: "t", at: T0 }, definition());
  assert.is(decision.kind, "applied");
  if (decision.kind === "applied") {
    assert.is(decision.job.state, "FAILED");
    assert.is(decision.job.nextRetryAt, undefined);
    assert.is(decision.record, undefined);
  }
});

test("cancel makes a started TIMED_OUT job owe its withdrawal, retry or none; one already owing or withdrawn on its attempt, and a FAILED one without a retry, are left alone", () => {
  const cancel = { type: "cancel", reason: "campaign canceled", cause: "ticker", at: T0 } as const;
  const timedOut = job({ state: "TIMED_OUT", attempt: 3, inProgressSince: T0.toISOString() });
  const owed = (from: Job) => {
    const decision = decideJobEvent(from, cancel, definition());
    return decision.kind === "applied" ? [decision.job.state, decision.job.withdrawalOwedAttempt, decision.job.nextRetryAt, decision.record] : [decision.kind];
  };
  assert.equal(owed(timedOut), ["TIMED_OUT", 3, undefined, undefined], "retries used up");
  assert.equal(owed({ ...timedOut, nextRetryAt: T0.toISOString() }), ["TIMED_OUT", 3, undefined, undefined], "a retry ahead: taken");
  assert.equal(owed({ ...timedOut, withdrawalOwedAttempt: 3 }), ["ignored"]);
  assert.equal(owed({ ...timedOut, withdrawalOwedAttempt: 2, documentWithdrawnAttempt: 3 }), ["ignored"]);
  assert.equal(owed(job({ state: "FAILED", attempt: 3 })), ["ignored"], "the vehicle ended a FAILED attempt itself");
});

test("a new job is QUEUED when preconditions hold, DEFERRED with the reasons when not", () => {
  const identity = { campaignId: "c-1", vin: "1HGCM82633A004352", wave: 0, targetVersion: "2.4.0", firmwareVersion: "2.3.1", hardware: "hu-3" };
  const queued = newJob(identity, { met: true }, T0);
  const deferred = newJob(identity, { met: false, reasons: ["not parked", "connectivity weak"] }, T0);
  assert.is(queued.job.state, "QUEUED");
  assert.is(queued.job.jobId, "c-1:1HGCM82633A004352");
  assert.is(deferred.job.state, "DEFERRED");
  assert.is(deferred.record.reason, "not parked; connectivity weak");
});

// ── reports that can never apply: refused with a refusal code, so the update side parks and counts them ──

const firmwareReport = (status: AgentStatus, sequence: number, firmwareVersion: string, attempt = 1): JobEvent => ({
  type: "report",
  status,
  attempt,
  sequence,
  firmwareVersion,
  at: minutesAfter(1),
});

// [what the attacker or the broken agent tries, the job, the report, the refusal]
const refusalTable: Array<[string, Partial<Job>, JobEvent, ReportRefusal]> = [
  ["a report for an attempt before the current one", { attempt: 2, lastSequence: -1 }, report("SUCCEEDED", 9, minutesAfter(1), 1), REPORT_REFUSAL.OlderAttempt],
  ["a late FAILED of attempt 1 after the retry", { state: "IN_PROGRESS", substate: "DOWNLOADING", attempt: 3, lastSequence: 2 }, report("FAILED", 50, minutesAfter(1), 1), REPORT_REFUSAL.OlderAttempt],
  ["a report for an attempt the job never had", { attempt: 1 }, report("DOWNLOADING", 1, minutesAfter(1), 2), REPORT_REFUSAL.UnknownAttempt],
  ["attempt 0", { attempt: 1 }, report("DOWNLOADING", 1, minutesAfter(1), 0), REPORT_REFUSAL.OlderAttempt],
  ["sequence 2^53-1 on a fresh job (freezes it)", { lastSequence: -1 }, report("DOWNLOADING", Number.MAX_SAFE_INTEGER), REPORT_REFUSAL.SequenceJump],
  ["a jump of one more than the step", { state: "IN_PROGRESS", substate: "DOWNLOADING", lastSequence: 7 }, report("INSTALLING", 7 + MAX_SEQUENCE_STEP + 1), REPORT_REFUSAL.SequenceJump],
  ["a first report far past the previous attempts' counter", { attempt: 2, lastSequence: -1, priorSequence: 12 }, report("DOWNLOADING", 12 + MAX_SEQUENCE_STEP + 1, minutesAfter(1), 2), REPORT_REFUSAL.SequenceJump],
  ["SUCCEEDED on the old firmware", { state: "IN_PROGRESS", substate: "VERIFYING", lastSequence: 3 }, firmwareReport("SUCCEEDED", 4, "2.3.1"), REPORT_REFUSAL.WrongFirmware],
  ["SUCCEEDED on a newer firmware than the target", { state: "IN_PROGRESS", substate: "VERIFYING", lastSequence: 3 }, firmwareReport("SUCCEEDED", 4, "2.5.0"), REPORT_REFUSAL.WrongFirmware],
  ["SUCCEEDED on a QUEUED job without installing (the forged-success attack)", { state: "QUEUED" }, firmwareReport("SUCCEEDED", 1, "2.3.1"), REPORT_REFUSAL.WrongFirmware],
  ["SUCCEEDED on the target with build metadata", { state: "IN_PROGRESS", substate: "VERIFYING", lastSequence: 3 }, firmwareReport("SUCCEEDED", 4, "2.4.0+evil"), REPORT_REFUSAL.WrongFirmware],
];

for (const [name, fields, event, refusal] of refusalTable) {
  test(`refused and parkable: ${name} (${refusal})`, () => {
    const before = job(fields);
    const decision = decideJobEvent(before, event, definition());
    assert.is(decision.kind, "refused");
    assert.is(decision.kind === "refused" && decision.refusal, refusal);
    assert.ok(decision.kind === "refused" && decision.reason.length > 0);
  });
}

test("within the step a sequence may skip lost reports; exactly the step is accepted", () => {
  const current = job({ state: "IN_PROGRESS", substate: "DOWNLOADING", lastSequence: 7 });
  assert.is(stateOf(decideJobEvent(current, report("INSTALLING", 7 + MAX_SEQUENCE_STEP), definition())), "IN_PROGRESS/INSTALLING");
  assert.is(stateOf(decideJobEvent(job(), report("DOWNLOADING", MAX_SEQUENCE_STEP), definition())), "IN_PROGRESS/DOWNLOADING");
});

test("a refused jump leaves the job as it was: the genuine next report still applies", () => {
  const current = job({ state: "IN_PROGRESS", substate: "DOWNLOADING", lastSequence: 2 });
  assert.is(decideJobEvent(current, report("SUCCEEDED", Number.MAX_SAFE_INTEGER), definition()).kind, "refused");
  assert.is(stateOf(decideJobEvent(current, report("INSTALLING", 3), definition())), "IN_PROGRESS/INSTALLING");
});

test("SUCCEEDED with the target firmware is applied", () => {
  const verifying = job({ state: "IN_PROGRESS", substate: "VERIFYING", lastSequence: 3 });
  const decision = decideJobEvent(verifying, firmwareReport("SUCCEEDED", 4, "2.4.0"), definition());
  assert.is(stateOf(decision), "SUCCEEDED");
  assert.is(decision.kind === "applied" && decision.job.firmwareVersion, "2.4.0");
});

test("a wrong-firmware SUCCEEDED is refused even on a job that already finished (never silently ignored)", () => {
  const done = job({ state: "SUCCEEDED", lastSequence: 4 });
  const decision = decideJobEvent(done, firmwareReport("SUCCEEDED", 5, "2.3.1"), definition());
  assert.is(decision.kind === "refused" && decision.refusal, REPORT_REFUSAL.WrongFirmware);
});

test("sequences count per attempt: after a retry an agent that starts again from 1 reports again", () => {
  const failed = job({ state: "FAILED", attempt: 1, lastSequence: 6, nextRetryAt: T0.toISOString() });
  const retried = decideJobEvent(failed, { type: "retry", manual: false, cause: "ticker", at: minutesAfter(1) }, definition());
  assert.is(retried.kind, "applied");
  if (retried.kind !== "applied") return;
  assert.is(retried.job.attempt, 2);
  assert.is(retried.job.lastSequence, -1);
  assert.is(retried.job.priorSequence, 6);
  const restarted = decideJobEvent(retried.job, report("DOWNLOADING", 1, minutesAfter(2), 2), definition());
  assert.is(stateOf(restarted), "IN_PROGRESS/DOWNLOADING");
  const continued = decideJobEvent(retried.job, report("DOWNLOADING", 7, minutesAfter(2), 2), definition());
  assert.is(stateOf(continued), "IN_PROGRESS/DOWNLOADING", "an agent that keeps counting across attempts is not a jump");
  const farContinued = decideJobEvent({ ...retried.job, priorSequence: 5_000 }, report("DOWNLOADING", 5_001, minutesAfter(2), 2), definition());
  assert.is(stateOf(farContinued), "IN_PROGRESS/DOWNLOADING");
});

test("within an attempt a repeated or older sequence is ignored, not refused (at-least-once delivery)", () => {
  const current = job({ state: "IN_PROGRESS", substate: "INSTALLING", attempt: 2, lastSequence: 5 });
  assert.is(decideJobEvent(current, report("INSTALLING", 5, minutesAfter(1), 2), definition()).kind, "ignored");
  assert.is(decideJobEvent(current, report("DOWNLOADING", 4, minutesAfter(1), 2), definition()).kind, "ignored");
});

test("the job keeps its transitions in order, bounded to the last JOB_HISTORY_LIMIT", () => {
  let current = job({ history: [] });
  for (let sequence = 0; sequence < JOB_HISTORY_LIMIT + 10; sequence++) {
    const decision = decideJobEvent(current, report(sequence % 2 === 0 ? "DOWNLOADING" : "INSTALLING", sequence), definition());
    if (decision.kind === "applied") current = decision.job;
  }
  assert.is(current.history.length, JOB_HISTORY_LIMIT);
  assert.is(current.history.at(-1)?.cause, `report#${JOB_HISTORY_LIMIT + 9}`);
});

test.run();
