/**
 * Processor core (decode + validate + enrich + aggregate) in records/s against the bare limit, gunzip +
 * JSON.parse of the same bytes, measured side by side in this process. The goal is a ratio of at least
 * 0.75. A third line shows zod's own safeParse in place of the ajv-compiled validator, the measurement
 * behind the choice in telemetry/schema.ts. Each variant is timed in CPU time of this process (all its
 * threads, zlib's included), not wall-clock time, so other work on a shared machine does not tilt the ratio.
 * The goal's corpus is a fleet gateway's objects (500 records of 500 VINs each: every record a new VIN for
 * the invocation's per-VIN state). A second corpus, vehicles' own hourly objects (60 records of one VIN, read
 * with the uploader's key as the processor reads them), is measured the same way against its own bare limit:
 * the shape the cost model prices.
 *
 *   npm run bench -- telemetry-processor
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { parseTelemetryKey, vehicleTelemetryKey, type ParsedTelemetryKey } from "../contracts/telemetry-keys.js";
import { InvocationAggregate } from "../telemetry/aggregate.js";
import { DEFAULT_READ_LIMITS, readTelemetryObject } from "../telemetry/core.js";
import { telemetryRecordSchema } from "../telemetry/schema.js";
import { generateBatch } from "../simulator/batch.js";
import { createFleet } from "../simulator/fleet.js";
import { SeededRandom } from "../simulator/random.js";
import { recordFigure } from "./results.js";

const VEHICLES = 20_000;
const BATCH_SIZE = 500;
/** One warm-up round, then 15 measured: with 6, the median ratio moved by ±0.05 between runs on the shared machine. */
const ROUNDS = 16;

function corpus(): { bodies: Buffer[]; records: number; nowMs: number } {
  const nowMs = Date.now();
  const fleet = createFleet({ vehicles: VEHICLES, seed: 42, startMs: nowMs - 120_000 });
  const context = { fleet, buffers: new Map(), random: new SeededRandom(1), runId: "bench", objectSequence: { next: 0 }, batchSize: BATCH_SIZE };
  generateBatch(context, nowMs - 60_000); // let the fleet move before measuring
  const batch = generateBatch(context, nowMs);
  return { bodies: batch.objects.map((object) => object.body), records: batch.objects.reduce((total, object) => total + object.records, 0), nowMs };
}

/** Vehicles' own hourly objects: a record a minute for an hour, one object a vehicle, about as many records as the gateway corpus. */
const HOURLY_RECORDS = 60;
const HOURLY_VEHICLES = 333;

function hourlyCorpus(nowMs: number): { bodies: Buffer[]; uploaders: ParsedTelemetryKey[]; records: number } {
  const fleet = createFleet({ vehicles: HOURLY_VEHICLES, seed: 42, startMs: nowMs - 2 * 3_600_000 });
  const lines = new Map<string, string[]>(fleet.vehicles.map((vehicle) => [vehicle.vin, []]));
  for (let minute = HOURLY_RECORDS; minute > 0; minute--) {
    const atMs = nowMs - minute * 60_000;
    for (const vehicle of fleet.vehicles) {
      vehicle.advance(atMs);
      lines.get(vehicle.vin)!.push(JSON.stringify(vehicle.toRecord(atMs)));
    }
  }
  return {
    bodies: fleet.vehicles.map((vehicle) => gzipSync(`${lines.get(vehicle.vin)!.join("\n")}\n`)),
    uploaders: fleet.vehicles.map((vehicle, index) => parseTelemetryKey(vehicleTelemetryKey(vehicle.vin, nowMs, `bench-${index}`))),
    records: HOURLY_RECORDS * HOURLY_VEHICLES,
  };
}

function bareLimit(bodies: Buffer[]): number {
  let parsed = 0;
  for (const body of bodies) {
    const text = gunzipSync(body).toString("utf8");
    for (const line of text.split("\n")) if (line) (JSON.parse(line) as unknown, parsed++);
  }
  return parsed;
}

