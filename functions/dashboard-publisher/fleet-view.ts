import {
  DASHBOARD_SCHEMA_VERSION,
  type AttentionVehicle,
  type CountByLabel,
  type FleetDocument,
  type PositionCell,
} from "../../contracts/dashboard-documents.js";

/**
 * What the fleet view needs of one vehicle's latest state. The telemetry processor's fleet-state
 * records are adapted to this shape in sources.ts, so this module stays free of storage details.
 */
export interface FleetVehicleInput {
  vin: string;
  firmwareVersion: string;
  /** Battery state of charge, 0–100; absent when the vehicle never reported one. */
  stateOfCharge?: number | null;
  connectivity?: "good" | "weak" | "offline";
  parked?: boolean;
  region?: string;
  latitude?: number | null;
  longitude?: number | null;
  /** ISO time of the vehicle's latest record. */
  lastSeenAt: string;
}

export interface FleetViewOptions {
  /** A vehicle not heard from for longer than this is counted offline ("silent"). */
  onlineWindowMs: number;
  gridRows: number;
  gridCols: number;
  maxFirmwareVersions: number;
  maxRegions: number;
  maxAttention: number;
  /** Below this state of charge a vehicle is listed for attention. */
  lowBatteryPercent: number;
}

export const fleetViewDefaults: FleetViewOptions = {
  onlineWindowMs: 10 * 60_000,
  gridRows: 30,
  gridCols: 60,
  maxFirmwareVersions: 10,
  maxRegions: 10,
  maxAttention: 20,
  lowBatteryPercent: 15,
};

export const BATTERY_BANDS = [
  { label: "0–19 %", below: 20 },
  { label: "20–39 %", below: 40 },
  { label: "40–59 %", below: 60 },
  { label: "60–79 %", below: 80 },
  { label: "80–100 %", below: Number.POSITIVE_INFINITY },
] as const;
export const UNKNOWN_BATTERY_LABEL = "unknown";
export const OTHER_LABEL = "other";

/**
 * Folds every vehicle's latest state into the bounded fleet document: totals, firmware and battery
 * distributions, a position grid and a short attention list. One pass over the vehicles; the output
 * size does not grow with the fleet (a 100,000-vehicle fleet gives the same few tens of KiB).
 *
 * @example
 * const doc = shapeFleet({ vehicles, writtenAt: "2026-11-26T17:40:00Z" }, new Date());
 * doc.totals.online; // 9412
 */
