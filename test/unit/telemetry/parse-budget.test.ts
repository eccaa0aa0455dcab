/**
 * An object's parse budget (telemetry/parse-budget.ts): a line bound alone let an object of 10,000 lines each just
 * under it cost 0.35-0.45 CPU-s (review 16, R16-T3), and 64 KiB of distinct keys a line ~1-2 CPU-s (short lines of
 * them, never scanned under 1 KiB, ~1.1). Members and containers are counted outside strings; keys by a hash.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gzipSync } from "node:zlib";
import { DEFAULT_READ_LIMITS, LINE_REFUSAL, readTelemetryObject, TooManyRejectedError } from "../../../telemetry/core.js";
import { PARSE_BUDGET, ParseBudget } from "../../../telemetry/parse-budget.js";
import { MAX_ECUS } from "../../../telemetry/schema.js";
import { createFleet } from "../../../simulator/fleet.js";
import { NOW_MS, telemetryRecord } from "./support/factories.js";

const PAD = " ".repeat(PARSE_BUDGET.scanChars);
/** A line (scanned: over scanChars) of one object with `members` members named by `key` and `containers` arrays. */
function line(members: number, key: (index: number) => string = (index) => `k${index}`, containers = 1): string {
  const body = Array.from({ length: members }, (_, index) => `"${key(index)}":0`).join(",");
  return `{${body}${members ? "," : ""}"pad":"${PAD}"${containers > 1 ? `,"x":${"[".repeat(containers - 1)}${"]".repeat(containers - 1)}` : ""}}`;
}
const refusalOf = (budget: ParseBudget, text: string) => budget.check(text)?.rule ?? "parse";

test("a line of exactly the most members a line may have is parsed; one more is refused unparsed (max-members)", () => {
  // `line(n)` has n + 1 members (its "pad")
  assert.is(refusalOf(new ParseBudget(), line(PARSE_BUDGET.lineMembers - 1)), "parse");
  assert.is(refusalOf(new ParseBudget(), line(PARSE_BUDGET.lineMembers)), "max-members");
});

test("members and brackets inside strings, escaped quotes and backslashes included, are text; a key's escapes end where its quote does", () => {
  const colons = `"${':\\":{['.repeat(3_000)}\\\\"`; // ends with an escaped backslash, then the real closing quote
  const text = `{"a":${colons},"b":"${PAD}"}`;
  assert.is(refusalOf(new ParseBudget(), text), "parse");
  assert.equal(JSON.parse(text).b, PAD, "the line is JSON with the two members the scan counted");
  const keyed = `{${Array.from({ length: PARSE_BUDGET.lineMembers + 1 }, (_, index) => `"k\\"${index}:":0`).join(",")},"pad":"${PAD}"}`;
  assert.is(refusalOf(new ParseBudget(), keyed), "max-members", "keys holding an escaped quote and a colon are still one member each");
});

test("review 17: the scan is linear in the line (a key hashed once, stopped past the member bound): 64 lines of one 32K-character string and 33K colons are refused in well under a second of CPU (~220 s before)", () => {
  const hostile = `"${"a".repeat(32_000)}"${":".repeat(33_000)}`;
  const budget = new ParseBudget();
  const start = process.cpuUsage();
  for (let count = 0; count < 64; count++) assert.is(refusalOf(budget, hostile), "max-members");
  const used = process.cpuUsage(start);
  // A work bound, not a benchmark: linear is ~10 ms here, the quadratic scan took ~3.5 s a line.
  assert.ok((used.user + used.system) / 1e6 < 2, `${((used.user + used.system) / 1e6).toFixed(2)} CPU-s`);
});

/** What `line(members)` is charged against the object's budget: members past its free ones (R17-B2: by its length too). */
const extraOf = (members: number): number =>
  Math.max(0, members + 1 - Math.max(PARSE_BUDGET.freeMembers, Math.floor(line(members).length / PARSE_BUDGET.charsPerFreeMember)));
/** The fewest members `line(n)` needs to be charged `extra`. */
const membersCharged = (extra: number): number => {
  let members = 0;
  while (extraOf(members) < extra) members++;
  return members;
};

