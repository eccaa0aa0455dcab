import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import { knownFieldsOf, MAX_ECUS, MAX_FUTURE_SKEW_MS, MAX_RECORD_AGE_MS, MAX_RECORD_REASONS, schemaAccepts, surelyValid, telemetryRecordSchema, validateRecord } from "../../../telemetry/schema.js";
import { generateBatch } from "../../../simulator/batch.js";
import { createFleet } from "../../../simulator/fleet.js";
import { SeededRandom } from "../../../simulator/random.js";
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

test("validateRecord gives the timestamp in epoch ms as Date.parse reads it, on the fast path and off it", () => {
  const canonical = new Date(NOW_MS - 61_000).toISOString();
  const shapes = [canonical, canonical.replace(".000Z", "Z").replace(/\.\d{3}Z$/, "Z"), canonical.replace("Z", "+00:00"), canonical.replace(/\.(\d{3})Z$/, ".$1999Z")];
  for (const ts of shapes) {
    for (const record of [telemetryRecord({ ts }), telemetryRecord({ ts, ota: { jobId: "j1", campaignId: "c1", attempt: 1, sequence: 2, status: "DOWNLOADING", targetVersion: "2.4.0" } })]) {
      const result = validateRecord(record, NOW_MS);
      assert.ok(result.valid, ts);
      assert.is(result.tsMs, Date.parse(ts), ts);
    }
  }
});

test("surelyValid was written for this JSON Schema: a changed schema must be matched by a changed fast check", () => {
  const schema = JSON.stringify(z.toJSONSchema(telemetryRecordSchema, { target: "draft-07", io: "input" }));
  const digest = createHash("sha256").update(schema).digest("hex").slice(0, 16);
  assert.is(digest, "e3392f97e89d0ae8", "telemetryRecordSchema changed: update surelyValid (telemetry/schema.ts) to it, then this digest");
});

/** `count` ECUs, named as short as their count allows, at the shortest version. */
const ecusOf = (count: number): Record<string, string> => Object.fromEntries(Array.from({ length: count }, (_, index) => [index.toString(36), "0.0.0"]));

test(`firmware.ecus lists at most ${MAX_ECUS} ECUs: at the cap the fast check and the schema accept it, one more both refuse, naming the field`, () => {
  const atCap = telemetryRecord({ firmware: { version: "2.3.0", ecus: ecusOf(MAX_ECUS) } });
  const overCap = telemetryRecord({ firmware: { version: "2.3.0", ecus: ecusOf(MAX_ECUS + 1) } });
  assert.ok(surelyValid(atCap) && schemaAccepts(atCap) && telemetryRecordSchema.safeParse(atCap).success);
  assert.equal(reasonsOf(atCap), []);
  assert.not.ok(surelyValid(overCap) || schemaAccepts(overCap) || telemetryRecordSchema.safeParse(overCap).success, "zod's own check agrees with ajv's");
  assert.equal(reasonsOf(overCap), [["firmware.ecus", "maxProperties"]]);
  const withOta = { ...overCap, ota: { jobId: "j1", campaignId: "c1", attempt: 1, sequence: 2, status: "DOWNLOADING" as const, targetVersion: "2.4.0" } };
  assert.equal(reasonsOf(withOta), [["firmware.ecus", "maxProperties"]], "off the fast path too");
});

test(`a list of more than ${MAX_ECUS} ECUs is refused with a message naming the cap in ECUs, not ajv's "properties"`, () => {
  const messagesOf = (value: unknown) => {
    const result = validateRecord(value, NOW_MS);
    return result.valid ? [] : result.reasons.map((reason) => `${reason.field}: ${reason.rule}: ${reason.message}`);
  };
  const overCap = telemetryRecord({ firmware: { version: "2.3.0", ecus: ecusOf(MAX_ECUS + 1) } });
  const farOver = telemetryRecord({ firmware: { version: "2.3.0", ecus: ecusOf(2 * MAX_ECUS) }, battery: { stateOfCharge: 101 } });
  const zodSays = telemetryRecordSchema.safeParse(overCap);

  assert.equal(messagesOf(overCap), [`firmware.ecus: maxProperties: must list at most ${MAX_ECUS} ECUs`]);
  assert.ok(messagesOf(farOver).includes(`firmware.ecus: maxProperties: must list at most ${MAX_ECUS} ECUs`), messagesOf(farOver).join(" | "));
  assert.ok(messagesOf(farOver).some((message) => message.startsWith("battery.stateOfCharge: maximum: must be <=")), "other bounds keep ajv's message");
  assert.equal(zodSays.success ? [] : zodSays.error.issues.map((issue) => issue.message), [`must list at most ${MAX_ECUS} ECUs`], "zod says the same");
});

