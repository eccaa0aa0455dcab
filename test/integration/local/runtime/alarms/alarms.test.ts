import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  type PutMetricAlarmCommandInput,
} from "@aws-sdk/client-cloudwatch";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startRuntime, type LocalRuntime } from "../../../../../local/runtime/index.js";
import { startMoto, type MotoServer } from "../support/moto.js";
import { description, lambdaArtifact, lambdaFunction, recordingLog, scratchDir, type Scratch } from "../support/fixtures.js";

interface World {
  moto: MotoServer;
  scratch: Scratch;
  cloudwatch: CloudWatchClient;
  sqs: SQSClient;
  sns: SNSClient;
  inboxUrl: string;
  topicArn: string;
  runtime: LocalRuntime;
}

const world = {} as World;
const PERIOD_SECONDS = 10;

function metricAlarm(overrides: Partial<PutMetricAlarmCommandInput> & { AlarmName: string }): PutMetricAlarmCommandInput {
  return {
    Namespace: "FleetOTA",
    MetricName: "Telemetry/ProcessingLatency",
    Statistic: "Maximum",
    Period: PERIOD_SECONDS,
    EvaluationPeriods: 1,
    Threshold: 100,
    ComparisonOperator: "GreaterThanThreshold",
    TreatMissingData: "missing",
    AlarmActions: [world.topicArn],
    OKActions: [world.topicArn],
    ...overrides,
  };
}

async function putMetric(metricName: string, value: number, atMs: number): Promise<void> {
  await world.cloudwatch.send(new PutMetricDataCommand({ Namespace: "FleetOTA", MetricData: [{ MetricName: metricName, Value: value, Timestamp: new Date(atMs) }] }));
}

async function stateOf(alarmName: string): Promise<{ state?: string; reason?: string }> {
  const { MetricAlarms = [] } = await world.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
  return { state: MetricAlarms[0]?.StateValue, reason: MetricAlarms[0]?.StateReason };
}

