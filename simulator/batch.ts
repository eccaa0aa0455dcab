import { gzipSync } from "node:zlib";
import { fleetTelemetryKey, vehicleTelemetryKey } from "../contracts/telemetry-keys.js";
import { MAX_FUTURE_SKEW_MS, type OtaReport } from "../telemetry/schema.js";
import { corruptGzip, malformedLine, pickMalformedKind, type FaultOptions, type MalformedKind } from "./faults.js";
import type { Fleet } from "./fleet.js";
import type { SeededRandom } from "./random.js";
import type { SimulatedVehicle } from "./vehicle.js";

/** Records a vehicle keeps while offline; older ones are dropped first (and counted). */
export const OFFLINE_BUFFER_LIMIT = 2_880;

export const LINE_KIND = { Valid: "valid", ClockSkewed: "clock-skewed" } as const;
type LineKind = (typeof LINE_KIND)[keyof typeof LINE_KIND] | MalformedKind;

interface PendingLine {
  line: string;
  kind: LineKind;
  /** A valid record carrying an OTA report. */
  ota: boolean;
  /** The line carries an OTA report, valid or not: it must travel in its vehicle's own object. */
  carriesReport: boolean;
}

/** Per-vehicle records waiting for connectivity, kept beside the fleet (the vehicle model stays pure state). */
export type OfflineBuffers = Map<string, PendingLine[]>;

export interface BatchObject {
  key: string;
  body: Buffer;
  /** Every line in the object, whatever its kind. */
  records: number;
  valid: number;
  malformed: Partial<Record<MalformedKind, number>>;
  clockSkewed: number;
  otaReports: number;
  /** The gzip stream was deliberately corrupted: the processor can read none of its records. */
  corrupt: boolean;
  /** Upload it twice (duplicate-delivery fault). */
  duplicate: boolean;
  /** The vehicle whose own object this is (uploaded with its own credentials); absent for the fleet gateway's objects. */
  vin?: string;
}

export interface GeneratedBatch {
  atMs: number;
  objects: BatchObject[];
  /** Records produced this interval that stay buffered on offline vehicles. */
  buffered: number;
  /** Buffered records dropped because a vehicle's buffer was full. */
  droppedFromBuffers: number;
}

export interface BatchContext {
  fleet: Fleet;
  buffers: OfflineBuffers;
  random: SeededRandom;
  /** Unique per run, part of every object key. */
  runId: string;
  /** Counter for object names, shared by the batches of a run. */
  objectSequence: { next: number };
  batchSize: number;
  faults?: FaultOptions;
  /** OTA reports the agent produced this interval, by VIN. */
  otaReports?: ReadonlyMap<string, OtaReport>;
  /** Who uploads what; default fleet gateway. */
  uploadMode?: UploadMode;
  /** The fleet gateway's id, the third segment of its objects' keys; default SIMULATOR_GATEWAY_ID. */
  gatewayId?: string;
}

/**
 * How the simulated fleet uploads. `per-vehicle`: every vehicle uploads its own objects under its VIN
 * with its own credentials (the local cloud's and the campaigns' default, as real vehicles do).
 * `fleet-gateway`: one fleet gateway uploads multi-vehicle objects (the 100,000-vehicle scale runs), with
 * its own identity when it has one (simulator/gateway-identity.ts), except that a vehicle with an OTA
 * report still uploads that in its own object.
 */
export const UPLOAD_MODE = { PerVehicle: "per-vehicle", FleetGateway: "fleet-gateway" } as const;
export type UploadMode = (typeof UPLOAD_MODE)[keyof typeof UPLOAD_MODE];

const pad = (value: number, width = 2): string => String(value).padStart(width, "0");

/**
 * The fleet gateway the simulator's multi-vehicle objects are keyed under when no gateway identity is
 * given (contracts/telemetry-keys.ts); a run with its own identity uses that gateway's id.
 */
export const SIMULATOR_GATEWAY_ID = "gw-simulator";

/**
 * The key of one simulated upload (layout in contracts/telemetry-keys.ts): a vehicle's own object under
 * `telemetry/vehicle/<VIN>/…` when `vin` is given, else a multi-vehicle object of the fleet gateway under
 * `telemetry/fleet/<gatewayId>/…`. Named `<stamp>-<run>-<n>` so that keys sort by creation time and never
 * collide across runs.
 *
 * @example
 * batchObjectKey(Date.UTC(2026, 10, 26, 17, 35), "k3x9", 12);
 * // "telemetry/fleet/gw-simulator/dt=2026-11-26/hour=17/20261126T173500000Z-k3x9-000012.ndjson.gz"
 */
