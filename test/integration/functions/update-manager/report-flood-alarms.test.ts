/**
 * The two alarms on vehicles' report floods, on the local cloud (the stack's alarms evaluated as CloudWatch would, the
 * deployed bundles, the real SDK): `status-reports-forged` (reports the processor held back for a reason no honest agent
 * gives) and `reports-on-ended-jobs` (reports the update manager refused on a job the vehicle itself ended). An honest
 * fleet's own refusals (a failed attempt's reports in the object of its retry, a campaign canceled under a vehicle that
 * went on, a heartbeat uploaded after the success) are counted and leave both OK; a vehicle replaying its ended job and
 * making up campaigns fires both, notifying the alarm topic.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SubscribeCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { ALARM_SUFFIX, METRIC } from "../../../../contracts/metrics.js";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { OBJECT_PK_PREFIX } from "../../../../functions/telemetry-processor/idempotency.js";
import { startLocalCloud, type LocalCloud } from "../../../../local/cloud.js";
import { telemetryRecord } from "../../../unit/telemetry/support/factories.js";
import { evaluateAlarmAtDataOf, evaluateAlarmAtItsData } from "../../support/alarm-at-data.js";
import { newRunningCampaign as runningCampaign, campaignWorld, candidate, command, sendUpdateMessages, snapshot, vinNumber, type CampaignWorld } from "../../campaigns/support/world.js";

let cloud: LocalCloud;
let world: CampaignWorld;
/** A queue subscribed to the stack's alarm topic: what an operator's pager would receive. */
let inboxUrl: string;

const settle = () => cloud.runtime!.waitForIdle(60_000);

test.before(async () => {
  cloud = await startLocalCloud({
    runtime: true,
    stateFile: false,
    ...(process.env.FLEETOTA_TEST_LOG ? { log: console } : {}),
    runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0, pollWaitSeconds: 1 },
  });
  world = await campaignWorld(cloud);
  inboxUrl = (await world.sqs.send(new CreateQueueCommand({ QueueName: "alarm-inbox" }))).QueueUrl!;
  const inboxArn = (await world.sqs.send(new GetQueueAttributesCommand({ QueueUrl: inboxUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  const sns = new SNSClient(cloud.clientConfig);
  await sns.send(new SubscribeCommand({ TopicArn: String(cloud.description.outputs.alarm_topic_arn), Protocol: "sqs", Endpoint: inboxArn }));
  sns.destroy();
  // Redeliver after 2 s instead of 6 x the function timeout (set before the first receive; every consumer is idempotent).
  for (const queueUrl of [world.updateQueueUrl, world.commandQueueUrl]) await world.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: "2" } }));
});

test.after(async () => {
  await cloud?.stop();
});

const newRunningCampaign = (version: string, overrides: Record<string, unknown> = {}) => runningCampaign(world, settle, version, overrides);

interface Ota {
  campaignId: string;
  vin: string;
  attempt: number;
  sequence: number;
  status: string;
}

let seq = 0;

/** A vehicle's object of one record a report (firmware `firmware`), uploaded under its own prefix; the processor's ledger outcome. */
async function upload(vin: string, model: string, firmware: string, reports: readonly Ota[]): Promise<Record<string, number>> {
  const lines = reports.map((ota) =>
    JSON.stringify({
      ...telemetryRecord({ vin, seq: ++seq, ts: new Date().toISOString(), vehicle: { model }, firmware: { version: firmware } }),
      ota: { jobId: `${ota.campaignId}:${ota.vin}`, campaignId: ota.campaignId, attempt: ota.attempt, sequence: ota.sequence, status: ota.status, targetVersion: firmware },
    }),
  );
  const key = vehicleTelemetryKey(vin, Date.now(), `reports-${seq}`);
  const put = await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: lines.join("\n") + "\n" }));
  await settle();
  const item = await world.doc.send(new GetCommand({ TableName: world.table, Key: { pk: `${OBJECT_PK_PREFIX}${world.bucket}/${key}`, sk: put.ETag!.replaceAll('"', "") } }));
  return item.Item!.outcome as Record<string, number>;
}

