import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type CompositeAlarm,
  type MetricAlarm,
  type MetricDataQuery,
  type MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { CampaignPageInput } from "./campaign-page-view.js";
import type { CampaignSummaryInput } from "./campaign-view.js";
import type { CampaignPageName, DashboardDocumentKey } from "../../contracts/dashboard-documents.js";
import type { FleetVehicleInput } from "./fleet-view.js";
import type { DashboardSources, DocumentWriter } from "./publish.js";
import { QUEUE_ATTRIBUTES, queueNameFromUrl, type QueueReading } from "./queue-view.js";
import { trendQueries, type TelemetryWindow } from "./telemetry-view.js";
import type { QueueRole } from "../../contracts/dashboard-documents.js";

export interface AwsSourcesConfig {
  alarmPrefix: string;
  queues: ReadonlyArray<{ role: QueueRole; url: string }>;
  /** Reads the fleet's latest vehicle states (the telemetry processor's fleet-state). */
  readFleet: () => Promise<{ vehicles: Iterable<FleetVehicleInput>; writtenAt?: string | null }>;
  /** Reads the campaign summaries (the campaigns read model). */
  readCampaigns: () => Promise<CampaignSummaryInput[]>;
  /** Reads what the campaign pages need (campaign-page-reader.ts). */
  readCampaignPages: (now: Date) => Promise<CampaignPageInput[]>;
}

/** Window over which the age of a queue's oldest message is looked up; the latest datapoint wins. */
const QUEUE_AGE_LOOKBACK_MS = 10 * 60_000;

/**
 * The publisher's sources backed by the AWS SDK: CloudWatch for trends and alarms, SQS for queue depth,
 * and the injected fleet and campaign readers.
 *
 * @example
 * const sources = awsDashboardSources({ cloudWatch: new CloudWatchClient({}), sqs: new SQSClient({}) }, config);
 */
export function awsDashboardSources(
  clients: { cloudWatch: CloudWatchClient; sqs: SQSClient },
  config: AwsSourcesConfig,
): DashboardSources {
  const { cloudWatch, sqs } = clients;
  return {
    fleet: config.readFleet,
    campaigns: config.readCampaigns,
    campaignPages: config.readCampaignPages,
    metrics: (window: TelemetryWindow) =>
      allMetricData(cloudWatch, trendQueries(window.namespace, window.periodSeconds), window.from, window.to),
    async alarms() {
      const metricAlarms: MetricAlarm[] = [];
      const compositeAlarms: CompositeAlarm[] = [];
      let nextToken: string | undefined;
      do {
        const page = await cloudWatch.send(
          new DescribeAlarmsCommand({
            AlarmNamePrefix: config.alarmPrefix,
            AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
            NextToken: nextToken,
          }),
        );
        metricAlarms.push(...(page.MetricAlarms ?? []));
        compositeAlarms.push(...(page.CompositeAlarms ?? []));
        nextToken = page.NextToken;
      } while (nextToken);
      return { metricAlarms, compositeAlarms };
    },
    async queues() {
      const ages = await queueAges(cloudWatch, config.queues.map((queue) => queueNameFromUrl(queue.url))).catch(
        () => new Map<string, number>(),
      );
      return Promise.all(
        config.queues.map(async function readQueue({ role, url }): Promise<QueueReading> {
          try {
            const response = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...QUEUE_ATTRIBUTES] }));
            return { role, url, attributes: response.Attributes ?? {}, oldestAgeSeconds: ages.get(queueNameFromUrl(url)) ?? null };
          } catch (error) {
            return { role, url, error: error instanceof Error ? error.message : String(error) };
          }
        }),
      );
    },
  };
}

/** GetMetricData over every page (NextToken) for the given queries. */
export async function allMetricData(
  cloudWatch: CloudWatchClient,
  queries: MetricDataQuery[],
  from: Date,
  to: Date,
): Promise<MetricDataResult[]> {
  const results: MetricDataResult[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: from,
        EndTime: to,
        ScanBy: "TimestampAscending",
        NextToken: nextToken,
      }),
    );
    results.push(...(page.MetricDataResults ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return results;
}

/** Latest `AWS/SQS ApproximateAgeOfOldestMessage` (Maximum) per queue name, where CloudWatch has one. */
async function queueAges(cloudWatch: CloudWatchClient, queueNames: readonly string[]): Promise<Map<string, number>> {
  const to = new Date();
  const queries: MetricDataQuery[] = queueNames.map((queueName, index) => ({
    Id: `q${index}`,
    ReturnData: true,
    MetricStat: {
      Metric: { Namespace: "AWS/SQS", MetricName: "ApproximateAgeOfOldestMessage", Dimensions: [{ Name: "QueueName", Value: queueName }] },
      Period: 60,
      Stat: "Maximum",
    },
  }));
  const results = await allMetricData(cloudWatch, queries, new Date(to.getTime() - QUEUE_AGE_LOOKBACK_MS), to);
  const ages = new Map<string, number>();
  for (const result of results) {
    const index = Number(result.Id?.slice(1));
    const timestamps = result.Timestamps ?? [];
    const values = result.Values ?? [];
    let latest: { at: number; value: number } | undefined;
    timestamps.forEach((timestamp, position) => {
      const at = new Date(timestamp).getTime();
      const value = values[position];
      if (value !== undefined && (!latest || at > latest.at)) latest = { at, value };
    });
    const queueName = queueNames[index];
    if (latest && queueName !== undefined) ages.set(queueName, latest.value);
  }
  return ages;
}

/**
 * Writes documents as JSON objects under the data prefix, uncached so the page sees each minute's data,
 * and reads a campaign page back (its job-state series continues from it).
 *
 * @example
 * await s3DocumentWriter(new S3Client({}), "fleetota-dev-dashboard", "data/").write("fleet.json", body);
 */
export function s3DocumentWriter(s3: S3Client, bucket: string, prefix: string): DocumentWriter {
  const normalizedPrefix = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return {
    async read(name: CampaignPageName) {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${normalizedPrefix}${name}` }));
        return await response.Body?.transformToString();
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") return undefined;
        throw error;
      }
    },
    async write(name: DashboardDocumentKey, body: string) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${normalizedPrefix}${name}`,
          Body: body,
          ContentType: "application/json; charset=utf-8",
          CacheControl: "no-cache, max-age=0",
        }),
      );
    },
  };
}
