import type { ScheduledEvent } from "aws-lambda";
import { cloudWatchClient, documentClient, s3Client, sqsClient } from "../../lib/aws-clients.js";
import { dynamoCampaignList } from "../../campaigns/store/index.js";
import { ENV, positiveIntegerEnv, requireEnv } from "../../contracts/environment.js";
import { createLogger } from "../../lib/logger.js";
import { DEFAULT_METRICS_NAMESPACE } from "../../contracts/metrics.js";
import { DEFAULT_DASHBOARD_DATA_PREFIX, QUEUE_ROLE } from "../../contracts/dashboard-documents.js";
import { publishDashboard, type PublishReport } from "./publish.js";
import { campaignPageReader } from "./campaign-page-reader.js";
import { campaignReader, fleetReader } from "./readers.js";
import { awsDashboardSources, s3DocumentWriter } from "./sources.js";
import { trendsIntervalMinutes } from "./trend-cadence.js";
import { FLEET_STATE_DEFAULTS } from "../../telemetry/fleet-state.js";
import { DEFAULT_PARKED_RETENTION_DAYS } from "../../contracts/parked-failure.js";

const logger = createLogger("dashboard-publisher");
const s3 = s3Client();
const sqs = sqsClient();
const cloudWatch = cloudWatchClient();
const doc = documentClient();

/**
 * Scheduled every minute: reads fleet state, campaigns, alarms and queues, and writes the dashboard's
 * data documents to the dashboard bucket; the telemetry trends (CloudWatch metrics) only every
 * FLEETOTA_DASHBOARD_TRENDS_EVERY_MINUTES, told by the scheduled event's time (trend-cadence.ts).
 */
export const handler = async (event?: Partial<ScheduledEvent>): Promise<PublishReport> => {
  const trendsEveryMinutes = trendsIntervalMinutes(requireEnv(ENV.DASHBOARD_TRENDS_EVERY_MINUTES));
  const namespace = process.env[ENV.METRICS_NAMESPACE] || DEFAULT_METRICS_NAMESPACE;
  const policy = {
    maxVehicles: positiveIntegerEnv(ENV.FLEET_STATE_MAX_VEHICLES, FLEET_STATE_DEFAULTS.maxVehicles),
    retentionMs: positiveIntegerEnv(ENV.FLEET_STATE_RETENTION_DAYS, FLEET_STATE_DEFAULTS.retentionMs / 86_400_000) * 86_400_000,
  };
  const sources = awsDashboardSources(
    { cloudWatch, sqs, s3 },
    {
      alarmPrefix: requireEnv(ENV.ALARM_PREFIX),
      dataBucket: requireEnv(ENV.DATA_BUCKET),
      queues: [
        { role: QUEUE_ROLE.Telemetry, url: requireEnv(ENV.TELEMETRY_QUEUE_URL) },
        { role: QUEUE_ROLE.TelemetryDeadLetter, url: requireEnv(ENV.TELEMETRY_DLQ_URL) },
        { role: QUEUE_ROLE.Update, url: requireEnv(ENV.UPDATE_QUEUE_URL) },
        { role: QUEUE_ROLE.UpdateDeadLetter, url: requireEnv(ENV.UPDATE_DLQ_URL) },
        { role: QUEUE_ROLE.Command, url: requireEnv(ENV.COMMAND_QUEUE_URL) },
        { role: QUEUE_ROLE.CommandDeadLetter, url: requireEnv(ENV.COMMAND_DLQ_URL) },
      ],
      readFleet: fleetReader(s3, requireEnv(ENV.DATA_BUCKET), { log: logger, namespace, policy }),
      readCampaigns: campaignReader({ campaigns: dynamoCampaignList({ doc, table: requireEnv(ENV.STATE_TABLE) }) }),
      readCampaignPages: campaignPageReader({ doc, table: requireEnv(ENV.STATE_TABLE) }),
    },
  );
  const writer = s3DocumentWriter(
    s3,
    requireEnv(ENV.DASHBOARD_BUCKET),
    process.env[ENV.DASHBOARD_DATA_PREFIX] || DEFAULT_DASHBOARD_DATA_PREFIX,
  );
  return publishDashboard({
    sources,
    writer,
    now: new Date(),
    scheduledTime: typeof event?.time === "string" ? event.time : undefined,
    log: logger,
    options: { namespace, trendsEveryMinutes, parkedRetentionDays: positiveIntegerEnv(ENV.PARKED_RETENTION_DAYS, DEFAULT_PARKED_RETENTION_DAYS) },
  });
};