/** Every leaf path of a record, e.g. ["vehicle", "make"]. */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== "object" || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
}

function withLeaf(record: unknown, path: readonly string[], replacement: unknown, remove = false): unknown {
  const copy = structuredClone(record) as Record<string, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  if (remove) delete parent[path.at(-1)!];
  else parent[path.at(-1)!] = replacement;
  return copy;
}

const astral = "🚗".repeat(40); // 40 code points, 80 UTF-16 units: valid for a 64-character name
const HOSTILE_VALUES: unknown[] = [
  null, true, false, 0, -0, -1, 1, 0.5, 1e-300, -1e-300, 90, 90.0000001, -90.0000001, 180.0000001, 300.0000001, 359.9999, 360, 1000.0000001,
  2_000_000.0001, 149.9999, -30.0000001, -140.0000001, 80.0000001, -40.0000001, 100.0000001, 1979, 1980, 2040, 2041, 2040.5,
  Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308,
  "", "x", "1", "2.4.1", "2.4", "v2.4.1", "2.4.1-rc.1", "2.4.1\n", "x".repeat(64), "x".repeat(65), "x".repeat(32), "x".repeat(33),
  "a\u0000b", "a\u001fb", "a\u007fb", "a\u0085b", "a\u009fb", "a\u00a0b", "\ud83d", astral, "🚗".repeat(65), "LTE", "5G", "wifi", "none",
  "2026-11-26T17:34:00.000Z", "2026-11-26T17:34:00Z", "2026-11-26T17:34:00+01:00", "2026-02-30T17:34:00Z", "2026-11-26 17:34:00Z", "2026-11-26T24:00:00Z",
  "2026-11-26T17:34:00.000Z\n", [], [1], {}, { version: "1.0.0" },
];

test("surelyValid never says yes where the schema says no (valid simulator records and thousands of hostile mutations)", () => {
  const nowMs = NOW_MS;
  const fleet = createFleet({ vehicles: 200, seed: 5, startMs: nowMs - 120_000 });
  const context = { fleet, buffers: new Map(), random: new SeededRandom(5), runId: "t", objectSequence: { next: 0 }, batchSize: 100 };
  const simulated = generateBatch(context, nowMs).objects.flatMap((object) => gunzipSync(object.body).toString("utf8").split("\n").filter(Boolean));
  const bases: unknown[] = [telemetryRecord(), telemetryRecord({ firmware: { version: "1.0.0", ecus: undefined } }), ...simulated.slice(0, 20).map((line) => JSON.parse(line) as unknown)];
  let fastYes = 0;
  let schemaYes = 0;
  let checked = 0;
  const check = (value: unknown, what: string) => {
    const fast = surelyValid(value);
    const schema = schemaAccepts(value);
    if (fast) assert.ok(schema, `surelyValid accepted what the schema refuses: ${what}`);
    if (!schema) assert.not.ok(validateRecord(value, nowMs).valid, `validateRecord refuses what the schema refuses: ${what}`);
    fastYes += Number(fast);
    schemaYes += Number(schema);
    checked++;
  };
  for (const base of bases) {
    check(base, "base record");
    assert.ok(surelyValid(base), "a valid record without an ota block takes the fast path");
    for (const path of leafPaths(base)) {
      check(withLeaf(base, path, undefined, true), `${path.join(".")} removed`);
      for (const replacement of HOSTILE_VALUES) check(withLeaf(base, path, replacement), `${path.join(".")} = ${String(replacement)}`);
    }
    for (const block of ["vehicle", "position", "battery", "connectivity", "firmware", "firmware.ecus"]) {
      for (const replacement of [null, [], "x", 1, {}]) check(withLeaf(base, block.split("."), replacement), `${block} = ${JSON.stringify(replacement)}`);
    }
    check(withLeaf(base, ["firmware", "ecus"], { "": "1.0.0" }), "empty ECU name");
    check(withLeaf(base, ["firmware", "ecus"], { ["x".repeat(33)]: "1.0.0" }), "ECU name too long");
    check(withLeaf(base, ["firmware", "ecus"], { "a\u0001": "1.0.0" }), "ECU name with a control character");
    for (const count of [MAX_ECUS - 1, MAX_ECUS, MAX_ECUS + 1, MAX_ECUS * 2]) {
      const ecus = ecusOf(count);
      check(withLeaf(base, ["firmware", "ecus"], ecus), `${count} ECUs`);
      assert.is(surelyValid(withLeaf(base, ["firmware", "ecus"], ecus)), count <= MAX_ECUS, `the fast check decides ${count} ECUs as the schema does`);
    }
    check(withLeaf(base, ["extra"], { anything: true }), "an extra top-level field");
    check(withLeaf(base, ["ota"], { jobId: "j", campaignId: "c", attempt: 1, sequence: 1, status: "DOWNLOADING", targetVersion: "2.4.1" }), "with an ota block");
    check(withLeaf(base, ["ota"], { jobId: "j" }), "with a broken ota block");
    check([base], "the record in an array");
  }
  assert.ok(checked > 5_000, `${checked} values checked`);
  assert.ok(fastYes > 0 && schemaYes > fastYes, `both verdicts exercised (fast yes ${fastYes}, schema yes ${schemaYes} of ${checked})`);
});

