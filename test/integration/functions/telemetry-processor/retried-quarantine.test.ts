/**
 * R13-L2 on the local cloud with the real bundle and SDK: a gateway's object whose first attempts refuse a record
 * as vehicle-not-bound (their quarantine/records file written) and then fail at the ledger (DynamoDB PutItem
 * throttled at the front door), while an operator binds the VIN: the retry that completes accepts the record and
 * rewrites the records file empty, so the file and the ledger's `rejected` agree (the record is counted processed,
 * not also quarantined). The handler passes SQS's ApproximateReceiveCount to the processor.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fleetTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { rejectedRecordsKey } from "../../../../functions/telemetry-processor/quarantine.js";
import { FAULT } from "../../../../local/fault-injection.js";
import { bindLocalGatewayVehicles } from "../../../../local/identity/simulated-fleet.js";
import { gzipped, telemetryRecord } from "../../../unit/telemetry/support/factories.js";
import type { TestCloud } from "../../support/local-cloud.js";
import { startRetryingTelemetryCloud, type RetryingTelemetryCloud } from "../../support/telemetry-retries.js";
import { storedRejectedRecords } from "../../support/rejected-records.js";

const workspace = mkdtempSync(join(tmpdir(), "fleetota-retried-quarantine-"));
const GATEWAY = "gw-retried";
const A = "1HGCM82633A004352";
const C = "JH4KA7561PC008269";
const POLL_WAIT_SECONDS = 1;
/**
 * The telemetry queue's visibility timeout here, so a failed attempt is retried within seconds; above an attempt's
 * length (~2.5 s with the SDK's throttling retries, more under load), so attempts do not overlap.
 */
const VISIBILITY_SECONDS = 10;

let world: TestCloud;
let doc: DynamoDBDocumentClient;
let retrying: RetryingTelemetryCloud;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The refused lines in the records file at `key` as NDJSON ("" when it holds none), or undefined when there is no file. */
async function textOf(key: string): Promise<string | undefined> {
  const file = await storedRejectedRecords(world.clients.s3, world.outputs.data_bucket_name, key);
  return file?.lines.map((line) => JSON.stringify(line)).join("\n");
}

test.before(async () => {
  try {
    retrying = await startRetryingTelemetryCloud({ stateFile: join(workspace, ".fleetota", "local.json"), visibilitySeconds: VISIBILITY_SECONDS, pollWaitSeconds: POLL_WAIT_SECONDS });
    world = retrying.world;
    doc = DynamoDBDocumentClient.from(world.clients.dynamodb);
    await bindLocalGatewayVehicles(world.cloud, GATEWAY, [A]);
  } catch (error) {
    console.error("starting the local cloud failed:", error); // uvu does not report errors of hooks
    throw error;
  }
});

test.after(async () => {
  await world?.stop();
});

test("R13-L2: a record refused by attempts that failed at the ledger and accepted by the retry after a bind is not left in quarantine/records", async () => {
  const bucket = world.outputs.data_bucket_name;
  world.cloud.faults.inject([{ fault: FAULT.Throttle, rate: 1, principal: `function:${retrying.processorName}`, service: "dynamodb", operation: "PutItem" }]);
  const key = fleetTelemetryKey(GATEWAY, Date.now(), `retried-${process.pid}`);
  const body = gzipped([A, C].map((vin, seq) => telemetryRecord({ vin, seq, ts: new Date(Date.now() - 30_000).toISOString() })));
  const put = await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const etag = put.ETag!.replaceAll('"', "");
  const records = rejectedRecordsKey({ bucket, key, etag, size: body.length, createdAtMs: 0 });

  const deadline = Date.now() + 90_000;
  let refused: string | undefined;
  while (Date.now() < deadline && !(refused = await textOf(records))) await sleep(250);
  assert.match(refused ?? "", /"refusal":"vehicle-not-bound"/, "a failed attempt wrote C's line to quarantine/records");
  assert.match(refused ?? "", C);

  await bindLocalGatewayVehicles(world.cloud, GATEWAY, [C]); // the operator binds C while the message is retried
  // An attempt in flight now judged C before the bind; with the ledger refused, every attempt fails. Wait for one
  // that began after the bind to fail with none still running, so the attempt that completes is a later one.
  const deliveredBeforeBind = retrying.deliveries().delivered;
  const afterBindFailedAndNoneRunning = ({ delivered, failed }: { delivered: number; failed: number }) => delivered > deliveredBeforeBind && failed === delivered;
  while (Date.now() < deadline && !afterBindFailedAndNoneRunning(retrying.deliveries())) await sleep(50);
  assert.ok(afterBindFailedAndNoneRunning(retrying.deliveries()), `an attempt begun after the bind failed, none running: ${JSON.stringify(retrying.deliveries())} (${deliveredBeforeBind} before the bind)`);
  world.cloud.faults.clear();
  await world.cloud.runtime!.waitForIdle(60_000);

  const marker = await doc.send(new GetCommand({ TableName: world.outputs.state_table_name, Key: { pk: `OBJECT#${bucket}/${key}`, sk: etag }, ConsistentRead: true }));
  assert.is(marker.Item?.status, "COMPLETED");
  assert.equal([marker.Item?.outcome?.accepted, marker.Item?.outcome?.rejected], [2, 0], "the retry accepted both records");
  assert.is(await textOf(records), "", "and quarantine/records no longer holds C's line");
});

test.run();
