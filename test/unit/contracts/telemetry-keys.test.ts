import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  fleetTelemetryKey,
  gatewayIdProblem,
  KEY_VIOLATION,
  MAX_TELEMETRY_KEY_LENGTH,
  parseTelemetryEventKey,
  parseTelemetryKey,
  TelemetryKeyError,
  tryParseTelemetryKey,
  UPLOADER_KIND,
  uploaderOfKey,
  vehicleTelemetryKey,
  type KeyViolation,
} from "../../../contracts/telemetry-keys.js";
import { vinViolations } from "../../../telemetry/vin.js";

const AT_MS = Date.UTC(2026, 10, 26, 17, 35, 9, 12);
const VIN = "1HGCM82633A004352"; // North American, valid check digit
const EUROPEAN_VIN = "WP0ZZZ99ZTS392124"; // fails the check-digit arithmetic, which Europe does not require
const PARTITION = "dt=2026-11-26/hour=17";
const FILE = "20261126T173509012Z-run1-000042.ndjson.gz";

test("a vehicle key puts the VIN third, partitions by UTC date and hour and parses back to what built it", () => {
  const key = vehicleTelemetryKey(VIN, AT_MS, "run1-000042");
  assert.is(key, `telemetry/vehicle/${VIN}/${PARTITION}/${FILE}`);
  assert.equal(parseTelemetryKey(key), { kind: UPLOADER_KIND.Vehicle, vin: VIN, date: "2026-11-26", hour: "17", createdAtMs: AT_MS, name: "run1-000042" });
});

test("a fleet key names its gateway and parses back as a fleet object (no VIN)", () => {
  const key = fleetTelemetryKey("gw-k3x9", AT_MS, "000012");
  assert.is(key, `telemetry/fleet/gw-k3x9/${PARTITION}/20261126T173509012Z-000012.ndjson.gz`);
  const parsed = parseTelemetryKey(key);
  assert.is(parsed.kind, UPLOADER_KIND.Fleet);
  assert.ok(!("vin" in parsed));
  assert.is(parsed.kind === UPLOADER_KIND.Fleet && parsed.gatewayId, "gw-k3x9");
});

test("a gateway id of 64 characters is one; gateway ids and VINs never overlap, in any letter case", () => {
  assert.is(gatewayIdProblem(`gw-${"g".repeat(61)}`), undefined);
  assert.is(gatewayIdProblem("gw-depot-7"), undefined);
  for (const vin of [VIN, VIN.toLowerCase(), EUROPEAN_VIN.toLowerCase()]) assert.ok(gatewayIdProblem(vin), vin);
  assert.ok(vinViolations("GW-DEPOT-7").length > 0);
});

test("a European VIN whose position 9 is not a check digit is a valid uploader", () => {
  assert.is(parseTelemetryKey(`telemetry/vehicle/${EUROPEAN_VIN}/${PARTITION}/${FILE}`).kind, UPLOADER_KIND.Vehicle);
});

test("keys sort by creation time within an uploader", () => {
  const keys = [vehicleTelemetryKey(VIN, AT_MS, "2"), vehicleTelemetryKey(VIN, AT_MS + 1, "1"), vehicleTelemetryKey(VIN, AT_MS + 3_600_000, "0")];
  assert.equal([...keys].sort(), keys);
});

