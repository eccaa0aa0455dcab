/** The references the applier resolves, and everything else of Terraform's language refused by name, without I/O. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  UnresolvedReferenceError,
  UnsupportedExpressionError,
  parseTemplate,
  referencesIn,
  resolveValue,
  type Lookup,
} from "../../../../local/apply/references.js";

const QUEUE_ARN = "arn:aws:sqs:eu-central-1:123456789012:work";
const DLQ_ARN = "arn:aws:sqs:eu-central-1:123456789012:work-dlq";

/** Two queues, a rule, a table with a list attribute, and a data source. */
function lookup(): Lookup {
  const applied: Record<string, Record<string, unknown>> = {
    "aws_sqs_queue.work": { arn: QUEUE_ARN, url: "http://127.0.0.1:4566/123456789012/work", name: "work", visibility: 90 },
    "aws_sqs_queue.dlq": { arn: DLQ_ARN },
    "aws_cloudwatch_event_rule.r": { arn: "arn:aws:events:eu-central-1:123456789012:rule/r", enabled: true },
    "aws_dynamodb_table.t": { hash_key: "pk", replicas: ["eu-west-1"], nothing: null },
    "data.aws_caller_identity.account": { account_id: "123456789012" },
  };
  return (address) => applied[address];
}

function resolve(text: string): unknown {
  return resolveValue(text, lookup());
}

function refusal(text: string): string {
  try {
    parseTemplate(text);
  } catch (error) {
    assert.instance(error, UnsupportedExpressionError);
    return (error as UnsupportedExpressionError).construct;
  }
  assert.unreachable(`${text} was not refused`);
  return "";
}

test("a whole-string reference keeps its value and type; in text it interpolates", () => {
  assert.is(resolve("${aws_sqs_queue.work.arn}"), QUEUE_ARN);
  assert.is(resolve("${aws_sqs_queue.work.visibility}"), 90);
  assert.equal(resolve("${aws_dynamodb_table.t.replicas}"), ["eu-west-1"]);
  assert.is(resolve("q-${aws_sqs_queue.work.name}-${aws_sqs_queue.work.visibility}-${aws_cloudwatch_event_rule.r.enabled}"), "q-work-90-true");
  assert.is(resolve("arn:aws:iam::${data.aws_caller_identity.account.account_id}:root"), "arn:aws:iam::123456789012:root");
});

test("references inside JSON text (JSON.stringify of tokens, what the stack writes) resolve in place", () => {
  const text = JSON.stringify({ deadLetterTargetArn: "${aws_sqs_queue.dlq.arn}", maxReceiveCount: 5, Condition: { ArnEquals: { "aws:SourceArn": "${aws_cloudwatch_event_rule.r.arn}" } } });

  assert.equal(JSON.parse(String(resolve(text))), {
    deadLetterTargetArn: DLQ_ARN,
    maxReceiveCount: 5,
    Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:events:eu-central-1:123456789012:rule/r" } },
  });
});

test("$${ and %%{ are literal text; text without interpolation is returned as is", () => {
  assert.is(resolve("literal $${not.a.reference} and %%{if x}"), "literal ${not.a.reference} and %{if x}");
  assert.is(resolve('{"a":{"b":1}}'), '{"a":{"b":1}}');
  assert.is(resolve(""), "");
});

test("function calls are refused with the function's name (Fn.jsonencode, Fn.join, …)", () => {
  assert.is(refusal('${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.dlq.arn, "maxReceiveCount" = 5})}'), "function call jsonencode()");
  assert.is(refusal('${join(",", aws_sqs_queue.work.tags)}'), "function call join()");
  assert.is(refusal("arn:${element(aws_dynamodb_table.t.replicas, 0)}"), "function call element()");
});

