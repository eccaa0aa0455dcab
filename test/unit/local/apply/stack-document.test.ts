/** Reading cdk.tf.json into resource nodes, their dependency order, and bucket-policy translation. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DependencyCycleError, UnknownResourceTypeError } from "../../../../local/apply/errors.js";
import { assertKnownTypes } from "../../../../local/apply/index.js";
import { dependencyOrder, inDependencyOrder, resourceNodes, type StackDocument } from "../../../../local/apply/stack-document.js";

/** A target listed before the rule and queue it references, and a policy with an explicit depends_on. */
function document(): StackDocument {
  return {
    resource: {
      aws_cloudwatch_event_target: { t: { rule: "${aws_cloudwatch_event_rule.r.name}", arn: "${aws_sqs_queue.q.arn}" } },
      aws_s3_bucket_policy: { p: { bucket: "b", policy: "{}", depends_on: ["aws_s3_bucket_public_access_block.pab"] } },
      aws_s3_bucket_public_access_block: { pab: { bucket: "b" } },
      aws_cloudwatch_event_rule: { r: { name: "r", event_pattern: '{"source":["${data.aws_region.here.name}"]}' } },
      aws_sqs_queue: { q: { name: "q" } },
    },
    data: { aws_region: { here: {} } },
  };
}

function position(order: string[], address: string): number {
  const index = order.indexOf(address);
  assert.ok(index >= 0, `${address} is ordered`);
  return index;
}

test("every resource comes after what it references or depends on", () => {
  const order = dependencyOrder(resourceNodes(document())).map((node) => node.address);

  assert.is(order.length, 6);
  assert.ok(position(order, "aws_cloudwatch_event_rule.r") < position(order, "aws_cloudwatch_event_target.t"));
  assert.ok(position(order, "aws_sqs_queue.q") < position(order, "aws_cloudwatch_event_target.t"));
  assert.ok(position(order, "data.aws_region.here") < position(order, "aws_cloudwatch_event_rule.r"));
  assert.ok(position(order, "aws_s3_bucket_public_access_block.pab") < position(order, "aws_s3_bucket_policy.p"));
});

test("a reference cycle is an error naming the resources in it", () => {
  const cyclic: StackDocument = {
    resource: { aws_sqs_queue: { a: { policy: "${aws_sqs_queue.b.arn}" }, b: { policy: "${aws_sqs_queue.a.arn}" } } },
  };
  assert.throws(
    () => dependencyOrder(resourceNodes(cyclic)),
    (error: Error) => error instanceof DependencyCycleError && /aws_sqs_queue\.a/.test(error.message) && /aws_sqs_queue\.b/.test(error.message),
  );
});

test("an unknown type is refused by name; known and skipped types pass", () => {
  const known = resourceNodes({ resource: { aws_sqs_queue: { q: {} }, aws_iam_role: { r: {} } } });
  const unknown = resourceNodes({ resource: { aws_sqs_queue: { q: {} }, aws_kinesis_stream: { s: {} } } });

  assertKnownTypes(known);
  assert.throws(() => assertKnownTypes(unknown), (error: Error) => error instanceof UnknownResourceTypeError && /aws_kinesis_stream\.s/.test(error.message));
});

test("inDependencyOrder runs independent resources together and a dependent one only after its dependencies", async () => {
  const nodes = dependencyOrder(resourceNodes(document()));
  const finished: string[] = [];
  let running = 0;
  let mostAtOnce = 0;

  await inDependencyOrder(nodes, 4, async (node) => {
    for (const dependency of node.dependsOn) assert.ok(finished.includes(dependency), `${dependency} before ${node.address}`);
    running += 1;
    mostAtOnce = Math.max(mostAtOnce, running);
    await new Promise((resolveLater) => setTimeout(resolveLater, 5));
    running -= 1;
    finished.push(node.address);
  });

  assert.is(finished.length, nodes.length);
  assert.ok(mostAtOnce > 1, "independent resources overlapped");
});

test("inDependencyOrder stops at the first failure and starts nothing that depends on it", async () => {
  const nodes = dependencyOrder(resourceNodes(document()));
  const started: string[] = [];

  const error = await inDependencyOrder(nodes, 1, async (node) => {
    started.push(node.address);
    if (node.address === "aws_sqs_queue.q") throw new Error("queue refused");
  }).catch((caught: Error) => caught);

  assert.is((error as Error).message, "queue refused");
  assert.not.ok(started.includes("aws_cloudwatch_event_target.t"));
});

test.run();