test("an object's scanned lines may use its extra structure up to the budget; the line passing it is refused, later lines within it still parse", () => {
  const budget = new ParseBudget();
  const extraPerLine = extraOf(PARSE_BUDGET.lineMembers - 1); // the same 512 keys each line: no new keys
  const full = Math.floor(PARSE_BUDGET.objectExtra / extraPerLine);
  for (let count = 0; count < full; count++) assert.is(refusalOf(budget, line(PARSE_BUDGET.lineMembers - 1)), "parse", `line ${count + 1}`);
  const left = PARSE_BUDGET.objectExtra - full * extraPerLine;
  assert.is(refusalOf(budget, line(membersCharged(left + 1))), "object-structure", "one member more than the budget has left");
  assert.is(refusalOf(budget, line(membersCharged(left))), "parse", "exactly what is left");
  assert.is(refusalOf(budget, line(membersCharged(1) - 1)), "parse", "a line within the free members uses none");
  assert.is(refusalOf(budget, line(membersCharged(1))), "object-structure");
});

test("review 17 (R17-B2): members are free up to one a charsPerFreeMember characters of the line: a long ECU list costs the object nothing", () => {
  const budget = new ParseBudget();
  const ecus = Array.from({ length: 150 }, (_, index) => `"ecu${String(index).padStart(3, "0")}":"1.4.2"`).join(",");
  const record = `{"firmware":{"version":"2.3.1","ecus":{${ecus}}},"pad":"${PAD}"}`;
  for (let count = 0; count < 20_000; count++) assert.is(refusalOf(budget, record), "parse");
});

test("containers beyond a line's free ones count toward the same budget", () => {
  const budget = new ParseBudget();
  const extraPerLine = PARSE_BUDGET.lineContainers - PARSE_BUDGET.freeContainers;
  const full = Math.floor(PARSE_BUDGET.objectExtra / extraPerLine);
  for (let count = 0; count < full; count++) assert.is(refusalOf(budget, line(0, undefined, PARSE_BUDGET.lineContainers)), "parse");
  assert.is(refusalOf(budget, line(0, undefined, PARSE_BUDGET.lineContainers)), "object-structure");
  assert.is(refusalOf(budget, line(0, undefined, PARSE_BUDGET.freeContainers)), "parse");
});

test("an object's scanned lines may name the budget's distinct keys; a line naming one more is refused (object-keys), keys seen before are free", () => {
  const budget = new ParseBudget();
  const perLine = 256;
  // each line: 256 new keys and "pad" (the first line's pad is new too)
  let named = 0;
  const keyOf = (first: number) => (index: number) => `d${first + index}`;
  while (named + perLine + 1 <= PARSE_BUDGET.objectKeys) {
    assert.is(refusalOf(budget, line(perLine, keyOf(named))), "parse");
    named += perLine;
  }
  const left = PARSE_BUDGET.objectKeys - named - 1; // "pad"
  assert.is(refusalOf(budget, line(left + 1, keyOf(named))), "object-keys");
  assert.is(refusalOf(budget, line(left, keyOf(named))), "parse", "exactly the keys left");
  assert.is(refusalOf(budget, line(perLine, keyOf(0))), "parse", "keys the object named before");
  assert.is(refusalOf(budget, line(1, keyOf(PARSE_BUDGET.objectKeys * 2))), "object-keys");
});

test("short lines are not scanned in an object's first lines; from line 1,001 on every line is", () => {
  const budget = new ParseBudget();
  const short = `{"x":${"[".repeat(400)}${"]".repeat(400)}}`;
  assert.ok(short.length <= PARSE_BUDGET.scanChars);
  for (let count = 0; count < PARSE_BUDGET.unscannedLines; count++) assert.is(refusalOf(budget, short), "parse");
  assert.is(refusalOf(budget, short), "max-containers");
});

/** A scanned line of an array of `charged + 1` elements: an array's first element is not counted (the scan counts commas). */
const elementsLine = (charged: number): string => `[${"0,".repeat(charged)}"${PAD}"]`;

test("an object's scanned lines may have its array elements beyond their free ones up to the budget; the line passing it is refused (object-elements), later lines within it still parse", () => {
  const budget = new ParseBudget();
  const perLine = 8 * 1024;
  const full = Math.floor(PARSE_BUDGET.objectElements / (perLine - PARSE_BUDGET.freeElements));
  for (let count = 0; count < full; count++) assert.is(refusalOf(budget, elementsLine(perLine)), "parse", `line ${count + 1}`);
  const left = PARSE_BUDGET.objectElements - full * (perLine - PARSE_BUDGET.freeElements);
  assert.is(refusalOf(budget, elementsLine(PARSE_BUDGET.freeElements + left + 1)), "object-elements", "one element more than the budget has left");
  assert.is(refusalOf(budget, elementsLine(PARSE_BUDGET.freeElements + left)), "parse", "exactly what is left");
  assert.is(refusalOf(budget, elementsLine(PARSE_BUDGET.freeElements)), "parse", "a line within its free elements uses none");
  assert.is(refusalOf(budget, elementsLine(PARSE_BUDGET.freeElements + 1)), "object-elements");
  assert.equal(budget.check(elementsLine(PARSE_BUDGET.freeElements + 1))?.message, `the object's lines pass ${PARSE_BUDGET.objectElements} array elements beyond ${PARSE_BUDGET.freeElements} a line`);
});

