import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { z } from "zod";
import { AGENT_STATUS, type AgentStatus } from "../contracts/update-messages.js";
import { canonicalTimestampMs, isPrintable, isSemanticVersion } from "./text-checks.js";
import { vinViolations } from "./vin.js";

/**
 * The telemetry record: one line of a batch object's NDJSON. The simulator builds records with these
 * types and the processor validates them with `validateRecord`; nothing else describes the format.
 *
 * The zod schema below is the one description (and gives the TypeScript types); records are checked by
 * ajv against the JSON Schema zod derives from it. Measured (bench/telemetry-processor.bench.ts), zod's
 * own `safeParse` alone left the processor core under half the throughput of bare gunzip + JSON.parse
 * (about 0.45), ajv's compiled validator leaves it near 0.7.
 */
export const TELEMETRY_SCHEMA_VERSION = 1;

/** A record stamped further ahead of the processor's clock than this is rejected (clock skew). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** A record older than this is rejected: buffered offline data older than a week is not telemetry. */
export const MAX_RECORD_AGE_MS = 7 * 24 * 3_600_000;

export const NETWORK_TYPE = { FiveG: "5G", Lte: "LTE", ThreeG: "3G", None: "none" } as const;
export type NetworkType = (typeof NETWORK_TYPE)[keyof typeof NETWORK_TYPE];

/** Attempts a report may name: far above 1 + 10 automatic retries plus any operator retries; the update side checks the real one. */
export const MAX_JOB_ATTEMPT = 1_000;
const AGENT_STATUSES = Object.values(AGENT_STATUS) as [AgentStatus, ...AgentStatus[]];
const NETWORK_TYPES = Object.values(NETWORK_TYPE) as [NetworkType, ...NetworkType[]];

/** No control characters (C0, DEL, C1): names and ids are shown on terminals and dashboards. */
const PRINTABLE = /^[^\u0000-\u001f\u007f-\u009f]*$/;
const VERSION = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;
const printable = (max: number) => z.string().min(1).max(max).regex(PRINTABLE, "must not contain control characters");
const name = printable(64);
const version = z.string().regex(VERSION, "must be a semantic version such as 2.4.1");

export const vehicleDescriptorSchema = z.object({
  make: name,
  model: name,
  modelYear: z.number().int().min(1980).max(2040),
  trim: name,
  /** Home region of the vehicle, e.g. `us-west`. */
  region: name,
  /** The hardware (platform/ECU generation) id firmware images target, e.g. `TM3-HW4`. */
  hardwareId: name,
});

export const positionSchema = z.object({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  speedKph: z.number().min(0).max(300),
  headingDeg: z.number().min(0).lt(360),
  odometerKm: z.number().min(0).max(2_000_000),
});

export const batterySchema = z.object({
  stateOfCharge: z.number().min(0).max(100),
  /** Traction pack voltage. */
  voltage: z.number().min(150).max(1000),
  temperatureC: z.number().min(-40).max(80),
  charging: z.boolean(),
});

export const connectivitySchema = z.object({
  network: z.enum(NETWORK_TYPES),
  /** Received signal strength; -140 dBm stands for no signal at all. */
  signalDbm: z.number().min(-140).max(-30),
  online: z.boolean(),
});

/**
 * ECUs a record may list. Vehicles have some 70-150 ECUs today; 256 leaves them room to grow, and a record at the
 * cap (285 members, 293 with an `ota` block) stays well inside the parse budget's 512 members a line
 * (telemetry/parse-budget.ts), so a longer list is refused here, naming `firmware.ecus`, not left unparsed as
 * `too-complex`. Without it only the parse budget bounded the list (up to ~480 ECUs a record).
 */
export const MAX_ECUS = 256;

/** Why a longer `firmware.ecus` is refused, from zod and ajv alike (ajv's own says "must NOT have more than 256 properties"). */
const TOO_MANY_ECUS = `must list at most ${MAX_ECUS} ECUs`;

export const firmwareSchema = z.object({
  version,
  /** Version per ECU (e.g. `{ bms: "1.4.0", telematics: "3.2.1" }`), when the vehicle reports them. */
  ecus: z
    .record(printable(32), version)
    // zod checks the refinement, ajv (the validator used) the JSON Schema's `maxProperties`, which zod cannot derive from it
    .refine((ecus) => Object.keys(ecus).length <= MAX_ECUS, TOO_MANY_ECUS)
    .meta({ maxProperties: MAX_ECUS })
    .optional(),
});

