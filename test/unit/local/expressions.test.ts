/** The Terraform expression subset the applier resolves, without I/O. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  ExpressionSyntaxError,
  UnresolvedReferenceError,
  evaluate,
  parseTemplate,
  referencesIn,
  resolveValue,
  type Scope,
} from "../../../local/apply/expressions.js";
import { UnsupportedFunctionError } from "../../../local/apply/functions.js";

const QUEUE_ARN = "arn:aws:sqs:eu-central-1:123456789012:work";
const DLQ_ARN = "arn:aws:sqs:eu-central-1:123456789012:work-dlq";

/** A scope with two queues, a rule, a data source, a variable and a list attribute. */
function scope(): Scope {
  const roots: Record<string, unknown> = {
    aws_sqs_queue: { work: { arn: QUEUE_ARN, url: "http://127.0.0.1:4566/123456789012/work", name: "work" }, dlq: { arn: DLQ_ARN } },
    aws_cloudwatch_event_rule: { r: { arn: "arn:aws:events:eu-central-1:123456789012:rule/r" } },
    data: { aws_region: { here: { name: "eu-central-1" } } },
    var: { retries: 5, names: ["a", "b"] },
  };
  return (root) => roots[root];
}

function resolve(text: string): unknown {
  return evaluate(parseTemplate(text), scope());
}

test("a whole-string reference keeps its value; mixed text interpolates", () => {
  assert.is(resolve("${aws_sqs_queue.work.arn}"), QUEUE_ARN);
  assert.is(resolve("${var.retries}"), 5);
  assert.is(resolve("prefix-${aws_sqs_queue.work.name}-${data.aws_region.here.name}"), "prefix-work-eu-central-1");
});

test("references nested inside JSON text (JSON.stringify of tokens) resolve in place", () => {
  const text = JSON.stringify({ deadLetterTargetArn: "${aws_sqs_queue.dlq.arn}", maxReceiveCount: 5 });
  assert.equal(JSON.parse(String(resolve(text))), { deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 5 });
});

test("jsonencode of an HCL object (Fn.jsonencode) gives Terraform's JSON with sorted keys", () => {
  const text =
    '${jsonencode({"Version" = "2012-10-17", "Statement" = [{"Effect" = "Allow", "Resource" = aws_sqs_queue.work.arn, ' +
    '"Condition" = {"ArnEquals" = {"aws:SourceArn" = aws_cloudwatch_event_rule.r.arn}}}]})}';
  const policy = String(resolve(text));
  assert.is(policy.indexOf('"Statement"') < policy.indexOf('"Version"'), true);
  assert.equal(JSON.parse(policy), {
    Statement: [{ Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:events:eu-central-1:123456789012:rule/r" } }, Effect: "Allow", Resource: QUEUE_ARN }],
    Version: "2012-10-17",
  });
});

test("strings inside expressions are templates with escapes; $${ is a literal", () => {
  assert.is(resolve('${"q-${aws_sqs_queue.work.name}\\n"}'), "q-work\n");
  assert.is(resolve("literal $${not.a.reference}"), "literal ${not.a.reference}");
  assert.is(resolve('${jsonencode({"a" = "x\\"y"})}'), '{"a":"x\\"y"}');
});

test("functions, indexes, splats, operators and conditionals", () => {
  assert.is(resolve('${join(",", var.names)}'), "a,b");
  assert.is(resolve("${var.names[1]}"), "b");
  assert.is(resolve("${upper(element(var.names, 2))}"), "A");
  assert.is(resolve('${var.retries > 3 ? "many" : "few"}'), "many");
  assert.is(resolve("${var.retries * 2 + 1}"), 11);
  assert.is(resolve("${-var.retries}"), -5);
  assert.equal(resolve('${merge({a = 1}, {b = "2"})}'), { a: 1, b: "2" });
});

test("an unknown reference names itself; an unknown function names itself; bad syntax says where", () => {
  assert.throws(() => resolve("${aws_sqs_queue.missing.arn}"), (error: Error) => error instanceof UnresolvedReferenceError && /aws_sqs_queue\.missing\.arn/.test(error.message));
  assert.throws(() => resolve("${aws_mq_broker.x.arn}"), (error: Error) => error instanceof UnresolvedReferenceError && /aws_mq_broker/.test(error.message));
  assert.throws(() => resolve("${templatefile(var.names)}"), (error: Error) => error instanceof UnsupportedFunctionError && /templatefile/.test(error.message));
  assert.throws(() => resolve("${jsonencode({a = }"), (error: Error) => error instanceof ExpressionSyntaxError && /offset/.test(error.message));
});

test("resolveValue walks a configuration and drops cdktf's metadata", () => {
  const config = { "//": { metadata: {} }, queue_url: "${aws_sqs_queue.work.url}", tags: { env: "dev" }, attribute: [{ name: "${var.names[0]}" }] };
  assert.equal(resolveValue(config, scope()), {
    queue_url: "http://127.0.0.1:4566/123456789012/work",
    tags: { env: "dev" },
    attribute: [{ name: "a" }],
  });
});

test("referencesIn finds every reference, also inside jsonencode and JSON text", () => {
  const config = {
    redrive: '${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.dlq.arn})}',
    policy: JSON.stringify({ Resource: "${aws_sqs_queue.work.arn}" }),
    region: "${data.aws_region.here.name}",
  };
  assert.equal(
    referencesIn(config).map((reference) => [reference.root, ...reference.path].join(".")),
    ["aws_sqs_queue.dlq.arn", "aws_sqs_queue.work.arn", "data.aws_region.here.name"],
  );
});

test.run();
