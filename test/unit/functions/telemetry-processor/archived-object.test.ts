/**
 * Review 18 (R18-T1): a vehicle could upload its telemetry as GLACIER (or DEEP_ARCHIVE); GetObject of an archived object
 * answers 403 InvalidObjectState, which the processor took for a refusal of its own role (transient): retried five
 * times, then dead-lettered, nothing parked, so any vehicle filled the telemetry DLQ at will. The device roles now
 * refuse every storage class but STANDARD (test/stack), and the processor parks such an object as its own fault.
 * The repro's shape and numbers: five receives of one message, each alone.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { S3ServiceException } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CampaignList } from "../../../../campaigns/store/index.js";
import { cachedCampaigns } from "../../../../functions/telemetry-processor/campaign-cache.js";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { processTelemetryBatch } from "../../../../functions/telemetry-processor/batch.js";
import type { ProcessorDependencies } from "../../../../functions/telemetry-processor/processor.js";
import { NOW_MS } from "../../telemetry/support/factories.js";

const VIN = "1HGCM82633A004352";

/** Five receives of one message, each its own batch, over an S3 whose every GetObject fails with `failure`: each batch's response, and the keys written. */
async function fiveReceives(failure: S3ServiceException) {
  const key = vehicleTelemetryKey(VIN, NOW_MS - 60_000, "unreadable-1");
  const event = { "detail-type": "Object Created", time: new Date(NOW_MS - 30_000).toISOString(), detail: { bucket: { name: "lake" }, object: { key, size: 200, etag: "e1" } } };
  const records = [1, 2, 3, 4, 5].map((receive) => ({ messageId: `m-${receive}`, body: JSON.stringify(event), attributes: { ApproximateReceiveCount: String(receive) } }) as unknown as SQSRecord);
  const puts: string[] = [];
  const s3 = {
    async send(command: { constructor: { name: string }; input: { Key?: string } }) {
      if (command.constructor.name === "GetObjectCommand") throw failure;
      if (command.constructor.name === "PutObjectCommand") puts.push(command.input.Key!);
      return {};
    },
  };
  const deps: ProcessorDependencies = {
    s3: s3 as unknown as S3Client,
    sqs: { send: async () => ({ Successful: [], Failed: [] }) } as unknown as SQSClient,
    doc: { send: async () => ({}) } as unknown as DynamoDBDocumentClient,
    dataBucket: "lake",
    stateTable: "state",
    updateQueueUrl: "http://queue/update",
    metricsNamespace: "FleetOTA",
    gatewayVehicles: { vehiclesOf: async () => new Set<string>(), newerThan: async () => undefined },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    metricsOut: () => {},
    now: () => NOW_MS,
  };
  const failures: number[] = [];
  for (const record of records) {
    const response = await processTelemetryBatch({ Records: [record] } as SQSEvent, { awsRequestId: record.messageId } as unknown as Context, deps, { campaigns: cachedCampaigns({ campaigns: { list: async () => [] } as unknown as CampaignList }), fleetStateMaxVehicles: 10 });
    failures.push(response.batchItemFailures.length);
  }
  return { failures, parked: new Set(puts.filter((put) => put.startsWith("parked/telemetry-processor/"))).size, quarantined: puts.filter((put) => put.startsWith("quarantine/")) };
}

const s3Error = (status: number, name: string, message: string) =>
  new S3ServiceException({ name, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status }, message });

test("a vehicle's GLACIER-class object (GetObject 403 InvalidObjectState) is parked object-unreadable at its first receive, never retried toward the DLQ (R18-T1)", async () => {
  const { failures, parked, quarantined } = await fiveReceives(s3Error(403, "InvalidObjectState", "The operation is not valid for the object's storage class"));
  assert.equal(failures, [0, 0, 0, 0, 0], "no receive fails, so none is retried and none reaches the DLQ");
  assert.is(parked, 1, "one parked record (the same id at each receive)");
  assert.equal(quarantined, [], "nothing to copy into quarantine");
});

test("an SSE-C object whose 400 S3 words otherwise is still parked at its first receive; a throttled read (503 SlowDown) is still retried each time and parks nothing (review 21 of R18-T1)", async () => {
  const reworded = await fiveReceives(s3Error(400, "InvalidRequest", "Objects encrypted with customer-provided keys need those keys to be read."));
  assert.equal(reworded.failures, [0, 0, 0, 0, 0], "reworded SSE-C: never retried");
  assert.is(reworded.parked, 1, "reworded SSE-C: parked once");

  const throttled = await fiveReceives(s3Error(503, "SlowDown", "Please reduce your request rate."));
  assert.equal(throttled.failures, [1, 1, 1, 1, 1], "throttled: each receive fails, so SQS retries it (and after 5 dead-letters it for a redrive)");
  assert.is(throttled.parked, 0, "throttled: nothing parked");
});

test.run();