/** What the simulator's OTA agent adds to a record while an update job runs on the vehicle. */
export const otaReportSchema = z.object({
  jobId: printable(128),
  campaignId: printable(128),
  /** The job attempt the report is about (the job document's `attempt`; 1 for the first try). */
  attempt: z.number().int().positive().max(MAX_JOB_ATTEMPT),
  /** Monotonic within an attempt (an agent may start again from 1 on a new attempt); the update manager applies a report only when its sequence is higher. */
  sequence: z.number().int().nonnegative(),
  status: z.enum(AGENT_STATUSES),
  reason: z.string().max(500).optional(),
  targetVersion: version,
});

export const telemetryRecordSchema = z.object({
  schemaVersion: z.literal(TELEMETRY_SCHEMA_VERSION),
  vin: z.string(),
  ts: z.iso.datetime({ offset: true }),
  /** Monotonic per vehicle (across reboots and offline buffering). */
  seq: z.number().int().nonnegative(),
  vehicle: vehicleDescriptorSchema,
  position: positionSchema,
  battery: batterySchema,
  connectivity: connectivitySchema,
  firmware: firmwareSchema,
  ota: otaReportSchema.optional(),
});

export type VehicleDescriptor = z.infer<typeof vehicleDescriptorSchema>;
export type Position = z.infer<typeof positionSchema>;
export type Battery = z.infer<typeof batterySchema>;
export type Connectivity = z.infer<typeof connectivitySchema>;
export type Firmware = z.infer<typeof firmwareSchema>;
export type OtaReport = z.infer<typeof otaReportSchema>;
export type TelemetryRecord = z.infer<typeof telemetryRecordSchema>;

/** Why a record was rejected: the field (dotted path) and the rule it broke. */
export interface RecordRejection {
  field: string;
  rule: string;
  message: string;
}

export type RecordValidation =
  | { valid: true; record: TelemetryRecord; /** `ts` in epoch milliseconds, parsed once here for enrich. */ tsMs: number }
  | { valid: false; reasons: RecordRejection[] };

const recordJsonSchema = z.toJSONSchema(telemetryRecordSchema, { target: "draft-07", io: "input" });
/** Stops at the first error: the decisive yes or no for every record `surelyValid` does not already pass. */
const firstErrorValidator = new Ajv({ allErrors: false, strict: false, formats: { "date-time": true } }).compile(recordJsonSchema);

/**
 * The schema's own verdict (the ajv validator compiled from it), without the VIN rules and clock window.
 *
 * @example
 * schemaAccepts(JSON.parse(line)); // true when the line matches telemetryRecordSchema
 */
export function schemaAccepts(value: unknown): boolean {
  return firstErrorValidator(value);
}

// The timestamp pattern ajv compiles from the JSON Schema (with its `u` flag), for the shapes
// canonicalTimestampMs leaves undecided. The other patterns have exact hand-written equivalents
// (telemetry/text-checks.ts: isPrintable, isSemanticVersion).
const TIMESTAMP_U = new RegExp((recordJsonSchema.properties!.ts as { pattern: string }).pattern, "u");
const NETWORKS: ReadonlySet<unknown> = new Set(NETWORK_TYPES);
type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === "object" && value !== null && !Array.isArray(value);
const within = (value: unknown, min: number, max: number): boolean => typeof value === "number" && value >= min && value <= max;
const wholeWithin = (value: unknown, min: number, max: number): boolean => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
/**
 * `printable(max)`: UTF-16 length bounds code points from above, so `length <= max` is never laxer than ajv's count.
 * `controlFree`: the line's bytes cannot hold a control character (telemetry/decode.ts DecodedLine), so the scan is skipped.
 */
const printableWithin = (value: unknown, max: number, controlFree: boolean): boolean =>
  typeof value === "string" && value.length >= 1 && value.length <= max && (controlFree || isPrintable(value));
const isVersion = (value: unknown): boolean => typeof value === "string" && isSemanticVersion(value);

/** `ts` in epoch milliseconds when it matches the schema's pattern, NaN when it does not. */
function timestampMs(ts: string): number {
  const canonical = canonicalTimestampMs(ts);
  if (canonical === canonical) return canonical; // not NaN: the pattern matches and Date.parse gives it
  return TIMESTAMP_U.test(ts) ? Date.parse(ts) : Number.NaN;
}

/**
 * `surelyValid`'s check, giving the record's `ts` in epoch milliseconds when the record is surely
 * valid and NaN when it is not sure (then ajv decides).
 */