test("knownFieldsOf keeps exactly what the schema names (zod's own strip), at every level: unknown keys a valid record may carry are left out", () => {
  const ota = { jobId: "job-1", campaignId: "c-1", attempt: 1, sequence: 3, status: "DOWNLOADING" as const, targetVersion: "2.4.0" };
  const clean = { ...telemetryRecord(), ota };
  const extra = { x: [[[1]]], y: { z: "w" } };
  const hostile = {
    ...clean,
    ...extra,
    vehicle: { ...clean.vehicle, ...extra },
    position: { ...clean.position, ...extra },
    battery: { ...clean.battery, ...extra },
    connectivity: { ...clean.connectivity, ...extra },
    firmware: { ...clean.firmware, ...extra },
    ota: { ...ota, reason: "low battery", ...extra },
  };
  const validation = validateRecord(hostile, NOW_MS);
  assert.ok(validation.valid, "unknown keys do not make a record invalid");
  const kept = knownFieldsOf(validation.record);
  assert.equal(kept, telemetryRecordSchema.parse(hostile));
  assert.not.ok(JSON.stringify(kept).includes('"x"'));
  assert.equal(kept.firmware.ecus, clean.firmware.ecus);
  assert.equal(knownFieldsOf(clean), clean, "a record of known keys only is copied unchanged");
  const { ota: _none, ...withoutOta } = clean;
  assert.equal(knownFieldsOf(withoutOta), withoutOta, "absent optional blocks stay absent");
});

/** A record whose 256 ECUs (the cap) each have a number for a version: one schema error an ECU. */
function numberedEcus(): unknown {
  const clean = telemetryRecord();
  return { ...clean, firmware: { version: "1.0.0", ecus: Object.fromEntries(Array.from({ length: MAX_ECUS }, (_, index) => [`e${index}`, 1])) } };
}

test("review 21 (R21-03): a refused record keeps at most MAX_RECORD_REASONS reasons, the last saying how many more (256 bad ECUs were 256 reasons)", () => {
  const validation = validateRecord(numberedEcus(), NOW_MS);
  assert.not.ok(validation.valid);
  if (validation.valid) return;
  assert.is(validation.reasons.length, MAX_RECORD_REASONS);
  assert.equal(validation.reasons.slice(0, 2).map((reason) => [reason.field, reason.rule]), [["firmware.ecus.e0", "type"], ["firmware.ecus.e1", "type"]]);
  assert.equal(validation.reasons.at(-1), { field: "(record)", rule: "more-reasons", message: `and ${MAX_ECUS - MAX_RECORD_REASONS + 1} more reasons, not kept` });
  const few = validateRecord(telemetryRecord({ battery: { stateOfCharge: 137.5 }, position: { lat: -91 } }), NOW_MS);
  assert.equal(few.valid ? [] : few.reasons.map((reason) => reason.field), ["position.lat", "battery.stateOfCharge"], "a record under the cap keeps every reason, no summary");
});

test("review 21 (R21-03): asked for the first reason only, a refused record gets the one the full check puts first; a valid record is valid either way", () => {
  for (const value of [numberedEcus(), telemetryRecord({ battery: { stateOfCharge: 137.5 }, position: { lat: -91 } }), { schemaVersion: 1 }, "not an object"]) {
    const all = validateRecord(value, NOW_MS);
    const first = validateRecord(value, NOW_MS, undefined, false, false);
    assert.not.ok(all.valid || first.valid);
    if (all.valid || first.valid) return;
    assert.equal(first.reasons, [all.reasons[0]], JSON.stringify(value).slice(0, 80));
  }
  assert.ok(validateRecord(telemetryRecord(), NOW_MS, undefined, false, false).valid);
});

test.run();
