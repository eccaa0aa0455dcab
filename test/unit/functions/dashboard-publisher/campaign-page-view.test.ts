import { test } from "uvu";
import * as assert from "uvu/assert";
import { decideRollout } from "../../../../campaigns/campaign-machine.js";
import { JOB_STATES } from "../../../../campaigns/model.js";
import {
  hasCampaignPage,
  parseWaveOpened,
  reasonKey,
  SERIES_STATES,
  shapeCampaignPage,
  thinSeries,
} from "../../../../functions/dashboard-publisher/campaign-page-view.js";
import { campaign } from "../../campaigns/support/factories.js";
import { campaignPageDocument, campaignPageInput } from "./support/factories.js";

const now = new Date("2026-11-26T18:00:00.000Z");

test("reads the ticker's own 'wave opened' reason: wave number and success share at the gate", () => {
  const running = campaign(
    { state: "RUNNING", waveIndex: 0, waveOpenedAt: "2026-11-26T17:00:00.000Z", eligible: 100, admitted: 10, counts: { ...campaign().counts, SUCCEEDED: 10 } },
    { waves: [{ percent: 10, soakMinutes: 30 }, { percent: 100 }] },
  );

  const decision = decideRollout(running, { at: now, pendingRetries: 0, waitingAdmissible: 0, cutShort: false });

  assert.is(decision.kind, "applied");
  assert.equal(parseWaveOpened(decision.kind === "applied" ? decision.record.reason : ""), { number: 2, gatePercent: 100 });
  assert.is(parseWaveOpened("paused by operator"), undefined);
});

test("puts the waves on a time line: passed ones with their gate, the open one live, the rest pending", () => {
  const input = campaignPageInput(now, 1000);

  const { waves } = shapeCampaignPage(input, undefined, now);

  assert.equal(waves.map((wave) => wave.status), ["passed", "passed", "open", "pending"]);
  assert.equal(waves.map((wave) => wave.size), ["1 %", "10 %", "50 %", "100 %"]);
  assert.is(waves[0]!.openedAt, input.campaign.startedAt);
  assert.is(waves[2]!.openedAt, input.campaign.waveOpenedAt);
  assert.equal([waves[0]!.gateSuccessPercent, waves[1]!.gateSuccessPercent], [100, 98]);
  const live = Math.round((input.campaign.counts.SUCCEEDED / input.campaign.admitted) * 1000) / 10;
  assert.is(waves[2]!.gateSuccessPercent, live);
  assert.is(waves[2]!.soakEndsAt, new Date(Date.parse(waves[2]!.openedAt!) + 60 * 60_000).toISOString());
  assert.is(waves[3]!.openedAt, null);
  assert.is(waves[3]!.gateSuccessPercent, null);
});

test("counts failure and deferral reasons, a deferral's several reasons each, per-vehicle numbers folded", () => {
  const input = {
    ...campaignPageInput(now, 1000),
    jobSamples: [
      { state: "DEFERRED" as const, stateReason: "not parked; state of charge 12% below 30%" },
      { state: "DEFERRED" as const, stateReason: "state of charge 7% below 30%" },
      { state: "FAILED" as const, stateReason: "install failed: E_NO_SPACE", nextRetryAt: "2026-11-26T18:10:00.000Z" },
      { state: "FAILED" as const, stateReason: "install failed: E_NO_SPACE" },
      { state: "TIMED_OUT" as const },
    ],
  };

  const doc = shapeCampaignPage(input, undefined, now);

  assert.equal(doc.deferralReasons, [
    { state: "DEFERRED", reason: "state of charge below 30%", count: 2 },
    { state: "DEFERRED", reason: "not parked", count: 1 },
  ]);
  assert.equal(doc.failureReasons, [
    { state: "FAILED", reason: "install failed: E_NO_SPACE", count: 2 },
    { state: "TIMED_OUT", reason: "(no reason recorded)", count: 1 },
  ]);
  assert.equal([doc.retries.waiting, doc.retries.exhausted], [1, 2]);
  assert.is(reasonKey("backing off until 2026-11-26T17:40:00.000Z"), "backing off until …");
});

