import type { CompositeAlarm, MetricAlarm, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import type { Log } from "../../lib/logger.js";
import { shapeAlarms } from "./alarm-view.js";
import { shapeCampaigns, type CampaignSummaryInput } from "./campaign-view.js";
import { DASHBOARD_DOCUMENT, type DashboardDocumentName, type DashboardDocuments } from "../../contracts/dashboard-documents.js";
import { shapeFleet, type FleetVehicleInput, type FleetViewOptions } from "./fleet-view.js";
import { shapeQueues, type QueueReading } from "./queue-view.js";
import { shapeTelemetry, telemetryWindowDefaults, type TelemetryWindow } from "./telemetry-view.js";

/** Where the publisher reads from; sources.ts implements it with the AWS SDK, tests with plain data. */
export interface DashboardSources {
  fleet(): Promise<{ vehicles: Iterable<FleetVehicleInput>; writtenAt?: string | null }>;
  metrics(window: TelemetryWindow): Promise<MetricDataResult[]>;
  campaigns(): Promise<CampaignSummaryInput[]>;
  alarms(): Promise<{ metricAlarms: MetricAlarm[]; compositeAlarms: CompositeAlarm[] }>;
  queues(): Promise<QueueReading[]>;
}

/** Where the documents go: the dashboard bucket under its data prefix. */
export interface DocumentWriter {
  write(name: DashboardDocumentName, body: string): Promise<void>;
}

export interface PublishOptions {
  namespace: string;
  lookbackMs: number;
  periodSeconds: number;
  fleet: Partial<FleetViewOptions>;
}

export interface PublishReport {
  written: Array<{ name: DashboardDocumentName; bytes: number }>;
  failed: Array<{ name: DashboardDocumentName; error: string }>;
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
 * Lambda's error metric and alarm see it.
 *
 * @example
 * const report = await publishDashboard({ sources, writer, now: new Date(), log, options: { namespace: "FleetOTA" } });
 * report.written.map((doc) => doc.name); // ["fleet.json", "telemetry.json", …]
 */
export async function publishDashboard(input: {
  sources: DashboardSources;
  writer: DocumentWriter;
  now: Date;
  log: Log;
  options: Partial<PublishOptions> & Pick<PublishOptions, "namespace">;
}): Promise<PublishReport> {
  const { sources, writer, now, log } = input;
  const options = { ...telemetryWindowDefaults, fleet: {}, ...input.options };
  const window: TelemetryWindow = {
    namespace: options.namespace,
    periodSeconds: options.periodSeconds,
    from: new Date(now.getTime() - options.lookbackMs),
    to: now,
  };
  const builders: { [Name in DashboardDocumentName]: () => Promise<DashboardDocuments[Name]> } = {
    [DASHBOARD_DOCUMENT.Fleet]: async () => shapeFleet(await sources.fleet(), now, options.fleet),
    [DASHBOARD_DOCUMENT.Telemetry]: async () => shapeTelemetry(await sources.metrics(window), window, now),
    [DASHBOARD_DOCUMENT.Campaigns]: async () => shapeCampaigns(await sources.campaigns(), now),
    [DASHBOARD_DOCUMENT.Alarms]: async () => {
      const { metricAlarms, compositeAlarms } = await sources.alarms();
      return shapeAlarms(metricAlarms, compositeAlarms, now);
    },
    [DASHBOARD_DOCUMENT.Queues]: async () => shapeQueues(await sources.queues(), now),
  };

  const report: PublishReport = { written: [], failed: [] };
  await Promise.all(
    (Object.keys(builders) as DashboardDocumentName[]).map(async function buildAndWrite(name) {
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
  log.info("dashboard published", { written: report.written, failed: report.failed.length });
  if (report.failed.length > 0) throw new DashboardPublishError(report);
  return report;
}