const hostile: ReadonlyArray<[string, string, KeyViolation]> = [
  ["bare percent", `telemetry/vehicle/${VIN}/${PARTITION}/20261126T173509012Z-run%.ndjson.gz`, KEY_VIOLATION.Characters],
  ["URL-encoded slash smuggling another VIN", `telemetry/vehicle/${VIN}%2F..%2F5YJ3E1EA7KF317000/${PARTITION}/${FILE}`, KEY_VIOLATION.Characters],
  ["plus (encoded space)", `telemetry/vehicle/${VIN}/${PARTITION}/20261126T173509012Z-a+b.ndjson.gz`, KEY_VIOLATION.Characters],
  ["space", `telemetry/vehicle/${VIN}/${PARTITION}/20261126T173509012Z-a b.ndjson.gz`, KEY_VIOLATION.Characters],
  ["backslash", `telemetry/vehicle/${VIN}\\..\\5YJ3E1EA7KF317000/${PARTITION}/${FILE}`, KEY_VIOLATION.Characters],
  ["unicode lookalike of a digit in the VIN", `telemetry/vehicle/1HGCM8263３A004352/${PARTITION}/${FILE}`, KEY_VIOLATION.Characters],
  ["unicode right-to-left override", `telemetry/vehicle/${VIN}/${PARTITION}/\u202e${FILE}`, KEY_VIOLATION.Characters],
  ["NUL byte", `telemetry/vehicle/${VIN}\u0000/${PARTITION}/${FILE}`, KEY_VIOLATION.Characters],
  ["newline", `telemetry/vehicle/${VIN}/${PARTITION}/${FILE}\n`, KEY_VIOLATION.Characters],
  ["very long", `telemetry/vehicle/${VIN}/${PARTITION}/20261126T173509012Z-${"a".repeat(1_000)}.ndjson.gz`, KEY_VIOLATION.TooLong],
  ["just over the limit", `telemetry/vehicle/${VIN}/${PARTITION}/${"a".repeat(MAX_TELEMETRY_KEY_LENGTH)}`, KEY_VIOLATION.TooLong],
  ["not under telemetry/", `quarantine/vehicle/${VIN}/${PARTITION}/${FILE}`, KEY_VIOLATION.Prefix],
  ["capitalised prefix", `Telemetry/vehicle/${VIN}/${PARTITION}/${FILE}`, KEY_VIOLATION.Prefix],
  ["the old flat layout (no uploader)", `telemetry/${PARTITION}/${FILE}`, KEY_VIOLATION.Segments],
  ["dot-dot climbing to another VIN", `telemetry/vehicle/${VIN}/../5YJ3E1EA7KF317000/${FILE}`, KEY_VIOLATION.Segments],
  ["dot segment", `telemetry/vehicle/${VIN}/./${PARTITION}/${FILE}`, KEY_VIOLATION.Segments],
  ["extra segment", `telemetry/vehicle/${VIN}/${PARTITION}/extra/${FILE}`, KEY_VIOLATION.Segments],
  ["empty segment (double slash)", `telemetry/vehicle//${VIN}/${PARTITION}/${FILE}`, KEY_VIOLATION.Segments],
  ["trailing slash", `telemetry/vehicle/${VIN}/${PARTITION}/${FILE}/`, KEY_VIOLATION.Segments],
  ["a second VIN as an extra segment", `telemetry/vehicle/${VIN}/5YJ3E1EA7KF317000/${PARTITION}/${FILE}`, KEY_VIOLATION.Segments],
  ["unknown uploader kind", `telemetry/vehicles/${VIN}/${PARTITION}/${FILE}`, KEY_VIOLATION.UploaderKind],
  ["uploader kind in capitals", `telemetry/VEHICLE/${VIN}/${PARTITION}/${FILE}`, KEY_VIOLATION.UploaderKind],
  ["lowercase VIN", `telemetry/vehicle/${VIN.toLowerCase()}/${PARTITION}/${FILE}`, KEY_VIOLATION.Vin],
  ["VIN with a letter O", `telemetry/vehicle/1HGCM82633AO04352/${PARTITION}/${FILE}`, KEY_VIOLATION.Vin],
  ["VIN of 16 characters", `telemetry/vehicle/${VIN.slice(1)}/${PARTITION}/${FILE}`, KEY_VIOLATION.Vin],
  ["VIN of 18 characters", `telemetry/vehicle/${VIN}1/${PARTITION}/${FILE}`, KEY_VIOLATION.Vin],
  ["North American VIN with a wrong check digit", `telemetry/vehicle/1HGCM82643A004352/${PARTITION}/${FILE}`, KEY_VIOLATION.Vin],
  ["a gateway id under vehicle/", `telemetry/vehicle/gw-k3x9/${PARTITION}/${FILE}`, KEY_VIOLATION.Vin],
  ["a VIN under fleet/ (a vehicle posing as a gateway)", `telemetry/fleet/${VIN}/${PARTITION}/${FILE}`, KEY_VIOLATION.GatewayId],
  ["a lowercase VIN under fleet/", `telemetry/fleet/${VIN.toLowerCase()}/${PARTITION}/${FILE}`, KEY_VIOLATION.GatewayId],
  ["gateway id without gw-", `telemetry/fleet/sim-k3x9/${PARTITION}/${FILE}`, KEY_VIOLATION.GatewayId],
  ["gw- alone", `telemetry/fleet/gw-/${PARTITION}/${FILE}`, KEY_VIOLATION.GatewayId],
  ["gateway id in capitals", `telemetry/fleet/GW-SIM/${PARTITION}/${FILE}`, KEY_VIOLATION.GatewayId],
  ["gateway id ending in a hyphen", `telemetry/fleet/gw-sim-/${PARTITION}/${FILE}`, KEY_VIOLATION.GatewayId],
  ["gateway id with an empty group", `telemetry/fleet/gw--sim/${PARTITION}/${FILE}`, KEY_VIOLATION.GatewayId],
  ["gateway id of 65 characters", `telemetry/fleet/gw-${"g".repeat(62)}/${PARTITION}/${FILE}`, KEY_VIOLATION.GatewayId],
  ["gateway id with a dot", `telemetry/fleet/gw-sim.k3x9/${PARTITION}/${FILE}`, KEY_VIOLATION.GatewayId],
  ["partition segments swapped", `telemetry/vehicle/${VIN}/hour=17/dt=2026-11-26/${FILE}`, KEY_VIOLATION.Partition],
  ["impossible date", `telemetry/vehicle/${VIN}/dt=2026-02-30/hour=17/20260230T173509012Z-1.ndjson.gz`, KEY_VIOLATION.Partition],
  ["hour 24", `telemetry/vehicle/${VIN}/dt=2026-11-26/hour=24/20261126T243509012Z-1.ndjson.gz`, KEY_VIOLATION.Partition],
  ["one-digit hour", `telemetry/vehicle/${VIN}/dt=2026-11-26/hour=7/${FILE}`, KEY_VIOLATION.Partition],
  ["file without the stamp", `telemetry/vehicle/${VIN}/${PARTITION}/run1.ndjson.gz`, KEY_VIOLATION.FileName],
  ["file with another suffix", `telemetry/vehicle/${VIN}/${PARTITION}/20261126T173509012Z-1.ndjson`, KEY_VIOLATION.FileName],
  ["file name of uppercase letters", `telemetry/vehicle/${VIN}/${PARTITION}/20261126T173509012Z-RUN.ndjson.gz`, KEY_VIOLATION.FileName],
  ["file name with an empty group", `telemetry/vehicle/${VIN}/${PARTITION}/20261126T173509012Z-a--b.ndjson.gz`, KEY_VIOLATION.FileName],
  ["file name of 65 characters", `telemetry/vehicle/${VIN}/${PARTITION}/20261126T173509012Z-${"a".repeat(65)}.ndjson.gz`, KEY_VIOLATION.FileName],
  ["stamp minute 61", `telemetry/vehicle/${VIN}/${PARTITION}/20261126T176109012Z-1.ndjson.gz`, KEY_VIOLATION.FileName],
  ["stamp in another hour than its partition", `telemetry/vehicle/${VIN}/${PARTITION}/20261126T183509012Z-1.ndjson.gz`, KEY_VIOLATION.StampOutsidePartition],
  ["stamp on another day than its partition", `telemetry/vehicle/${VIN}/${PARTITION}/20261127T173509012Z-1.ndjson.gz`, KEY_VIOLATION.StampOutsidePartition],
];