test("array elements are counted as commas beyond members: strings' commas are text, members are not elements, the elements of arrays within an array add up", () => {
  const budget = new ParseBudget();
  const inStrings = `["${",".repeat(PARSE_BUDGET.objectElements * 2)}"]`;
  const members = line(PARSE_BUDGET.lineMembers - 1);
  for (let count = 0; count < 100; count++) assert.is(refusalOf(budget, inStrings), "parse", "commas in a string");
  for (let count = 0; count < 100; count++) assert.is(refusalOf(budget, members), "parse", "commas between members");
  const half = "0,".repeat((PARSE_BUDGET.objectElements + PARSE_BUDGET.freeElements) / 2 + 1); // two of them pass the budget
  assert.is(refusalOf(new ParseBudget(), `[[${half}0],"${PAD}"]`), "parse", "one alone is within it");
  assert.is(refusalOf(new ParseBudget(), `[[${half}0],[${half}0],"${PAD}"]`), "object-elements");
  assert.is(refusalOf(new ParseBudget(), `{"a":[${half}0],"b":[${half}0],"pad":"${PAD}"}`), "object-elements");
});

/** A valid record with `extra` (JSON members text) added at its top level. */
const recordWith = (extra: string, seq = 1): string => `${JSON.stringify(telemetryRecord({ seq })).slice(0, -1)},${extra}}`;
const distinctKeys = (first: number, count: number): string => Array.from({ length: count }, (_, index) => `"_${(first + index).toString(36)}":0`).join(",");

test("the refusal is counted too-complex and the line quarantined with its rule and text; the object's other records are accepted", async () => {
  const hostile = recordWith(`${distinctKeys(0, 600)},"pad":"${PAD}"`);
  const readout = await readTelemetryObject([gzipSync([recordWith('"a":1'), hostile, recordWith('"a":2', 2)].join("\n"))], NOW_MS);
  assert.is(readout.accepted, 2);
  assert.equal(readout.refusals, { [LINE_REFUSAL.TooComplex]: 1 });
  assert.is(readout.rejected[0]!.line, 2);
  assert.is(readout.rejected[0]!.raw, hostile);
  assert.is(readout.rejected[0]!.reasons[0]!.rule, "max-members");
});

test("README's dear shape: 255 records each with 64 KiB of distinct keys (~1-2 CPU-s) are refused and the object quarantined whole once the refused text passes 4 MiB", async () => {
  let next = 0;
  const lines = Array.from({ length: 255 }, (_, seq) => {
    const head = recordWith('"x":{', seq).slice(0, -1);
    let body = "";
    while (head.length + body.length + 20 < 64 * 1024) body += `${body ? "," : ""}"${(next++).toString(36)}":0`;
    return `${head}${body}}}`;
  });
  const outcome = await readTelemetryObject([gzipSync(lines.join("\n"))], NOW_MS).then(() => "read", (error: unknown) => error);
  assert.instance(outcome, TooManyRejectedError);
  const refused = (outcome as TooManyRejectedError).refusals;
  assert.equal(Object.keys(refused), [LINE_REFUSAL.TooComplex], "every refused line too-complex");
  const perLine = JSON.stringify(lines[0]).length; // as quarantine/records/ writes it (quotes escaped), before its reasons
  assert.ok(refused[LINE_REFUSAL.TooComplex]! * perLine > DEFAULT_READ_LIMITS.maxRejectedBytes - perLine);
});

