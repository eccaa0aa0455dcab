import { test } from "uvu";
import * as assert from "uvu/assert";
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { startLocalCloud, type LocalCloud } from "../../../../../local/cloud.js";
import { recordingLog } from "../support/fixtures.js";

interface World {
  cloud: LocalCloud;
  cloudwatch: CloudWatchClient;
}

const world = {} as World;

async function describeAll(): Promise<MetricAlarm[]> {
  const alarms: MetricAlarm[] = [];
  let nextToken: string | undefined;
  do {
    const page = await world.cloudwatch.send(new DescribeAlarmsCommand({ NextToken: nextToken }));
    alarms.push(...(page.MetricAlarms ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return alarms;
}

test.before(async () => {
  world.cloud = await startLocalCloud({
    log: recordingLog(),
    stateFile: false,
    runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0, pollWaitSeconds: 1 },
  });
  world.cloudwatch = new CloudWatchClient(world.cloud.clientConfig);
});

test.after(async () => {
  world.cloudwatch?.destroy();
  await world.cloud?.stop();
});

test("every alarm the stack defines is evaluated locally (statistics and metric math supported)", async () => {
  // act
  const evaluations = await world.cloud.runtime!.evaluateAlarms();
  const alarms = await describeAll();

  // assess
  assert.ok(alarms.length > 0, "the stack defines alarms");
  assert.equal(
    evaluations.map((evaluation) => evaluation.alarmName).sort(),
    alarms.map((alarm) => alarm.AlarmName).sort(),
    "each alarm got an evaluation (none refused as unsupported)",
  );
  const refused = alarms.filter((alarm) => alarm.StateReason?.includes("cannot be evaluated locally"));
  assert.equal(refused.map((alarm) => `${alarm.AlarmName}: ${alarm.StateReason}`), []);
});

test("the runtime runs every function the stack deploys", () => {
  // act
  const functionNames = Object.keys(world.cloud.runtime!.counters().functions).sort();

  // assess
  assert.equal(functionNames, world.cloud.description.functions.map((definition) => definition.functionName).sort());
  assert.ok(functionNames.length >= 4);
});

test.run();
