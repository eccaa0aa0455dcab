import { test } from "uvu";
import * as assert from "uvu/assert";
import { countOutcome, criteriaStanding, crossedCriterion, decideCampaignCommand, decideRollout, waveCapacity } from "../../../campaigns/campaign-machine.js";
import { decideJobEvent, type JobEvent } from "../../../campaigns/job-machine.js";
import { emptyJobCounts, type Campaign, type CampaignState, type OutcomeTotals } from "../../../campaigns/model.js";
import type { OperatorCommand } from "../../../contracts/update-messages.js";
import { T0, campaign, definition, job, minutesAfter } from "./support/factories.js";

type Command = Exclude<OperatorCommand, "tick">;
const context = { at: T0, cause: "cli:test" };
const outcomeOf = (decision: ReturnType<typeof decideCampaignCommand>) => (decision.kind === "applied" ? decision.campaign.state : "refused");

const commandTable: Array<[CampaignState, Command, string]> = [
  ["DRAFT", "start", "RUNNING"],
  ["DRAFT", "pause", "refused"],
  ["DRAFT", "resume", "refused"],
  ["DRAFT", "cancel", "CANCELED"],
  ["DRAFT", "retry-failed", "refused"],
  ["SCHEDULED", "start", "refused"],
  ["SCHEDULED", "pause", "PAUSED"],
  ["SCHEDULED", "cancel", "CANCELED"],
  ["RUNNING", "start", "refused"],
  ["RUNNING", "pause", "PAUSED"],
  ["RUNNING", "resume", "refused"],
  ["RUNNING", "cancel", "CANCELED"],
  ["RUNNING", "retry-failed", "RUNNING"],
  ["PAUSED", "resume", "RUNNING"],
  ["PAUSED", "pause", "refused"],
  ["PAUSED", "cancel", "CANCELED"],
  ["PAUSED", "retry-failed", "PAUSED"],
  ["COMPLETED", "retry-failed", "RUNNING"],
  ["COMPLETED", "cancel", "refused"],
  ["COMPLETED", "resume", "refused"],
  ["ABORTED", "resume", "refused"],
  ["ABORTED", "retry-failed", "refused"],
  ["CANCELED", "start", "refused"],
  ["CANCELED", "resume", "refused"],
];

for (const [from, command, expected] of commandTable) {
  test(`${command} on ${from} → ${expected}`, () => {
    assert.is(outcomeOf(decideCampaignCommand(campaign({ state: from, waveIndex: from === "DRAFT" ? -1 : 0 }), command, context)), expected);
  });
}

test("start opens the first wave and records who and why", () => {
  const decision = decideCampaignCommand(campaign(), "start", { ...context, reason: "go" });
  assert.is(decision.kind, "applied");
  if (decision.kind !== "applied") return;
  assert.is(decision.campaign.waveIndex, 0);
  assert.is(decision.campaign.waveOpenedAt, T0.toISOString());
  assert.equal(decision.record, { from: "DRAFT", to: "RUNNING", at: T0.toISOString(), reason: "go", cause: "cli:test" });
});

test("start with a future startAt schedules; the tick starts it once the time comes", () => {
  const scheduled = decideCampaignCommand(campaign({}, { startAt: minutesAfter(60).toISOString() }), "start", context);
  assert.is(outcomeOf(scheduled), "SCHEDULED");
  if (scheduled.kind !== "applied") return;
  const before = decideRollout(scheduled.campaign, { at: minutesAfter(59), pendingRetries: 0, waitingAdmissible: 0, cutShort: false });
  const after = decideRollout(scheduled.campaign, { at: minutesAfter(60), pendingRetries: 0, waitingAdmissible: 0, cutShort: false });
  assert.is(before.kind, "unchanged");
  assert.is(after.kind === "applied" ? after.campaign.state : "", "RUNNING");
});