test("the wide array of numbers under an unknown key (255 records of 64 KiB, 8 million elements, 0.28-0.44 CPU-s accepted) is refused object-elements and the object quarantined whole; each of 10,000 records may carry a small array", async () => {
  const wide = Array.from({ length: 255 }, (_, seq) => {
    const head = recordWith('"x":[', seq).slice(0, -1);
    return `${head}${"0,".repeat((64 * 1024 - head.length - 4) >> 1)}0]}`;
  });
  assert.ok(wide.every((text) => JSON.parse(text) && text.length <= 64 * 1024));
  const outcome = await readTelemetryObject([gzipSync(wide.join("\n"))], NOW_MS).then((readout) => readout, (error: unknown) => error);
  assert.instance(outcome, TooManyRejectedError);
  assert.equal(Object.keys((outcome as TooManyRejectedError).refusals), [LINE_REFUSAL.TooComplex]);
  const first = await readTelemetryObject([gzipSync(wide.slice(0, 4).join("\n"))], NOW_MS);
  assert.equal(first.rejected.map((rejected) => rejected.reasons[0]!.rule), ["object-elements", "object-elements"], "two lines of ~32K elements fill the budget");

  const small = Array.from({ length: 10_000 }, (_, seq) => recordWith(`"x":[${"1.5,".repeat(PARSE_BUDGET.freeElements)}0]`, seq));
  const readout = await readTelemetryObject([gzipSync(small.join("\n"))], NOW_MS);
  assert.is(readout.accepted, 10_000);
});

test("R16-T3's dear shapes: 10,000 records of ~1 KiB, each just under the line bound (2.5 million containers), are refused past the object's budget; the object is quarantined whole", async () => {
  for (const length of [1_000, 1_400]) {
    const lines = Array.from({ length: 10_000 }, (_, seq) => {
      const head = recordWith('"x":', seq).slice(0, -1);
      const pad = length > PARSE_BUDGET.scanChars ? `"y":"${" ".repeat(length - head.length - 2 * 240 - 8)}",` : "";
      const depth = pad ? 240 : (length - head.length - 1) >> 1;
      return `${head.replace('"x":', `${pad}"x":`)}${"[".repeat(depth)}${"]".repeat(depth)}}`;
    });
    assert.ok(lines.every((text) => JSON.parse(text) && (length > PARSE_BUDGET.scanChars) === text.length > PARSE_BUDGET.scanChars));
    const outcome = await readTelemetryObject([gzipSync(lines.join("\n"))], NOW_MS).then((readout) => readout, (error: unknown) => error);
    assert.instance(outcome, TooManyRejectedError, `lines of ${length}`);
    assert.equal(Object.keys((outcome as TooManyRejectedError).refusals), [LINE_REFUSAL.TooComplex]);
  }
});

test("short lines of distinct keys past the object's first 1,000 lines are refused (each ~1 KiB of them cost ~1.1 CPU-s an object, none scanned)", async () => {
  const lines = Array.from({ length: 2_000 }, (_, seq) => recordWith(distinctKeys(seq * 36, 36), seq));
  assert.ok(lines.every((text) => text.length <= PARSE_BUDGET.scanChars));
  const readout = await readTelemetryObject([gzipSync(lines.join("\n"))], NOW_MS);
  assert.ok(readout.accepted >= PARSE_BUDGET.unscannedLines && readout.accepted < PARSE_BUDGET.unscannedLines + PARSE_BUDGET.objectKeys / 36);
  assert.equal(readout.refusals, { [LINE_REFUSAL.TooComplex]: 2_000 - readout.accepted });
  assert.ok(readout.rejected.every((rejected) => rejected.reasons[0]!.rule === "object-keys"));
});

/** Every bounded field at its bound (names 64, ids 128, reason 500), long versions, an `ota` block and `ecus` ECUs. */
function largestCleanRecord(seq: number, ecus: number): string {
  const version = "12.34.56-rc.1.build.20261203";
  return JSON.stringify({
    ...telemetryRecord({ seq }),
    vehicle: { make: "M".repeat(64), model: "O".repeat(64), modelYear: 2040, trim: "T".repeat(64), region: "R".repeat(64), hardwareId: "H".repeat(64) },
    firmware: { version, ecus: Object.fromEntries(Array.from({ length: ecus }, (_, index) => [`ecu-${index}-${"e".repeat(24)}`.slice(0, 32), version])) },
    ota: { jobId: "j".repeat(128), campaignId: "c".repeat(128), attempt: 1_000, sequence: seq, status: "ROLLED_BACK", reason: "r".repeat(500), targetVersion: version },
  });
}

/** The shortest record the schema allows with `ecus` ECUs of the shortest names and versions: the most members a character. */
function shortestRecordWithEcus(seq: number, ecus: number): string {
  const names = Array.from({ length: ecus }, (_, index) => index.toString(36));
  return JSON.stringify({
    ...telemetryRecord({ seq }),
    vehicle: { make: "M", model: "O", modelYear: 2040, trim: "T", region: "R", hardwareId: "H" },
    position: { lat: 0, lon: 0, speedKph: 0, headingDeg: 0, odometerKm: 0 },
    battery: { stateOfCharge: 0, voltage: 150, temperatureC: 0, charging: false },
    connectivity: { network: "5G", signalDbm: -50, online: true },
    firmware: { version: "0.0.0", ecus: Object.fromEntries(names.map((name) => [name, "0.0.0"])) },
  });
}