export function batchObjectKey(atMs: number, runId: string, sequence: number, vin?: string, gatewayId: string = SIMULATOR_GATEWAY_ID): string {
  const name = `${runId}-${pad(sequence, 6)}`;
  return vin === undefined ? fleetTelemetryKey(gatewayId, atMs, name) : vehicleTelemetryKey(vin, atMs, name);
}

function lineFor(vehicle: SimulatedVehicle, atMs: number, context: BatchContext): PendingLine {
  const ota = context.otaReports?.get(vehicle.vin);
  const record = vehicle.toRecord(atMs, ota);
  const malformedRate = context.faults?.malformedRate ?? 0;
  if (malformedRate > 0 && context.random.chance(malformedRate)) {
    const kind = pickMalformedKind(context.random);
    return { line: malformedLine(record, kind), kind, ota: false, carriesReport: ota !== undefined };
  }
  const kind = vehicle.clockSkewMs > MAX_FUTURE_SKEW_MS ? LINE_KIND.ClockSkewed : LINE_KIND.Valid;
  return { line: JSON.stringify(record), kind, ota: ota !== undefined && kind === LINE_KIND.Valid, carriesReport: ota !== undefined };
}

function packObject(lines: PendingLine[], atMs: number, context: BatchContext, vin?: string): BatchObject {
  const faults = context.faults ?? {};
  const object: BatchObject = {
    key: batchObjectKey(atMs, context.runId, context.objectSequence.next++, vin, context.gatewayId),
    body: gzipSync(`${lines.map((pending) => pending.line).join("\n")}\n`),
    records: lines.length,
    valid: 0,
    malformed: {},
    clockSkewed: 0,
    otaReports: 0,
    corrupt: (faults.corruptRate ?? 0) > 0 && context.random.chance(faults.corruptRate!),
    duplicate: (faults.duplicateRate ?? 0) > 0 && context.random.chance(faults.duplicateRate!),
    ...(vin === undefined ? {} : { vin }),
  };
  if (object.corrupt) object.body = corruptGzip(object.body, context.random);
  for (const pending of lines) {
    if (pending.kind === LINE_KIND.Valid) object.valid++;
    else if (pending.kind === LINE_KIND.ClockSkewed) object.clockSkewed++;
    else object.malformed[pending.kind] = (object.malformed[pending.kind] ?? 0) + 1;
    if (pending.ota) object.otaReports++;
  }
  return object;
}

/**
 * Advances the fleet by one interval to `atMs` and packs what the online vehicles upload (their new
 * record and anything buffered while offline) into gzip NDJSON objects of at most `batchSize` records.
 * Offline vehicles buffer their record instead. In per-vehicle mode every vehicle uploads its own objects.
 * In fleet-gateway mode a vehicle with an OTA report among its lines uploads
 * them in its own objects (the processor takes status reports only from a vehicle's own object); the
 * others' lines go in the fleet gateway's multi-vehicle objects. No I/O: the caller uploads the objects.
 *
 * @example
 * import { PutObjectCommand } from "@aws-sdk/client-s3";
 * const batch = generateBatch(context, Date.now());
 * for (const object of batch.objects) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: object.body }));
 */
export function generateBatch(context: BatchContext, atMs: number): GeneratedBatch {
  context.fleet.advance(atMs);
  const uploads: PendingLine[] = [];
  const ownUploads = new Map<string, PendingLine[]>();
  const perVehicle = context.uploadMode === UPLOAD_MODE.PerVehicle;
  let buffered = 0;
  let droppedFromBuffers = 0;
  for (const vehicle of context.fleet.vehicles) {
    const pending = lineFor(vehicle, atMs, context);
    const waiting = context.buffers.get(vehicle.vin);
    if (!vehicle.online) {
      const buffer = waiting ?? [];
      buffer.push(pending);
      if (buffer.length > OFFLINE_BUFFER_LIMIT) {
        buffer.shift();
        droppedFromBuffers++;
      }
      context.buffers.set(vehicle.vin, buffer);
      buffered++;
      continue;
    }
    const lines = waiting ? [...waiting, pending] : [pending];
    if (waiting) context.buffers.delete(vehicle.vin);
    if (perVehicle || lines.some((line) => line.carriesReport)) ownUploads.set(vehicle.vin, lines);
    else for (const line of lines) uploads.push(line);
  }
  const objects: BatchObject[] = [];
  for (const [vin, lines] of ownUploads) {
    for (let start = 0; start < lines.length; start += context.batchSize) {
      objects.push(packObject(lines.slice(start, start + context.batchSize), atMs, context, vin));
    }
  }
  for (let start = 0; start < uploads.length; start += context.batchSize) {
    objects.push(packObject(uploads.slice(start, start + context.batchSize), atMs, context));
  }
  return { atMs, objects, buffered, droppedFromBuffers };
}
