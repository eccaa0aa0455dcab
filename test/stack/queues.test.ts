import { test } from "uvu";
import * as assert from "uvu/assert";
import { MAPPED_QUEUES } from "../../cost/model.js";
import { REDRIVEN_AFTER_MS } from "../../functions/telemetry-processor/processor.js";
import { parseJson, ref, synthStack } from "./support/synth.js";

const FOURTEEN_DAYS = 14 * 24 * 60 * 60;
const stack = synthStack();
const queues = stack.resources("aws_sqs_queue");
const mappings = Object.values(stack.resources("aws_lambda_event_source_mapping"));
const functions = stack.resources("aws_lambda_function");

function queueNameByArn(arn: unknown): string {
  const name = Object.keys(queues).find((candidate) => ref("aws_sqs_queue", candidate, "arn") === arn);
  if (!name) throw new Error(`no queue has arn ${String(arn)}`);
  return name;
}

function functionByArn(arn: unknown): Record<string, unknown> {
  const name = Object.keys(functions).find((candidate) => ref("aws_lambda_function", candidate, "arn") === arn);
  if (!name) throw new Error(`no function has arn ${String(arn)}`);
  return functions[name]!;
}

test("each work queue feeds exactly the function meant for it: the update manager reads the vehicle-report and the command queue", () => {
  const wiring = Object.fromEntries(mappings.map((mapping) => [queueNameByArn(mapping.event_source_arn), mapping.function_name]));

  assert.is(mappings.length, 3, "one mapping per work queue");
  assert.equal(wiring, {
    telemetry_queue: ref("aws_lambda_function", "telemetry_processor", "arn"),
    update_queue: ref("aws_lambda_function", "update_manager", "arn"),
    command_queue: ref("aws_lambda_function", "update_manager", "arn"),
  });
});

test("commands and ticks are few: the command mapping runs two batches at a time, the report mapping five", () => {
  const concurrencyOf = (queue: string) => (mappings.find((mapping) => queueNameByArn(mapping.event_source_arn) === queue) as Record<string, any>).scaling_config.maximum_concurrency;
  assert.equal([concurrencyOf("command_queue"), concurrencyOf("update_queue")], [2, 5]);
});

test("the cost model's idle polling counts every queue a mapping polls", () => {
  assert.is(MAPPED_QUEUES, new Set(mappings.map((mapping) => queueNameByArn(mapping.event_source_arn))).size);
});

test("every mapping reports partial batch failures, waits a batching window and caps its concurrency", () => {
  for (const mapping of mappings as Array<Record<string, any>>) {
    assert.equal(mapping.function_response_types, ["ReportBatchItemFailures"]);
    assert.ok(mapping.maximum_batching_window_in_seconds > 0);
    assert.ok(mapping.scaling_config.maximum_concurrency >= 2);
    assert.is(mapping.enabled, true);
  }
});

test("every consumed queue's visibility timeout is at least six times its function's timeout", () => {
  assert.ok(mappings.length >= 2);
  for (const mapping of mappings) {
    const queue = queues[queueNameByArn(mapping.event_source_arn)]!;
    const fn = functionByArn(mapping.function_name);
    assert.ok(Number(queue.visibility_timeout_seconds) >= 6 * Number(fn.timeout), `${String(queue.name)}: ${queue.visibility_timeout_seconds} < 6 × ${fn.timeout}`);
  }
});

test("a longer function timeout lengthens the queue's visibility timeout", () => {
  const custom = synthStack({ functions: { updateManager: { timeoutSeconds: 120, memoryMb: 256 } } });

  assert.is(custom.resource("aws_sqs_queue", "update_queue").visibility_timeout_seconds, 720);
});

test("every work queue dead-letters after about five receives into a DLQ that keeps 14 days", () => {
  for (const mapping of mappings) {
    const queue = queues[queueNameByArn(mapping.event_source_arn)]!;
    const redrive = parseJson(queue.redrive_policy);
    const dlq = queues[queueNameByArn(redrive.deadLetterTargetArn)]!;

    assert.ok(redrive.maxReceiveCount >= 3 && redrive.maxReceiveCount <= 10, `maxReceiveCount ${redrive.maxReceiveCount}`);
    assert.is(dlq.message_retention_seconds, FOURTEEN_DAYS);
    assert.is(dlq.redrive_policy, undefined, "a DLQ does not dead-letter further");
  }
});

