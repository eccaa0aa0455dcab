import { test } from "uvu";
import * as assert from "uvu/assert";
import { fleetTelemetryKey, parseTelemetryKey, vehicleTelemetryKey } from "../../../contracts/telemetry-keys.js";
import type { OtaReport, TelemetryRecord } from "../../../telemetry/schema.js";
import { BINDING_RULE, bindingRejection, reportingVin } from "../../../telemetry/uploader-binding.js";
import { NOW_MS, telemetryRecord } from "./support/factories.js";

const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const EUROPEAN = "WP0ZZZ99ZTS392124";
const vehicleA = parseTelemetryKey(vehicleTelemetryKey(A, NOW_MS, "1"));
const gateway = parseTelemetryKey(fleetTelemetryKey("simulator", NOW_MS, "1"));
const reportFor = (vin: string): OtaReport => ({ jobId: `c-1:${vin}`, campaignId: "c-1", attempt: 1, sequence: 3, status: "SUCCEEDED", targetVersion: "2.4.0" });
const record = (vin: string, ota?: OtaReport): TelemetryRecord => ({ ...telemetryRecord({ vin }), ...(ota ? { ota } : {}) });

// [who uploads, what the record says, the rule it breaks or undefined]
const table: Array<[string, typeof vehicleA, TelemetryRecord, string | undefined]> = [
  ["vehicle A, its own record", vehicleA, record(A), undefined],
  ["vehicle A, its own report", vehicleA, record(A, reportFor(A)), undefined],
  ["vehicle A, B's telemetry", vehicleA, record(B), BINDING_RULE.OtherVehicle],
  ["vehicle A, B's record carrying a report for B's job", vehicleA, record(B, reportFor(B)), BINDING_RULE.OtherVehicle],
  ["vehicle A, its own VIN in lower case", vehicleA, record(A.toLowerCase()), BINDING_RULE.OtherVehicle],
  ["vehicle A, its VIN with a trailing space", vehicleA, record(`${A} `), BINDING_RULE.OtherVehicle],
  ["vehicle A, a European VIN", vehicleA, record(EUROPEAN), BINDING_RULE.OtherVehicle],
  ["gateway, telemetry of A", gateway, record(A), undefined],
  ["gateway, telemetry of B", gateway, record(B), undefined],
  ["gateway, a report for A's job", gateway, record(A, reportFor(A)), BINDING_RULE.ReportFromGateway],
];

for (const [name, uploader, candidate, rule] of table) {
  test(`${name} → ${rule ?? "counts"}`, () => {
    const rejection = bindingRejection(uploader, candidate);
    assert.is(rejection?.rule, rule);
    if (rejection) assert.ok(rejection.message.length > 0 && rejection.field.length > 0);
  });
}

test("a status report may only be for the uploading vehicle, never from a gateway", () => {
  assert.is(reportingVin(vehicleA), A);
  assert.is(reportingVin(gateway), undefined);
});

test.run();