/** As many of `make`'s lines as the decoded limit (and the line limit) take. */
function toDecodedLimit(make: (seq: number) => string): string[] {
  const lines: string[] = [];
  for (let bytes = 0, seq = 0; seq < DEFAULT_READ_LIMITS.maxLines; seq++) {
    const text = make(seq);
    if ((bytes += text.length + 1) > DEFAULT_READ_LIMITS.maxDecodedBytes) break;
    lines.push(text);
  }
  return lines;
}

test(`clean records are never refused: the simulator's with ota blocks, 10,000 a object; the largest the schema allows to the 16 MiB limit; records of ${MAX_ECUS} ECUs, the longest and the shortest, to the limit`, async () => {
  const fleet = createFleet({ vehicles: 50, seed: 7, startMs: NOW_MS - 3_600_000 });
  const simulated = Array.from({ length: 10_000 }, (_, index) => {
    const vehicle = fleet.vehicles[index % 50]!;
    const atMs = NOW_MS - 3_000_000 + index * 100;
    vehicle.advance(atMs);
    const ota = index % 2 ? { jobId: `job-${vehicle.vin}`, campaignId: "campaign-1", attempt: 1, sequence: index, status: "DOWNLOADING" as const, targetVersion: "2.4.0" } : undefined;
    return JSON.stringify(vehicle.toRecord(atMs, ota));
  });
  const simulatedReadout = await readTelemetryObject([gzipSync(simulated.join("\n"))], NOW_MS);
  assert.is(simulatedReadout.accepted, 10_000);

  const largest = toDecodedLimit((seq) => largestCleanRecord(seq, 4));
  const largestReadout = await readTelemetryObject([gzipSync(largest.join("\n"))], NOW_MS);
  assert.ok(largest[0]!.length > PARSE_BUDGET.scanChars && largest.length > 8_000);
  assert.is(largestReadout.accepted, largest.length);

  for (const make of [(seq: number) => largestCleanRecord(seq, MAX_ECUS), (seq: number) => shortestRecordWithEcus(seq, MAX_ECUS)]) {
    const lines = toDecodedLimit(make);
    const readout = await readTelemetryObject([gzipSync(lines.join("\n"))], NOW_MS);
    assert.equal(readout.refusals, {}, `${lines.length} records of ${lines[0]!.length} characters, ${MAX_ECUS} ECUs each`);
    assert.is(readout.accepted, lines.length);
  }
});

test(`a record listing more than ${MAX_ECUS} ECUs is refused by the schema, naming firmware.ecus (the line's member bound fires only past ~480)`, async () => {
  for (const make of [largestCleanRecord, shortestRecordWithEcus]) {
    const readout = await readTelemetryObject([gzipSync([make(1, MAX_ECUS), make(2, MAX_ECUS + 1), make(3, 470)].join("\n"))], NOW_MS);
    assert.is(readout.accepted, 1);
    assert.equal(readout.refusals, { [LINE_REFUSAL.Schema]: 2 });
    assert.equal(readout.rejected.map((rejected) => rejected.reasons.map((reason) => `${reason.field}: ${reason.rule}`)), [["firmware.ecus: maxProperties"], ["firmware.ecus: maxProperties"]]);
  }
  const readout = await readTelemetryObject([gzipSync(shortestRecordWithEcus(1, 4_000))], NOW_MS);
  assert.equal(readout.rejected[0]!.reasons[0]!.rule, "max-members", "far past the cap the line is refused unparsed");
});

/** `count` of the names e0…e{pool-1}, in an order of `seed`'s (a seeded shuffle; seed 0 keeps the pool's order). */
function orderedNames(pool: number, count: number, seed: number): string[] {
  const names = Array.from({ length: pool }, (_, index) => `e${index}`);
  let state = seed;
  const next = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
  for (let index = seed === 0 ? 0 : names.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [names[index], names[other]] = [names[other]!, names[index]!];
  }
  return names.slice(0, count);
}

/**
 * Review 18's R18-B1 line: a record with 60 small objects of 8 keys under an unknown key, the keys in `seed`'s order of
 * 4,000 names, padded so every member is free of the object's structure budget (2,331 of them: 2.96-3.28 CPU-s).
 */
