import { test } from "uvu";
import * as assert from "uvu/assert";
import { COMMAND_CLOCK_ALLOWANCE_MS, commandStaleness, staleCommandReason } from "../../../campaigns/command-staleness.js";
import { memoryCampaignStore } from "../../../campaigns/store/index.js";
import type { RevisionedTransition } from "../../../campaigns/store/campaign-store.js";
import { T0, definition, minutesAfter } from "./support/factories.js";

type Command = "start" | "pause" | "resume" | "cancel" | "retry-failed";

/** One recorded transition at `minutes` after T0, written at `revision`. */
const change = (revision: number, from: string, to: string, minutes: number, cause = "ticker"): RevisionedTransition => ({
  revision,
  from,
  to,
  at: minutesAfter(minutes).toISOString(),
  reason: `${from} → ${to}`,
  cause,
});

/** The history a campaign has after: created (0), started (1), a wave opened (2), paused by bob at +60 (3). */
const history: RevisionedTransition[] = [
  change(0, "", "DRAFT", 0, "create"),
  change(1, "DRAFT", "RUNNING", 0, "start by alice"),
  change(2, "RUNNING", "RUNNING", 30),
  change(3, "RUNNING", "PAUSED", 60, "pause by bob"),
];
const byRevision = (command: Command, expectedRevision: number) =>
  staleCommandReason({ command, requestedAt: T0.toISOString(), expectedRevision }, history.filter((record) => record.revision > expectedRevision));

test("with expectedRevision: a change of state after the revision the sender read makes a moving command stale, naming the change", () => {
  const reason = byRevision("resume", 2);
  assert.ok(reason);
  assert.match(reason, "stale: the campaign changed state after it was requested (revision 2): RUNNING → PAUSED at 2026-11-26T19:00:00.000Z [pause by bob]");
  assert.match(byRevision("retry-failed", 1) ?? "", "(revision 1): RUNNING → PAUSED", "the wave opening in between is no change of state; the pause is");
});

test("with expectedRevision: nothing after the revision read, or only a wave opening, leaves the command to the state machine", () => {
  assert.is(byRevision("resume", 3), undefined);
  assert.is(staleCommandReason({ command: "pause", requestedAt: T0.toISOString(), expectedRevision: 1 }, [change(2, "RUNNING", "RUNNING", 30)]), undefined);
});

test("the sender's clock does not matter with expectedRevision: a command stamped hours behind at the current revision is current", () => {
  assert.is(staleCommandReason({ command: "resume", requestedAt: "2026-11-26T08:00:00.000Z", expectedRevision: 3 }, []), undefined);
});

test("a stopping command (pause, cancel) is overtaken only by a change that set the campaign moving again", () => {
  const resumed = [change(4, "PAUSED", "RUNNING", 90, "resume by carol")];
  assert.match(staleCommandReason({ command: "pause", requestedAt: T0.toISOString(), expectedRevision: 3 }, resumed) ?? "", "PAUSED → RUNNING");
  assert.match(staleCommandReason({ command: "cancel", requestedAt: T0.toISOString(), expectedRevision: 3 }, resumed) ?? "", "PAUSED → RUNNING");
  // An automatic pause (or an abort, a completion) after the read: the cancel still applies, the state machine judges the rest.
  assert.is(byRevision("cancel", 2), undefined);
  assert.is(staleCommandReason({ command: "cancel", requestedAt: T0.toISOString(), expectedRevision: 2 }, [change(3, "RUNNING", "COMPLETED", 60)]), undefined);
});

test("neither the campaign's creation nor its scheduled start (SCHEDULED → RUNNING) overtakes a command", () => {
  const scheduled = [change(0, "", "DRAFT", 0, "create"), change(1, "DRAFT", "SCHEDULED", 0, "start by alice"), change(2, "SCHEDULED", "RUNNING", 120)];
  assert.is(staleCommandReason({ command: "pause", requestedAt: T0.toISOString(), expectedRevision: 1 }, scheduled.slice(2)), undefined);
  assert.is(staleCommandReason({ command: "retry-failed", requestedAt: T0.toISOString(), expectedRevision: 1 }, scheduled.slice(2)), undefined);
  assert.is(staleCommandReason({ command: "start", requestedAt: minutesAfter(-60).toISOString() }, scheduled.slice(0, 1)), undefined);
});

test("without expectedRevision: requestedAt decides, with an allowance for the sender's clock running behind", () => {
  const legacy = (command: Command, requestedMinutes: number) =>
    staleCommandReason({ command, requestedAt: minutesAfter(requestedMinutes).toISOString() }, history);
  // Requested at +5, paused at +60: stale.
  assert.match(legacy("resume", 5) ?? "", "(at 2026-11-26T18:05:00.000Z): RUNNING → PAUSED");
  // Requested one minute after an automatic pause at +60 by a clock four minutes behind: stamped +57, still current.
  assert.is(legacy("resume", 57), undefined);
  // The allowance is the whole margin: a pause just past it counts.
  const allowanceMinutes = COMMAND_CLOCK_ALLOWANCE_MS / 60_000;
  assert.ok(legacy("resume", 60 - allowanceMinutes - 0.01));
  assert.is(legacy("resume", 60 - allowanceMinutes), undefined);
});

test("without expectedRevision: a requestedAt that is not a time is refused, not waved through", () => {
  assert.match(staleCommandReason({ command: "resume", requestedAt: "yesterday" }, history) ?? "", 'requestedAt "yesterday" is not a time');
});

test("commandStaleness reads nothing at the expected revision, the changes after it otherwise, and refuses a revision the campaign never had", async () => {
  const store = memoryCampaignStore();
  const created = await store.campaigns.create(definition(), { now: T0.toISOString() });
  const running = await store.campaigns.saveChange(created, { ...created, state: "RUNNING" }, change(1, "DRAFT", "RUNNING", 0, "start by alice"));
  const paused = await store.campaigns.saveChange(running, { ...running, state: "PAUSED" }, change(2, "RUNNING", "PAUSED", 60, "pause by bob"));
  const resume = (expectedRevision: number) => ({ command: "resume" as const, requestedAt: T0.toISOString(), expectedRevision });

  assert.equal((await store.campaigns.changesSince(created.campaignId, 0)).map((record) => [record.revision, record.to]), [[1, "RUNNING"], [2, "PAUSED"]]);
  assert.is(await commandStaleness(store.campaigns, paused, resume(2)), undefined);
  assert.match((await commandStaleness(store.campaigns, paused, resume(1))) ?? "", "RUNNING → PAUSED");
  assert.match((await commandStaleness(store.campaigns, paused, resume(9))) ?? "", "names campaign revision 9, but the campaign is at revision 2");
});

test.run();
