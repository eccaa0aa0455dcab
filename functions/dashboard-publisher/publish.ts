import type { CompositeAlarm, MetricAlarm, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import type { Log } from "../../lib/logger.js";
import { shapeAlarms } from "./alarm-view.js";
import { shapeCampaignPage, type CampaignPageInput } from "./campaign-page-view.js";
import { alarmsChangedSince, needsAHandDefaults, shapeNeedsAHand, type NeedsAHandInput, type TargetsCheck } from "./needs-a-hand-view.js";
import { shapeCampaigns, type CampaignSummaryInput } from "./campaign-view.js";
import {
  campaignPageName,
  DASHBOARD_DOCUMENT,
  DASHBOARD_SCHEMA_VERSION,
  type CampaignPageDocument,
  type CampaignPageName,
  type DashboardDocumentKey,
  type DashboardDocumentName,
  type DashboardDocuments,
  type NeedsAHandDocument,
} from "../../contracts/dashboard-documents.js";
import { shapeFleet, type FleetVehicleInput, type FleetViewOptions } from "./fleet-view.js";
import { shapeQueues, type QueueReading } from "./queue-view.js";
import { shapeTelemetry, telemetryWindowDefaults, type TelemetryWindow } from "./telemetry-view.js";
import { decideTrendsRefresh, TRENDS_DECISION } from "./trend-cadence.js";
import { EXPIRING, type PublishedExpiry } from "../../uptane/calendar.js";

/** Where the publisher reads from; sources.ts implements it with the AWS SDK, tests with plain data. */
export interface DashboardSources {
  fleet(): Promise<{ vehicles: Iterable<FleetVehicleInput>; writtenAt?: string | null }>;
  metrics(window: TelemetryWindow): Promise<MetricDataResult[]>;
  campaigns(): Promise<CampaignSummaryInput[]>;
  /** What each campaign that gets a page now needs (active ones, finished ones for a while). */
  campaignPages(now: Date): Promise<CampaignPageInput[]>;
  alarms(): Promise<{ metricAlarms: MetricAlarm[]; compositeAlarms: CompositeAlarm[] }>;
  queues(): Promise<QueueReading[]>;
  /** Parked failures, a look at the DLQs' messages, and the history of the named alarms (each part may fail alone). */
  needsAHand(alarmNames: readonly string[]): Promise<Omit<NeedsAHandInput, "alarms" | "expiry">>;
  /** The published image targets and newest roots, read from the versions already `known` on (their next versions only). */
  expiry(known: readonly PublishedExpiry[]): Promise<PublishedExpiry[]>;
  /**
   * The `published` image targets checked against the image root chain (signatures, as the update manager checks
   * them); null when no targets or root is published. Asked only when either version changed since the last check.
   */
  targetsCheck(published: readonly PublishedExpiry[], now: Date): Promise<TargetsCheck | null>;
}

/** Where the documents go: the dashboard bucket under its data prefix. */
export interface DocumentWriter {
  write(name: DashboardDocumentKey, body: string): Promise<void>;
  /** A document as last written (a campaign page's series and the alarm changes continue from it), undefined when there is none. */
  read(name: DashboardDocumentKey): Promise<string | undefined>;
}

export interface PublishOptions {
  namespace: string;
  lookbackMs: number;
  periodSeconds: number;
  /** Minutes between two refreshes of the telemetry trends (trend-cadence.ts); 1: every run. */
  trendsEveryMinutes: number;
  fleet: Partial<FleetViewOptions>;
  /** Days a parked record is kept (the stack's parkedRetentionDays): the dashboard says when the oldest read expires. */
  parkedRetentionDays: number;
}

export interface PublishReport {
  written: Array<{ name: DashboardDocumentKey; bytes: number }>;
  failed: Array<{ name: DashboardDocumentKey; error: string }>;
  /** Documents this run left as they were, and why (the trends between two refreshes). */
  skipped: Array<{ name: DashboardDocumentKey; reason: string }>;
}

/** One or more documents could not be built or written; the others were published. */
export class DashboardPublishError extends Error {
  override readonly name = "DashboardPublishError";
  constructor(readonly report: PublishReport) {
    super(`dashboard documents not published: ${report.failed.map((failure) => `${failure.name} (${failure.error})`).join("; ")}`);
  }
}

/**
 * Builds every dashboard document from its source and writes it. Sources are read in parallel and
 * independently: one failing source leaves its previous document in place (the page shows it ageing)
 * while the others are still published; the run then throws DashboardPublishError naming it, so the
 * Lambda's error metric and alarm see it. The telemetry trends are read and written only on the runs
 * `decideTrendsRefresh` picks from the scheduled event's time (every `trendsEveryMinutes`); on the
 * others `telemetry.json` stays as it is and no metric is asked for.
 *
 * @example
 * const report = await publishDashboard({ sources, writer, now: new Date(), scheduledTime: "2026-12-02T04:05:00Z", log, options: { namespace: "FleetOTA", trendsEveryMinutes: 5 } });
 * report.written.map((doc) => doc.name); // ["fleet.json", "telemetry.json", …] ("telemetry.json" in report.skipped between refreshes)
 */
export async function publishDashboard(input: {
  sources: DashboardSources;
  writer: DocumentWriter;
  now: Date;
  /** The scheduled event's `time`; undefined for a run by hand (which refreshes everything). */
  scheduledTime?: string;
  log: Log;
  options: Partial<PublishOptions> & Pick<PublishOptions, "namespace">;
}): Promise<PublishReport> {
  const { sources, writer, now, log } = input;
  const options = { ...telemetryWindowDefaults, trendsEveryMinutes: 1, fleet: {}, ...input.options };
  const trends = decideTrendsRefresh({ scheduledTime: input.scheduledTime, everyMinutes: options.trendsEveryMinutes });
  const window: TelemetryWindow = {
    namespace: options.namespace,
    periodSeconds: options.periodSeconds,
    from: new Date(now.getTime() - options.lookbackMs),
    to: now,
  };
  // Read once a run, shared by the documents that show them (the needs-a-hand document adds no read of its own).
  let alarmsRead: ReturnType<DashboardSources["alarms"]> | undefined;
  const readAlarms = () => (alarmsRead ??= sources.alarms());
  let campaignsRead: ReturnType<DashboardSources["campaigns"]> | undefined;
  const readCampaigns = () => (campaignsRead ??= sources.campaigns());
  const builders: { [Name in DashboardDocumentName]: () => Promise<DashboardDocuments[Name]> } = {
    [DASHBOARD_DOCUMENT.Fleet]: async () => shapeFleet(await sources.fleet(), now, options.fleet),
    [DASHBOARD_DOCUMENT.Telemetry]: async () => ({
      ...shapeTelemetry(await sources.metrics(window), window, now),
      refreshEverySeconds: options.trendsEveryMinutes * 60,
    }),
    [DASHBOARD_DOCUMENT.Campaigns]: async () => {
      const doc = shapeCampaigns(await readCampaigns(), now);
      return { ...doc, campaigns: doc.campaigns.map((campaign) => ({ ...campaign, hasPage: paged.has(campaign.campaignId) })) };
    },
    [DASHBOARD_DOCUMENT.Alarms]: async () => {
      const { metricAlarms, compositeAlarms } = await readAlarms();
      return shapeAlarms(metricAlarms, compositeAlarms, now);
    },
    [DASHBOARD_DOCUMENT.NeedsAHand]: async () => {
      const alarms: NeedsAHandInput["alarms"] = await readAlarms().catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
      // Only alarms that changed within the window can have history in it: one history call for each of those.
      const since = new Date(now.getTime() - needsAHandDefaults.alarmChangeWindowMs);
      const names = "error" in alarms ? [] : alarmsChangedSince([...alarms.metricAlarms, ...alarms.compositeAlarms], since);
      const previousRead = writer.read(DASHBOARD_DOCUMENT.NeedsAHand).then(previousDocument<NeedsAHandDocument>, () => undefined);
      // The release calendar changes with a release, a refresh or a rotation: read at the trends' refresh runs
      // (and until a first read), from the versions already known on; carried by the document in between.
      const expiryRead = previousRead.then((previous) =>
        trends.decision === TRENDS_DECISION.Refresh || !previous?.expiry?.readAt
          ? sources.expiry((previous?.expiry?.published ?? []) as PublishedExpiry[]).then(
              (published) => ({ published }),
              (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
            )
          : undefined,
      );
      const checkRead = Promise.all([expiryRead, previousRead]).then(([read, previous]) => checkTargetsIfChanged(sources, read, previous, now));
      const campaignsForHand = readCampaigns().catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
      const [parts, previous, expiry, campaigns, targetsCheck] = await Promise.all([sources.needsAHand(names), previousRead, expiryRead, campaignsForHand, checkRead]);
      const retention = options.parkedRetentionDays === undefined ? {} : { parkedRetentionDays: options.parkedRetentionDays };
      return shapeNeedsAHand({ ...parts, alarms, expiry, campaigns, targetsCheck, ...retention }, previous, now);
    },
    [DASHBOARD_DOCUMENT.Queues]: async () => shapeQueues(await sources.queues(), now),
  };

  const report: PublishReport = { written: [], failed: [], skipped: [] };
  if (trends.decision === TRENDS_DECISION.Skip) report.skipped.push({ name: DASHBOARD_DOCUMENT.Telemetry, reason: trends.reason });
  const due = (Object.keys(builders) as DashboardDocumentName[]).filter((name) => !report.skipped.some((skip) => skip.name === name));
  const paged = await publishCampaignPages(sources, writer, now, log, report);
  await Promise.all(
    due.map(async function buildAndWrite(name) {
      try {
        const body = JSON.stringify(await builders[name]());
        await writer.write(name, body);
        report.written.push({ name, bytes: Buffer.byteLength(body) });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log.error("dashboard document not published", { document: name, error: message });
        report.failed.push({ name, error: message });
      }
    }),
  );
  report.written.sort((a, b) => a.name.localeCompare(b.name));
  report.failed.sort((a, b) => a.name.localeCompare(b.name));
  log.info("dashboard published", { written: report.written, failed: report.failed.length, skipped: report.skipped });
  if (report.failed.length > 0) throw new DashboardPublishError(report);
  return report;
}

/**
 * Checks the published image targets' signatures when the calendar was read this run and the image targets or the
 * newest image root it read is another version than the previous document's check (or there was none): a release,
 * a refresh or a rotation. Otherwise undefined, and the previous check is kept: nothing is read.
 */
async function checkTargetsIfChanged(
  sources: DashboardSources,
  read: { published: readonly PublishedExpiry[] } | { error: string } | undefined,
  previous: NeedsAHandDocument | undefined,
  now: Date,
): Promise<NeedsAHandInput["targetsCheck"]> {
  if (read === undefined || "error" in read) return undefined;
  const version = (what: string) => read.published.find((entry) => entry.what === what)?.version;
  const last = previous?.targets?.check;
  const targets = version(EXPIRING.ImageTargets);
  const root = version(EXPIRING.ImageRoot);
  if (previous?.targets && (last ? last.targetsVersion === targets && last.imageRootVersion === root : targets === undefined || root === undefined)) return undefined;
  return sources.targetsCheck(read.published, now).then(
    (check) => ({ check }),
    (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
  );
}

/** The pattern name a failure of the campaign-page source as a whole is reported under. */
export const CAMPAIGN_PAGES_SOURCE: CampaignPageName = "campaigns/*.json";

/**
 * Writes one page document per campaign that gets one, continuing each page's job-state series from
 * the document written last time. Returns the ids of the campaigns whose page was written.
 */
async function publishCampaignPages(
  sources: DashboardSources,
  writer: DocumentWriter,
  now: Date,
  log: Log,
  report: PublishReport,
): Promise<Set<string>> {
  const paged = new Set<string>();
  let inputs: CampaignPageInput[];
  try {
    inputs = await sources.campaignPages(now);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.error("campaign pages not published", { error: message });
    report.failed.push({ name: CAMPAIGN_PAGES_SOURCE, error: message });
    return paged;
  }
  await Promise.all(
    inputs.map(async function writePage(input) {
      const name = campaignPageName(input.campaign.campaignId);
      try {
        const previous = previousDocument<CampaignPageDocument>(await writer.read(name).catch(() => undefined));
        const body = JSON.stringify(shapeCampaignPage(input, previous, now));
        await writer.write(name, body);
        report.written.push({ name, bytes: Buffer.byteLength(body) });
        paged.add(input.campaign.campaignId);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log.error("campaign page not published", { document: name, error: message });
        report.failed.push({ name, error: message });
      }
    }),
  );
  return paged;
}

/** The previous document, when it is one this publisher wrote (same schema); anything else starts afresh. */
function previousDocument<Doc extends { schemaVersion: number }>(body: string | undefined): Doc | undefined {
  if (body === undefined) return undefined;
  try {
    const parsed = JSON.parse(body) as Partial<Doc>;
    return parsed.schemaVersion === DASHBOARD_SCHEMA_VERSION ? (parsed as Doc) : undefined;
  } catch {
    return undefined;
  }
}
