import { randomBytes } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { OtaReport } from "../telemetry/schema.js";
import { abortableSleep } from "../lib/abortable-sleep.js";
import { silentLog, type Log } from "../lib/logger.js";
import { generateBatch, type BatchContext, type BatchObject, type GeneratedBatch, type UploadMode } from "./batch.js";
import type { FaultOptions, MalformedKind } from "./faults.js";
import { createFleet, type Fleet } from "./fleet.js";
import { SeededRandom } from "./random.js";
import type { VehicleView } from "./vehicle.js";

/**
 * The plug-in point for the OTA agent (simulator/ota-agent/): called once per vehicle per interval,
 * before the vehicle's record is built. A returned report goes into that record's `ota` field.
 */
export interface VehicleAgent {
  tick(vehicle: VehicleView, now: Date): Promise<OtaReport | undefined>;
}

export interface SimulationOptions {
  vehicles: number;
  /** Simulated (and, when `realtime`, wall-clock) time between two records of a vehicle. */
  intervalMs: number;
  /** Number of intervals; undefined runs until `stop()` (then `realtime` is implied). */
  batches?: number;
  seed: number;
  /** Records per uploaded object. */
  batchSize: number;
  bucket: string;
  /**
   * Uploads the fleet gateway's objects (and a vehicle's own objects when `vehicleS3` is absent): the
   * gateway's own client (simulator/gateway-identity.ts), or any client allowed to write them.
   */
  s3: S3Client;
  /** Who uploads what (simulator/batch.ts); default fleet gateway. */
  uploadMode?: UploadMode;
  /** The fleet gateway's id (its objects go under `telemetry/fleet/<gatewayId>/`); default SIMULATOR_GATEWAY_ID. */
  gatewayId?: string;
  /** The S3 client signing with a vehicle's own credentials (simulator/vehicle-identities.ts), for its own objects. */
  vehicleS3?: (vin: string) => S3Client;
  /** Awaited once with the fleet before the first interval (registering the vehicles' identities). */
  prepare?: (fleet: Fleet) => Promise<void>;
  /** Generate and count, upload nothing (measuring, trying options). */
  dryRun?: boolean;
  /**
   * true: one batch per interval of wall-clock time, stamped now. false: the batches' timestamps end
   * at the start time and are generated back to back, as fast as uploads go.
   */
  realtime?: boolean;
  faults?: FaultOptions;
  agent?: VehicleAgent;
  /** Parallel uploads. */
  uploadConcurrency?: number;
  /** Called as each object's upload completes (latency measurement). */
  onUploaded?: (object: BatchObject, uploadedAtMs: number) => void;
  /** Called after each batch is uploaded (progress display, tests). */
  onBatch?: (batch: GeneratedBatch, summary: SimulationSummary) => void;
  log?: Log;
  /** Clock, for tests. */
  now?: () => number;
}

export interface SimulationSummary {
  vehicles: number;
  batches: number;
  objects: number;
  /** PutObject calls, duplicates included. */
  uploads: number;
  duplicateUploads: number;
  corruptObjects: number;
  /** Every record written into an uploaded object, malformed and unreadable ones included. */
  records: number;
  /** Records a processor should accept. */
  valid: number;
  malformed: number;
  malformedByKind: Partial<Record<MalformedKind, number>>;
  /** Records stamped by a clock too far ahead (rejected by the processor as future). */
  clockSkewed: number;
  /** Records inside corrupted objects (the processor quarantines the object whole). */
  recordsInCorruptObjects: number;
  otaReports: number;
  /** Produced but not uploaded yet: still buffered on offline vehicles. */
  stillBuffered: number;
  droppedFromBuffers: number;
}

export const DEFAULT_SIMULATION = {
  vehicles: 100,
  intervalMs: 60_000,
  seed: 42,
  batchSize: 500,
  uploadConcurrency: 8,
} as const;

export interface RunningSimulation {
  /** Stops after the batch in progress and resolves with the totals. */
  stop(): Promise<SimulationSummary>;
  /** Resolves when the configured number of batches is done (or after `stop()`). */
  done: Promise<SimulationSummary>;
  readonly fleet: Fleet;
}

export class SimulationOptionsError extends Error {
  override readonly name = "SimulationOptionsError";
}

function emptySummary(vehicles: number): SimulationSummary {
  return {
    vehicles, batches: 0, objects: 0, uploads: 0, duplicateUploads: 0, corruptObjects: 0, records: 0, valid: 0,
    malformed: 0, malformedByKind: {}, clockSkewed: 0, recordsInCorruptObjects: 0, otaReports: 0, stillBuffered: 0,
    droppedFromBuffers: 0,
  };
}

