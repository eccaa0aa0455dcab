import { test } from "uvu";
import * as assert from "uvu/assert";
import { MAX_FUTURE_SKEW_MS, MAX_RECORD_AGE_MS, validateRecord } from "../../../telemetry/schema.js";
import { NOW_MS, telemetryRecord } from "./support/factories.js";

function reasonsOf(value: unknown): Array<[string, string]> {
  const result = validateRecord(value, NOW_MS);
  return result.valid ? [] : result.reasons.map((reason) => [reason.field, reason.rule]);
}

test("a complete record is valid and comes back as the same object", () => {
  const record = telemetryRecord({ ota: { jobId: "j1", campaignId: "c1", attempt: 1, sequence: 2, status: "DOWNLOADING", targetVersion: "2.4.0" } });
  const result = validateRecord(record, NOW_MS);
  assert.ok(result.valid);
  if (result.valid) assert.is(result.record, record);
});

test("out-of-range values name the field and the bound broken", () => {
  assert.equal(reasonsOf(telemetryRecord({ battery: { stateOfCharge: 137.5 } })), [["battery.stateOfCharge", "maximum"]]);
  assert.equal(reasonsOf(telemetryRecord({ position: { lat: -91 } })), [["position.lat", "minimum"]]);
  assert.equal(reasonsOf(telemetryRecord({ position: { headingDeg: 360 } })), [["position.headingDeg", "exclusiveMaximum"]]);
  assert.equal(reasonsOf(telemetryRecord({ connectivity: { signalDbm: -10 } })), [["connectivity.signalDbm", "maximum"]]);
});

test("a missing block or field is reported as required", () => {
  const { battery: _battery, ...withoutBattery } = telemetryRecord();
  assert.equal(reasonsOf(withoutBattery), [["battery", "required"]]);
  const record = telemetryRecord() as unknown as { vehicle: Record<string, unknown> };
  delete record.vehicle.hardwareId;
  assert.equal(reasonsOf(record), [["vehicle.hardwareId", "required"]]);
});

test("wrong types are reported per field", () => {
  const record = { ...telemetryRecord(), seq: "7", position: { ...telemetryRecord().position, speedKph: "54.2" } };
  assert.equal(reasonsOf(record), [["seq", "type"], ["position.speedKph", "type"]]);
  assert.equal(reasonsOf([1, 2]), [["(record)", "type"]]);
});

test("enumerations, versions and timestamps are checked by format", () => {
  assert.equal(reasonsOf(telemetryRecord({ connectivity: { network: "wifi" as "LTE" } })), [["connectivity.network", "enum"]]);
  assert.equal(reasonsOf(telemetryRecord({ firmware: { version: "v2" } })), [["firmware.version", "pattern"]]);
  assert.equal(reasonsOf(telemetryRecord({ ts: "26/11/2026 17:35" })), [["ts", "pattern"]]);
  assert.equal(reasonsOf(telemetryRecord({ schemaVersion: 2 as 1 })), [["schemaVersion", "const"]]);
  const badOta = telemetryRecord({ ota: { jobId: "j", campaignId: "c", attempt: 1, sequence: -1, status: "DONE" as "SUCCEEDED", targetVersion: "2.4.0" } });
  assert.equal(reasonsOf(badOta), [["ota.sequence", "minimum"], ["ota.status", "enum"]]);
});

test("an OTA report names its attempt: without one, or with attempt 0 or past 1,000, the record is refused", () => {
  const ota = { jobId: "c1:1HGCM82633A004352", campaignId: "c1", sequence: 2, status: "DOWNLOADING" as const, targetVersion: "2.4.0" };
  assert.equal(reasonsOf({ ...telemetryRecord(), ota }).map(([field]) => field), ["ota.attempt"]);
  assert.equal(reasonsOf(telemetryRecord({ ota: { ...ota, attempt: 0 } })), [["ota.attempt", "exclusiveMinimum"]]);
  assert.equal(reasonsOf(telemetryRecord({ ota: { ...ota, attempt: 1_001 } })), [["ota.attempt", "maximum"]]);
  assert.equal(reasonsOf(telemetryRecord({ ota: { ...ota, attempt: 3 } })), []);
});

test("VIN rules and the clock window apply after the schema", () => {
  assert.equal(reasonsOf(telemetryRecord({ vin: "1HGCM82643A004352" })), [["vin", "check-digit"]]);
  assert.equal(reasonsOf(telemetryRecord({ vin: "1HGCM8263" })), [["vin", "length"]]);
  assert.equal(reasonsOf(telemetryRecord({ vin: "WP0ZZZ99ZTS392124" })), []);
  assert.equal(reasonsOf(telemetryRecord({ ts: new Date(NOW_MS + MAX_FUTURE_SKEW_MS + 1000).toISOString() })), [["ts", "future"]]);
  assert.equal(reasonsOf(telemetryRecord({ ts: new Date(NOW_MS + MAX_FUTURE_SKEW_MS - 1000).toISOString() })), []);
  assert.equal(reasonsOf(telemetryRecord({ ts: new Date(NOW_MS - MAX_RECORD_AGE_MS - 1000).toISOString() })), [["ts", "too-old"]]);
});

test("every problem of a record is reported at once", () => {
  const record = telemetryRecord({ battery: { stateOfCharge: -1, temperatureC: 99 }, position: { speedKph: 400 } });
  assert.equal(reasonsOf(record).length, 3);
});

test("a known valid VIN skips only its own arithmetic: every record gets the verdict and reasons it gets without it", () => {
  const known = "1HGCM82633A004352";
  const records: unknown[] = [
    telemetryRecord(),
    telemetryRecord({ vin: "1HGCM82643A004352" }), // wrong check digit, differs from the known VIN by one character
    telemetryRecord({ vin: "1hgcm82633a004352" }),
    telemetryRecord({ vin: `${known} ` }),
    telemetryRecord({ vin: known.slice(0, 16) }),
    telemetryRecord({ vin: "WP0ZZZ99ZTS392124" }),
    telemetryRecord({ ts: new Date(NOW_MS + MAX_FUTURE_SKEW_MS + 1000).toISOString() }),
    telemetryRecord({ ts: new Date(NOW_MS - MAX_RECORD_AGE_MS - 1000).toISOString() }),
    telemetryRecord({ vin: "1HGCM82643A004352", ts: new Date(NOW_MS - MAX_RECORD_AGE_MS - 1000).toISOString() }),
    { ...telemetryRecord(), vin: 17 },
    telemetryRecord({ battery: { stateOfCharge: 101 } }),
  ];
  for (const record of records) {
    const plain = validateRecord(record, NOW_MS);
    assert.equal(validateRecord(record, NOW_MS, known), plain, JSON.stringify(record));
    if (plain.valid) assert.is(plain.tsMs, Date.parse((record as { ts: string }).ts), "the parsed timestamp comes with a valid record");
  }
  assert.equal(reasonsOf(telemetryRecord({ vin: "1HGCM82643A004352" })), [["vin", "check-digit"]]);
});

test.run();