test("resume sets the criteria baseline to the vehicles' outcomes so far and starts a new epoch", () => {
  const vehicleOutcomes: OutcomeTotals = { succeeded: 3, failed: 4, timedOut: 1, rolledBack: 0, rejected: 0 };
  const outcomes: OutcomeTotals = { succeeded: 3, failed: 9, timedOut: 5, rolledBack: 0, rejected: 0 };
  const decision = decideCampaignCommand(campaign({ state: "PAUSED", waveIndex: 0, outcomes, vehicleOutcomes, outcomesEpoch: 2 }), "resume", context);
  assert.equal(decision.kind === "applied" ? [decision.campaign.outcomesBaseline, decision.campaign.outcomesEpoch] : undefined, [vehicleOutcomes, 3]);
});

const capacityTable: Array<[string, number, number, number]> = [
  ["1% of 1000", 1, 1000, 10],
  ["1% of 50 rounds up", 1, 50, 1],
  ["10% of 1000", 10, 1000, 100],
  ["100% admits everyone, even vehicles not seen yet", 100, 1234, Number.MAX_SAFE_INTEGER],
];
for (const [name, percent, eligible, expected] of capacityTable) {
  test(`wave capacity: ${name} → ${expected}`, () => {
    assert.is(waveCapacity(definition({ waves: [{ percent }] }), 0, eligible), expected);
  });
}

test("wave capacity by count ignores the eligible total", () => {
  assert.is(waveCapacity(definition({ waves: [{ count: 25 }, { percent: 100 }] }), 0, 1000), 25);
});

function running(overrides: Partial<Campaign> = {}): Campaign {
  return campaign(
    { state: "RUNNING", waveIndex: 0, waveOpenedAt: T0.toISOString(), eligible: 100, admitted: 10, ...overrides },
    {
      waves: [{ percent: 10, soakMinutes: 30, successThresholdPercent: 90 }, { percent: 100, soakMinutes: 0 }],
      abortCriteria: [
        { failureKind: "ANY", thresholdPercent: 20, minimumSample: 10, action: "PAUSE" },
        { failureKind: "ROLLED_BACK", thresholdPercent: 10, minimumSample: 10, action: "ABORT" },
      ],
    },
  );
}

function countsWith(values: Partial<Record<keyof ReturnType<typeof emptyJobCounts>, number>>) {
  return { ...emptyJobCounts(), ...values };
}

test("the next wave waits for the soak time even when every job succeeded", () => {
  const campaignNow = running({ counts: countsWith({ SUCCEEDED: 10 }), vehicleOutcomes: { succeeded: 10, failed: 0, timedOut: 0, rolledBack: 0, rejected: 0 } });
  assert.is(decideRollout(campaignNow, { at: minutesAfter(29), pendingRetries: 0, waitingAdmissible: 0, cutShort: false }).kind, "unchanged");
  const opened = decideRollout(campaignNow, { at: minutesAfter(30), pendingRetries: 0, waitingAdmissible: 0, cutShort: false });
  assert.is(opened.kind === "applied" ? opened.campaign.waveIndex : -1, 1);
});

test("the next wave waits for the success threshold after the soak", () => {
  const campaignNow = running({ counts: countsWith({ SUCCEEDED: 8, IN_PROGRESS: 2 }), vehicleOutcomes: { succeeded: 8, failed: 0, timedOut: 0, rolledBack: 0, rejected: 0 } });
  const decision = decideRollout(campaignNow, { at: minutesAfter(60), pendingRetries: 0, waitingAdmissible: 0, cutShort: false });
  assert.is(decision.kind, "unchanged");
  assert.match(decision.kind === "unchanged" ? decision.reason : "", /80\.0% succeeded, needs 90%/);
});

test("a failure rate above the threshold pauses only once the minimum sample finished", () => {
  const belowSample = running({ vehicleOutcomes: { succeeded: 5, failed: 4, timedOut: 0, rolledBack: 0, rejected: 0 } });
  const atSample = running({ vehicleOutcomes: { succeeded: 6, failed: 4, timedOut: 0, rolledBack: 0, rejected: 0 } });
  assert.is(crossedCriterion(belowSample), undefined);
  const decision = decideRollout(atSample, { at: minutesAfter(1), pendingRetries: 0, waitingAdmissible: 0, cutShort: false });
  assert.is(decision.kind === "applied" ? decision.campaign.state : "", "PAUSED");
  assert.match(decision.kind === "applied" ? decision.record.reason : "", /ANY at 40\.0% \(4\/10\)/);
});

