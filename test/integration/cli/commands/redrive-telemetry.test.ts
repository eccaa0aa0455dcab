/**
 * `fleetota redrive --queue telemetry` against the local cloud with the real SDK and the real
 * telemetry processor: an object whose read keeps failing (500s injected on the processor's
 * GetObject) is dead-lettered by SQS itself after maxReceiveCount receives, listed by a dry run,
 * redriven once the fault is gone and processed; redriven while the fault stays, it fails again and
 * goes back to the telemetry DLQ, each failed delivery counted by the event source mapping.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { runCli } from "../../../../cli/main.js";
import { fleetTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { FAULT } from "../../../../local/fault-injection.js";
import { bindLocalGatewayVehicles } from "../../../../local/identity/simulated-fleet.js";
import { capturingIo, cliIn } from "../../support/cli.js";
import type { TestCloud } from "../../support/local-cloud.js";
import { startRetryingTelemetryCloud } from "../../support/telemetry-retries.js";
import { gzipped, telemetryRecord } from "../../../unit/telemetry/support/factories.js";

const workspace = mkdtempSync(join(tmpdir(), "fleetota-redrive-telemetry-"));
const GATEWAY = "gw-redrive";
const POLL_WAIT_SECONDS = 1;
/** The telemetry queue's visibility timeout here, so five failed receives take seconds, not 30 minutes. */
const VISIBILITY_SECONDS = 2;
const MAX_RECEIVE_COUNT = 5;
const RECORDS = 12;

let world: TestCloud;
let doc: DynamoDBDocumentClient;
let processorName = "";
let failedDeliveries: () => number = () => 0;
let objectSequence = 0;
const fleetota = cliIn(workspace, {});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Uploads one gzip NDJSON object of RECORDS valid records; S3 → EventBridge → the telemetry queue. */
async function upload(): Promise<{ key: string; etag: string }> {
  const key = fleetTelemetryKey(GATEWAY, Date.now(), `${process.pid}-${objectSequence++}`);
  const body = gzipped(Array.from({ length: RECORDS }, (_, seq) => telemetryRecord({ seq, ts: new Date(Date.now() - 60_000).toISOString() })));
  const put = await world.clients.s3.send(new PutObjectCommand({ Bucket: world.outputs.data_bucket_name, Key: key, Body: body }));
  return { key, etag: put.ETag!.replaceAll('"', "") };
}