export function shapeFleet(
  snapshot: { vehicles: Iterable<FleetVehicleInput>; writtenAt?: string | null },
  now: Date,
  options: Partial<FleetViewOptions> = {},
): FleetDocument {
  const settings = { ...fleetViewDefaults, ...options };
  const nowMs = now.getTime();
  const totals = { vehicles: 0, online: 0, offline: 0, weakSignal: 0, parked: 0, silent: 0 };
  const firmware = new Map<string, number>();
  const regions = new Map<string, number>();
  const battery = new Array<number>(BATTERY_BANDS.length).fill(0);
  let unknownBattery = 0;
  const located: Array<{ lat: number; lon: number; online: boolean }> = [];
  const attentionCandidates: Array<AttentionVehicle & { rank: number }> = [];

  for (const vehicle of snapshot.vehicles) {
    totals.vehicles += 1;
    const lastSeenMs = Date.parse(vehicle.lastSeenAt);
    const heardRecently = Number.isFinite(lastSeenMs) && nowMs - lastSeenMs <= settings.onlineWindowMs;
    const online = heardRecently && vehicle.connectivity !== "offline";
    if (online) totals.online += 1;
    else totals.offline += 1;
    if (!heardRecently) totals.silent += 1;
    if (online && vehicle.connectivity === "weak") totals.weakSignal += 1;
    if (vehicle.parked) totals.parked += 1;

    increment(firmware, vehicle.firmwareVersion || "unknown");
    increment(regions, vehicle.region || "unknown");

    const charge = vehicle.stateOfCharge;
    if (typeof charge === "number" && Number.isFinite(charge)) battery[batteryBandIndex(charge)]! += 1;
    else unknownBattery += 1;

    if (isCoordinate(vehicle.latitude, 90) && isCoordinate(vehicle.longitude, 180)) {
      located.push({ lat: vehicle.latitude, lon: vehicle.longitude, online });
    }

    const reason = attentionReason(online, heardRecently, charge, settings.lowBatteryPercent);
    if (reason) {
      attentionCandidates.push({
        vin: vehicle.vin,
        reason,
        firmwareVersion: vehicle.firmwareVersion,
        stateOfCharge: typeof charge === "number" ? charge : null,
        lastSeenAt: vehicle.lastSeenAt,
        // Longest-silent first, then emptiest battery.
        rank: online ? 1e15 + (charge ?? 100) : Number.isFinite(lastSeenMs) ? lastSeenMs : 0,
      });
    }
  }

  const batteryCounts: CountByLabel[] = BATTERY_BANDS.map((band, index) => ({ label: band.label, vehicles: battery[index]! }));
  if (unknownBattery > 0) batteryCounts.push({ label: UNKNOWN_BATTERY_LABEL, vehicles: unknownBattery });

  return {
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    snapshotAt: snapshot.writtenAt ?? null,
    totals,
    firmware: topCounts(firmware, settings.maxFirmwareVersions),
    battery: batteryCounts,
    regions: topCounts(regions, settings.maxRegions),
    positions: positionGrid(located, settings.gridRows, settings.gridCols),
    attention: attentionCandidates
      .sort((a, b) => a.rank - b.rank || (a.vin < b.vin ? -1 : a.vin > b.vin ? 1 : 0))
      .slice(0, settings.maxAttention)
      .map(({ rank: _rank, ...vehicle }) => vehicle),
  };
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function batteryBandIndex(charge: number): number {
  const index = BATTERY_BANDS.findIndex((band) => charge < band.below);
  return index === -1 ? BATTERY_BANDS.length - 1 : index;
}

function isCoordinate(value: number | null | undefined, limit: number): value is number {
  return typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= limit;
}

function attentionReason(
  online: boolean,
  heardRecently: boolean,
  charge: number | null | undefined,
  lowBatteryPercent: number,
): string | undefined {
  if (!heardRecently) return "not heard from";
  if (!online) return "offline";
  if (typeof charge === "number" && charge < lowBatteryPercent) return "low battery";
  return undefined;
}

/** Largest counts first (ties by label); everything past `max` becomes one "other" entry. */
export function topCounts(counts: Map<string, number>, max: number): CountByLabel[] {
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const top = sorted.slice(0, max).map(([label, vehicles]) => ({ label, vehicles }));
  const rest = sorted.slice(max).reduce((sum, [, vehicles]) => sum + vehicles, 0);
  if (rest > 0) top.push({ label: OTHER_LABEL, vehicles: rest });
  return top;
}

/**
 * Bins positions into at most rows × cols cells over their bounding box; only occupied cells are
 * listed, each at the mean position of its vehicles (so a zoomed map puts a city's cluster on the
 * city), and the size is bounded by the grid, not by the fleet.
 */
export function positionGrid(
  points: ReadonlyArray<{ lat: number; lon: number; online: boolean }>,
  rows: number,
  cols: number,
): FleetDocument["positions"] {
  if (points.length === 0) return { rows, cols, bounds: null, cells: [] };
  let minLat = Infinity;
  let maxLat = -Infinity;
  let minLon = Infinity;
  let maxLon = -Infinity;
  for (const { lat, lon } of points) {
    minLat = Math.min(minLat, lat);
    maxLat = Math.max(maxLat, lat);
    minLon = Math.min(minLon, lon);
    maxLon = Math.max(maxLon, lon);
  }
  const latSpan = maxLat - minLat || 1e-6;
  const lonSpan = maxLon - minLon || 1e-6;
  const cells = new Map<number, { vehicles: number; online: number; latSum: number; lonSum: number }>();
  for (const { lat, lon, online } of points) {
    const row = Math.min(rows - 1, Math.floor(((lat - minLat) / latSpan) * rows));
    const col = Math.min(cols - 1, Math.floor(((lon - minLon) / lonSpan) * cols));
    const key = row * cols + col;
    const cell = cells.get(key) ?? { vehicles: 0, online: 0, latSum: 0, lonSum: 0 };
    cell.vehicles += 1;
    cell.latSum += lat;
    cell.lonSum += lon;
    if (online) cell.online += 1;
    cells.set(key, cell);
  }
  const round = (value: number) => Math.round(value * 1e4) / 1e4;
  return {
    rows,
    cols,
    bounds: { minLat: round(minLat), maxLat: round(maxLat), minLon: round(minLon), maxLon: round(maxLon) },
    cells: [...cells.values()].map((cell): PositionCell => [round(cell.latSum / cell.vehicles), round(cell.lonSum / cell.vehicles), cell.vehicles, cell.online]),
  };
}
