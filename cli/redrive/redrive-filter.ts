import type { DeadLetter } from "../../contracts/dead-letter.js";

/** Which DLQ messages a selective redrive moves; an absent field matches everything. */
export interface RedriveFilter {
  /** Update DLQ: the message's campaign. */
  campaignId?: string;
  errorKind?: string;
  /** Telemetry DLQ: the announced object's key starts with this (`telemetry/fleet/gw-depot-7/`). */
  keyPrefix?: string;
}

/**
 * True when the message passes every given criterion.
 *
 * @example
 * matchesFilter(deadLetter, { campaignId: "cmp-1" });
 * matchesFilter(telemetryDeadLetter, { keyPrefix: "telemetry/fleet/gw-depot-7/" });
 */
export function matchesFilter(deadLetter: DeadLetter, filter: RedriveFilter): boolean {
  if (filter.campaignId !== undefined && deadLetter.campaignId !== filter.campaignId) return false;
  if (filter.errorKind !== undefined && deadLetter.errorKind !== filter.errorKind) return false;
  if (filter.keyPrefix !== undefined && !deadLetter.objectKey?.startsWith(filter.keyPrefix)) return false;
  return true;
}

/** True when the filter selects a subset (so AWS's whole-queue move task cannot do the job). */
export function isSelective(filter: RedriveFilter): boolean {
  return filter.campaignId !== undefined || filter.errorKind !== undefined || filter.keyPrefix !== undefined;
}