test("operators, conditionals, splats, indexes and for expressions are refused by name", () => {
  assert.is(refusal("${aws_sqs_queue.work.visibility * 2}"), "operator expression");
  assert.is(refusal("${!aws_cloudwatch_event_rule.r.enabled}"), "operator expression");
  assert.is(refusal('${aws_cloudwatch_event_rule.r.enabled ? "on" : "off"}'), "conditional");
  assert.is(refusal("${aws_sqs_queue.all[*].arn}"), "splat");
  assert.is(refusal("${aws_sqs_queue.all.*.arn}"), "splat");
  assert.is(refusal("${aws_dynamodb_table.t.replicas[0]}"), "index");
  assert.is(refusal("${[for q in aws_sqs_queue.all : q.arn]}"), "for expression");
});

test("variables, locals, other roots, nested attributes, literals and directives are refused by name", () => {
  assert.is(refusal("${var.region}"), "input variable (var.)");
  assert.is(refusal("${local.prefix}"), "local value (local.)");
  assert.is(refusal("${path.module}"), "path value (path.)");
  assert.is(refusal("${each.key}"), "for_each value (each.)");
  assert.is(refusal("${data.aws_region.here}"), "data source reference that is not data.type.name.attribute");
  assert.is(refusal("${aws_lambda_function.f.environment.0.variables}"), "reference that is not type.name.attribute (aws_lambda_function.f.environment.0.variables)");
  assert.is(refusal('${"text"}'), "literal");
  assert.is(refusal("%{ if true }x%{ endif }"), "template directive (%{…})");
  assert.is(refusal("${aws_sqs_queue.work.arn"), "unterminated interpolation");
});

test("the refusal names the expression and what to do instead", () => {
  const error = (() => {
    try {
      return resolve('${jsonencode({"a" = aws_sqs_queue.dlq.arn})}');
    } catch (caught) {
      return caught as Error;
    }
  })() as Error;

  assert.instance(error, UnsupportedExpressionError);
  assert.match(error.message, /jsonencode\(\{"a" = aws_sqs_queue\.dlq\.arn\}\)/);
  assert.match(error.message, /function call jsonencode\(\)/);
  assert.match(error.message, /JSON\.stringify/);
});

test("a reference to what the stack does not define, a missing attribute or null in text names the reference", () => {
  const unresolved = (text: string): string => {
    try {
      resolve(text);
    } catch (error) {
      assert.instance(error, UnresolvedReferenceError);
      return (error as Error).message;
    }
    return "resolved";
  };

  assert.match(unresolved("${aws_mq_broker.x.arn}"), /aws_mq_broker\.x\.arn.*does not define/);
  assert.match(unresolved("${aws_sqs_queue.work.policy}"), /aws_sqs_queue\.work\.policy.*no attribute "policy"/);
  assert.match(unresolved("x-${aws_dynamodb_table.t.nothing}"), /aws_dynamodb_table\.t\.nothing.*null inside text/);
  assert.match(unresolved("x-${aws_dynamodb_table.t.replicas}"), /not a string, number or bool/);
});

test("resolveValue walks a configuration and drops cdktf's metadata", () => {
  const config = { "//": { metadata: {} }, queue_url: "${aws_sqs_queue.work.url}", tags: { env: "dev" }, attribute: [{ name: "${aws_dynamodb_table.t.hash_key}" }], count: 3 };

  assert.equal(resolveValue(config, lookup()), {
    queue_url: "http://127.0.0.1:4566/123456789012/work",
    tags: { env: "dev" },
    attribute: [{ name: "pk" }],
    count: 3,
  });
});

test("referencesIn finds every reference in a configuration, data sources included, and refuses the rest", () => {
  const config = {
    "//": { note: "${ignored.in.metadata}" },
    redrive: JSON.stringify({ deadLetterTargetArn: "${aws_sqs_queue.dlq.arn}" }),
    policy: [{ resource: "${aws_sqs_queue.work.arn}", account: "arn:aws:iam::${data.aws_caller_identity.account.account_id}:root" }],
  };

  assert.equal(referencesIn(config), [
    { address: "aws_sqs_queue.dlq", attribute: "arn" },
    { address: "aws_sqs_queue.work", attribute: "arn" },
    { address: "data.aws_caller_identity.account", attribute: "account_id" },
  ]);
  assert.throws(() => referencesIn({ x: "${var.y}" }), (error: Error) => error instanceof UnsupportedExpressionError);
});

test.run();
