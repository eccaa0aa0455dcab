import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  type AlarmHistoryItem,
  GetMetricDataCommand,
  type CompositeAlarm,
  type MetricAlarm,
  type MetricDataQuery,
  type MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { listParked } from "../../lib/parked-failures.js";
import { EXPIRING, type Expiring, type PublishedExpiry } from "../../uptane/calendar.js";
import { REPOSITORY_LAYOUT, rootFromJson, targetsFromJson } from "../../uptane/metadata.js";
import { readChain, readJson } from "../../uptane/repository-store.js";
import { publishedTargetsRefusal } from "../../uptane/image-root-rotation.js";
import { needsAHandDefaults, needsAHandListLimit, type NeedsAHandInput } from "./needs-a-hand-view.js";
import type { CampaignPageInput } from "./campaign-page-view.js";
import type { CampaignSummaryInput } from "./campaign-view.js";
import { DEAD_LETTER_ROLES } from "./queue-view.js";
import type { DashboardDocumentKey } from "../../contracts/dashboard-documents.js";
import type { FleetVehicleInput } from "./fleet-view.js";
import type { DashboardSources, DocumentWriter } from "./publish.js";
import { QUEUE_ATTRIBUTES, queueNameFromUrl, type QueueReading } from "./queue-view.js";
import { trendQueries, type TelemetryWindow } from "./telemetry-view.js";
import type { QueueRole } from "../../contracts/dashboard-documents.js";

/**
 * The publisher lists at most this many pages of parked keys a run (1,000 keys a page), the newest days first:
 * parked/ keeps 90 days of records, and vehicles' refused reports add some every day, so listing all of it every minute would,
 * in time, not fit in the run (and fail the whole dashboard with it).
 */
const NEEDS_A_HAND_LIST_PAGES = 10;

export interface AwsSourcesConfig {
  alarmPrefix: string;
  /** The data bucket, where parked failures are (`parked/`). */
  dataBucket: string;
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
 * const sources = awsDashboardSources({ cloudWatch, sqs, s3 }, config);
 */
export function awsDashboardSources(
  clients: { cloudWatch: CloudWatchClient; sqs: SQSClient; s3: S3Client },
  config: AwsSourcesConfig,
): DashboardSources {
  const { cloudWatch, sqs, s3 } = clients;
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
    async needsAHand(alarmNames) {
      const [parked, deadLetters, alarmHistory] = await Promise.all([
        listParked(s3, config.dataBucket, { limit: needsAHandListLimit, maxListPages: NEEDS_A_HAND_LIST_PAGES }).then(
          ({ failures, complete }) => ({ failures, complete }),
          (error: unknown) => ({ error: describe(error) }),
        ),
        Promise.all(config.queues.filter((queue) => DEAD_LETTER_ROLES.has(queue.role)).map(({ role, url }) => peekDeadLetters(sqs, role, url))),
        recentAlarmHistory(cloudWatch, alarmNames),
      ]);
      return { parked, deadLetters, alarmHistory };
    },
    async expiry(known) {
      const chains: Array<[Expiring, (version: number) => string, typeof rootFromJson | typeof targetsFromJson]> = [
        [EXPIRING.ImageTargets, REPOSITORY_LAYOUT.imageTargets, targetsFromJson],
        [EXPIRING.ImageRoot, REPOSITORY_LAYOUT.imageRoot, rootFromJson],
        [EXPIRING.DirectorRoot, REPOSITORY_LAYOUT.directorRoot, rootFromJson],
      ];
      const read = await Promise.all(
        chains.map(async ([what, keyOf, parse]): Promise<PublishedExpiry | undefined> => {
          // Published versions are written once: only the ones after the known one can be new (one GET, a 404, when none is).
          const before = known.find((entry) => entry.what === what);
          const newer = await readChain(s3, config.dataBucket, keyOf, (before?.version ?? 0) + 1);
          const newest = newer[newer.length - 1];
          if (newest === undefined) return before;
          const { signed } = parse(newest);
          return { what, version: signed.version, expires: signed.expires };
        }),
      );
      return read.filter((entry): entry is PublishedExpiry => entry !== undefined);
    },
    async targetsCheck(published, now) {
      const targets = published.find((entry) => entry.what === EXPIRING.ImageTargets);
      if (!targets || !published.some((entry) => entry.what === EXPIRING.ImageRoot)) return null;
      // Only when a version changed: the image root chain (a GET a root and a 404) and the targets (one GET).
      const [chain, targetsJson] = await Promise.all([readChain(s3, config.dataBucket, REPOSITORY_LAYOUT.imageRoot), readJson(s3, config.dataBucket, REPOSITORY_LAYOUT.imageTargets(targets.version))]);
      if (targetsJson === undefined || chain.length === 0) throw new Error(`image targets ${targets.version} or image root 1 not found`);
      const roots = chain.map(rootFromJson);
      const refusal = publishedTargetsRefusal(roots, targetsFromJson(targetsJson), now);
      return {
        targetsVersion: targets.version,
        imageRootVersion: roots[roots.length - 1]!.signed.version,
        verifies: refusal === undefined,
        kind: refusal?.kind ?? null,
        message: refusal?.message ?? null,
        refreshAllowed: refusal?.refreshAllowed ?? false,
      };
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Looks at up to 10 messages of a DLQ without taking them: ReceiveMessage with a visibility timeout of 0,
 * so they stay visible to a redrive at once (it bumps their receive count, which only `redrive --dry-run` shows).
 */
async function peekDeadLetters(sqs: SQSClient, queue: QueueRole, url: string): Promise<NeedsAHandInput["deadLetters"][number]> {
  try {
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }));
    const visible = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? Number.NaN);
    if (!(visible > 0)) return { queue, visible: Number.isFinite(visible) ? visible : null, messages: [] };
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
        MessageAttributeNames: ["All"],
      }),
    );
    return { queue, visible, messages: response.Messages ?? [] };
  } catch (error) {
    return { queue, error: describe(error) };
  }
}

/**
 * The last day's state changes of the named alarms (DescribeAlarmHistory, one call per alarm, newest
 * first). Undefined when the service does not have the call (moto 5.2): the view then keeps what it
 * observes from DescribeAlarms run after run.
 */
async function recentAlarmHistory(cloudWatch: CloudWatchClient, alarmNames: readonly string[]): Promise<AlarmHistoryItem[] | undefined> {
  const end = new Date();
  const start = new Date(end.getTime() - needsAHandDefaults.alarmChangeWindowMs);
  try {
    const pages = await Promise.all(
      alarmNames.map((AlarmName) =>
        cloudWatch.send(
          new DescribeAlarmHistoryCommand({ AlarmName, HistoryItemType: "StateUpdate", StartDate: start, EndDate: end, MaxRecords: 10, ScanBy: "TimestampDescending" }),
        ),
      ),
    );
    return pages.flatMap((page) => page.AlarmHistoryItems ?? []);
  } catch {
    return undefined;
  }
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
 * await s3DocumentWriter(s3, "fleetota-dev-dashboard", "data/").write("fleet.json", body);
 */
export function s3DocumentWriter(s3: S3Client, bucket: string, prefix: string): DocumentWriter {
  const normalizedPrefix = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return {
    async read(name: DashboardDocumentKey) {
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
