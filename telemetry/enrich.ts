import { CONNECTIVITY_CLASS, type ConnectivityClass } from "../contracts/update-messages.js";
import type { Battery, Connectivity, TelemetryRecord } from "./schema.js";

/** Below this signal a link is usable for telemetry but too weak for a firmware download. */
export const WEAK_SIGNAL_DBM = -105;
/** Above this speed a vehicle counts as moving (GPS jitter reads a parked car at 1–2 km/h). */
export const MOVING_SPEED_KPH = 3;

export const BATTERY_BAND = { Critical: "critical", Low: "low", Normal: "normal", High: "high" } as const;
export type BatteryBand = (typeof BATTERY_BAND)[keyof typeof BATTERY_BAND];

export const MOTION = { Moving: "moving", Parked: "parked" } as const;
export type Motion = (typeof MOTION)[keyof typeof MOTION];

/**
 * good / weak / offline from the connectivity block.
 *
 * @example
 * classifyConnectivity({ network: "LTE", signalDbm: -112, online: true }); // "weak"
 */
export function classifyConnectivity(connectivity: Connectivity): ConnectivityClass {
  if (!connectivity.online || connectivity.network === "none") return CONNECTIVITY_CLASS.Offline;
  return connectivity.signalDbm < WEAK_SIGNAL_DBM ? CONNECTIVITY_CLASS.Weak : CONNECTIVITY_CLASS.Good;
}

/**
 * Battery health band from state of charge and pack temperature: a pack outside 0–50 °C is at best
 * `low` whatever its charge.
 *
 * @example
 * batteryBand({ stateOfCharge: 72, voltage: 380, temperatureC: 25, charging: false }); // "normal"
 */
export function batteryBand(battery: Battery): BatteryBand {
  if (battery.stateOfCharge < 10) return BATTERY_BAND.Critical;
  const thermalStress = battery.temperatureC < 0 || battery.temperatureC > 50;
  if (battery.stateOfCharge < 25 || thermalStress) return BATTERY_BAND.Low;
  return battery.stateOfCharge >= 80 ? BATTERY_BAND.High : BATTERY_BAND.Normal;
}

/**
 * moving / parked from speed.
 *
 * @example
 * motionOf(0.8); // "parked"
 */
export function motionOf(speedKph: number): Motion {
  return speedKph > MOVING_SPEED_KPH ? MOTION.Moving : MOTION.Parked;
}

export interface EnrichedRecord {
  record: TelemetryRecord;
  tsMs: number;
  connectivityClass: ConnectivityClass;
  batteryBand: BatteryBand;
  motion: Motion;
}

/**
 * Adds the derived fields the aggregates, fleet state and update hand-off use. `tsMs` is `record.ts`
 * parsed, when the caller has it already (validateRecord's result).
 *
 * @example
 * enrich(record).motion; // "moving"
 */
export function enrich(record: TelemetryRecord, tsMs: number = Date.parse(record.ts)): EnrichedRecord {
  return {
    record,
    tsMs,
    connectivityClass: classifyConnectivity(record.connectivity),
    batteryBand: batteryBand(record.battery),
    motion: motionOf(record.position.speedKph),
  };
}
