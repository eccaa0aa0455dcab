import { StandardUnit, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { METRIC } from "../contracts/metrics.js";
import { CONNECTIVITY_CLASS, type ConnectivityClass } from "../contracts/update-messages.js";
import type { ObjectReadout } from "./core.js";
import { classifyConnectivity, MOTION, motionOf, type EnrichedRecord } from "./enrich.js";
import type { TelemetryRecord } from "./schema.js";

/**
 * Who a fleet-state entry's record came from, told by the object's key (its uploader): the vehicle's own upload,
 * or a fleet gateway forwarding telemetry of vehicles it names (any VIN it likes: trusted less).
 */
export const FLEET_SOURCE = { Vehicle: "vehicle", Gateway: "gateway" } as const;
export type FleetSource = (typeof FLEET_SOURCE)[keyof typeof FLEET_SOURCE];

/**
 * How long a vehicle's own entry outranks a gateway's for its VIN: a gateway's record replaces it only when newer
 * by more than this (a car that stopped uploading itself shows what the gateway forwards after an hour; a gateway
 * cannot restyle a car that reports for itself, its clock skew of up to 5 minutes included).
 */
export const VEHICLE_PRECEDENCE_MS = 60 * 60_000;

/**
 * The order of two fleet-state entries for one VIN, in milliseconds: the newest wins, a vehicle's own entry
 * counted VEHICLE_PRECEDENCE_MS newer than it is. One number per entry, so merging stays order-independent.
 * An entry without a source (written before sources were kept) ranks as a gateway's.
 *
 * @example
 * fleetRank(FLEET_SOURCE.Vehicle, Date.parse("2026-12-01T10:00:00Z")) > fleetRank(FLEET_SOURCE.Gateway, Date.parse("2026-12-01T10:30:00Z")); // true
 */
export function fleetRank(source: FleetSource | undefined, lastSeenMs: number): number {
  return source === FLEET_SOURCE.Vehicle ? lastSeenMs + VEHICLE_PRECEDENCE_MS : lastSeenMs;
}

/** Why a fleet-state entry was dropped (dimension `Reason` of METRIC.FleetStateEntriesDropped). */
export const FLEET_DROP_REASON = {
  /** Its lastSeen is older than the retention. */
  Expired: "expired",
  /** The fleet state already held its maximum number of vehicles. */
  OverCap: "over-cap",
} as const;

/** One vehicle's latest known state: what fleet-state objects hold and the dashboard reads. */
export interface FleetVehicle {
  vin: string;
  make: string;
  model: string;
  modelYear: number;
  hardwareId: string;
  region: string;
  lat: number;
  lon: number;
  speedKph: number;
  stateOfCharge: number;
  charging: boolean;
  connectivity: ConnectivityClass;
  firmwareVersion: string;
  parked: boolean;
  /** ISO time of the record this state comes from. */
  lastSeen: string;
  /** Whose object the record came from (absent in entries written before it was kept: ranked as a gateway's). */
  source?: FleetSource;
}

/**
 * Entries wait, object by object, and are folded into the per-VIN map in bulk: at this many, and before anything reads
 * the map. The map's lookups back to back rather than between one object's parse and the next measured 4-5 % of the
 * telemetry core's CPU on gateway objects (20,000 VINs an invocation; bench/telemetry-processor.bench.ts). Bounded, so
 * the superseded entries a batch of hostile objects makes wait no longer than this many (about 12 MB).
 */
const FOLD_AT_ENTRIES = 32_768;

/** CloudWatch accepts at most 150 distinct values in one datum's `Values`. */
const MAX_LATENCY_VALUES = 150;

/**
 * The newer of two records of one vehicle: by timestamp, then by sequence (buffered offline records
 * arrive late and must not overwrite fresher state).
 *
 * @example
 * isNewer(candidate, current); // true when candidate.tsMs > current.tsMs
 */
export function isNewer(candidate: EnrichedRecord, current: EnrichedRecord): boolean {
  return isLater(candidate.tsMs, candidate.record.seq, current.tsMs, current.record.seq);
}

/**
 * `isNewer` on a record's parsed timestamp and sequence: by timestamp, then by sequence.
 *
 * @example
 * isLater(Date.parse("2026-12-01T10:00:00Z"), 1, Date.parse("2026-12-01T10:00:00Z"), 0); // true
 */
export function isLater(tsMs: number, seq: number, currentTsMs: number, currentSeq: number): boolean {
  return tsMs !== currentTsMs ? tsMs > currentTsMs : seq > currentSeq;
}

/**
 * A vehicle's newest state from one run of its records in an object (telemetry/core.ts), and then in the
 * invocation: its fleet-state entry and what orders it, not the parsed record (a gateway's object of 10,000
 * VINs would otherwise hold 10,000 parsed records until it is added).
 */
export interface LatestEntry {
  tsMs: number;
  seq: number;
  /** Its `source` says whose object the record came from. */
  vehicle: FleetVehicle;
}

/**
 * The entry of a vehicle's newest record in a run, from an object of `source`; `tsMs` is `record.ts` parsed (validateRecord gives it).
 *
 * @example
 * latestEntryOf(record, Date.parse(record.ts), FLEET_SOURCE.Gateway).vehicle.source; // "gateway"
 */
export function latestEntryOf(record: TelemetryRecord, tsMs: number, source: FleetSource): LatestEntry {
  return { tsMs, seq: record.seq, vehicle: fleetVehicleOf(record, source) };
}

/**
 * `isNewer` between two entries of one VIN: by timestamp, then by sequence; across sources by `fleetRank`
 * (the vehicle's own first).
 *
 * @example
 * isNewerEntry(latestEntryOf(own, ownTsMs, FLEET_SOURCE.Vehicle), latestEntryOf(forwarded, forwardedTsMs, FLEET_SOURCE.Gateway)); // true unless the gateway's is an hour newer
 */
export function isNewerEntry(candidate: LatestEntry, current: LatestEntry): boolean {
  const { source } = candidate.vehicle;
  if (source !== current.vehicle.source) {
    const [rank, currentRank] = [fleetRank(source, candidate.tsMs), fleetRank(current.vehicle.source, current.tsMs)];
    return rank !== currentRank ? rank > currentRank : source === FLEET_SOURCE.Vehicle;
  }
  return isLater(candidate.tsMs, candidate.seq, current.tsMs, current.seq);
}

/**
 * A vehicle's fleet-state entry from its latest record.
 *
 * @example
 * fleetVehicleOf(record, FLEET_SOURCE.Vehicle).connectivity; // "good"
 */
export function fleetVehicleOf(record: TelemetryRecord, source: FleetSource): FleetVehicle {
  return {
    vin: record.vin,
    make: record.vehicle.make,
    model: record.vehicle.model,
    modelYear: record.vehicle.modelYear,
    hardwareId: record.vehicle.hardwareId,
    region: record.vehicle.region,
    lat: record.position.lat,
    lon: record.position.lon,
    speedKph: record.position.speedKph,
    stateOfCharge: record.battery.stateOfCharge,
    charging: record.battery.charging,
    connectivity: classifyConnectivity(record.connectivity),
    firmwareVersion: record.firmware.version,
    parked: motionOf(record.position.speedKph) === MOTION.Parked,
    lastSeen: record.ts,
    source,
  };
}

/**
 * What one invocation observed, folded as objects are processed; becomes the invocation's metrics (written
 * once, as EMF log lines) and one fleet-state object. No per-vehicle dimension: the vehicle map only feeds the fleet-level gauges.
 *
 * @example
 * const aggregate = new InvocationAggregate();
 * aggregate.addObject(readout, 850);
 * aggregate.metricData(new Date()); // [{ MetricName: "Telemetry/DataPoints", Value: 500, … }, …]
 */
export class InvocationAggregate {
  dataPoints = 0;
  recordsRejected = 0;
  objectsProcessed = 0;
  objectsQuarantined = 0;
  duplicateObjects = 0;
  /** Messages not started, or whose read was abandoned, because the invocation neared its timeout (returned to the queue; functions/telemetry-processor/deadline.ts). */
  deferredMessages = 0;
  readonly latenciesMs: number[] = [];
  /** Each VIN's latest entry seen in this invocation (the readouts' own entries), as of the last fold. */
  private readonly latestByVin = new Map<string, LatestEntry>();
  /** The entries of objects added since the last fold, object by object. */
  private unfolded: LatestEntry[][] = [];
  private unfoldedEntries = 0;
  private overCap = 0;

  /** Refused lines and quarantined objects by reason (a small fixed set), for `Telemetry/Refusals`. */
  readonly refusals = new Map<string, number>();
  /** Gateway-forwarded VINs left out of the fleet-state part because it already held `maxVehicles` (counted, logged). */
  get fleetEntriesOverCap(): number {
    this.fold();
    return this.overCap;
  }

  /**
   * @param maxVehicles most VINs one invocation's fleet-state part may hold: past it a gateway's new VINs are left
   *   out (their records still count as data points); a vehicle's own object (one VIN) always gets in.
   */
  constructor(private readonly maxVehicles: number = Number.POSITIVE_INFINITY) {}

  /** One processed object's records (its entries say whose object it was: a vehicle's own or a gateway's). */
  addObject(readout: ObjectReadout, latencyMs: number): void {
    this.objectsProcessed++;
    this.dataPoints += readout.accepted;
    this.recordsRejected += readout.rejected.length;
    for (const [reason, count] of Object.entries(readout.refusals)) this.addRefusal(reason, count);
    this.unfolded.push(readout.latest);
    this.unfoldedEntries += readout.latest.length;
    if (this.unfoldedEntries >= FOLD_AT_ENTRIES) this.fold();
    this.addLatency(latencyMs);
  }

  /** Each VIN's latest entry, every object added so far folded in. */
  private latest(): Map<string, LatestEntry> {
    this.fold();
    return this.latestByVin;
  }

  private fold(): void {
    const latest = this.latestByVin;
    for (const entries of this.unfolded) {
      for (const entry of entries) {
        const current = latest.get(entry.vehicle.vin);
        if (!current && entry.vehicle.source !== FLEET_SOURCE.Vehicle && latest.size >= this.maxVehicles) {
          this.overCap++;
          continue;
        }
        if (!current || isNewerEntry(entry, current)) latest.set(entry.vehicle.vin, entry);
      }
    }
    this.unfolded = [];
    this.unfoldedEntries = 0;
  }

  /** An object quarantined whole, with its corruption kind (`bad-gzip`, `too-large`, …). */
  addQuarantinedObject(latencyMs: number, corruption: string): void {
    this.objectsQuarantined++;
    this.addRefusal(corruption, 1);
    this.addLatency(latencyMs);
  }

  private addRefusal(reason: string, count: number): void {
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + count);
  }

  addDuplicate(): void {
    this.duplicateObjects++;
  }

  addDeferred(): void {
    this.deferredMessages++;
  }

  /** Vehicles whose latest record here says they are online (good or weak link). */
  vehiclesOnline(): number {
    return this.countLatest((vehicle) => vehicle.connectivity !== CONNECTIVITY_CLASS.Offline);
  }

  /**
   * Vehicles whose latest link is good enough for a firmware download. Vehicles only upload while
   * online, so "online" alone stays near 100 %; link quality is what varies with network trouble.
   */
  vehiclesWellConnected(): number {
    return this.countLatest((vehicle) => vehicle.connectivity === CONNECTIVITY_CLASS.Good);
  }

  /** Mean state of charge over the vehicles' latest records; undefined when none reported. */
  batteryAverage(): number | undefined {
    const latest = this.latest();
    if (latest.size === 0) return undefined;
    let sum = 0;
    for (const { vehicle } of latest.values()) sum += vehicle.stateOfCharge;
    return sum / latest.size;
  }

  fleetVehicles(): FleetVehicle[] {
    return [...this.latest().values()].map((state) => state.vehicle);
  }

  /**
   * The invocation's metrics. `ConnectivityRate` is the percentage of reporting vehicles with a good
   * link (see vehiclesWellConnected). Counters are always present (a zero is information); the fleet gauges
   * only when at least one vehicle reported, and latency only when an object was read.
   */
  metricData(timestamp: Date): MetricDatum[] {
    const count = (MetricName: string, Value: number): MetricDatum => ({ MetricName, Value, Unit: StandardUnit.Count, Timestamp: timestamp });
    const data: MetricDatum[] = [
      count(METRIC.DataPoints, this.dataPoints),
      count(METRIC.RecordsRejected, this.recordsRejected),
      count(METRIC.ObjectsQuarantined, this.objectsQuarantined),
      count(METRIC.DuplicateObjects, this.duplicateObjects),
    ];
    for (const [reason, value] of this.refusals) {
      data.push({ ...count(METRIC.Refusals, value), Dimensions: [{ Name: "Reason", Value: reason }] });
    }
    // Only when some were: a metric is charged for each month it is written, and a deferral is rare (hostile objects).
    if (this.deferredMessages > 0) data.push(count(METRIC.MessagesDeferred, this.deferredMessages));
    if (this.fleetEntriesOverCap > 0) {
      data.push({ ...count(METRIC.FleetStateEntriesDropped, this.fleetEntriesOverCap), Dimensions: [{ Name: "Reason", Value: FLEET_DROP_REASON.OverCap }] });
    }
    const reporting = this.latest().size;
    if (reporting > 0) {
      data.push(
        count(METRIC.VehiclesReporting, reporting),
        count(METRIC.VehiclesOnline, this.vehiclesOnline()),
        { MetricName: METRIC.ConnectivityRate, Value: (this.vehiclesWellConnected() / reporting) * 100, Unit: StandardUnit.Percent, Timestamp: timestamp },
        { MetricName: METRIC.BatteryAverage, Value: this.batteryAverage()!, Unit: StandardUnit.Percent, Timestamp: timestamp },
      );
    }
    if (this.latenciesMs.length > 0) {
      data.push({ MetricName: METRIC.ProcessingLatency, ...latencyValues(this.latenciesMs), Unit: StandardUnit.Milliseconds, Timestamp: timestamp });
    }
    return data;
  }

  private countLatest(predicate: (vehicle: FleetVehicle) => boolean): number {
    let count = 0;
    for (const { vehicle } of this.latest().values()) if (predicate(vehicle)) count++;
    return count;
  }

  private addLatency(latencyMs: number): void {
    if (Number.isFinite(latencyMs)) this.latenciesMs.push(Math.max(0, Math.round(latencyMs)));
  }
}

/**
 * Latencies as CloudWatch `Values`/`Counts` (whole milliseconds, at most 150 distinct values; beyond
 * that, values are merged into the nearest kept one so every sample is still counted).
 *
 * @example
 * latencyValues([120, 120, 340]); // { Values: [120, 340], Counts: [2, 1] }
 */
export function latencyValues(latenciesMs: readonly number[]): { Values: number[]; Counts: number[] } {
  const histogram = new Map<number, number>();
  for (const latency of latenciesMs) histogram.set(latency, (histogram.get(latency) ?? 0) + 1);
  let entries = [...histogram.entries()].sort((a, b) => a[0] - b[0]);
  if (entries.length > MAX_LATENCY_VALUES) {
    const bucketSize = Math.ceil(entries.length / MAX_LATENCY_VALUES);
    const merged: Array<[number, number]> = [];
    for (let index = 0; index < entries.length; index += bucketSize) {
      const group = entries.slice(index, index + bucketSize);
      merged.push([group[group.length - 1]![0], group.reduce((total, [, count]) => total + count, 0)]);
    }
    entries = merged;
  }
  return { Values: entries.map(([value]) => value), Counts: entries.map(([, count]) => count) };
}
