/**
 * The synthesized stack applied to the emulator (real SDK, no runtime): what cdk.tf.json names exists,
 * wired as written, and S3 → EventBridge → SQS delivers a telemetry object's event.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeTableCommand, DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { ListTargetsByRuleCommand, DescribeRuleCommand } from "@aws-sdk/client-eventbridge";
import { DescribeRoleAliasCommand, DescribeThingTypeCommand, GetPolicyCommand, IoTClient } from "@aws-sdk/client-iot";
import { GetBucketLifecycleConfigurationCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { ListTopicsCommand } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, ListQueuesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { startTestCloud, type TestCloud } from "../support/local-cloud.js";

let world: TestCloud;
let document: { resource: Record<string, Record<string, Record<string, unknown>>> };

function namesInJson(type: string, argument: string): string[] {
  return Object.values(document.resource[type] ?? {}).map((config) => String(config[argument]));
}

function attributesOf(address: string): Record<string, unknown> {
  const attributes = world.cloud.description.resources[address];
  assert.ok(attributes, `${address} was applied`);
  return attributes;
}

async function receiveAll(queueUrl: string, waitSeconds = 2): Promise<Array<{ Body?: string }>> {
  const received = await world.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
  );
  return received.Messages ?? [];
}

test.before(async () => {
  world = await startTestCloud();
  const stackDir = join(import.meta.dirname, "..", "..", "..", "cdktf.out", "stacks", world.cloud.description.stackName);
  document = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8"));
});

test.after(async () => {
  await world?.stop();
});

test("the data lake's lifecycle rules are the JSON's, each prefix with its expiry (parked/ included)", async () => {
  const json = document.resource.aws_s3_bucket_lifecycle_configuration?.data_lake_lifecycle as { rule: Array<{ id: string; filter: Array<{ prefix: string }>; expiration?: Array<{ days?: number }> }> };
  const { Rules = [] } = await world.clients.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: world.outputs.data_bucket_name! }));
  const expiries = (rules: Array<[string, string, number | undefined]>) => rules.sort((a, b) => a[0].localeCompare(b[0]));
  assert.equal(
    expiries(Rules.map((rule) => [rule.ID ?? "", rule.Filter?.Prefix ?? "", rule.Expiration?.Days])),
    expiries(json.rule.map((rule) => [rule.id, rule.filter[0]?.prefix ?? "", rule.expiration?.[0]?.days])),
  );
  assert.ok(Rules.some((rule) => rule.Filter?.Prefix === "parked/" && (rule.Expiration?.Days ?? 0) > 0));
});

test("every queue, alarm and topic the JSON names exists in the emulator", async () => {
  const { QueueUrls = [] } = await world.clients.sqs.send(new ListQueuesCommand({}));
  const queueNames = QueueUrls.map((url) => url.slice(url.lastIndexOf("/") + 1)).sort();
  assert.equal(queueNames, namesInJson("aws_sqs_queue", "name").sort());

  const alarms = await world.clients.cloudwatch.send(new DescribeAlarmsCommand({ MaxRecords: 100 }));
  assert.equal((alarms.MetricAlarms ?? []).map((alarm) => alarm.AlarmName).sort(), namesInJson("aws_cloudwatch_metric_alarm", "alarm_name").sort());

  const { Topics = [] } = await world.clients.sns.send(new ListTopicsCommand({}));
  const topicNames = Topics.map((topic) => topic.TopicArn!.split(":").at(-1)).sort();
  assert.equal(topicNames, namesInJson("aws_sns_topic", "name").sort());
});

test("each redrive policy names its DLQ's ARN with the JSON's maxReceiveCount", async () => {
  const queues = Object.entries(document.resource.aws_sqs_queue ?? {}).filter(([, config]) => config.redrive_policy);
  assert.ok(queues.length > 0, "the stack has queues with a redrive policy");
  for (const [name, config] of queues) {
    const written = String(config.redrive_policy);
    const dlqAddress = /\$\{(aws_sqs_queue\.[\w-]+)\.arn\}/.exec(written)?.[1];
    assert.ok(dlqAddress, `${name}'s redrive policy references a queue`);
    const { Attributes = {} } = await world.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: String(attributesOf(`aws_sqs_queue.${name}`).url), AttributeNames: ["RedrivePolicy"] }),
    );
    const applied = JSON.parse(Attributes.RedrivePolicy ?? "{}");
    assert.is(applied.deadLetterTargetArn, attributesOf(dlqAddress!).arn);
    assert.is(Number(applied.maxReceiveCount), Number(/"maxReceiveCount":(\d+)/.exec(written)?.[1]));
  }
});

test("the telemetry rule has the JSON's pattern and targets the queue the JSON names", async () => {
  const [[address, config]] = Object.entries(document.resource.aws_cloudwatch_event_target ?? {}).filter(([, target]) =>
    String(target.arn).startsWith("${aws_sqs_queue."),
  ) as Array<[string, Record<string, unknown>]>;
  const ruleName = String(world.cloud.description.resources[`aws_cloudwatch_event_target.${address}`]!.rule);
  const queueAddress = /\$\{(aws_sqs_queue\.[\w-]+)\.arn\}/.exec(String(config.arn))![1]!;
  const { Targets = [] } = await world.clients.events.send(new ListTargetsByRuleCommand({ Rule: ruleName }));
  assert.equal(Targets.map((target) => target.Arn), [attributesOf(queueAddress).arn]);
  const rule = await world.clients.events.send(new DescribeRuleCommand({ Name: ruleName }));
  assert.is(JSON.parse(rule.EventPattern!).source[0], "aws.s3");
});

test("the state table has the JSON's keys, GSI and TTL attribute", async () => {
  const [config] = Object.values(document.resource.aws_dynamodb_table ?? {});
  const name = String(config!.name);
  const { Table } = await world.clients.dynamodb.send(new DescribeTableCommand({ TableName: name }));
  assert.equal(Table?.KeySchema?.map((key) => key.AttributeName), [config!.hash_key, config!.range_key]);
  const jsonIndexes = (config!.global_secondary_index as Array<{ name: string }>).map((index) => index.name);
  assert.equal(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName), jsonIndexes);
  const ttl = await world.clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name }));
  assert.is(ttl.TimeToLiveDescription?.AttributeName, (config!.ttl as { attribute_name: string }).attribute_name);
});

test("the vehicles' and gateways' role aliases and IoT policies exist as the JSON names them, the gateway thing type too, and each role's policy reaches the credentials provider", async () => {
  const iot = new IoTClient(world.cloud.clientConfig);
  try {
    for (const stem of ["vehicle", "gateway"]) {
      const aliasConfig = document.resource.aws_iot_role_alias?.[`${stem}_role_alias`];
      const policyConfig = document.resource.aws_iot_policy?.[`${stem}_iot_policy`];
      const alias = await iot.send(new DescribeRoleAliasCommand({ roleAlias: String(aliasConfig!.alias) }));
      const policy = await iot.send(new GetPolicyCommand({ policyName: String(policyConfig!.name) }));

      assert.is(alias.roleAliasDescription?.credentialDurationSeconds, aliasConfig!.credential_duration);
      assert.is(alias.roleAliasDescription?.roleArn, world.cloud.description.resources[`aws_iam_role.${stem}_role`]!.arn);
      assert.equal(JSON.parse(policy.policyDocument!).Statement[0].Resource, alias.roleAliasDescription?.roleAliasArn);
      const rolePolicy = String(world.cloud.description.resources[`aws_iam_role_policy.${stem}_policy`]!.policy);
      assert.match(rolePolicy, "/${credentials-iot:ThingName}/");
      assert.not.match(rolePolicy, "$${");
    }
    const thingTypeName = String(document.resource.aws_iot_thing_type?.gateway_thing_type?.name);
    const thingType = await iot.send(new DescribeThingTypeCommand({ thingTypeName }));
    assert.is(thingType.thingTypeArn, world.cloud.description.resources["aws_iot_thing_type.gateway_thing_type"]!.arn);
  } finally {
    iot.destroy();
  }
});

test("functions, mappings and schedules go to the runtime with every reference resolved; IAM and CDN are skipped", () => {
  const { functions, eventSourceMappings, schedules, skipped } = world.cloud.description;
  assert.equal(functions.map((fn) => fn.functionName).sort(), namesInJson("aws_lambda_function", "function_name").sort());
  for (const fn of functions) {
    assert.not.ok(JSON.stringify(fn.environment).includes("${"), `${fn.functionName}'s environment is resolved`);
    assert.ok(fn.archivePath.endsWith(".zip"));
  }
  assert.is(eventSourceMappings.length, Object.keys(document.resource.aws_lambda_event_source_mapping ?? {}).length);
  for (const mapping of eventSourceMappings) assert.ok(mapping.queueUrl.startsWith(world.cloud.clientConfig.endpoint));
  const scheduleRules = Object.values(document.resource.aws_cloudwatch_event_rule ?? {}).filter((rule) => rule.schedule_expression);
  assert.is(schedules.length, scheduleRules.length);
  assert.ok(schedules.every((schedule) => schedule.targets.length > 0), "every schedule has its Lambda target");
  assert.ok(skipped.some((address) => address.startsWith("aws_iam_role.")));
  assert.ok(skipped.some((address) => address.startsWith("aws_cloudfront_distribution.")));
});

test("an object put under telemetry/ arrives in the telemetry queue as the EventBridge event; others do not", async () => {
  const bucket = world.outputs.data_bucket_name!;
  const queueUrl = world.outputs.telemetry_queue_url!;
  const key = `telemetry/dt=2026-11-26/hour=17/${Date.now()}-test.ndjson.gz`;
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: "quarantine/not-telemetry.json", Body: "{}" }));
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "{}" }));

  const messages = await receiveAll(queueUrl);
  const events = messages.map((message) => JSON.parse(message.Body!));
  assert.equal(
    events.map((event) => [event.source, event["detail-type"], event.detail.bucket.name, event.detail.object.key]),
    [["aws.s3", "Object Created", bucket, key]],
  );
});

test.run();
