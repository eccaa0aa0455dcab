/**
 * The telemetry processor's own CPU time and peak memory, without any network: the real processor code
 * (processTelemetryMessage for each message under the handler's in-flight limit, then publishInvocation)
 * with real SDK clients whose HTTP handler answers from memory (no socket, no emulator), so the CPU time is
 * everything the function does itself: SDK serialisation, signing and parsing, gunzip, validation,
 * aggregation. Run by bench/cost.bench.ts in a fresh process (its peak RSS is then the processor's), it
 * prints one JSON line:
 *   { cpuSecondsPerObject, cpuSecondsPerInvocation, coreCpuSecondsPerRecord, recordsPerObject,
 *     sdkCallsPerObject, sdkCallsPerInvocation, peakRssMb, worstCase: { objects, records, cpuSeconds, peakRssMb } }
 * Benchmarks are not tests: nothing here asserts.
 *
 *   node --import tsx bench/processor-offline.ts
 */
import { Readable } from "node:stream";
import { gunzipSync, gzipSync } from "node:zlib";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { vehicleTelemetryKey } from "../contracts/telemetry-keys.js";
import { OBJECTS_IN_FLIGHT } from "../functions/telemetry-processor/batch.js";
import { processTelemetryMessage, publishInvocation, type InvocationScope, type ProcessorDependencies } from "../functions/telemetry-processor/processor.js";
import { uploaderOfMessage } from "../functions/telemetry-processor/fair-order.js";
import { dynamoCampaignList } from "../campaigns/store/index.js";
import { HeldBackTally } from "../functions/telemetry-processor/report-screen.js";
import { cachedCampaigns } from "../functions/telemetry-processor/campaign-cache.js";
import { fairConcurrencyLimit } from "../lib/concurrency-limit.js";
import { ParkedTally } from "../lib/parked-failures.js";
import { createFleet } from "../simulator/fleet.js";
import { InvocationAggregate } from "../telemetry/aggregate.js";
import { readTelemetryObject } from "../telemetry/core.js";

const BUCKET = "offline-data-lake";
/** One vehicle's hourly object: a record a minute. */
const RECORDS_PER_OBJECT = 60;
const BATCH = 100;

interface CannedRequest {
  method: string;
  hostname: string;
  path: string;
  headers: Record<string, string>;
}

/** Objects the canned S3 serves, by key. */
const objects = new Map<string, Buffer>();
const calls = { count: 0 };

function respond(statusCode: number, headers: Record<string, string>, body: Buffer | string) {
  return { response: { statusCode, reason: "OK", headers: { "content-length": String(Buffer.byteLength(body)), ...headers }, body: Readable.from([Buffer.from(body)]) } };
}

/** An HTTP handler for the SDK that answers every call from memory, as AWS would answer a successful one. */
const canned = {
  metadata: { handlerProtocol: "http/1.1" },
  async handle(request: CannedRequest) {
    calls.count++;
    const target = request.headers["x-amz-target"] ?? "";
    if (target.startsWith("DynamoDB_")) {
      const operation = target.split(".")[1];
      const body = operation === "Query" || operation === "Scan" ? '{"Items":[],"Count":0,"ScannedCount":0}' : "{}";
      return respond(200, { "content-type": "application/x-amz-json-1.0" }, body);
    }
    if (request.hostname.startsWith("sqs")) return respond(200, { "content-type": "application/x-amz-json-1.0" }, '{"Successful":[],"Failed":[]}');
    // S3, path style: /<bucket>/<key>
    const key = decodeURIComponent(request.path.slice(BUCKET.length + 2));
    if (request.method === "GET") {
      const body = objects.get(key);
      if (!body) return respond(404, { "content-type": "application/xml" }, "<Error><Code>NoSuchKey</Code></Error>");
      return respond(200, { "content-type": "application/octet-stream", etag: '"e"' }, body);
    }
    return respond(200, { etag: '"e"' }, "");
  },
  updateHttpClientConfig() {},
  httpHandlerConfigs: () => ({}),
  destroy() {},
};

