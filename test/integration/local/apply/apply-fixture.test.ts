/**
 * The applier on small hand-made stacks (Terraform JSON as cdktf writes it) against the emulator:
 * an unknown resource type or an expression that is not a plain reference (Fn.jsonencode) is refused by
 * name before anything is created; JSON-text redrive settings, name prefixes, the caller-identity data
 * source, schedules and their Lambda targets resolve as Terraform would.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GetQueueAttributesCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { ListRulesCommand } from "@aws-sdk/client-eventbridge";
import { applyStack } from "../../../../local/apply/index.js";
import { UnknownResourceTypeError, ResourceApplyError } from "../../../../local/apply/errors.js";
import { UnsupportedExpressionError } from "../../../../local/apply/references.js";
import type { StackDocument } from "../../../../local/apply/stack-document.js";
import { startTestEmulator, type TestEmulator } from "../../support/local-cloud.js";

let world: TestEmulator;
let stackCount = 0;

/** A stack with a queue pair (the redrive policy as JSON text with a reference, as the stack writes it) plus whatever `extra` adds. */
function stackWith(extra: Record<string, Record<string, Record<string, unknown>>> = {}): StackDocument {
  stackCount += 1;
  const prefix = `fixture-${stackCount}`;
  return {
    "//": { metadata: { stackName: prefix } },
    provider: { aws: [{ region: "eu-central-1" }] },
    data: { aws_caller_identity: { me: {} } },
    resource: {
      aws_sqs_queue: {
        dlq: { name: `${prefix}-dlq` },
        work: {
          name_prefix: `${prefix}-work-`,
          visibility_timeout_seconds: 90,
          redrive_policy: JSON.stringify({ deadLetterTargetArn: "${aws_sqs_queue.dlq.arn}", maxReceiveCount: 4 }),
        },
      },
      ...extra,
    },
    output: { work_url: { value: "${aws_sqs_queue.work.url}" } },
  };
}

function apply(document: StackDocument) {
  return applyStack(document, { endpoint: world.clientConfig.endpoint, stackDir: "/tmp" });
}

async function queueNames(): Promise<string[]> {
  const { QueueUrls = [] } = await world.clients.sqs.send(new ListQueuesCommand({}));
  return QueueUrls.map((url) => url.slice(url.lastIndexOf("/") + 1));
}

test.before(async () => {
  world = await startTestEmulator();
});

test.after(async () => {
  await world?.stop();
});

test("an unknown resource type is refused with its name and address, before anything is created", async () => {
  const document = stackWith({ aws_mq_broker: { events: { broker_name: "x" } } });
  const before = await queueNames();

  const error = await apply(document).catch((caught: unknown) => caught);

  assert.instance(error, UnknownResourceTypeError);
  assert.match((error as Error).message, /aws_mq_broker/);
  assert.match((error as Error).message, /aws_mq_broker\.events/);
  assert.equal(await queueNames(), before);
});

test("an unknown data source is refused with its name too", async () => {
  const document = stackWith();
  document.data = { aws_vpc: { main: {} } };

  const error = await apply(document).catch((caught: unknown) => caught);

  assert.instance(error, UnknownResourceTypeError);
  assert.match((error as Error).message, /data\.aws_vpc/);
});

test("an interpolation that is not a plain reference is refused by name and resource, before anything is created", async () => {
  const document = stackWith();
  document.resource!.aws_sqs_queue!.work!.redrive_policy = '${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.dlq.arn, "maxReceiveCount" = 4})}';
  const before = await queueNames();

  const error = await apply(document).catch((caught: unknown) => caught);

  assert.instance(error, UnsupportedExpressionError);
  assert.match((error as Error).message, /function call jsonencode\(\)/);
  assert.match((error as Error).message, /aws_sqs_queue\.work/);
  assert.equal(await queueNames(), before);
});

test("JSON-text redrive, name_prefix and outputs resolve in dependency order", async () => {
  const description = await apply(stackWith());

  const work = description.resources["aws_sqs_queue.work"]!;
  const { Attributes = {} } = await world.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: String(work.url), AttributeNames: ["RedrivePolicy", "VisibilityTimeout"] }),
  );
  assert.equal(JSON.parse(Attributes.RedrivePolicy!), { deadLetterTargetArn: description.resources["aws_sqs_queue.dlq"]!.arn, maxReceiveCount: 4 });
  assert.is(Attributes.VisibilityTimeout, "90");
  assert.ok(String(work.name).startsWith(`${description.stackName}-work-`));
  assert.is(description.outputs.work_url, work.url);
  assert.is(description.region, "eu-central-1");
});

test("a schedule rule and its Lambda target become a runtime schedule, not an emulator rule", async () => {
  const document = stackWith({
    aws_lambda_function: {
      ticker: {
        function_name: "fixture-ticker",
        filename: "assets/ticker/archive.zip",
        handler: "index.handler",
        timeout: 30,
        role: "${aws_iam_role.ticker.arn}",
        environment: { variables: { QUEUE: "${aws_sqs_queue.work.url}", ACCOUNT: "${data.aws_caller_identity.me.account_id}" } },
      },
    },
    aws_iam_role: { ticker: { name: "fixture-ticker-role", assume_role_policy: "{}" } },
    aws_cloudwatch_event_rule: { every_minute: { name: "fixture-every-minute", schedule_expression: "rate(1 minute)" } },
    aws_cloudwatch_event_target: {
      tick: { rule: "${aws_cloudwatch_event_rule.every_minute.name}", arn: "${aws_lambda_function.ticker.arn}", input: '{"tick":true}' },
    },
  });

  const description = await apply(document);

  const { Rules = [] } = await world.clients.events.send(new ListRulesCommand({ NamePrefix: "fixture-every-minute" }));
  assert.is(Rules.length, 0, "moto would match a schedule-only rule against every event");
  assert.equal(description.schedules.map(({ ruleName, scheduleExpression, targets }) => ({ ruleName, scheduleExpression, targets })), [
    { ruleName: "fixture-every-minute", scheduleExpression: "rate(1 minute)", targets: [{ functionName: "fixture-ticker", input: '{"tick":true}' }] },
  ]);
  const [ticker] = description.functions;
  assert.is(ticker!.environment.QUEUE, description.resources["aws_sqs_queue.work"]!.url);
  assert.is(ticker!.environment.ACCOUNT, "123456789012");
  assert.is(ticker!.archivePath, "/tmp/assets/ticker/archive.zip");
  assert.is(ticker!.timeoutSeconds, 30);
  assert.equal(description.skipped, ["aws_iam_role.ticker"]);
});

test("a failing resource is reported with its address", async () => {
  const document = stackWith({ aws_sqs_queue_policy: { broken: { queue_url: "http://127.0.0.1:1/123456789012/missing", policy: "{}" } } });

  const error = await apply(document).catch((caught: unknown) => caught);

  assert.instance(error, ResourceApplyError);
  assert.match((error as Error).message, /aws_sqs_queue_policy\.broken/);
});

test.run();