test("timeouts count as failures for the ANY criterion", () => {
  const decision = decideRollout(running({ vehicleOutcomes: { succeeded: 7, failed: 0, timedOut: 3, rolledBack: 0, rejected: 0 } }), { at: minutesAfter(1), pendingRetries: 0, waitingAdmissible: 0, cutShort: false });
  assert.is(decision.kind === "applied" ? decision.campaign.state : "", "PAUSED");
});

test("an ABORT criterion wins over a PAUSE one crossed at the same time", () => {
  const decision = decideRollout(running({ vehicleOutcomes: { succeeded: 6, failed: 2, timedOut: 0, rolledBack: 2, rejected: 0 } }), { at: minutesAfter(1), pendingRetries: 0, waitingAdmissible: 0, cutShort: false });
  assert.is(decision.kind === "applied" ? decision.campaign.state : "", "ABORTED");
});

test("a rate below every threshold keeps rolling", () => {
  assert.is(crossedCriterion(running({ vehicleOutcomes: { succeeded: 90, failed: 5, timedOut: 3, rolledBack: 1, rejected: 0 } })), undefined);
});

test("a timeout counted before the resume and replaced by its late success after it counts as nothing since, not as minus one", () => {
  const baseline = { succeeded: 6, failed: 0, timedOut: 4, rolledBack: 0, rejected: 0 };
  // Since the resume: 5 succeeded (one of them replacing a timeout from before), 3 failed: 3 of 8 (37.5%), not 3 of 7.
  const resumed = running({ vehicleOutcomes: { succeeded: 11, failed: 3, timedOut: 3, rolledBack: 0, rejected: 0 }, outcomesBaseline: baseline });
  const any = criteriaStanding(resumed).find((standing) => standing.criterion.failureKind === "ANY")!;
  assert.equal([any.failures, any.finished], [3, 8]);
});

test("criteria judge only outcomes since the last resume", () => {
  const outcomes = { succeeded: 6, failed: 4, timedOut: 0, rolledBack: 0, rejected: 0 };
  const resumed = running({ vehicleOutcomes: { ...outcomes, succeeded: 10 }, outcomesBaseline: outcomes });
  assert.is(crossedCriterion(resumed), undefined);
});

test("the last wave completes only when no job moves and no retry is pending", () => {
  const lastWave = running({ waveIndex: 1, admitted: 100, counts: countsWith({ SUCCEEDED: 98, FAILED: 2 }), vehicleOutcomes: { succeeded: 98, failed: 2, timedOut: 0, rolledBack: 0, rejected: 0 } });
  assert.is(decideRollout(lastWave, { at: minutesAfter(1), pendingRetries: 2, waitingAdmissible: 0, cutShort: false }).kind, "unchanged");
  assert.is(decideRollout({ ...lastWave, counts: countsWith({ SUCCEEDED: 97, DEFERRED: 1, FAILED: 2 }) }, { at: minutesAfter(1), pendingRetries: 0, waitingAdmissible: 0, cutShort: false }).kind, "unchanged");
  const done = decideRollout(lastWave, { at: minutesAfter(1), pendingRetries: 0, waitingAdmissible: 0, cutShort: false });
  assert.is(done.kind === "applied" ? done.campaign.state : "", "COMPLETED");
  assert.match(done.kind === "applied" ? done.record.reason : "", /98 SUCCEEDED, 2 FAILED/);
});

test("the last wave does not complete while a waiting vehicle has room in it: unchanged, saying why", () => {
  // Soaked, nothing moving, no retry pending; 2 of the 102 eligible vehicles wait and the 100% wave has room for them.
  const lastWave = running({ waveIndex: 1, eligible: 102, admitted: 100, counts: countsWith({ SUCCEEDED: 100 }) });
  const decision = decideRollout(lastWave, { at: minutesAfter(1), pendingRetries: 0, waitingAdmissible: 2, cutShort: false });
  assert.is(decision.kind, "unchanged");
  assert.is(decision.kind === "unchanged" ? decision.reason : "", "2 waiting vehicles with room in the last wave, to admit before completing");
  // The same campaign with nobody left waiting completes.
  const done = decideRollout({ ...lastWave, eligible: 100 }, { at: minutesAfter(1), pendingRetries: 0, waitingAdmissible: 0, cutShort: false });
  assert.is(done.kind === "applied" ? done.record.reason : "", "completed: 100 SUCCEEDED");
});

