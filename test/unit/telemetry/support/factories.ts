import { gzipSync } from "node:zlib";
import type { TelemetryRecord } from "../../../../telemetry/schema.js";
import { enrich, type EnrichedRecord } from "../../../../telemetry/enrich.js";
import { FLEET_SOURCE, isNewer, latestEntryOf, type FleetSource } from "../../../../telemetry/aggregate.js";
import type { ObjectReadout, RejectedLine } from "../../../../telemetry/core.js";

export const NOW_MS = Date.UTC(2026, 10, 26, 17, 35, 0);

/**
 * A minute ago by the wall clock: the `ts` of records a test sends to a processor that judges them against its own clock
 * (the local cloud's), where NOW_MS's records become too old seven days after it.
 */
export const justNow = (): string => new Date(Date.now() - 60_000).toISOString();

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A valid record, with any part overridden. */
export function telemetryRecord(overrides: DeepPartial<TelemetryRecord> = {}): TelemetryRecord {
  const base: TelemetryRecord = {
    schemaVersion: 1,
    vin: "1HGCM82633A004352",
    ts: new Date(NOW_MS - 60_000).toISOString(),
    seq: 7,
    vehicle: { make: "Honda", model: "Accord", modelYear: 2003, trim: "EX", region: "us-west", hardwareId: "HA-GEN1" },
    position: { lat: 37.77, lon: -122.42, speedKph: 0, headingDeg: 90, odometerKm: 120_000 },
    battery: { stateOfCharge: 64, voltage: 370, temperatureC: 22, charging: false },
    connectivity: { network: "LTE", signalDbm: -85, online: true },
    firmware: { version: "2.3.0", ecus: { bms: "1.0.0" } },
  };
  return {
    ...base,
    ...overrides,
    vehicle: { ...base.vehicle, ...overrides.vehicle },
    position: { ...base.position, ...overrides.position },
    battery: { ...base.battery, ...overrides.battery },
    connectivity: { ...base.connectivity, ...overrides.connectivity },
    firmware: { ...base.firmware, ...overrides.firmware } as TelemetryRecord["firmware"],
  } as TelemetryRecord;
}

export function enriched(overrides: DeepPartial<TelemetryRecord> = {}): EnrichedRecord {
  return enrich(telemetryRecord(overrides));
}

export function ndjson(lines: Array<unknown>): string {
  return lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n") + "\n";
}

export function gzipped(lines: Array<unknown>): Buffer {
  return gzipSync(ndjson(lines));
}

/** Feeds bytes in chunks of `size`, like a network stream would. */
export async function* chunked(bytes: Buffer | string, size = 7): AsyncGenerator<Uint8Array> {
  const buffer = Buffer.from(bytes);
  for (let start = 0; start < buffer.length; start += size) yield buffer.subarray(start, start + size);
}

/** The readout of an object from `source` whose accepted records are `accepted` (folded as readTelemetryObject does). */
export function readoutOf(accepted: EnrichedRecord[], rejected: RejectedLine[] = [], source: FleetSource = FLEET_SOURCE.Vehicle): ObjectReadout {
  const runs: EnrichedRecord[] = [];
  for (const record of accepted) {
    const last = runs[runs.length - 1];
    if (last?.record.vin !== record.record.vin) runs.push(record);
    else if (isNewer(record, last)) runs[runs.length - 1] = record;
  }
  const latest = runs.map(({ record, tsMs }) => latestEntryOf(record, tsMs, source));
  const refusals: ObjectReadout["refusals"] = {};
  for (const line of rejected) refusals[line.refusal] = (refusals[line.refusal] ?? 0) + 1;
  return { accepted: accepted.length, latest, otaRecords: accepted.filter((record) => record.record.ota), rejected, refusals };
}