test("gives retries, timeouts and every abort criterion's value against its threshold", () => {
  const input = campaignPageInput(now, 1000);
  const { outcomes, vehicleOutcomes, counts } = input.campaign;

  const doc = shapeCampaignPage(input, undefined, now);

  assert.is(doc.retries.retried, outcomes.failed + outcomes.timedOut - counts.FAILED - counts.TIMED_OUT);
  assert.equal([doc.retries.max, doc.timeouts.total, doc.timeouts.current], [3, outcomes.timedOut, counts.TIMED_OUT]);
  const finished = Object.values(vehicleOutcomes).reduce((sum, count) => sum + count, 0);
  const any = doc.abortCriteria.find((criterion) => criterion.failureKind === "ANY")!;
  // The fixture resumed after wave 2: criteria count only the vehicles (each once) that finished since.
  assert.ok(any.finished < finished && any.finished > 0, `${any.finished} of ${finished}`);
  assert.is(any.currentPercent, Math.round((any.failures / any.finished) * 1000) / 10);
  assert.equal([any.armed, any.crossed, any.thresholdPercent, any.action], [true, false, 10, "PAUSE"]);
});

test("keeps the state history newest first, with reasons and causes", () => {
  const doc = shapeCampaignPage(campaignPageInput(now, 1000), undefined, now);

  assert.equal(doc.history.map((entry) => entry.to), ["RUNNING", "RUNNING", "PAUSED", "RUNNING", "RUNNING"]);
  assert.match(doc.history[0]!.reason, /^wave 3 opened/);
  assert.is(doc.history[1]!.cause, "resume by ops@example.com");
  assert.is(doc.history[2]!.reason, "checking the ABS calibration report");
  assert.is(doc.history[4]!.from, "DRAFT");
  assert.ok(doc.history.every((entry, index) => index === 0 || doc.history[index - 1]!.at >= entry.at));
});

test("continues the job-state series from the previous document, one point per run, bounded", () => {
  const input = campaignPageInput(now, 1000);
  const first = shapeCampaignPage(input, undefined, new Date(now.getTime() - 60_000));
  const second = shapeCampaignPage(input, first, now);
  const again = shapeCampaignPage(input, second, now);

  assert.equal(second.jobSeries.states, [...SERIES_STATES]);
  assert.is(second.jobSeries.points.length, 2);
  assert.is(again.jobSeries.points.length, 2, "a second run in the same second replaces, not appends");
  const last = second.jobSeries.points[1]!;
  assert.is(last[0], now.getTime() / 1000);
  assert.is(last[1 + JOB_STATES.indexOf("SUCCEEDED")], input.campaign.counts.SUCCEEDED);
  assert.is(last[SERIES_STATES.length], input.campaign.eligible - input.campaign.admitted);
});

test("thins the older half of a long series and always keeps the newest point", () => {
  const points = Array.from({ length: 500 }, (_, index) => [index, index]);

  const thinned = thinSeries(points, 180);

  assert.ok(thinned.length <= 180, String(thinned.length));
  assert.equal(thinned.at(-1), [499, 499]);
  assert.equal(thinned[0], [0, 0]);
  assert.ok(thinned.every((point, index) => index === 0 || point[0]! > thinned[index - 1]![0]!));
});

test("gives a page to every unfinished campaign and to finished ones for a day", () => {
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000).toISOString();

  assert.ok(hasCampaignPage({ state: "RUNNING", updatedAt: at(100) }, now));
  assert.ok(hasCampaignPage({ state: "DRAFT", updatedAt: at(100) }, now));
  assert.ok(hasCampaignPage({ state: "COMPLETED", finishedAt: at(23), updatedAt: at(23) }, now));
  assert.not.ok(hasCampaignPage({ state: "ABORTED", finishedAt: at(25), updatedAt: at(1) }, now));
});

test("stays small at 100,000 vehicles: the page does not grow with the fleet", () => {
  const small = Buffer.byteLength(JSON.stringify(campaignPageDocument(now, 1_000)));
  const large = Buffer.byteLength(JSON.stringify(campaignPageDocument(now, 100_000)));

  assert.ok(large < 24 * 1024, `${large} bytes`);
  // Only the digits of the counts grow.
  assert.ok(large < small * 1.5, `${large} vs ${small} bytes`);
});

test.run();