async function depth(queueUrl: string): Promise<number> {
  const response = await world.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  return Number(response.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/**
 * Waits until the telemetry DLQ holds `count` messages and the telemetry queue none, then until no attempt is still
 * running (or gives up after 90 s; the assertion after says). An attempt can outlast the 2 s visibility timeout on a
 * loaded machine, so the receive that dead-letters the message can come while the previous receive's attempt runs: its
 * failure is not counted yet.
 */
async function untilDeadLettered(count: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if ((await depth(world.outputs.telemetry_dlq_url)) === count && (await depth(world.outputs.telemetry_queue_url)) === 0) {
      await world.cloud.runtime!.waitForIdle(Math.max(1, deadline - Date.now()));
      return;
    }
    await sleep(250);
  }
}

/** The processor's ledger entry of an object version (COMPLETED with its outcome once processed). */
async function marker(object: { key: string; etag: string }): Promise<Record<string, unknown> | undefined> {
  const response = await doc.send(
    new GetCommand({ TableName: world.outputs.state_table_name, Key: { pk: `OBJECT#${world.outputs.data_bucket_name}/${object.key}`, sk: object.etag }, ConsistentRead: true }),
  );
  return response.Item;
}

function failTheProcessorsReads(): void {
  world.cloud.faults.inject([{ fault: FAULT.ServerError, rate: 1, principal: `function:${processorName}`, service: "s3", operation: "GetObject" }]);
}

test.before(async () => {
  try {
    const retrying = await startRetryingTelemetryCloud({ stateFile: join(workspace, ".fleetota", "local.json"), visibilitySeconds: VISIBILITY_SECONDS, pollWaitSeconds: POLL_WAIT_SECONDS });
    ({ world, processorName, failedDeliveries } = retrying);
    doc = DynamoDBDocumentClient.from(world.clients.dynamodb);
    await bindLocalGatewayVehicles(world.cloud, GATEWAY, [telemetryRecord().vin]); // the gateway carries the factory's vehicle
  } catch (error) {
    console.error("starting the local cloud failed:", error); // uvu does not report errors of hooks
    throw error;
  }
});

test.after(async () => {
  await world?.stop();
});

test("an object the processor cannot read is dead-lettered; a dry run lists it by object, a redrive after the fault brings it back and it is processed", async () => {
  failTheProcessorsReads();
  const object = await upload();
  await untilDeadLettered(1);
  assert.is(await depth(world.outputs.telemetry_dlq_url), 1, "SQS moved the message to the telemetry DLQ after maxReceiveCount receives");
  assert.is((await marker(object))?.status, undefined, "the failed attempts released their claim");

  const listed = await fleetota("redrive", "--queue", "telemetry", "--dry-run");
  assert.is(listed.code, 0, listed.err);
  assert.equal([listed.json.queue, listed.json.inDlq, listed.json.wouldMove], ["telemetry", 1, 1]);
  const [letter] = listed.json.messages;
  assert.is(letter.object, `s3://${world.outputs.data_bucket_name}/${object.key}`);
  assert.is(letter.businessKey, `s3://${world.outputs.data_bucket_name}/${object.key}#${object.etag}`);
  assert.is(letter.errorKind, "processing-failed");
  assert.ok(letter.receives >= MAX_RECEIVE_COUNT, `received ${letter.receives} times`);
  const human = capturingIo();
  assert.is(await runCli(["redrive", "--queue", "telemetry", "--dry-run"], { io: human, cwd: workspace, env: {} }), 0);
  assert.match(human.out, object.key);
  assert.match(human.out, "1 message(s) in the telemetry DLQ, 1 would move; nothing was moved (dry run)");
  if (process.env.FLEETOTA_SHOW_OUTPUT) console.log(human.out);
  assert.is((await fleetota("redrive", "--dry-run")).json.inDlq, 0, "the default is still the update DLQ, which is empty");
  assert.is(await depth(world.outputs.telemetry_dlq_url), 1, "the dry run moved nothing");

  world.cloud.faults.clear();
  const filtered = await fleetota("redrive", "--queue", "telemetry", "--key-prefix", "telemetry/fleet/gw-someone-else/", "--journal", join(workspace, "j-filtered.ndjson"));
  assert.equal([filtered.code, filtered.json.moved, filtered.json.leftInDlq], [0, 0, 1], "a filter that does not match moves nothing");

  const movedHuman = capturingIo();
  const code = await runCli(["redrive", "--queue", "telemetry", "--max-per-second", "10"], { io: movedHuman, cwd: workspace, env: {} });
  assert.is(code, 0, movedHuman.err);
  assert.match(movedHuman.out, `message move task COMPLETED: 1 of 1 message(s) moved to ${world.outputs.telemetry_queue_url}`);
  if (process.env.FLEETOTA_SHOW_OUTPUT) console.log(movedHuman.out);
  await world.cloud.runtime!.waitForIdle(60_000);

  const processed = await marker(object);
  assert.is(processed?.status, "COMPLETED");
  assert.equal(processed?.outcome, { accepted: RECORDS, rejected: 0, statusReports: 0, candidates: 0 });
  assert.is(await depth(world.outputs.telemetry_dlq_url), 0);
  assert.is(await depth(world.outputs.telemetry_queue_url), 0);
});

test("a redriven message that fails again goes back to the telemetry DLQ, each failed delivery counted; once fixed, the next redrive processes it", async () => {
  failTheProcessorsReads();
  const object = await upload();
  await untilDeadLettered(1);
  assert.is(await depth(world.outputs.telemetry_dlq_url), 1);
  const failedBefore = failedDeliveries();

  const moved = await fleetota("redrive", "--queue", "telemetry", "--key-prefix", `telemetry/fleet/${GATEWAY}/`, "--journal", join(workspace, "j-again.ndjson"));
  assert.is(moved.code, 0, moved.err);
  assert.equal([moved.json.mode, moved.json.moved, moved.json.leftInDlq], ["client-side", 1, 0]);
  assert.is(moved.json.movedMessages[0].businessKey, `s3://${world.outputs.data_bucket_name}/${object.key}#${object.etag}`);
  await untilDeadLettered(1);

  assert.is(await depth(world.outputs.telemetry_dlq_url), 1, "back in the DLQ, once");
  assert.ok(failedDeliveries() - failedBefore >= MAX_RECEIVE_COUNT, `the mapping counted ${failedDeliveries() - failedBefore} failed deliveries`);
  assert.is((await marker(object))?.status, undefined, "not processed");
  const again = await fleetota("redrive", "--queue", "telemetry", "--dry-run");
  assert.equal(again.json.messages.map((message: { businessKey: string }) => message.businessKey), [moved.json.movedMessages[0].businessKey]);

  world.cloud.faults.clear();
  const fixed = await fleetota("redrive", "--queue", "telemetry", "--client-side", "--journal", join(workspace, "j-fixed.ndjson"));
  assert.equal([fixed.code, fixed.json.moved], [0, 1]);
  await world.cloud.runtime!.waitForIdle(60_000);
  assert.is((await marker(object))?.status, "COMPLETED");
  assert.is(await depth(world.outputs.telemetry_dlq_url), 0);
});

test.run();