const clientConfig = {
  region: "us-east-1",
  credentials: { accessKeyId: "AKIAOFFLINE", secretAccessKey: "offline" },
  requestHandler: canned,
  maxAttempts: 1,
} as const;
const dependencies: ProcessorDependencies = {
  s3: new S3Client({ ...clientConfig, forcePathStyle: true }),
  sqs: new SQSClient(clientConfig),
  doc: DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), { marshallOptions: { removeUndefinedValues: true } }),
  dataBucket: BUCKET,
  stateTable: "offline-state",
  updateQueueUrl: "https://sqs.us-east-1.amazonaws.com/000000000000/offline-update",
  metricsNamespace: "FleetOTA",
  // Vehicles' own objects only: no gateway's vehicles are ever asked for.
  gatewayVehicles: { vehiclesOf: async () => new Set<string>(), newerThan: async () => undefined },
  log: { debug() {}, info() {}, warn() {}, error() {} },
  // The metrics are rendered as on Lambda (EMF lines), but not printed: this process's stdout is its result.
  metricsOut: () => {},
};

/** The process with the code loaded, before any work (node and its loader included). */
const baselineRssMb = process.memoryUsage().rss / 1024 / 1024;
const campaigns = dynamoCampaignList({ doc: dependencies.doc, table: dependencies.stateTable });
const nowMs = Date.now();
const fleet = createFleet({ vehicles: BATCH * 6, seed: 5, startMs: nowMs - 2 * 3_600_000 });

/** Each vehicle's last `records` minutes as its own gzip object; returns the SQS message bodies. */
function uploadHour(vehicles: typeof fleet.vehicles, records: number, run: string): string[] {
  const lines = new Map<string, string[]>(vehicles.map((vehicle) => [vehicle.vin, []]));
  for (let minute = records; minute > 0; minute--) {
    const atMs = nowMs - minute * 60_000;
    for (const vehicle of vehicles) {
      vehicle.advance(atMs);
      lines.get(vehicle.vin)!.push(JSON.stringify(vehicle.toRecord(atMs)));
    }
  }
  return vehicles.map((vehicle, index) => {
    const key = vehicleTelemetryKey(vehicle.vin, nowMs, `${run}-${index}`);
    const body = gzipSync(`${lines.get(vehicle.vin)!.join("\n")}\n`);
    objects.set(key, body);
    return JSON.stringify({
      "detail-type": "Object Created",
      time: new Date(nowMs).toISOString(),
      detail: { bucket: { name: BUCKET }, object: { key, size: body.length, etag: "e" } },
    });
  });
}

/** One invocation as the handler runs it; returns its CPU seconds. */
async function invocation(messages: string[]): Promise<number> {
  const started = process.cpuUsage();
  const scope: InvocationScope = {
    aggregate: new InvocationAggregate(),
    inFlight: new Map(),
    // Read every invocation (no cache period): the most the handler reads, so the CPU figure is not flattered.
    campaigns: cachedCampaigns({ campaigns, cacheMs: 0 }).forInvocation(),
    reportsHeldBack: new HeldBackTally(),
    parking: { s3: dependencies.s3, bucket: BUCKET, tally: new ParkedTally() },
  };
  const limited = fairConcurrencyLimit(OBJECTS_IN_FLIGHT);
  await Promise.all(messages.map((body) => limited(uploaderOfMessage(body), () => processTelemetryMessage(body, dependencies, scope))));
  await publishInvocation(scope.aggregate, dependencies, "offline");
  if (scope.aggregate.objectsProcessed !== messages.length) throw new Error(`processed ${scope.aggregate.objectsProcessed} of ${messages.length}`);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1e6;
}