/** The sum of a metric with one Reason over the last hour (0 without data). */
async function sumInLastHour(metricName: string, reason: string): Promise<number> {
  const cloudwatch = new CloudWatchClient(cloud.clientConfig);
  const { Datapoints = [] } = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: world.metricsNamespace,
      MetricName: metricName,
      Dimensions: [{ Name: "Reason", Value: reason }],
      StartTime: new Date(Date.now() - 3_600_000),
      EndTime: new Date(Date.now() + 60_000),
      Period: 3600,
      Statistics: ["Sum"],
    }),
  );
  cloudwatch.destroy();
  return Datapoints.reduce((sum, point) => sum + (point.Sum ?? 0), 0);
}

/** The alarm notifications the inbox received since last asked, as [alarm name suffix, old state, new state]. */
async function notifications(): Promise<string[][]> {
  const received: string[][] = [];
  for (;;) {
    const { Messages = [] } = await world.sqs.send(new ReceiveMessageCommand({ QueueUrl: inboxUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return received;
    for (const message of Messages) {
      const alarm = JSON.parse((JSON.parse(message.Body!) as { Message: string }).Message) as Record<string, string>;
      received.push([alarm.AlarmName!.replace(/^.*?-(status-reports-forged|reports-on-ended-jobs)$/, "$1"), alarm.OldStateValue!, alarm.NewStateValue!]);
    }
  }
}

const ours = (received: string[][]) => received.filter(([name]) => name === ALARM_SUFFIX.StatusReportsForged || name === ALARM_SUFFIX.ReportsOnEndedJobs).sort();

const byReason = (metricName: string, reason: string) => [{ namespace: world.metricsNamespace, metricName, dimensions: [{ Name: "Reason", Value: reason }] }];

const [retrier, canceledUnder] = [vinNumber(61), vinNumber(62)];
let retriedCampaign = "";

test("honest refusals (a failed attempt's reports in its retry's object, reports on a job canceled under its vehicle, a heartbeat uploaded after the success) are counted and fire neither alarm", async () => {
  retriedCampaign = await newRunningCampaign("4.1.0", { selector: { models: ["Insight"] }, retries: { max: 2, backoffBaseSeconds: 0.001, backoffCapSeconds: 0.001 } });
  const canceled = await newRunningCampaign("4.2.0", { selector: { models: ["Clarity"] } });
  await sendUpdateMessages(world, [candidate(snapshot(retrier, { model: "Insight" })), candidate(snapshot(canceledUnder, { model: "Clarity" }))]);
  await settle();
  const ota = (campaignId: string, vin: string, attempt: number) => (sequence: number, status: string): Ota => ({ campaignId, vin, attempt, sequence, status });

  // The retrier: attempt 1 fails, the ticker retries it, and the hour's object holds attempt 1 again and attempt 2 to success.
  const first = ota(retriedCampaign, retrier, 1);
  const attemptOne = [first(1, "DOWNLOADING"), first(2, "INSTALLING"), first(3, "FAILED")];
  await upload(retrier, "Insight", "2.3.1", attemptOne);
  await cloud.runtime!.fireSchedule(world.tickerRule);
  await settle();
  assert.is((await world.store.jobs.get(retriedCampaign, retrier))?.attempt, 2, "retried");
  const second = ota(retriedCampaign, retrier, 2);
  const hourly = await upload(retrier, "Insight", "4.1.0", [...attemptOne, second(4, "DOWNLOADING"), second(5, "INSTALLING"), second(6, "VERIFYING"), second(7, "SUCCEEDED")]);
  assert.equal([hourly.statusReports, hourly.statusReportsHeldBack], [4, 3], "attempt 2 sent, attempt 1 held back older-attempt");
  // A heartbeat from before the success, in an object uploaded after it: stale, ignored, not refused.
  await upload(retrier, "Insight", "4.1.0", [second(6, "VERIFYING")]);
  const succeeded = await world.store.jobs.get(retriedCampaign, retrier);
  assert.equal([succeeded?.state, succeeded?.attempt, succeeded?.lastSequence], ["SUCCEEDED", 2, 7]);

  // Canceled under a vehicle that went on: what it did before it read the withdrawal arrives after the cancel.
  await sendUpdateMessages(world, [command(canceled, "cancel")]);
  await settle();
  assert.is((await world.store.jobs.get(canceled, canceledUnder))?.state, "CANCELED");
  const went = ota(canceled, canceledUnder, 1);
  const late = await upload(canceledUnder, "Clarity", "2.3.1", [went(1, "DEFERRED"), went(2, "DOWNLOADING"), went(3, "DOWNLOADING"), went(4, "INSTALLING")]);
  assert.equal([late.statusReports, late.statusReportsHeldBack ?? 0], [4, 0], "all sent (a heartbeat collapsed): the processor cannot know the job was canceled");

  assert.ok((await sumInLastHour(METRIC.StatusReportsHeldBack, "older-attempt")) >= 3, "older-attempt counted");
  assert.ok((await sumInLastHour(METRIC.JobEventsRefused, "report-on-canceled-job")) >= 4, "report-on-canceled-job counted");
  assert.is(await sumInLastHour(METRIC.JobEventsRefused, "report-on-ended-job"), 0, "the late heartbeat was not refused");
  // Evaluated at the time the honest refusals were counted.
  const forged = await evaluateAlarmAtDataOf(cloud, ALARM_SUFFIX.StatusReportsForged, byReason(METRIC.StatusReportsHeldBack, "older-attempt"));
  const ended = await evaluateAlarmAtDataOf(cloud, ALARM_SUFFIX.ReportsOnEndedJobs, byReason(METRIC.JobEventsRefused, "report-on-canceled-job"));
  assert.equal([forged?.state, ended?.state], ["OK", "OK"], `${forged?.reason} / ${ended?.reason}`);
  assert.equal(ours(await notifications()), [
    [ALARM_SUFFIX.ReportsOnEndedJobs, "INSUFFICIENT_DATA", "OK"],
    [ALARM_SUFFIX.StatusReportsForged, "INSUFFICIENT_DATA", "OK"],
  ], "the topic heard them evaluated OK, nothing else");
});

test("a vehicle replaying its ended job and making up campaigns and another's job fires both alarms, notifying the alarm topic", async () => {
  const before = await world.store.jobs.get(retriedCampaign, retrier);
  const replay = (sequence: number): Ota => ({ campaignId: retriedCampaign, vin: retrier, attempt: 2, sequence, status: sequence % 2 ? "DOWNLOADING" : "INSTALLING" });
  const madeUp = (n: number): Ota => ({ campaignId: `c-made-up-${n}`, vin: retrier, attempt: 1, sequence: 1, status: "FAILED" });
  const othersJob: Ota = { campaignId: retriedCampaign, vin: canceledUnder, attempt: 1, sequence: 1, status: "SUCCEEDED" };

  const flood = await upload(retrier, "Insight", "4.1.0", [...Array.from({ length: 16 }, (_, n) => replay(8 + n)), ...Array.from({ length: 64 }, (_, n) => madeUp(n)), othersJob]);

  assert.equal([flood.statusReports, flood.statusReportsHeldBack], [16, 65], "its own ended job's 16 sent; the made-up and the other's held back");
  assert.equal(await world.store.jobs.get(retriedCampaign, retrier), before, "the ended job is as it was");
  assert.ok((await sumInLastHour(METRIC.JobEventsRefused, "report-on-ended-job")) >= 16);
  const forged = await evaluateAlarmAtItsData(cloud, ALARM_SUFFIX.StatusReportsForged);
  const ended = await evaluateAlarmAtItsData(cloud, ALARM_SUFFIX.ReportsOnEndedJobs);
  assert.equal([forged?.state, ended?.state], ["ALARM", "ALARM"], `${forged?.reason} / ${ended?.reason}`);
  assert.equal(ours(await notifications()), [
    [ALARM_SUFFIX.ReportsOnEndedJobs, "OK", "ALARM"],
    [ALARM_SUFFIX.StatusReportsForged, "OK", "ALARM"],
  ], "each notified the alarm topic");
});

test.run();