function surelyValidTsMs(value: unknown, controlFree: boolean): number {
  if (!isObject(value) || value.ota !== undefined) return Number.NaN;
  if (value.schemaVersion !== TELEMETRY_SCHEMA_VERSION || typeof value.vin !== "string" || typeof value.ts !== "string") return Number.NaN;
  if (!wholeWithin(value.seq, 0, Number.MAX_SAFE_INTEGER)) return Number.NaN;
  const { vehicle, position, battery, connectivity, firmware } = value;
  if (
    !isObject(vehicle) ||
    !printableWithin(vehicle.make, 64, controlFree) ||
    !printableWithin(vehicle.model, 64, controlFree) ||
    !wholeWithin(vehicle.modelYear, 1980, 2040) ||
    !printableWithin(vehicle.trim, 64, controlFree) ||
    !printableWithin(vehicle.region, 64, controlFree) ||
    !printableWithin(vehicle.hardwareId, 64, controlFree)
  ) {
    return Number.NaN;
  }
  if (
    !isObject(position) ||
    !within(position.lat, -90, 90) ||
    !within(position.lon, -180, 180) ||
    !within(position.speedKph, 0, 300) ||
    !within(position.headingDeg, 0, 360) ||
    position.headingDeg === 360 ||
    !within(position.odometerKm, 0, 2_000_000)
  ) {
    return Number.NaN;
  }
  if (
    !isObject(battery) ||
    !within(battery.stateOfCharge, 0, 100) ||
    !within(battery.voltage, 150, 1000) ||
    !within(battery.temperatureC, -40, 80) ||
    typeof battery.charging !== "boolean"
  ) {
    return Number.NaN;
  }
  if (!isObject(connectivity) || !NETWORKS.has(connectivity.network) || !within(connectivity.signalDbm, -140, -30) || typeof connectivity.online !== "boolean") {
    return Number.NaN;
  }
  if (!isObject(firmware) || !isVersion(firmware.version)) return Number.NaN;
  const { ecus } = firmware;
  if (ecus !== undefined) {
    if (!isObject(ecus)) return Number.NaN;
    let count = 0;
    for (const ecu in ecus) if (++count > MAX_ECUS || !printableWithin(ecu, 32, controlFree) || !isVersion(ecus[ecu])) return Number.NaN;
  }
  return timestampMs(value.ts);
}

/**
 * A hand-written yes for the common record (no `ota` block), tighter than or equal to the schema, never
 * laxer: true only when `schemaAccepts` is true too; false means "ask ajv", which then decides. It spares
 * the generic validator's bookkeeping on the hot path. It is written for the schema as it is: a test
 * (test/unit/telemetry/schema.test.ts) pins the JSON Schema it was checked against and fuzzes both.
 *
 * @example
 * surelyValid(JSON.parse(line)); // true → schemaAccepts is true as well
 */
export function surelyValid(value: unknown): boolean {
  return !Number.isNaN(surelyValidTsMs(value, false));
}

/**
 * Collects every error: run again only on a record already found invalid, for its reasons. Compiled on
 * the first invalid record, so a cold start compiles one validator, not two.
 */
let allErrorsValidator: ValidateFunction | undefined;
const reasonsValidator = (): ValidateFunction =>
  (allErrorsValidator ??= new Ajv({ allErrors: true, strict: false, formats: { "date-time": true } }).compile(recordJsonSchema));

const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  ts: "must be an ISO 8601 date-time with a zone, e.g. 2026-11-26T17:35:00.000Z",
};

function patternMessage(pattern: string): string {
  return pattern.includes("u0000") ? "must not contain control characters" : "must be a semantic version such as 2.4.1";
}

/** The message of a field's `maxProperties` refusal, naming what the cap counts. */
const MAX_PROPERTIES_MESSAGES: Readonly<Record<string, string>> = {
  "firmware.ecus": TOO_MANY_ECUS,
};

function rejectionOf(error: ErrorObject): RecordRejection {
  const path = error.instancePath.slice(1).replaceAll("/", ".");
  const missing = error.keyword === "required" ? String((error.params as { missingProperty: string }).missingProperty) : "";
  const field = [path, missing].filter(Boolean).join(".") || "(record)";
  let message = error.message ?? error.keyword;
  if (error.keyword === "pattern") message = PATTERN_MESSAGES[field] ?? patternMessage(String((error.params as { pattern: string }).pattern));
  if (error.keyword === "maxProperties") message = MAX_PROPERTIES_MESSAGES[field] ?? message;
  if (error.keyword === "enum") message += `: ${(error.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`;
  return { field, rule: error.keyword, message };
}

/**
 * Reasons a refused record keeps at most, the last of them saying how many more there were. A record's fields give a
 * handful at worst, but a map gives one an entry: 256 ECUs with numbers for versions were 256 reasons for ~2.5 KB of
 * line, 384,000 reasons (90 MB) for a 34 KB gzip object before review 21 (R21-03).
 */