const cpuOf = (used: NodeJS.CpuUsage) => (used.user + used.system) / 1e6;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// Warm-up (JIT, SDK endpoint and signing caches), then single-object and full-batch invocations, which
// separate what is per object from what is per invocation (cpu(n) = perInvocation + n × perObject).
const vehicles = fleet.vehicles;
await invocation(uploadHour(vehicles.slice(0, BATCH), RECORDS_PER_OBJECT, "warm"));
const single: number[] = [];
for (let round = 0; round < 20; round++) single.push(await invocation(uploadHour(vehicles.slice(BATCH + round, BATCH + round + 1), RECORDS_PER_OBJECT, `one${round}`)));
const full: number[] = [];
for (let round = 0; round < 5; round++) full.push(await invocation(uploadHour(vehicles.slice(BATCH, 2 * BATCH), RECORDS_PER_OBJECT, `full${round}`)));
const callsBefore = calls.count;
await invocation(uploadHour(vehicles.slice(2 * BATCH, 3 * BATCH), RECORDS_PER_OBJECT, "count"));
const callsPerFullBatch = calls.count - callsBefore;
const callsBeforeOne = calls.count;
await invocation(uploadHour(vehicles.slice(3 * BATCH, 3 * BATCH + 1), RECORDS_PER_OBJECT, "countone"));
const callsPerSingle = calls.count - callsBeforeOne;
const cpuSecondsPerObject = (median(full) - median(single)) / (BATCH - 1);
const cpuSecondsPerInvocation = Math.max(0, median(single) - cpuSecondsPerObject);

// The telemetry core alone on the same kind of objects (decode, validate, enrich, aggregate).
const coreBodies = [...objects.values()].slice(0, BATCH);
let coreBest = Number.POSITIVE_INFINITY;
for (let round = 0; round < 5; round++) {
  const started = process.cpuUsage();
  const aggregate = new InvocationAggregate();
  for (const body of coreBodies) aggregate.addObject(await readTelemetryObject([body], nowMs), 0);
  coreBest = Math.min(coreBest, cpuOf(process.cpuUsage(started)));
}
const coreCpuSecondsPerRecord = coreBest / (coreBodies.length * RECORDS_PER_OBJECT);
const peakRssMb = process.resourceUsage().maxRSS / 1024;

// The worst batch the processor accepts whole: 100 objects at the line limit (10,000 valid records each).
objects.clear();
const worstVehicles = vehicles.slice(4 * BATCH, 5 * BATCH);
const worstMessages: string[] = [];
for (let part = 0; part < worstVehicles.length; part += 10) {
  for (const message of uploadHour(worstVehicles.slice(part, part + 10), RECORDS_PER_OBJECT, `worst${part}`)) worstMessages.push(message);
}
for (const [key, body] of objects) {
  const lines = gunzipLines(body);
  const repeated: string[] = [];
  while (repeated.length < 10_000) repeated.push(...lines);
  objects.set(key, gzipSync(`${repeated.slice(0, 10_000).join("\n")}\n`));
}
const worstStarted = process.cpuUsage();
await invocation(worstMessages);
const worstCpu = cpuOf(process.cpuUsage(worstStarted));

function gunzipLines(body: Buffer): string[] {
  return gunzipSync(body).toString("utf8").trim().split("\n");
}

console.log(
  JSON.stringify({
    cpuSecondsPerObject,
    cpuSecondsPerInvocation,
    coreCpuSecondsPerRecord,
    recordsPerObject: RECORDS_PER_OBJECT,
    sdkCallsPerObject: (callsPerFullBatch - callsPerSingle) / (BATCH - 1),
    sdkCallsPerInvocation: callsPerSingle - (callsPerFullBatch - callsPerSingle) / (BATCH - 1),
    objectsInFlight: OBJECTS_IN_FLIGHT,
    baselineRssMb,
    peakRssMb,
    worstCase: { objects: worstMessages.length, records: worstMessages.length * 10_000, cpuSeconds: worstCpu, peakRssMb: process.resourceUsage().maxRSS / 1024 },
  }),
);