/** Alarm notifications that reached the SQS queue subscribed to the alarm topic. */
async function notifications(): Promise<Array<Record<string, unknown>>> {
  const received: Array<Record<string, unknown>> = [];
  for (;;) {
    const { Messages = [] } = await world.sqs.send(new ReceiveMessageCommand({ QueueUrl: world.inboxUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return received;
    for (const message of Messages) received.push(JSON.parse((JSON.parse(message.Body!) as { Message: string }).Message));
  }
}

const PERIOD_MS = PERIOD_SECONDS * 1000;

/**
 * The middle of the alarm period `periodsBack` periods before the current one: each test puts its data in periods of its
 * own and evaluates there (evaluateAlarms(atMs)), so no period boundary passing while it runs can split its data from
 * its evaluation (it waited for a fresh period and had 8.5 s of wall clock before).
 */
function periodBack(periodsBack: number): number {
  return (Math.floor(Date.now() / PERIOD_MS) - periodsBack) * PERIOD_MS + PERIOD_MS / 2;
}

test.before(async () => {
  world.moto = await startMoto();
  world.scratch = scratchDir();
  world.cloudwatch = new CloudWatchClient(world.moto.clientConfig);
  world.sqs = new SQSClient(world.moto.clientConfig);
  world.sns = new SNSClient(world.moto.clientConfig);
  world.inboxUrl = (await world.sqs.send(new CreateQueueCommand({ QueueName: "alarm-inbox" }))).QueueUrl!;
  const inboxArn = (await world.sqs.send(new GetQueueAttributesCommand({ QueueUrl: world.inboxUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  world.topicArn = (await world.sns.send(new CreateTopicCommand({ Name: "fleetota-test-alarms" }))).TopicArn!;
  await world.sns.send(new SubscribeCommand({ TopicArn: world.topicArn, Protocol: "sqs", Endpoint: inboxArn }));
  await world.sqs.send(new CreateQueueCommand({ QueueName: "backlog" }));

  await world.cloudwatch.send(new PutMetricAlarmCommand(metricAlarm({ AlarmName: "latency-high" })));
  await world.cloudwatch.send(
    new PutMetricAlarmCommand({
      ...metricAlarm({ AlarmName: "update-failure-rate" }),
      Namespace: undefined,
      MetricName: undefined,
      Statistic: undefined,
      Period: undefined,
      Threshold: 20,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Metrics: [
        { Id: "failed", MetricStat: { Metric: { Namespace: "FleetOTA", MetricName: "OTAUpdates/Failed" }, Period: PERIOD_SECONDS, Stat: "Sum" }, ReturnData: false },
        { Id: "succeeded", MetricStat: { Metric: { Namespace: "FleetOTA", MetricName: "OTAUpdates/Succeeded" }, Period: PERIOD_SECONDS, Stat: "Sum" }, ReturnData: false },
        { Id: "rate", Expression: "100 * failed / (failed + FILL(succeeded, 0))", Label: "failure %", ReturnData: true },
      ],
    }),
  );
  await world.cloudwatch.send(
    new PutMetricAlarmCommand(
      metricAlarm({ AlarmName: "lambda-errors", Namespace: "AWS/Lambda", MetricName: "Errors", Statistic: "Sum", Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold", Dimensions: [{ Name: "FunctionName", Value: "thrower" }] }),
    ),
  );
  await world.cloudwatch.send(
    new PutMetricAlarmCommand(
      metricAlarm({ AlarmName: "backlog-depth", Namespace: "AWS/SQS", MetricName: "ApproximateNumberOfMessagesVisible", Threshold: 3, ComparisonOperator: "GreaterThanOrEqualToThreshold", Dimensions: [{ Name: "QueueName", Value: "backlog" }] }),
    ),
  );
  await world.cloudwatch.send(new PutMetricAlarmCommand({ ...metricAlarm({ AlarmName: "latency-p99" }), Statistic: undefined, ExtendedStatistic: "p99" }));

  const archivePath = lambdaArtifact(world.scratch, "thrower", `export const handler = async () => { throw new Error("always"); };`);
  world.runtime = await startRuntime(description(world.moto.endpoint, { functions: [lambdaFunction({ functionName: "thrower", archivePath })] }), {
    clientConfig: world.moto.clientConfig,
    log: recordingLog(),
    workDir: world.scratch.dir,
    alarmEvaluationIntervalMs: 0,
  });
});

test.after(async () => {
  await world.runtime?.stop();
  for (const client of [world.cloudwatch, world.sqs, world.sns]) client?.destroy();
  await world.moto?.stop();
  world.scratch?.remove();
});

test("alarms start in INSUFFICIENT_DATA and stay there without data", async () => {
  // act
  await world.runtime.evaluateAlarms();

  // assess
  assert.is((await stateOf("latency-high")).state, "INSUFFICIENT_DATA");
  assert.is((await stateOf("update-failure-rate")).state, "INSUFFICIENT_DATA");
});

test("an alarm goes to ALARM when its metric crosses the threshold, back to OK below it, and notifies SNS each time", async () => {
  // prepare: two periods of their own
  const highMs = periodBack(20);
  const lowMs = highMs + PERIOD_MS;
  await putMetric("Telemetry/ProcessingLatency", 250, highMs);
  await putMetric("Telemetry/ProcessingLatency", 20, lowMs);

  // act
  await world.runtime.evaluateAlarms(highMs);
  const afterHigh = await stateOf("latency-high");
  await world.runtime.evaluateAlarms(lowMs);
  const afterLow = await stateOf("latency-high");

  // assess
  assert.is(afterHigh.state, "ALARM");
  assert.match(afterHigh.reason ?? "", "greater than the threshold (100)");
  assert.is(afterLow.state, "OK");
  const latency = (await notifications()).filter((message) => message.AlarmName === "latency-high");
  assert.equal(
    latency.map((message) => [message.OldStateValue, message.NewStateValue]),
    [
      ["INSUFFICIENT_DATA", "ALARM"],
      ["ALARM", "OK"],
    ],
  );
  const alarmMessage = latency[0]!;
  assert.is(alarmMessage.Region, "US East (N. Virginia)");
  assert.is(alarmMessage.AWSAccountId, "123456789012");
  assert.match(String(alarmMessage.AlarmArn), /^arn:aws:cloudwatch:us-east-1:123456789012:alarm:latency-high$/);
  assert.equal((alarmMessage.Trigger as Record<string, unknown>).MetricName, "Telemetry/ProcessingLatency");
  assert.equal((alarmMessage.Trigger as Record<string, unknown>).Statistic, "MAXIMUM");
});

test("a metric-math alarm evaluates its expression over the period's sums", async () => {
  // prepare: 3 failed of 10 → 30 % ≥ 20 %, in a period of its own
  const atMs = periodBack(10);
  await putMetric("OTAUpdates/Failed", 2, atMs);
  await putMetric("OTAUpdates/Failed", 1, atMs);
  await putMetric("OTAUpdates/Succeeded", 7, atMs);

  // act
  const results = await world.runtime.evaluateAlarms(atMs);

  // assess
  const rate = results.find((result) => result.alarmName === "update-failure-rate");
  assert.is(rate?.state, "ALARM");
  assert.match(rate?.reason ?? "", "[30]");
});

test("the runtime publishes AWS/Lambda and AWS/SQS metrics so service alarms fire locally", async () => {
  // prepare: the runtime stamps these at its evaluation's time (runtime/index.ts), whatever period that is
  const backlogUrl = (await world.sqs.send(new CreateQueueCommand({ QueueName: "backlog" }))).QueueUrl!;
  await world.sqs.send(new SendMessageBatchCommand({ QueueUrl: backlogUrl, Entries: [1, 2, 3].map((n) => ({ Id: `m${n}`, MessageBody: `waiting ${n}` })) }));
  await world.runtime.invoke("thrower", {}).catch(() => undefined);

  // act
  await world.runtime.evaluateAlarms();

  // assess
  assert.is((await stateOf("lambda-errors")).state, "ALARM");
  assert.is((await stateOf("backlog-depth")).state, "ALARM");
});

test("an alarm the local evaluator cannot compute stays INSUFFICIENT_DATA with the reason", async () => {
  // act
  const reason = (await stateOf("latency-p99")).reason ?? "";

  // assess
  assert.is((await stateOf("latency-p99")).state, "INSUFFICIENT_DATA");
  assert.match(reason, "p99");
});

test("an evaluation at a given time evaluates the period holding that time, whatever the clock says", async () => {
  // prepare: an alarm of its own, and a datum over its threshold two periods back
  await world.cloudwatch.send(new PutMetricAlarmCommand(metricAlarm({ AlarmName: "latency-then", MetricName: "Telemetry/LatencyThen" })));
  const periodMs = PERIOD_MS;
  const thenMs = Math.floor(Date.now() / periodMs) * periodMs - 2 * periodMs + 1_000;
  await world.cloudwatch.send(new PutMetricDataCommand({ Namespace: "FleetOTA", MetricData: [{ MetricName: "Telemetry/LatencyThen", Value: 250, Timestamp: new Date(thenMs) }] }));
  const latencyThen = (evaluations: Array<{ alarmName: string; state: string }>) => evaluations.find((evaluation) => evaluation.alarmName === "latency-then")?.state;

  // act
  const atDatum = latencyThen(await world.runtime.evaluateAlarms(thenMs));
  const periodAfter = latencyThen(await world.runtime.evaluateAlarms(thenMs + periodMs));

  // assess
  assert.is(atDatum, "ALARM", "evaluated at the datum's time, its period holds it");
  assert.is(periodAfter, "INSUFFICIENT_DATA", "a period later the datum is outside the window (what an evaluation at the wall clock saw once a boundary passed)");
});

test.run();