function shuffledShapesLine(seq: number, seed: number): string {
  const names = orderedNames(4_000, 480, seed);
  const groups = Array.from({ length: 60 }, (_, group) => Object.fromEntries(names.slice(group * 8, group * 8 + 8).map((name) => [name, 0])));
  const text = JSON.stringify({ ...telemetryRecord({ seq }), extra: groups });
  return `${text.slice(0, -1)},"pad":"${"x".repeat(Math.max(0, PARSE_BUDGET.lineMembers * PARSE_BUDGET.charsPerFreeMember - text.length - 9))}"}`;
}

test("review 18 (R18-B1): an object's scanned lines may begin objectShapes distinct key sequences; the line passing it is refused (object-shapes), lines of known ones still parse, the same keys in one order are free", () => {
  const budget = new ParseBudget();
  let admitted = 0;
  while (refusalOf(budget, shuffledShapesLine(admitted, admitted + 1)) === "parse") admitted++;
  assert.is(refusalOf(budget, shuffledShapesLine(admitted, admitted + 1)), "object-shapes", "the line passing it, and again");
  // each line begins up to 480 new sequences of its extra keys (the record's own ~40 on the first), less the one-key
  // sequences of its 60 groups that earlier lines began (4,000 names)
  assert.ok(admitted >= Math.floor(PARSE_BUDGET.objectShapes / 520) && admitted <= Math.ceil(PARSE_BUDGET.objectShapes / 420), `${admitted} lines admitted`);
  assert.is(refusalOf(budget, shuffledShapesLine(9, 1)), "parse", "a line of the first line's sequences adds none");

  const fixed = new ParseBudget();
  const refusedInOneOrder = Array.from({ length: 2_400 }, (_, seq) => refusalOf(fixed, shuffledShapesLine(seq, 7))).filter((rule) => rule !== "parse");
  assert.equal(refusedInOneOrder, [], "2,400 such lines with their keys in one order");
});

test("review 18 (R18-B1): its 16 MiB object (accepted whole at ~3 CPU-s) is quarantined whole, and so is the older shape of short lines (7 shuffled 8-key objects, 10,000 lines, 1.5-1.7 CPU-s)", async () => {
  const attacks = {
    padded: toDecodedLimit((seq) => shuffledShapesLine(seq, seq + 1)),
    short: Array.from({ length: 10_000 }, (_, seq) => {
      const names = orderedNames(4_000, 56, seq + 1);
      return JSON.stringify({ ...telemetryRecord({ seq }), extra: Array.from({ length: 7 }, (_, group) => Object.fromEntries(names.slice(group * 8, group * 8 + 8).map((name) => [name, 0]))) });
    }),
  };
  for (const [name, lines] of Object.entries(attacks)) {
    const outcome = await readTelemetryObject([gzipSync(lines.join("\n"))], NOW_MS).then(() => "read", (error: unknown) => error);
    assert.instance(outcome, TooManyRejectedError, name);
    assert.equal(Object.keys((outcome as TooManyRejectedError).refusals), [LINE_REFUSAL.TooComplex], `${name}: every refused line too-complex`);
  }
});

test(`records each listing its ${MAX_ECUS} ECUs in an order of its own are accepted, 500 orders in one object to the 16 MiB limit; with 600 orders the lines past the budget are refused object-shapes`, async () => {
  const withOrder = (seq: number, orders: number) => {
    const record = JSON.parse(shortestRecordWithEcus(seq, 0));
    record.firmware.ecus = Object.fromEntries(orderedNames(MAX_ECUS, MAX_ECUS, (seq % orders) + 1).map((name) => [name, "0.0.0"]));
    return JSON.stringify(record);
  };
  const lines = toDecodedLimit((seq) => withOrder(seq, 500));
  assert.ok(lines.length > 4_000, `${lines.length} records`);
  const readout = await readTelemetryObject([gzipSync(lines.join("\n"))], NOW_MS);
  assert.equal(readout.refusals, {});
  assert.is(readout.accepted, lines.length);

  const budget = new ParseBudget();
  const rules = Array.from({ length: 600 }, (_, seq) => refusalOf(budget, withOrder(seq, 600)));
  assert.ok(rules.slice(0, 500).every((rule) => rule === "parse"), "the first 500 orders");
  assert.ok(rules.slice(500).every((rule) => rule === "object-shapes" || rule === "parse") && rules.includes("object-shapes"), "past the budget");
});

test.run();
