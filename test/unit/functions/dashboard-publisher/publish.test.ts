import { test } from "uvu";
import * as assert from "uvu/assert";
import { DASHBOARD_DOCUMENT, QUEUE_ROLE } from "../../../../contracts/dashboard-documents.js";
import { DashboardPublishError, publishDashboard, type DashboardSources } from "../../../../functions/dashboard-publisher/publish.js";
import { silentLog } from "../../../../lib/logger.js";
import { campaignPageInput, campaignSummary, fleet, metricAlarm, metricResults, queueReading } from "./support/factories.js";

const now = new Date("2026-11-26T18:00:00.000Z");

function sources(overrides: Partial<DashboardSources> = {}): DashboardSources {
  return {
    fleet: async () => ({ vehicles: fleet(now, { vehicles: 50 }), writtenAt: now.toISOString() }),
    metrics: async () => metricResults(now, 30),
    campaigns: async () => [campaignSummary()],
    alarms: async () => ({ metricAlarms: [metricAlarm({ StateValue: "ALARM" })], compositeAlarms: [] }),
    queues: async () => [queueReading(QUEUE_ROLE.Telemetry, 4)],
    campaignPages: async () => [],
    needsAHand: async () => ({ parked: { failures: [] }, deadLetters: [], alarmHistory: undefined }),
    expiry: async () => [],
    targetsCheck: async () => null,
    ...overrides,
  };
}

function memoryWriter() {
  const written = new Map<string, string>();
  return {
    written,
    writer: { write: async (name: string, body: string) => void written.set(name, body), read: async (name: string) => written.get(name) },
  };
}

test("writes all six documents as JSON stamped with the run's time", async () => {
  // prepare
  const { written, writer } = memoryWriter();
  // act
  const report = await publishDashboard({ sources: sources(), writer, now, log: silentLog, options: { namespace: "FleetOTA" } });
  // assess
  assert.equal([...written.keys()].sort(), Object.values(DASHBOARD_DOCUMENT).sort());
  for (const body of written.values()) assert.is(JSON.parse(body).generatedAt, now.toISOString());
  assert.is(JSON.parse(written.get(DASHBOARD_DOCUMENT.Fleet)!).totals.vehicles, 50);
  assert.is(JSON.parse(written.get(DASHBOARD_DOCUMENT.Alarms)!).counts.ALARM, 1);
  assert.is(report.written.length, 6);
  assert.ok(report.written.every((entry) => entry.bytes === Buffer.byteLength(written.get(entry.name)!)));
});

test("shows the campaigns owing withdrawals in needs-a-hand from the campaigns read once for the run (no read of its own)", async () => {
  const { written, writer } = memoryWriter();
  let reads = 0;
  const campaigns = async () => (reads++, [campaignSummary(), campaignSummary({ campaignId: "c-canceled", name: "Canceled", state: "CANCELED", withdrawalsOwed: 4 })]);

  await publishDashboard({ sources: sources({ campaigns }), writer, now, log: silentLog, options: { namespace: "FleetOTA", parkedRetentionDays: 14 } });

  const hand = JSON.parse(written.get(DASHBOARD_DOCUMENT.NeedsAHand)!);
  assert.is(reads, 1);
  assert.equal(hand.withdrawals.campaigns.map((entry: { campaignId: string; owed: number }) => [entry.campaignId, entry.owed]), [["c-canceled", 4]]);
  assert.is(hand.parked.retentionDays, 14);
  assert.is(JSON.parse(written.get(DASHBOARD_DOCUMENT.Campaigns)!).campaigns.find((entry: { campaignId: string }) => entry.campaignId === "c-canceled").withdrawalsOwed, 4);
});

test("a failed campaign read is named in needs-a-hand's errors; the rest of it is published", async () => {
  const { written, writer } = memoryWriter();

  await publishDashboard({ sources: sources({ campaigns: async () => Promise.reject(new Error("ProvisionedThroughputExceededException")) }), writer, now, log: silentLog, options: { namespace: "FleetOTA" } }).catch(() => undefined);

  const hand = JSON.parse(written.get(DASHBOARD_DOCUMENT.NeedsAHand)!);
  assert.equal(hand.errors, ["campaigns: ProvisionedThroughputExceededException"]);
  assert.is(hand.withdrawals, undefined);
});

test("reads the alarm history only of the alarms that changed in the last day", async () => {
  let askedFor: readonly string[] | undefined;
  const { writer } = memoryWriter();
  const alarms = [
    metricAlarm({ AlarmName: "recent", StateUpdatedTimestamp: new Date(now.getTime() - 3_600_000) }),
    metricAlarm({ AlarmName: "quiet-for-a-week", StateUpdatedTimestamp: new Date(now.getTime() - 7 * 24 * 3_600_000) }),
  ];

  await publishDashboard({
    sources: sources({
      alarms: async () => ({ metricAlarms: alarms, compositeAlarms: [] }),
      needsAHand: async (names) => ((askedFor = names), { parked: { failures: [] }, deadLetters: [], alarmHistory: [] }),
    }),
    writer,
    now,
    log: silentLog,
    options: { namespace: "FleetOTA" },
  });

  assert.equal(askedFor, ["recent"]);
});

