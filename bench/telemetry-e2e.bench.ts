/**
 * Local end to end: a large fleet at one record per vehicle per minute, uploaded in real time to the
 * local cloud for several minutes. Reports records/s sustained, latency from upload to processed
 * (p50/p95/max, from the simulator's upload time to the processor's completion marker) and the
 * telemetry queue depth over time (it must not grow). Heavy: it only runs when asked for.
 *
 *   FLEETOTA_BENCH_E2E=1 npm run bench -- telemetry-e2e
 *   FLEETOTA_BENCH_E2E=1 E2E_VEHICLES=20000 E2E_MINUTES=2 npm run bench -- telemetry-e2e
 */
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { startLocalCloud } from "../local/cloud.js";
import { startSimulation } from "../simulator/simulation.js";

const VEHICLES = Number(process.env.E2E_VEHICLES ?? 100_000);
const MINUTES = Number(process.env.E2E_MINUTES ?? 5);
const BATCH_SIZE = Number(process.env.E2E_BATCH_SIZE ?? 1_000);
const DEPTH_SAMPLE_MS = 10_000;
const DRAIN_TIMEOUT_MS = 5 * 60_000;

const percentile = (sorted: number[], share: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? Number.NaN;

async function main(): Promise<void> {
  if (process.env.FLEETOTA_BENCH_E2E !== "1") {
    console.log("skipped: set FLEETOTA_BENCH_E2E=1 to run (several minutes, both cores)");
    return;
  }
  const cloud = await startLocalCloud({ runtime: true, stateFile: false, runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0 } });
  const outputs = cloud.description.outputs as Record<string, string>;
  const s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
  const sqs = new SQSClient(cloud.clientConfig);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig));
  const uploadedAt = new Map<string, number>();
  const depths: Array<{ atS: number; depth: number }> = [];
  const started = Date.now();
  const sampleDepth = async () => {
    const response = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: outputs.telemetry_queue_url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
    );
    const depth = Number(response.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    depths.push({ atS: Math.round((Date.now() - started) / 1000), depth });
  };
  const sampler = setInterval(() => void sampleDepth().catch(() => undefined), DEPTH_SAMPLE_MS);
  try {
    console.log(`local cloud up (${JSON.stringify(cloud.timings)}); ${VEHICLES} vehicles × ${MINUTES} min, ${BATCH_SIZE} records per object`);
    const simulation = startSimulation({
      vehicles: VEHICLES,
      intervalMs: 60_000,
      batches: MINUTES,
      seed: 42,
      batchSize: BATCH_SIZE,
      realtime: true,
      bucket: outputs.data_bucket_name!,
      s3,
      onUploaded: (object, atMs) => uploadedAt.set(object.key, atMs),
      onBatch: (_batch, summary) => console.log(`  minute ${summary.batches}: ${summary.records} records in ${summary.objects} objects uploaded`),
    });
    const summary = await simulation.done;
    const simulatedS = (Date.now() - started) / 1000;
    await cloud.runtime!.waitForIdle(DRAIN_TIMEOUT_MS);
    clearInterval(sampler);
    await sampleDepth();
    const completed = new Map<string, number>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new ScanCommand({ TableName: outputs.state_table_name, ExclusiveStartKey: startKey, FilterExpression: "begins_with(pk, :object)", ExpressionAttributeValues: { ":object": "OBJECT#" } }));
      for (const item of page.Items ?? []) completed.set(String(item.pk).slice(String(item.pk).indexOf("/") + 1), Date.parse(String(item.completedAt)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const latencies = [...uploadedAt].flatMap(([key, atMs]) => (completed.has(key) ? [completed.get(key)! - atMs] : [])).sort((a, b) => a - b);
    console.log(`records: ${summary.records} in ${summary.objects} objects over ${simulatedS.toFixed(0)} s = ${Math.round(summary.records / simulatedS)} records/s sustained`);
    console.log(`objects processed: ${latencies.length}/${uploadedAt.size}`);
    console.log(`latency upload → processed: p50 ${percentile(latencies, 0.5)} ms, p95 ${percentile(latencies, 0.95)} ms, max ${latencies[latencies.length - 1]} ms (goal p95 < 5000 ms)`);
    console.log(`telemetry queue depth every ${DEPTH_SAMPLE_MS / 1000} s: ${depths.map((sample) => sample.depth).join(" ")}`);
  } finally {
    clearInterval(sampler);
    for (const client of [s3, sqs, doc]) client.destroy();
    await cloud.stop();
  }
}

await main();
