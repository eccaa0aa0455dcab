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
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { processTelemetryBatch } from "../../../../functions/telemetry-processor/batch.js";
import type { ProcessorDependencies } from "../../../../functions/telemetry-processor/processor.js";
import { NOW_MS } from "../../telemetry/support/factories.js";

const VIN = "1HGCM82633A004352";

test("a vehicle's GLACIER-class object (GetObject 403 InvalidObjectState) is parked object-unreadable at its first receive, never retried toward the DLQ (R18-T1)", async () => {
  const key = vehicleTelemetryKey(VIN, NOW_MS - 60_000, "archived-1");
  const event = { "detail-type": "Object Created", time: new Date(NOW_MS - 30_000).toISOString(), detail: { bucket: { name: "lake" }, object: { key, size: 200, etag: "e1" } } };
  const records = [1, 2, 3, 4, 5].map((receive) => ({ messageId: `m-${receive}`, body: JSON.stringify(event), attributes: { ApproximateReceiveCount: String(receive) } }) as unknown as SQSRecord);
  const puts: string[] = [];
  const s3 = {
    async send(command: { constructor: { name: string }; input: { Key?: string } }) {
      if (command.constructor.name === "GetObjectCommand") {
        throw new S3ServiceException({ name: "InvalidObjectState", $fault: "client", $metadata: { httpStatusCode: 403 }, message: "The operation is not valid for the object's storage class" });
      }
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
  // Each delivery alone (as five receives would be): none fails, so none is retried and none reaches the DLQ.
  for (const record of records) {
    const response = await processTelemetryBatch({ Records: [record] } as SQSEvent, { awsRequestId: record.messageId } as unknown as Context, deps, { campaigns: { list: async () => [] } as unknown as CampaignList, fleetStateMaxVehicles: 10 });
    assert.equal(response.batchItemFailures, [], `receive ${record.attributes.ApproximateReceiveCount}`);
  }
  const parked = puts.filter((put) => put.startsWith("parked/telemetry-processor/"));
  assert.is(new Set(parked).size, 1, "one parked record (the same id at each receive)");
  assert.equal(puts.filter((put) => put.startsWith("quarantine/")), [], "nothing to copy into quarantine");
});

test.run();