for (const [name, key, violation] of hostile) {
  test(`refused: ${name} (${violation})`, () => {
    try {
      parseTelemetryKey(key);
      assert.unreachable(`parsed: ${JSON.stringify(key)}`);
    } catch (error) {
      assert.instance(error, TelemetryKeyError);
      assert.is((error as TelemetryKeyError).violation, violation);
      assert.not.match((error as Error).message, /[\u0000-\u001f\u007f-\uffff]/, "the message shows no control or non-ASCII character");
      assert.ok((error as Error).message.length < 400, "the message stays short whatever the key");
    }
    const result = tryParseTelemetryKey(key);
    assert.is(result.ok, false);
    assert.is(!result.ok && result.violation, violation);
  });
}

test("the builders refuse what the parser would refuse, so no code path writes an unparseable key", () => {
  assert.throws(() => vehicleTelemetryKey("1HGCM82643A004352", AT_MS, "1"), (error: unknown) => error instanceof TelemetryKeyError && error.violation === KEY_VIOLATION.Vin);
  assert.throws(() => vehicleTelemetryKey(VIN, AT_MS, "../x"), (error: unknown) => error instanceof TelemetryKeyError && error.violation === KEY_VIOLATION.FileName);
  assert.throws(() => fleetTelemetryKey("Fleet/1", AT_MS, "1"), (error: unknown) => error instanceof TelemetryKeyError && error.violation === KEY_VIOLATION.GatewayId);
  assert.throws(() => vehicleTelemetryKey(VIN, Number.NaN, "1"), RangeError);
});