test("every DLQ allows a redrive from exactly its source queue: the command DLQ back to the command queue only", () => {
  const allowPolicies = Object.values(stack.resources("aws_sqs_queue_redrive_allow_policy"));

  assert.is(allowPolicies.length, Object.keys(queues).length, "one for each queue");
  for (const [source, dlq] of [["update_queue", "update_dlq"], ["telemetry_queue", "telemetry_dlq"], ["command_queue", "command_dlq"]] as const) {
    const policy = allowPolicies.find((candidate) => candidate.queue_url === ref("aws_sqs_queue", dlq, "url"));
    assert.ok(policy, `${dlq} has a redrive allow policy`);
    assert.equal(parseJson(policy.redrive_allow_policy), {
      redrivePermission: "byQueue",
      sourceQueueArns: [ref("aws_sqs_queue", source, "arn")],
    });
  }
});

test("R14-C1: a queue may be named as a dead-letter queue by exactly the queues of the stack whose redrive policy names it: the three DLQs by their own queue, the telemetry, command and update-job queues (and the schedules' failure queues) by none (denyAll, not SQS's default allowAll, which let any queue of the account dead-letter into the command queue, moved in by SQS without a SendMessage its policy judges)", () => {
  const allowPolicies = Object.values(stack.resources("aws_sqs_queue_redrive_allow_policy"));
  const namedBy = (queue: string) =>
    Object.keys(queues)
      .filter((source) => queues[source]!.redrive_policy !== undefined && parseJson(queues[source]!.redrive_policy).deadLetterTargetArn === ref("aws_sqs_queue", queue, "arn"))
      .map((source) => ref("aws_sqs_queue", source, "arn"));
  for (const queue of Object.keys(queues)) {
    const policies = allowPolicies.filter((candidate) => candidate.queue_url === ref("aws_sqs_queue", queue, "url"));
    const inline = queues[queue]!.redrive_allow_policy;
    assert.is(policies.length + (inline === undefined ? 0 : 1), 1, `${queue}: one redrive allow policy (an absent one is allowAll)`);
    const policy = parseJson<{ redrivePermission: string; sourceQueueArns?: string[] }>(inline ?? policies[0]!.redrive_allow_policy);
    const sources = namedBy(queue);
    assert.equal(policy, sources.length ? { redrivePermission: "byQueue", sourceQueueArns: sources } : { redrivePermission: "denyAll" }, queue);
  }
  for (const queue of ["telemetry_queue", "command_queue", "update_queue"]) assert.equal(namedBy(queue), [], `${queue} is nobody's DLQ`);
});

test("a telemetry message back from its DLQ is older than REDRIVEN_AFTER_MS: the processor takes it as following an attempt (quarantine/records rewritten)", () => {
  const queue = queues.telemetry_queue as Record<string, any>;
  const { maxReceiveCount } = parseJson(queue.redrive_policy) as { maxReceiveCount: number };
  assert.ok(maxReceiveCount * Number(queue.visibility_timeout_seconds) * 1000 >= REDRIVEN_AFTER_MS, `${maxReceiveCount} receives × ${queue.visibility_timeout_seconds} s`);
});

test("every queue is encrypted at rest", () => {
  for (const [name, queue] of Object.entries(queues)) {
    assert.ok(queue.sqs_managed_sse_enabled === true || typeof queue.kms_master_key_id === "string", `${name} is not encrypted`);
  }
});

test("the maxReceiveCount is a stack prop", () => {
  const custom = synthStack({ maxReceiveCount: 3 });

  assert.is(parseJson(custom.resource("aws_sqs_queue", "telemetry_queue").redrive_policy).maxReceiveCount, 3);
  assert.is(parseJson(custom.resource("aws_sqs_queue", "update_queue").redrive_policy).maxReceiveCount, 3);
  assert.is(parseJson(custom.resource("aws_sqs_queue", "command_queue").redrive_policy).maxReceiveCount, 3);
});

test.run();