/** Adds one uploaded object's counts to the summary. */
export function countObject(summary: SimulationSummary, object: BatchObject): void {
  summary.objects++;
  summary.uploads += object.duplicate ? 2 : 1;
  if (object.duplicate) summary.duplicateUploads++;
  summary.records += object.records;
  if (object.corrupt) {
    summary.corruptObjects++;
    summary.recordsInCorruptObjects += object.records;
    return;
  }
  summary.valid += object.valid;
  summary.clockSkewed += object.clockSkewed;
  summary.otaReports += object.otaReports;
  for (const [kind, count] of Object.entries(object.malformed) as Array<[MalformedKind, number]>) {
    summary.malformed += count;
    summary.malformedByKind[kind] = (summary.malformedByKind[kind] ?? 0) + count;
  }
}

async function uploadAll(objects: BatchObject[], options: SimulationOptions): Promise<void> {
  const queue = objects.flatMap((object) => (object.duplicate ? [object, object] : [object]));
  const workers = Array.from({ length: Math.min(queue.length, options.uploadConcurrency ?? DEFAULT_SIMULATION.uploadConcurrency) }, async () => {
    for (let object = queue.shift(); object; object = queue.shift()) {
      const s3 = object.vin !== undefined && options.vehicleS3 ? options.vehicleS3(object.vin) : options.s3;
      await s3.send(
        new PutObjectCommand({ Bucket: options.bucket, Key: object.key, Body: object.body, ContentType: "application/x-ndjson" }),
      );
      options.onUploaded?.(object, Date.now());
    }
  });
  await Promise.all(workers);
}

async function collectOtaReports(fleet: Fleet, agent: VehicleAgent | undefined, now: Date): Promise<Map<string, OtaReport>> {
  const reports = new Map<string, OtaReport>();
  if (!agent) return reports;
  for (const vehicle of fleet.vehicles) {
    const report = await agent.tick(vehicle, now);
    if (report) reports.set(vehicle.vin, report);
  }
  return reports;
}

/**
 * Starts a simulated fleet uploading telemetry batches to `bucket`. Reproducible for a given seed
 * (object names carry a random run id so that two runs never overwrite each other).
 *
 * @example
 * const simulation = startSimulation({ ...DEFAULT_SIMULATION, batches: 5, bucket, s3 });
 * const summary = await simulation.done; // { records: 500, valid: 500, … }
 */
export function startSimulation(options: SimulationOptions): RunningSimulation {
  if (!(options.vehicles > 0) || !(options.intervalMs > 0) || !(options.batchSize > 0)) {
    throw new SimulationOptionsError("vehicles, interval and batch size must be positive");
  }
  const now = options.now ?? Date.now;
  const log = options.log ?? silentLog;
  const realtime = options.realtime ?? options.batches === undefined;
  const batches = options.batches ?? Number.POSITIVE_INFINITY;
  const firstAtMs = realtime ? now() : now() - (batches - 1) * options.intervalMs;
  const fleet = createFleet({
    vehicles: options.vehicles,
    seed: options.seed,
    startMs: firstAtMs - options.intervalMs,
    clockSkewRate: options.faults?.clockSkewRate,
    clockSkewMs: options.faults?.clockSkewMs,
  });
  const context: BatchContext = {
    fleet,
    buffers: new Map(),
    random: new SeededRandom(options.seed ^ 0xba7c4),
    runId: randomBytes(4).toString("hex"),
    objectSequence: { next: 0 },
    batchSize: options.batchSize,
    faults: options.faults,
    uploadMode: options.uploadMode,
    gatewayId: options.gatewayId,
  };
  const summary = emptySummary(options.vehicles);
  const stopping = new AbortController();

  async function run(): Promise<SimulationSummary> {
    await options.prepare?.(fleet);
    for (let index = 0; index < batches && !stopping.signal.aborted; index++) {
      const atMs = realtime ? now() : firstAtMs + index * options.intervalMs;
      context.otaReports = await collectOtaReports(fleet, options.agent, new Date(atMs));
      const batch = generateBatch(context, atMs);
      if (!options.dryRun) await uploadAll(batch.objects, options);
      for (const object of batch.objects) countObject(summary, object);
      summary.batches++;
      summary.droppedFromBuffers += batch.droppedFromBuffers;
      summary.stillBuffered = [...context.buffers.values()].reduce((total, lines) => total + lines.length, 0);
      log.debug("batch uploaded", { atMs, objects: batch.objects.length });
      options.onBatch?.(batch, summary);
      if (realtime && index + 1 < batches) await abortableSleep(options.intervalMs - (now() - atMs), stopping.signal);
    }
    return summary;
  }

  const done = run();
  return {
    fleet,
    done,
    async stop() {
      stopping.abort();
      return done;
    },
  };
}
