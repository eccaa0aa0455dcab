import { UPLOADER_KIND, type ParsedTelemetryKey } from "../contracts/telemetry-keys.js";
import type { RecordRejection, TelemetryRecord } from "./schema.js";

/**
 * What an object's uploader may say (the uploader is named by the object key, which its IAM policy
 * scopes; contracts/telemetry-keys.ts):
 * - a vehicle speaks only for itself: every record of a `telemetry/vehicle/<VIN>/…` object must carry
 *   that VIN, and only those records' OTA status reports and campaign candidacy reach the update manager;
 * - a fleet gateway (`telemetry/fleet/<gatewayId>/…`, which only that gateway's role may write: its
 *   `${credentials-iot:ThingName}`, for a thing of the gateway type) forwards telemetry of many vehicles, for
 *   the fleet state, the metrics and the dashboard, never for a campaign (`reportingVin`), and never a status
 *   report: a record carrying an `ota` block is refused whole (its telemetry too), because a gateway that
 *   writes reports is broken or forging, and a record is either processed or quarantined, never half of
 *   each (records produced = processed + quarantined stays a count of whole records);
 * - a fleet gateway speaks only for the vehicles an operator bound to it (`fleetota gateways bind`,
 *   contracts/gateway-vehicles.ts): a record for any other VIN is refused, so a gateway can neither fill the
 *   fleet state with invented VINs nor stand in for a car it does not carry. A gateway nobody bound carries none.
 */
export const BINDING_RULE = {
  /** A record for another VIN than the vehicle that uploaded the object. */
  OtherVehicle: "other-vehicle",
  /** A status report in a fleet gateway's object. */
  ReportFromGateway: "report-from-gateway",
  /** A record in a fleet gateway's object for a VIN not bound to that gateway. */
  UnboundVehicle: "vehicle-not-bound",
} as const;
export type BindingRule = (typeof BINDING_RULE)[keyof typeof BINDING_RULE];

/** A valid record the uploader may not send, with the rule it breaks. */
export interface BindingRejection extends RecordRejection {
  rule: BindingRule;
}

/**
 * Why a valid record may not count for the object's uploader, or undefined when it may. For a gateway's object,
 * `boundVins` are the VINs bound to that gateway; absent, it carries none.
 *
 * @example
 * import { fleetTelemetryKey, parseTelemetryKey } from "../contracts/telemetry-keys.js";
 * const uploader = parseTelemetryKey("telemetry/vehicle/1HGCM82633A004352/dt=2026-11-26/hour=17/20261126T173500000Z-1.ndjson.gz");
 * bindingRejection(uploader, { ...record, vin: "5YJ3E1EA7KF317000" });
 * // { field: "vin", rule: "other-vehicle", message: "record for 5YJ3E1EA7KF317000 in an object uploaded by vehicle 1HGCM82633A004352" }
 * bindingRejection(parseTelemetryKey(fleetTelemetryKey("gw-depot-7", Date.now(), "1")), record, new Set(["1HGCM82633A004352"]));
 * // rule "vehicle-not-bound" unless record.vin is 1HGCM82633A004352
 */
export function bindingRejection(
  uploader: ParsedTelemetryKey,
  record: Pick<TelemetryRecord, "vin" | "ota">,
  boundVins?: ReadonlySet<string>,
): BindingRejection | undefined {
  if (uploader.kind === UPLOADER_KIND.Vehicle) {
    if (record.vin === uploader.vin) return undefined;
    return { field: "vin", rule: BINDING_RULE.OtherVehicle, message: `record for ${record.vin} in an object uploaded by vehicle ${uploader.vin}` };
  }
  if (record.ota !== undefined) {
    return {
      field: "ota",
      rule: BINDING_RULE.ReportFromGateway,
      message: `status report for job ${record.ota.jobId} in an object of fleet gateway ${uploader.gatewayId}; only a vehicle's own object carries reports`,
    };
  }
  if (boundVins?.has(record.vin)) return undefined;
  return {
    field: "vin",
    rule: BINDING_RULE.UnboundVehicle,
    message: `record for ${record.vin} in an object of fleet gateway ${uploader.gatewayId}, which is not bound to carry it (fleetota gateways bind ${uploader.gatewayId} ${record.vin})`,
  };
}

/**
 * The VIN whose own word this object is: the uploading vehicle's, or none for a gateway. The update side
 * hears only that VIN from it: its status reports and its campaign candidacy (admission, a waiting place, a
 * moving job's preconditions); a gateway's object makes neither, whatever VINs its records carry.
 *
 * @example
 * import { parseTelemetryKey } from "../contracts/telemetry-keys.js";
 * reportingVin(parseTelemetryKey(key)); // "1HGCM82633A004352", or undefined for telemetry/fleet/…
 */
export function reportingVin(uploader: ParsedTelemetryKey): string | undefined {
  return uploader.kind === UPLOADER_KIND.Vehicle ? uploader.vin : undefined;
}