test("asks CloudWatch for the configured look-back window", async () => {
  let asked: { from: Date; to: Date; periodSeconds: number } | undefined;
  const { writer } = memoryWriter();

  await publishDashboard({
    sources: sources({ metrics: async (window) => ((asked = window), []) }),
    writer,
    now,
    log: silentLog,
    options: { namespace: "FleetOTA", lookbackMs: 30 * 60_000, periodSeconds: 300 },
  });

  assert.is(asked?.to.getTime(), now.getTime());
  assert.is(asked?.from.getTime(), now.getTime() - 30 * 60_000);
  assert.is(asked?.periodSeconds, 300);
});

/** A run scheduled at `scheduledTime` with the trends every 5 minutes, counting the trend reads. */
async function runWithTrendsEvery5(scheduledTime: string, previousTelemetry?: string) {
  const { written, writer } = memoryWriter();
  if (previousTelemetry !== undefined) written.set(DASHBOARD_DOCUMENT.Telemetry, previousTelemetry);
  let metricReads = 0;
  const counting = sources({ metrics: async () => (metricReads++, metricResults(now, 30)) });
  const report = await publishDashboard({ sources: counting, writer, now, scheduledTime, log: silentLog, options: { namespace: "FleetOTA", trendsEveryMinutes: 5 } });
  return { report, written, metricReads };
}

test("between two refreshes of the trends asks CloudWatch for no metric and leaves telemetry.json as it was", async () => {
  // act: trends every 5 minutes, a run at 18:02 with a document from the last refresh
  const { report, written, metricReads } = await runWithTrendsEvery5("2026-11-26T18:02:00Z", "the last refresh");
  // assess
  assert.is(metricReads, 0);
  assert.is(written.get(DASHBOARD_DOCUMENT.Telemetry), "the last refresh");
  assert.equal(report.skipped.map((entry) => entry.name), [DASHBOARD_DOCUMENT.Telemetry]);
  assert.match(report.skipped[0]!.reason, /next at 18:05/);
  assert.equal(report.written.map((entry) => entry.name).sort(), Object.values(DASHBOARD_DOCUMENT).filter((name) => name !== DASHBOARD_DOCUMENT.Telemetry).sort());
});

test("the run that opens a window refreshes the trends and stamps how often they are refreshed", async () => {
  const { report, written, metricReads } = await runWithTrendsEvery5("2026-11-26T18:05:00Z", "the last refresh");

  assert.is(metricReads, 1);
  assert.equal(report.skipped, []);
  const telemetry = JSON.parse(written.get(DASHBOARD_DOCUMENT.Telemetry)!);
  assert.is(telemetry.generatedAt, now.toISOString());
  assert.is(telemetry.refreshEverySeconds, 300);
});

test("the release calendar is read on a first run and at the trends' refreshes, from the versions known on, and carried in between", async () => {
  const { written, writer } = memoryWriter();
  const asked: unknown[] = [];
  const published = [{ what: "image targets", version: 4, expires: "2026-11-29T00:00:00.000Z" }] as const;
  const counting = sources({ expiry: async (known) => (asked.push(known), [...published]) });
  const run = (scheduledTime: string) => publishDashboard({ sources: counting, writer, now, scheduledTime, log: silentLog, options: { namespace: "FleetOTA", trendsEveryMinutes: 5 } });

  await run("2026-11-26T18:02:00Z"); // first run: no calendar yet, read although between refreshes
  await run("2026-11-26T18:03:00Z"); // between refreshes: carried
  const between = JSON.parse(written.get(DASHBOARD_DOCUMENT.NeedsAHand)!);
  await run("2026-11-26T18:05:00Z"); // refresh: read from the known versions on

  assert.equal(asked, [[], published]);
  assert.equal(between.expiry.warnings.map((warning: { line: string }) => warning.line), ["image targets 4 expire in 2 days (2026-11-29T00:00:00.000Z)"]);
});

