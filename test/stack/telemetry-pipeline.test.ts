import { DEPLOY_TARGET } from "../../modules/stack-config.js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { list, parseJson, ref, synthStack, type Statement } from "./support/synth.js";

const stack = synthStack();
const rule = stack.resource("aws_cloudwatch_event_rule", "telemetry_object_created");
const queueArn = ref("aws_sqs_queue", "telemetry_queue", "arn");
const dlqArn = ref("aws_sqs_queue", "telemetry_dlq", "arn");

test("the rule matches Object Created events of the data-lake bucket under telemetry/ only", () => {
  const pattern = parseJson(rule.event_pattern);

  assert.equal(pattern.source, ["aws.s3"]);
  assert.equal(pattern["detail-type"], ["Object Created"]);
  assert.equal(pattern.detail.bucket.name, [ref("aws_s3_bucket", "data_lake", "bucket")]);
  assert.equal(pattern.detail.object.key, [{ prefix: "telemetry/" }]);
  assert.not.ok(rule.schedule_expression, "an event rule, not a schedule");
});

test("the data-lake bucket sends its events to EventBridge", () => {
  const notification = stack.resource("aws_s3_bucket_notification", "data_lake_eventbridge");

  assert.is(notification.bucket, ref("aws_s3_bucket", "data_lake", "id"));
  assert.is(notification.eventbridge, true);
});

test("the rule targets the telemetry queue with retries and the telemetry DLQ as dead-letter target", () => {
  const targets = Object.values(stack.resources("aws_cloudwatch_event_target")).filter(
    (target) => target.rule === ref("aws_cloudwatch_event_rule", "telemetry_object_created", "name"),
  );

  assert.is(targets.length, 1);
  const [target] = targets as [Record<string, any>];
  assert.is(target.arn, queueArn);
  assert.ok(target.retry_policy.maximum_retry_attempts > 0);
  assert.ok(target.retry_policy.maximum_event_age_in_seconds >= 60);
  assert.is(target.dead_letter_config.arn, dlqArn);
});

test("only EventBridge, and only this rule, is allowed to send to the telemetry queue and its DLQ (the rest of each policy denies: queue-senders.test.ts)", () => {
  const policies = Object.values(stack.resources("aws_sqs_queue_policy"));
  const ruleArn = ref("aws_cloudwatch_event_rule", "telemetry_object_created", "arn");

  for (const [queue, arn] of [["telemetry_queue", queueArn], ["telemetry_dlq", dlqArn]] as const) {
    const policy = policies.find((candidate) => candidate.queue_url === ref("aws_sqs_queue", queue, "url"));
    assert.ok(policy, `${queue} has a queue policy`);
    const statements = parseJson<{ Statement: Statement[] }>(policy.policy).Statement;
    const allows = statements.filter((statement) => statement.Effect === "Allow");
    assert.is(allows.length, 1);
    const [statement] = allows as [Statement];
    assert.equal(statement.Principal, { Service: "events.amazonaws.com" });
    assert.equal(list(statement.Action), ["sqs:SendMessage"]);
    assert.equal(list(statement.Resource), [arn]);
    assert.equal(statement.Condition, { ArnEquals: { "aws:SourceArn": ruleArn } });
    assert.ok(statements.every((other) => other === statement || other.Effect === "Deny"), queue);
  }
});

test("the processor consumes the telemetry queue with partial batch responses, a batching window and a concurrency cap", () => {
  const mapping = stack.resource("aws_lambda_event_source_mapping", "telemetry_processor_mapping") as Record<string, any>;

  assert.is(mapping.event_source_arn, queueArn);
  assert.is(mapping.function_name, ref("aws_lambda_function", "telemetry_processor", "arn"));
  assert.equal(mapping.function_response_types, ["ReportBatchItemFailures"]);
  assert.ok(mapping.maximum_batching_window_in_seconds > 0);
  assert.ok(mapping.scaling_config.maximum_concurrency >= 2);
  assert.ok(mapping.batch_size >= 1);
});

test("batch sizes and windows come from the stack props", () => {
  const custom = synthStack({ telemetryConsumer: { batchSize: 50, maximumBatchingWindowSeconds: 20, maximumConcurrency: 4 } });

  const mapping = custom.resource("aws_lambda_event_source_mapping", "telemetry_processor_mapping") as Record<string, any>;
  assert.is(mapping.batch_size, 50);
  assert.is(mapping.maximum_batching_window_in_seconds, 20);
  assert.is(mapping.scaling_config.maximum_concurrency, 4);
});

test("on AWS the processor gets up to 100 objects gathered for up to 20 s (one invocation, metric call and fleet-state part for many); the local target keeps 10 and 1 s", () => {
  const aws = synthStack().resource("aws_lambda_event_source_mapping", "telemetry_processor_mapping") as Record<string, any>;
  const local = synthStack({ target: DEPLOY_TARGET.local }).resource("aws_lambda_event_source_mapping", "telemetry_processor_mapping") as Record<string, any>;
  const localOverridden = synthStack({
    target: DEPLOY_TARGET.local,
    telemetryConsumer: { batchSize: 100, maximumBatchingWindowSeconds: 20, maximumConcurrency: 10 },
    alarms: { processingLatencyMs: 30_000 },
  });

  assert.equal([aws.batch_size, aws.maximum_batching_window_in_seconds], [100, 20]);
  assert.equal([local.batch_size, local.maximum_batching_window_in_seconds], [10, 1]);
  assert.is((localOverridden.resource("aws_lambda_event_source_mapping", "telemetry_processor_mapping") as Record<string, any>).batch_size, 100);
});

test.run();
