import { test } from "uvu";
import * as assert from "uvu/assert";
import { fleetTelemetryKey, parseTelemetryKey, vehicleTelemetryKey } from "../../../contracts/telemetry-keys.js";
import { LINE_REFUSAL, readTelemetryObject } from "../../../telemetry/core.js";
import type { OtaReport, TelemetryRecord } from "../../../telemetry/schema.js";
import { BINDING_RULE, bindingRejection, reportingVin } from "../../../telemetry/uploader-binding.js";
import { ndjson, NOW_MS, telemetryRecord } from "./support/factories.js";

const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const EUROPEAN = "WP0ZZZ99ZTS392124";
const vehicleA = parseTelemetryKey(vehicleTelemetryKey(A, NOW_MS, "1"));
const gateway = parseTelemetryKey(fleetTelemetryKey("gw-simulator", NOW_MS, "1"));
const otherGateway = parseTelemetryKey(fleetTelemetryKey("gw-depot-8", NOW_MS, "1"));
/** The VINs bound to gw-simulator (A and B); gw-depot-8 carries only the European car. */
const boundTo = (uploader: typeof vehicleA): ReadonlySet<string> | undefined =>
  uploader.kind === "vehicle" ? undefined : uploader.gatewayId === "gw-simulator" ? new Set([A, B]) : new Set([EUROPEAN]);
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
  ["gateway, telemetry of a VIN bound to no gateway", gateway, record("WP0ZZZ99ZTS000001"), BINDING_RULE.UnboundVehicle],
  ["gateway, telemetry of a VIN bound to another gateway", gateway, record(EUROPEAN), BINDING_RULE.UnboundVehicle],
  ["gateway, a bound VIN in lower case", gateway, record(A.toLowerCase()), BINDING_RULE.UnboundVehicle],
  ["other gateway, its own bound VIN", otherGateway, record(EUROPEAN), undefined],
  ["other gateway, gw-simulator's VIN", otherGateway, record(A), BINDING_RULE.UnboundVehicle],
];

for (const [name, uploader, candidate, rule] of table) {
  test(`${name} → ${rule ?? "counts"}`, () => {
    const rejection = bindingRejection(uploader, candidate, boundTo(uploader));
    assert.is(rejection?.rule, rule);
    if (rejection) assert.ok(rejection.message.length > 0 && rejection.field.length > 0);
  });
}

test("a gateway whose VINs are not given (nobody bound it) carries none: every record refused", () => {
  assert.is(bindingRejection(gateway, record(A))?.rule, BINDING_RULE.UnboundVehicle);
  assert.is(bindingRejection(gateway, record(A), new Set())?.rule, BINDING_RULE.UnboundVehicle);
  assert.match(bindingRejection(gateway, record(A))!.message, /fleetota gateways bind gw-simulator 1HGCM82633A004352/);
});

test("a status report may only be for the uploading vehicle, never from a gateway", () => {
  assert.is(reportingVin(vehicleA), A);
  assert.is(reportingVin(gateway), undefined);
});

test("reading vehicle A's object: B's records are refused with the reason, A's count, only A's report is kept; every line accounted for", async () => {
  const lines = [record(A), record(B), record(A, reportFor(A)), record(B, reportFor(B)), { ...record(A), seq: 8 }];
  const readout = await readTelemetryObject([Buffer.from(ndjson(lines))], NOW_MS, undefined, vehicleA);
  assert.is(readout.accepted, 3);
  assert.equal(readout.rejected.map((line) => [line.line, line.refusal]), [[2, LINE_REFUSAL.OtherVehicle], [4, LINE_REFUSAL.OtherVehicle]]);
  assert.equal(readout.refusals, { [LINE_REFUSAL.OtherVehicle]: 2 });
  assert.equal(readout.otaRecords.map((enriched) => enriched.record.vin), [A]);
  assert.equal(readout.latest.map((entry) => entry.vehicle.vin), [A], "B never reaches the fleet state or the candidates");
  assert.equal(readout.latest.map((entry) => entry.vehicle.source), ["vehicle"], "a vehicle's own object: its entry outranks a gateway's");
  assert.ok(readout.rejected[1]!.raw.includes(B), "the rejected line is kept as it came");
  assert.is(readout.accepted + readout.rejected.length, lines.length);
});

test("reading a gateway's object: telemetry of its bound vehicles counts, a record carrying a report is refused whole, an unbound VIN is refused", async () => {
  const lines = [record(A), record(B), record(A, reportFor(A)), record(EUROPEAN)];
  const readout = await readTelemetryObject([Buffer.from(ndjson(lines))], NOW_MS, undefined, gateway, boundTo(gateway));
  assert.is(readout.accepted, 2);
  assert.equal(readout.rejected.map((line) => line.refusal), [LINE_REFUSAL.ReportFromGateway, LINE_REFUSAL.UnboundVehicle]);
  assert.equal(readout.refusals, { [LINE_REFUSAL.ReportFromGateway]: 1, [LINE_REFUSAL.UnboundVehicle]: 1 });
  assert.equal(readout.latest.map((entry) => entry.vehicle.vin).sort(), [A, B].sort(), "the unbound VIN never reaches the fleet state");
  assert.equal(readout.latest.map((entry) => entry.vehicle.source), ["gateway", "gateway"], "a gateway's entries rank as forwarded, below the vehicle's own");
  assert.equal(readout.otaRecords, []);
});

test("a gateway flooding invented VINs: none reaches the fleet state, every line is refused and accounted for", async () => {
  const invented = Array.from({ length: 200 }, (_, index) => record(`WP0ZZZ99ZTS${String(index).padStart(6, "0")}`));
  const readout = await readTelemetryObject([Buffer.from(ndjson(invented))], NOW_MS, undefined, gateway, boundTo(gateway));
  assert.is(readout.latest.length, 0);
  assert.is(readout.accepted, 0);
  assert.equal(readout.refusals, { [LINE_REFUSAL.UnboundVehicle]: invented.length });
});

test.run();