test("checks the image targets' signatures only when the targets or the image root the calendar read is a new version", async () => {
  const { written, writer } = memoryWriter();
  let published = [
    { what: "image targets", version: 4, expires: "2026-12-29T00:00:00.000Z" },
    { what: "image root", version: 1, expires: "2027-11-26T00:00:00.000Z" },
  ] as Array<{ what: "image targets" | "image root"; version: number; expires: string }>;
  const checked: number[][] = [];
  const counting = sources({
    expiry: async () => [...published],
    targetsCheck: async (read) => {
      const version = (what: string) => read.find((entry) => entry.what === what)!.version;
      checked.push([version("image targets"), version("image root")]);
      return version("image root") === 2
        ? { targetsVersion: version("image targets"), imageRootVersion: 2, verifies: false, kind: "BELOW_THRESHOLD", message: "targets 4: 0 of 2 signatures", refreshAllowed: true }
        : { targetsVersion: version("image targets"), imageRootVersion: version("image root"), verifies: true, kind: null, message: null, refreshAllowed: false };
    },
  });
  const run = (scheduledTime: string) => publishDashboard({ sources: counting, writer, now, scheduledTime, log: silentLog, options: { namespace: "FleetOTA", trendsEveryMinutes: 5 } });
  const hand = () => JSON.parse(written.get(DASHBOARD_DOCUMENT.NeedsAHand)!);

  await run("2026-11-26T18:00:00Z"); // first run: checked
  await run("2026-11-26T18:05:00Z"); // a refresh run, nothing new: not checked
  assert.equal([hand().targets.check.verifies, hand().targets.held], [true, null]);
  published = [published[0]!, { what: "image root", version: 2, expires: "2027-11-26T00:00:00.000Z" }]; // a release-key rotation
  await run("2026-11-26T18:07:00Z"); // between refreshes: the calendar is not read, nor the targets checked
  await run("2026-11-26T18:10:00Z"); // refresh: the new root is read and the targets checked again
  await run("2026-11-26T18:11:00Z"); // carried

  assert.equal(checked, [[4, 1], [4, 2]]);
  assert.equal([hand().targets.check.verifies, hand().targets.held.cause, hand().targets.held.command], [false, "image-targets-unverifiable", "fleetota release refresh --key <release key>"]);
  assert.match(hand().targets.held.line, /^image targets 4 do not verify under image root 2 \(BELOW_THRESHOLD: targets 4: 0 of 2 signatures\)/);
});

test("publishes the healthy documents and then fails naming the broken source", async () => {
  const { written, writer } = memoryWriter();
  const failing = sources({ campaigns: async () => Promise.reject(new Error("table not found")) });

  const error = await publishDashboard({ sources: failing, writer, now, log: silentLog, options: { namespace: "FleetOTA" } }).then(
    () => undefined,
    (caught: unknown) => caught,
  );

  assert.instance(error, DashboardPublishError);
  assert.match((error as Error).message, /campaigns\.json \(table not found\)/);
  assert.is(written.size, 5);
  assert.not.ok(written.has(DASHBOARD_DOCUMENT.Campaigns));
});

test("reports a document whose write fails", async () => {
  const writer = {
    write: async (name: string) => (name === DASHBOARD_DOCUMENT.Queues ? Promise.reject(new Error("SlowDown")) : undefined),
    read: async () => undefined,
  };

  const error = (await publishDashboard({ sources: sources(), writer, now, log: silentLog, options: { namespace: "FleetOTA" } }).catch(
    (caught: unknown) => caught,
  )) as DashboardPublishError;

  assert.equal(error.report.failed, [{ name: DASHBOARD_DOCUMENT.Queues, error: "SlowDown" }]);
  assert.is(error.report.written.length, 5);
});

test("writes one page per campaign, continues its series from the last one, and links it from the overview", async () => {
  const { written, writer } = memoryWriter();
  const input = campaignPageInput(now, 500);
  const paged = sources({
    campaigns: async () => [campaignSummary({ campaignId: input.campaign.campaignId }), campaignSummary({ campaignId: "c-old" })],
    campaignPages: async () => [input],
  });
  const name = `campaigns/${input.campaign.campaignId}.json`;

  await publishDashboard({ sources: paged, writer, now: new Date(now.getTime() - 60_000), log: silentLog, options: { namespace: "FleetOTA" } });
  const report = await publishDashboard({ sources: paged, writer, now, log: silentLog, options: { namespace: "FleetOTA" } });

  const page = JSON.parse(written.get(name)!);
  const overview = JSON.parse(written.get(DASHBOARD_DOCUMENT.Campaigns)!);
  assert.ok(report.written.some((entry) => entry.name === name));
  assert.is(page.jobSeries.points.length, 2);
  assert.equal(
    overview.campaigns.map((campaign: { campaignId: string; hasPage: boolean }) => [campaign.campaignId, campaign.hasPage]).sort(),
    [[input.campaign.campaignId, true], ["c-old", false]].sort(),
  );
});

test("reports the campaign pages' source failing and still publishes the rest", async () => {
  const { written, writer } = memoryWriter();

  const error = (await publishDashboard({
    sources: sources({ campaignPages: async () => Promise.reject(new Error("throttled")) }),
    writer,
    now,
    log: silentLog,
    options: { namespace: "FleetOTA" },
  }).catch((caught: unknown) => caught)) as DashboardPublishError;

  assert.equal(error.report.failed, [{ name: "campaigns/*.json", error: "throttled" }]);
  assert.is(written.size, 6);
});

test.run();