function bareWithZod(bodies: Buffer[]): number {
  let valid = 0;
  for (const body of bodies) {
    const text = gunzipSync(body).toString("utf8");
    for (const line of text.split("\n")) if (line && telemetryRecordSchema.safeParse(JSON.parse(line)).success) valid++;
  }
  return valid;
}

async function processorCore(bodies: Buffer[], nowMs: number, uploaders?: ParsedTelemetryKey[]): Promise<number> {
  const aggregate = new InvocationAggregate();
  for (let index = 0; index < bodies.length; index++) {
    aggregate.addObject(await readTelemetryObject([bodies[index]!], nowMs, DEFAULT_READ_LIMITS, uploaders?.[index]), 0);
  }
  aggregate.metricData(new Date(nowMs));
  return aggregate.dataPoints;
}

async function timed(run: () => number | Promise<number>): Promise<{ ms: number; count: number }> {
  const started = process.cpuUsage();
  const count = await run();
  const used = process.cpuUsage(started);
  return { ms: (used.user + used.system) / 1000, count };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const { bodies, records, nowMs } = corpus();
  const bytes = bodies.reduce((total, body) => total + body.length, 0);
  console.log(`corpus: ${records} records from ${VEHICLES} vehicles in ${bodies.length} gzip objects, ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
  const hourly = hourlyCorpus(nowMs);
  const samples = { limit: [] as number[], core: [] as number[], zod: [] as number[], hourlyLimit: [] as number[], hourlyCore: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const limit = await timed(() => bareLimit(bodies));
    const core = await timed(() => processorCore(bodies, nowMs));
    const zod = await timed(() => bareWithZod(bodies));
    const hourlyLimit = await timed(() => bareLimit(hourly.bodies));
    const hourlyCore = await timed(() => processorCore(hourly.bodies, nowMs, hourly.uploaders));
    if (core.count !== records || zod.count !== records || limit.count !== records) throw new Error("a variant did not see every record as valid");
    if (hourlyCore.count !== hourly.records || hourlyLimit.count !== hourly.records) throw new Error("an hourly variant did not see every record as valid");
    if (round === 0) continue; // warm-up
    samples.limit.push(records / (limit.ms / 1000));
    samples.core.push(records / (core.ms / 1000));
    samples.zod.push(records / (zod.ms / 1000));
    samples.hourlyLimit.push(hourly.records / (hourlyLimit.ms / 1000));
    samples.hourlyCore.push(hourly.records / (hourlyCore.ms / 1000));
  }
  const limit = median(samples.limit);
  const row = (name: string, perSecond: number) =>
    console.log(`${name.padEnd(44)} ${Math.round(perSecond).toLocaleString("en-US").padStart(10)} records/s   ratio ${(perSecond / limit).toFixed(2)}`);
  row("bare limit: gunzip + JSON.parse", limit);
  row("processor core (stream, ajv, enrich, aggregate)", median(samples.core));
  row("gunzip + JSON.parse + zod safeParse only", median(samples.zod));
  const hourlyRatio = median(samples.hourlyCore) / median(samples.hourlyLimit);
  console.log(`vehicles' own hourly objects (${hourly.records} records in ${hourly.bodies.length}): core at ${hourlyRatio.toFixed(2)} of their bare limit`);
  const ratio = median(samples.core) / limit;
  console.log(ratio >= 0.75 ? `goal met: core at ${ratio.toFixed(2)} of the limit (goal ≥ 0.75)` : `GOAL MISSED: core at ${ratio.toFixed(2)} of the limit (goal ≥ 0.75)`);
  recordFigure({ name: "telemetry core (decode, validate, enrich, aggregate) vs bare gunzip + JSON.parse", value: ratio, unit: "ratio", goal: "≥ 0.75" });
  recordFigure({ name: "telemetry core throughput", value: median(samples.core), unit: "records/s" });
  recordFigure({ name: "gunzip + JSON.parse + zod alone vs bare", value: median(samples.zod) / limit, unit: "ratio" });
  recordFigure({ name: "telemetry core on vehicles' own hourly objects (60 records of one VIN, uploader checked) vs bare", value: hourlyRatio, unit: "ratio" });
}

await main();