test("every built key parses, across hours, days and years", () => {
  for (const atMs of [Date.UTC(2026, 0, 1, 0, 0, 0, 0), Date.UTC(2028, 1, 29, 23, 59, 59, 999), Date.UTC(2026, 11, 31, 23, 59, 59, 999)]) {
    assert.is(parseTelemetryKey(vehicleTelemetryKey(VIN, atMs, "a1-b2")).createdAtMs, atMs);
    assert.is(parseTelemetryKey(fleetTelemetryKey("gw-1", atMs, "7")).createdAtMs, atMs);
  }
});

test("an event's URL-encoded key parses to the stored key; decoding never changes the uploader or rescues a bad key", () => {
  const stored = vehicleTelemetryKey(VIN, AT_MS, "run1-000042");
  const encoded = stored.replaceAll("=", "%3D");
  assert.equal(parseTelemetryEventKey(stored), { ok: true, key: parseTelemetryKey(stored), storedKey: stored });
  assert.equal(parseTelemetryEventKey(encoded), { ok: true, key: parseTelemetryKey(stored), storedKey: stored });
  const smuggled = parseTelemetryEventKey(`telemetry/vehicle/${VIN}%2F..%2F5YJ3E1EA7KF317000/${PARTITION}/${FILE}`);
  assert.is(smuggled.ok, false);
  assert.is(!smuggled.ok && smuggled.violation, KEY_VIOLATION.Characters, "the stored form's violation is reported");
  const bare = parseTelemetryEventKey(`telemetry/vehicle/${VIN}/${PARTITION}/20261126T173509012Z-%zz.ndjson.gz`);
  assert.is(!bare.ok && bare.violation, KEY_VIOLATION.Characters);
  const space = parseTelemetryEventKey(`telemetry/vehicle/${VIN}/${PARTITION}/20261126T173509012Z-a+b.ndjson.gz`);
  assert.is(space.ok, false, "a + decodes to a space, which the layout refuses too");
});

test("uploaderOfKey names the IAM-scoped uploader of any key under telemetry/<vehicle|fleet>/<id>/, in the layout or not (R18-F1)", () => {
  assert.is(uploaderOfKey(vehicleTelemetryKey(VIN, AT_MS, "run1-000042")), `vehicle/${VIN}`, "a layout key: the parse's uploader");
  assert.is(uploaderOfKey(fleetTelemetryKey("gw-depot-7", AT_MS, "000042")), "fleet/gw-depot-7");
  for (const rest of ["junk-1.bin", "", "a/b/c/d/e/f", `../../fleet/gw-depot-7/${PARTITION}/${FILE}`, `${PARTITION}/x y%zz`]) {
    assert.is(uploaderOfKey(`telemetry/vehicle/${VIN}/${rest}`), `vehicle/${VIN}`, rest);
  }
  const named = [
    `telemetry/vehicle/${VIN}`,
    `telemetry/vehicle/${VIN.toLowerCase()}/x`,
    "telemetry/vehicle/gw-depot-7/x",
    `telemetry/fleet/${VIN}/x`,
    `telemetry/trucks/${VIN}/x`,
    `telemetry/vehicle/${VIN}%2F..%2F5YJ3E1EA7KF317000/x`,
    `uploads/telemetry/vehicle/${VIN}/x`,
    "telemetry//x",
    "",
  ].map((key) => uploaderOfKey(key));
  assert.equal(named, named.map(() => undefined), "no VIN or gateway id in the scoped segment: no uploader");
});

test.run();