test("a waiting vehicle holds the last wave open whatever else does: the reason names every hold", () => {
  const lastWave = running({ waveIndex: 1, eligible: 12, admitted: 10, counts: countsWith({ SUCCEEDED: 9, QUEUED: 1 }) });
  const decision = decideRollout(lastWave, { at: minutesAfter(1), pendingRetries: 1, waitingAdmissible: 1, cutShort: true });
  assert.is(
    decision.kind === "unchanged" ? decision.reason : "",
    "1 jobs moving, 1 retries pending; 1 waiting vehicle with room in the last wave, to admit before completing; tick cut short before it saw every job; the next tick decides",
  );
});

const fullLastWaves: Array<[string, Campaign]> = [
  // count: 100 of 100 admitted, 3 more waiting.
  ["count", campaign({ state: "RUNNING", waveIndex: 1, waveOpenedAt: T0.toISOString(), eligible: 103, admitted: 100, counts: countsWith({ SUCCEEDED: 100 }) }, { waves: [{ count: 10 }, { count: 100 }] })],
  // percent: 50% of 200 eligible is 100, all admitted.
  ["percent", campaign({ state: "RUNNING", waveIndex: 1, waveOpenedAt: T0.toISOString(), eligible: 200, admitted: 100, counts: countsWith({ SUCCEEDED: 100 }) }, { waves: [{ percent: 10 }, { percent: 50 }] })],
];
for (const [size, full] of fullLastWaves) {
  test(`a last wave full by its ${size} completes with vehicles still waiting (none admissible); the reason counts them`, () => {
    // Even a ticker that listed waiting vehicles (a stale count) does not hold a full wave open: clamped to its room.
    const decision = decideRollout(full, { at: minutesAfter(1), pendingRetries: 0, waitingAdmissible: 3, cutShort: false });
    assert.is(decision.kind === "applied" ? decision.campaign.state : decision.kind, "COMPLETED");
    const left = full.eligible - full.admitted;
    assert.is(decision.kind === "applied" ? decision.record.reason : "", `completed: 100 SUCCEEDED; ${left} eligible vehicles not admitted (the last wave is full)`);
  });
}

test("a percent last wave that grew room with its eligible vehicles holds for the waiting ones it can admit, not for more", () => {
  // 50% of 202 rounds up to 101: room for one of the two waiting.
  const grown = campaign(
    { state: "RUNNING", waveIndex: 1, waveOpenedAt: T0.toISOString(), eligible: 202, admitted: 100, counts: countsWith({ SUCCEEDED: 100 }) },
    { waves: [{ percent: 10 }, { percent: 50 }] },
  );
  const decision = decideRollout(grown, { at: minutesAfter(1), pendingRetries: 0, waitingAdmissible: 2, cutShort: false });
  assert.is(decision.kind === "unchanged" ? decision.reason : "", "1 waiting vehicle with room in the last wave, to admit before completing");
});

test("a tick cut short before it saw every job completes nothing (its pending retries may be undercounted); it still opens waves", () => {
  const lastWave = running({ waveIndex: 1, admitted: 100, counts: countsWith({ SUCCEEDED: 98, FAILED: 2 }) });
  const cut = decideRollout(lastWave, { at: minutesAfter(1), pendingRetries: 0, waitingAdmissible: 0, cutShort: true });
  assert.is(cut.kind === "unchanged" ? cut.reason : "", "tick cut short before it saw every job; the next tick decides");
  const firstWave = running({ counts: countsWith({ SUCCEEDED: 10 }) });
  const opened = decideRollout(firstWave, { at: minutesAfter(30), pendingRetries: 0, waitingAdmissible: 0, cutShort: true });
  assert.is(opened.kind === "applied" ? opened.campaign.waveIndex : -1, 1);
});

