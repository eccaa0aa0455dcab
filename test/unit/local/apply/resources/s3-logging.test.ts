/**
 * Server access logging as local/apply applies it: what the stack writes goes to PutBucketLogging as is;
 * arguments the local cloud does not apply are refused by name, before any call.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { PutBucketLoggingCommandInput } from "@aws-sdk/client-s3";
import type { ApplyContext } from "../../../../../local/apply/context.js";
import { InvalidResourceConfigError } from "../../../../../local/apply/errors.js";
import { s3Appliers } from "../../../../../local/apply/resources/s3.js";
import type { ResourceNode } from "../../../../../local/apply/stack-document.js";

const logging = s3Appliers.aws_s3_bucket_logging!;

function node(config: Record<string, unknown>): ResourceNode {
  return { address: "aws_s3_bucket_logging.data_lake_access_logging", mode: "resource", type: "aws_s3_bucket_logging", name: "data_lake_access_logging", config, dependsOn: [] };
}

function recordingContext(): { context: ApplyContext; sent: PutBucketLoggingCommandInput[] } {
  const sent: PutBucketLoggingCommandInput[] = [];
  const s3 = { send: async (command: { input: PutBucketLoggingCommandInput }) => void sent.push(command.input) };
  return { context: { clients: { s3 } } as unknown as ApplyContext, sent };
}

test("the stack's logging (bucket, target bucket, prefix) is put as written", async () => {
  const { context, sent } = recordingContext();
  const config = { bucket: "fleetota-dev-data-lake", target_bucket: "fleetota-dev-access-logs", target_prefix: "s3/data_lake/" };

  const attributes = await logging(config, node(config), context);

  assert.equal(sent, [{ Bucket: "fleetota-dev-data-lake", BucketLoggingStatus: { LoggingEnabled: { TargetBucket: "fleetota-dev-access-logs", TargetPrefix: "s3/data_lake/" } } }]);
  assert.equal(attributes, { id: "fleetota-dev-data-lake", bucket: "fleetota-dev-data-lake" });
});

for (const argument of ["target_grant", "target_object_key_format", "expected_bucket_owner"]) {
  test(`${argument} is refused by name and address, before any call`, async () => {
    const { context, sent } = recordingContext();
    const config = { bucket: "b", target_bucket: "logs", target_prefix: "s3/b/", [argument]: [{}] };

    const error = await Promise.resolve(logging(config, node(config), context)).catch((caught: unknown) => caught);

    assert.instance(error, InvalidResourceConfigError);
    assert.match((error as Error).message, new RegExp(`aws_s3_bucket_logging\\.data_lake_access_logging: uses ${argument}`));
    assert.equal(sent, []);
  });
}

test("a logging resource without a target bucket is refused", async () => {
  const { context, sent } = recordingContext();
  const config = { bucket: "b" };

  const error = await Promise.resolve(logging(config, node(config), context)).catch((caught: unknown) => caught);

  assert.instance(error, InvalidResourceConfigError);
  assert.match((error as Error).message, /has no target_bucket/);
  assert.equal(sent, []);
});

test.run();