export const MAX_RECORD_REASONS = 8;

function keptReasons(errors: readonly ErrorObject[]): RecordRejection[] {
  if (errors.length <= MAX_RECORD_REASONS) return errors.map(rejectionOf);
  const kept = errors.slice(0, MAX_RECORD_REASONS - 1).map(rejectionOf);
  kept.push({ field: "(record)", rule: "more-reasons", message: `and ${errors.length - kept.length} more reasons, not kept` });
  return kept;
}

/**
 * Validates one parsed NDJSON line against the schema, the VIN rules and the clock window
 * (`MAX_FUTURE_SKEW_MS` ahead, `MAX_RECORD_AGE_MS` behind `nowMs`). Reasons name field and rule.
 * `knownValidVin`, when given, is a VIN already found to pass every VIN rule (the previous record's, in
 * an object of one vehicle's records): a record with that very VIN skips the VIN arithmetic, with the
 * same verdict. `controlFree`, when true, says the line's text cannot put a control character into any
 * string (telemetry/decode.ts `DecodedLine.controlFree`): the fast check then skips its control-character
 * scans, with the same verdict. A refused record's reasons are every rule it breaks (at most MAX_RECORD_REASONS), or with
 * `allReasons` false only the first (the schema's validator then stops at it: what a reader asks once an object has
 * had many refused lines).
 *
 * @example
 * const result = validateRecord(JSON.parse(line), Date.now());
 * if (!result.valid) console.log(result.reasons); // [{ field: "battery.stateOfCharge", rule: "maximum", message: "must be <= 100" }]
 */
export function validateRecord(value: unknown, nowMs: number, knownValidVin?: string, controlFree = false, allReasons = true): RecordValidation {
  let tsMs = surelyValidTsMs(value, controlFree);
  if (Number.isNaN(tsMs)) {
    if (!firstErrorValidator(value)) {
      if (!allReasons) return { valid: false, reasons: (firstErrorValidator.errors ?? []).map(rejectionOf) };
      const validator = reasonsValidator();
      validator(value);
      return { valid: false, reasons: keptReasons(validator.errors ?? []) };
    }
    tsMs = Date.parse((value as TelemetryRecord).ts);
  }
  const record = value as TelemetryRecord;
  const violations = record.vin === knownValidVin ? [] : vinViolations(record.vin);
  const late = tsMs > nowMs + MAX_FUTURE_SKEW_MS;
  const early = !late && tsMs < nowMs - MAX_RECORD_AGE_MS;
  if (violations.length === 0 && !late && !early) return { valid: true, record, tsMs };
  const reasons: RecordRejection[] = violations.map((violation) => ({ field: "vin", rule: violation.rule, message: violation.message }));
  if (late) {
    reasons.push({ field: "ts", rule: "future", message: `${record.ts} is more than ${MAX_FUTURE_SKEW_MS / 60_000} min ahead of the processor clock` });
  } else if (early) {
    reasons.push({ field: "ts", rule: "too-old", message: `${record.ts} is more than ${MAX_RECORD_AGE_MS / 86_400_000} days old` });
  }
  return { valid: false, reasons };
}

/** `value` with only the keys `schema` names, objects within copied alike (a record, such as `ecus`, is kept whole). */
function knownKeysOf(value: unknown, schema: z.ZodType): unknown {
  const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
  if (!(inner instanceof z.ZodObject) || typeof value !== "object" || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
    const child = (value as Record<string, unknown>)[key];
    if (child !== undefined) copy[key] = knownKeysOf(child, field);
  }
  return copy;
}

/**
 * A valid record without the keys the schema does not name. The schema accepts unknown keys (newer vehicles may
 * send more), so a valid line may carry up to 64 KiB (the line limit) of whatever the parse budget admits
 * (telemetry/parse-budget.ts: 256 arrays and objects and 512 members a line, array elements past 64 a line from the
 * object's 65,536), parsed to about its size as one string, up to ~6 times as a wide array (measured: 16,000 decimals
 * in one array, ~380 KB). A record kept past its line (an `ota` record, until the object's reports are sent) keeps only what it names.
 * `ecus` values are versions (strings), so the copy holds no more than the record's own fields. Not zod's own `parse`
 * (which strips the same keys): it validates again, and where it disagreed with the ajv verdict the record already
 * passed it would throw, failing the whole message.
 *
 * @example
 * knownFieldsOf(JSON.parse('{"schemaVersion":1,…,"x":[[[]]]}')); // the record without "x"
 */
export function knownFieldsOf(record: TelemetryRecord): TelemetryRecord {
  return knownKeysOf(record, telemetryRecordSchema) as TelemetryRecord;
}