/** Runs one vehicle's job through events, applying each decision's counts to the campaign as the store does. */
function countVehicle(start: Campaign, events: readonly JobEvent[], limits = definition({ retries: { max: 10, backoffBaseSeconds: 60, backoffCapSeconds: 60 } })): Campaign {
  let current = job({ attemptQueuedAt: T0.toISOString() });
  const counted = structuredClone(start);
  for (const event of events) {
    const decision = decideJobEvent(current, event, limits);
    if (decision.kind !== "applied") continue;
    const { count, job: next } = countOutcome(current, decision, counted.outcomesEpoch);
    for (const [totals, delta] of [[counted.outcomes, count.outcomes], [counted.vehicleOutcomes, count.vehicleOutcomes], [counted.outcomesBaseline, count.baseline]] as const) {
      for (const [kind, amount] of Object.entries(delta)) totals[kind as keyof OutcomeTotals] += amount;
    }
    current = next;
  }
  return counted;
}
const attemptEvents = (attempt: number, status: "FAILED" | "SUCCEEDED"): JobEvent[] => [
  { type: "report", status, attempt, sequence: 1, firmwareVersion: status === "SUCCEEDED" ? "2.4.0" : "2.3.1", at: minutesAfter(attempt * 3) },
  { type: "retry", manual: false, cause: "ticker", at: minutesAfter(attempt * 3 + 2) },
];

test("criteria weigh a vehicle once: failing all retries.max + 1 attempts is one failure, failing then succeeding one success", () => {
  const failingEvery = countVehicle(running(), Array.from({ length: 11 }, (_, index) => attemptEvents(index + 1, "FAILED")).flat());
  assert.equal([failingEvery.vehicleOutcomes.failed, failingEvery.outcomes.failed], [1, 11]);
  const recovered = countVehicle(running(), [...attemptEvents(1, "FAILED"), ...attemptEvents(2, "SUCCEEDED")]);
  assert.equal([recovered.vehicleOutcomes.failed, recovered.vehicleOutcomes.succeeded], [0, 1]);
  // Nine good vehicles and that one: 1 of 10 (10%) is below the 20% PAUSE criterion; counted per attempt it was 11 of 20.
  const fleet = { ...failingEvery, vehicleOutcomes: { ...failingEvery.vehicleOutcomes, succeeded: 9 } };
  assert.equal(criteriaStanding(fleet).map((standing) => [standing.failures, standing.finished]), [[1, 10], [0, 10]]);
  assert.is(crossedCriterion(fleet), undefined);
});

test("a vehicle counted before the resume that fails again after it is a failure since the resume, taken out of the baseline", () => {
  const paused = countVehicle(running(), attemptEvents(1, "FAILED"));
  const resumed = decideCampaignCommand({ ...paused, state: "PAUSED" }, "resume", context);
  assert.ok(resumed.kind === "applied");
  assert.equal(resumed.campaign.outcomesBaseline.failed, 1);
  // The same vehicle's second attempt, counted in the new epoch: the baseline gives it back.
  let current = job({ state: "QUEUED", attempt: 2, countedOutcome: "failed", countedEpoch: 0, lastSequence: -1, attemptQueuedAt: T0.toISOString() });
  const decision = decideJobEvent(current, attemptEvents(2, "FAILED")[0]!, definition({ retries: { max: 10, backoffBaseSeconds: 60, backoffCapSeconds: 60 } }));
  assert.ok(decision.kind === "applied");
  const { count, job: next } = countOutcome(current, decision, resumed.campaign.outcomesEpoch);
  current = next;
  assert.equal([count.vehicleOutcomes, count.baseline, current.countedEpoch], [{ failed: 0 }, { failed: -1 }, 1]);
});

for (const state of ["PAUSED", "DRAFT", "COMPLETED", "CANCELED", "ABORTED"] as const) {
  test(`a ${state} campaign does not roll`, () => {
    assert.is(decideRollout(running({ state, vehicleOutcomes: { succeeded: 0, failed: 50, timedOut: 0, rolledBack: 0, rejected: 0 } }), { at: minutesAfter(100), pendingRetries: 0, waitingAdmissible: 0, cutShort: false }).kind, "unchanged");
  });
}

test.run();
