import type { VehicleSnapshot } from "../contracts/update-messages.js";
import type { CampaignDefinition } from "./model.js";

/**
 * Whether a vehicle may start an update now: parked, charged enough, usable connectivity, and inside
 * the campaign's maintenance window. Unmet preconditions make a job DEFERRED (waiting), never FAILED.
 */
export type PreconditionVerdict = { met: true } | { met: false; reasons: string[] };

/**
 * @example
 * const verdict = checkPreconditions(definition, snapshot, new Date());
 * if (!verdict.met) log.info("deferred", { reasons: verdict.reasons }); // a state of its own, not a failure
 */
export function checkPreconditions(definition: CampaignDefinition, vehicle: VehicleSnapshot, now: Date): PreconditionVerdict {
  const reasons: string[] = [];
  const { preconditions, maintenanceWindow } = definition;
  if (preconditions.requireParked && !vehicle.parked) reasons.push("not parked");
  if (vehicle.stateOfCharge < preconditions.minStateOfChargePercent) {
    reasons.push(`state of charge ${vehicle.stateOfCharge}% below ${preconditions.minStateOfChargePercent}%`);
  }
  if (!preconditions.connectivity.includes(vehicle.connectivity)) reasons.push(`connectivity ${vehicle.connectivity}`);
  if (maintenanceWindow && !insideDailyWindow(maintenanceWindow.startUtc, maintenanceWindow.endUtc, now)) {
    reasons.push(`outside maintenance window ${maintenanceWindow.startUtc}–${maintenanceWindow.endUtc} UTC`);
  }
  return reasons.length === 0 ? { met: true } : { met: false, reasons };
}

/**
 * True when `now` falls in the daily UTC window [start, end); a window whose end is before its start
 * wraps midnight (22:00–04:00).
 *
 * @example
 * insideDailyWindow("22:00", "04:00", new Date("2026-11-26T23:30:00Z")); // true
 */
export function insideDailyWindow(startUtc: string, endUtc: string, now: Date): boolean {
  const minutes = now.getUTCHours() * 60 + now.getUTCMinutes();
  const start = toMinutes(startUtc);
  const end = toMinutes(endUtc);
  if (start === end) return true;
  return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

function toMinutes(hhmm: string): number {
  const [hours, minutes] = hhmm.split(":").map(Number);
  return hours! * 60 + minutes!;
}
