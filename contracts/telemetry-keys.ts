import { vinViolations } from "../telemetry/vin.js";

/**
 * Telemetry object keys: who uploaded an object is part of its key, so the key is what binds the
 * records to their uploader.
 *
 * - A vehicle writes `telemetry/vehicle/<VIN>/dt=YYYY-MM-DD/hour=HH/<stamp>-<n>.ndjson.gz`. The VIN is
 *   the third segment, the position the vehicle role's IAM policy scopes with
 *   `${credentials-iot:ThingName}` (`telemetry/vehicle/${credentials-iot:ThingName}/*`): a vehicle can
 *   only write under its own VIN, so the processor takes the VIN of the key as the uploader's.
 * - A fleet gateway (the simulator's multi-vehicle scale runs) writes
 *   `telemetry/fleet/<gatewayId>/dt=YYYY-MM-DD/hour=HH/<stamp>-<n>.ndjson.gz`, the position the gateway
 *   role's policy scopes with its thing name: a gateway can only write under its own id. Its objects
 *   carry telemetry only: no status report and no campaign candidate is ever taken from them.
 *
 * `<stamp>` is the UTC time the object was made (`YYYYMMDDTHHMMSSmmmZ`, so keys sort by creation) and
 * must lie in the `dt`/`hour` partition; `<n>` is 1-64 lowercase letters and digits in hyphen-separated
 * groups (a run id and a counter, for example). Nothing in the layout ever needs URL encoding, so a key
 * with `%`, `+`, a space, `..`, an empty or extra segment, or any character outside it does not parse.
 */
export const TELEMETRY_PREFIX = "telemetry/";

export const UPLOADER_KIND = { Vehicle: "vehicle", Fleet: "fleet" } as const;
export type UploaderKind = (typeof UPLOADER_KIND)[keyof typeof UPLOADER_KIND];

/** The prefix under which a vehicle may write (the IAM policy's resource, with the VIN as the thing name). */
export const VEHICLE_TELEMETRY_PREFIX = `${TELEMETRY_PREFIX}${UPLOADER_KIND.Vehicle}/`;
/** The prefix under which a fleet gateway may write. */
export const FLEET_TELEMETRY_PREFIX = `${TELEMETRY_PREFIX}${UPLOADER_KIND.Fleet}/`;

/** Longest key the layout can produce is about 130 characters; anything longer is refused before any parsing. */
export const MAX_TELEMETRY_KEY_LENGTH = 256;
export const OBJECT_SUFFIX = ".ndjson.gz";

/**
 * Gateway ids: `gw-` then lowercase letters and digits in hyphen-separated groups, at most 64 characters
 * (`gw-depot-7`). A VIN is 17 capital letters and digits without a hyphen, so no gateway id is a VIN in
 * any letter case: the two share AWS IoT's thing namespace (a gateway's thing is named by its id) and
 * can never name the same thing.
 */
export const GATEWAY_ID_PREFIX = "gw-";
const GATEWAY_ID_PATTERN = /^gw-[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_GATEWAY_ID_LENGTH = 64;
/** The `<n>` of a file name: hyphen-separated groups of lowercase letters and digits, at most 64 characters. */
const NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_NAME_LENGTH = 64;
const DATE_SEGMENT = /^dt=(\d{4})-(\d{2})-(\d{2})$/;
const HOUR_SEGMENT = /^hour=(\d{2})$/;
const FILE_NAME = /^(\d{8})T(\d{2})(\d{2})(\d{2})(\d{3})Z-(.+)\.ndjson\.gz$/;
/** Characters a key of the layout can hold at all; checked first so no later rule sees anything else. */
const KEY_ALPHABET = /^[A-Za-z0-9=./-]+$/;

/** Why a key is outside the layout: a small fixed vocabulary, used as the quarantine reason. */
export const KEY_VIOLATION = {
  TooLong: "key-too-long",
  Characters: "key-characters",
  Prefix: "key-prefix",
  Segments: "key-segments",
  UploaderKind: "key-uploader-kind",
  Vin: "key-vin",
  GatewayId: "key-gateway-id",
  Partition: "key-partition",
  FileName: "key-file-name",
  StampOutsidePartition: "key-stamp-outside-partition",
} as const;
export type KeyViolation = (typeof KEY_VIOLATION)[keyof typeof KEY_VIOLATION];

/** A key that does not follow the layout; `violation` says which rule, the message says how. */
export class TelemetryKeyError extends Error {
  override readonly name = "TelemetryKeyError";
  constructor(
    readonly violation: KeyViolation,
    detail: string,
  ) {
    super(detail);
  }
}

interface ParsedKeyParts {
  /** `YYYY-MM-DD` of the partition. */
  readonly date: string;
  /** `HH` of the partition. */
  readonly hour: string;
  /** When the uploader says it made the object (the file name's stamp), epoch milliseconds. */
  readonly createdAtMs: number;
  /** The `<n>` part of the file name. */
  readonly name: string;
}

export interface VehicleTelemetryKey extends ParsedKeyParts {
  readonly kind: typeof UPLOADER_KIND.Vehicle;
  /** The uploader: the only VIN this object may speak for. */
  readonly vin: string;
}

export interface FleetTelemetryKey extends ParsedKeyParts {
  readonly kind: typeof UPLOADER_KIND.Fleet;
  readonly gatewayId: string;
}

export type ParsedTelemetryKey = VehicleTelemetryKey | FleetTelemetryKey;

const pad = (value: number, width = 2): string => String(value).padStart(width, "0");

function partitionOf(atMs: number): { date: string; hour: string; stamp: string } {
  if (!Number.isFinite(atMs)) throw new RangeError(`not a time: ${atMs}`);
  const at = new Date(atMs);
  const year = at.getUTCFullYear();
  if (year < 1000 || year > 9999) throw new RangeError(`year ${year} does not fit the key layout`);
  const date = `${year}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  const hour = pad(at.getUTCHours());
  const stamp = `${date.replaceAll("-", "")}T${hour}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}${pad(at.getUTCMilliseconds(), 3)}Z`;
  return { date, hour, stamp };
}

function checkName(name: string): void {
  if (name.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(name)) {
    throw new TelemetryKeyError(KEY_VIOLATION.FileName, `"${printable(name)}" is not 1-${MAX_NAME_LENGTH} lowercase letters and digits in hyphen-separated groups`);
  }
}

function checkVin(vin: string): void {
  const [violation] = vinViolations(vin);
  if (violation) throw new TelemetryKeyError(KEY_VIOLATION.Vin, `VIN "${printable(vin)}" ${violation.message} (${violation.rule})`);
}

/**
 * Why a gateway id is not one, or undefined when it is (the key layout's rule; registration uses it too).
 *
 * @example
 * gatewayIdProblem("gw-depot-7"); // undefined
 * gatewayIdProblem("1HGCM82633A004352"); // 'gateway id "1HGCM82633A004352" is not gw- then …'
 */
export function gatewayIdProblem(gatewayId: string): string | undefined {
  if (gatewayId.length <= MAX_GATEWAY_ID_LENGTH && GATEWAY_ID_PATTERN.test(gatewayId)) return undefined;
  return `gateway id "${printable(gatewayId)}" is not ${GATEWAY_ID_PREFIX} then lowercase letters and digits in hyphen-separated groups, at most ${MAX_GATEWAY_ID_LENGTH} characters`;
}

function checkGatewayId(gatewayId: string): void {
  const problem = gatewayIdProblem(gatewayId);
  if (problem) throw new TelemetryKeyError(KEY_VIOLATION.GatewayId, problem);
}

function objectPath(atMs: number, name: string): string {
  checkName(name);
  const { date, hour, stamp } = partitionOf(atMs);
  return `dt=${date}/hour=${hour}/${stamp}-${name}${OBJECT_SUFFIX}`;
}

/**
 * The key of an object a vehicle uploads; throws TelemetryKeyError for an invalid VIN or name.
 *
 * @example
 * vehicleTelemetryKey("1HGCM82633A004352", Date.UTC(2026, 10, 26, 17, 35), "k3x9-000012");
 * // "telemetry/vehicle/1HGCM82633A004352/dt=2026-11-26/hour=17/20261126T173500000Z-k3x9-000012.ndjson.gz"
 */
export function vehicleTelemetryKey(vin: string, atMs: number, name: string): string {
  checkVin(vin);
  return `${VEHICLE_TELEMETRY_PREFIX}${vin}/${objectPath(atMs, name)}`;
}

/**
 * The key of an object a fleet gateway uploads (telemetry of many vehicles, never status reports).
 *
 * @example
 * fleetTelemetryKey("gw-depot-7", Date.UTC(2026, 10, 26, 17, 35), "000012");
 * // "telemetry/fleet/gw-depot-7/dt=2026-11-26/hour=17/20261126T173500000Z-000012.ndjson.gz"
 */
export function fleetTelemetryKey(gatewayId: string, atMs: number, name: string): string {
  checkGatewayId(gatewayId);
  return `${FLEET_TELEMETRY_PREFIX}${gatewayId}/${objectPath(atMs, name)}`;
}

/**
 * The uploader the IAM-scoped start of a key names, `vehicle/<VIN>` or `fleet/<gatewayId>`, whatever follows it: a
 * vehicle (or gateway) may put any key under `telemetry/<vehicle|fleet>/<its thing name>/`, in the layout or not, so
 * that start names who put the object even when the rest is outside the layout. For a key of the layout it is the
 * parse's uploader. Undefined when the start is not that: outside `telemetry/`, another kind, an id that is no VIN
 * (under `vehicle/`) or gateway id (under `fleet/`), or no `/` after it.
 *
 * @example
 * uploaderOfKey("telemetry/vehicle/1HGCM82633A004352/junk-1.bin"); // "vehicle/1HGCM82633A004352"
 * uploaderOfKey("telemetry/vehicle/1HGCM82633A004352"); // undefined
 */
export function uploaderOfKey(key: string): `${UploaderKind}/${string}` | undefined {
  if (!key.startsWith(TELEMETRY_PREFIX)) return undefined;
  const [kind, id, rest] = key.slice(TELEMETRY_PREFIX.length).split("/", 3);
  if (id === undefined || rest === undefined) return undefined;
  if (kind === UPLOADER_KIND.Vehicle && vinViolations(id).length === 0) return `${kind}/${id}`;
  if (kind === UPLOADER_KIND.Fleet && gatewayIdProblem(id) === undefined) return `${kind}/${id}`;
  return undefined;
}

/** A shortened, control-free rendering of hostile text for error messages and logs. */
function printable(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  return shown.replace(/[^\x20-\x7e]/g, "?");
}

function isRealDate(year: number, month: number, day: number): boolean {
  const at = new Date(Date.UTC(year, month - 1, day));
  return at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day;
}

function parsePartition(dateSegment: string, hourSegment: string): { date: string; hour: string } {
  const date = DATE_SEGMENT.exec(dateSegment);
  const hour = HOUR_SEGMENT.exec(hourSegment);
  if (!date || !hour) throw new TelemetryKeyError(KEY_VIOLATION.Partition, `"${dateSegment}/${hourSegment}" is not dt=YYYY-MM-DD/hour=HH`);
  const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  if (!isRealDate(year, month, day) || year < 1000 || Number(hour[1]) > 23) {
    throw new TelemetryKeyError(KEY_VIOLATION.Partition, `"${dateSegment}/${hourSegment}" is not a real UTC date and hour`);
  }
  return { date: `${date[1]}-${date[2]}-${date[3]}`, hour: hour[1]! };
}

function parseFileName(fileName: string, date: string, hour: string): { createdAtMs: number; name: string } {
  const match = FILE_NAME.exec(fileName);
  if (!match) throw new TelemetryKeyError(KEY_VIOLATION.FileName, `"${printable(fileName)}" is not <YYYYMMDDTHHMMSSmmmZ>-<n>${OBJECT_SUFFIX}`);
  const [, stampDate, stampHour, minutes, seconds, millis, name] = match as unknown as [string, string, string, string, string, string, string];
  checkName(name);
  if (stampDate !== date.replaceAll("-", "") || stampHour !== hour) {
    throw new TelemetryKeyError(KEY_VIOLATION.StampOutsidePartition, `stamp ${stampDate}T${stampHour} is outside the partition dt=${date}/hour=${hour}`);
  }
  if (Number(minutes) > 59 || Number(seconds) > 59) throw new TelemetryKeyError(KEY_VIOLATION.FileName, `stamp time ${stampHour}:${minutes}:${seconds} is not a time`);
  const createdAtMs = Date.parse(`${date}T${hour}:${minutes}:${seconds}.${millis}Z`);
  return { createdAtMs, name };
}

/**
 * Parses a telemetry object key strictly (the key exactly as S3 stores it, not URL-encoded); throws
 * TelemetryKeyError naming the first rule the key breaks. A vehicle key's `vin` is the uploader's VIN.
 *
 * @example
 * parseTelemetryKey("telemetry/vehicle/1HGCM82633A004352/dt=2026-11-26/hour=17/20261126T173500000Z-7.ndjson.gz");
 * // { kind: "vehicle", vin: "1HGCM82633A004352", … }
 * parseTelemetryKey("telemetry/vehicle/1HGCM82633A004352/../5YJ3E1EA7KF317000/x"); // throws TelemetryKeyError with violation "key-segments"
 */
export function parseTelemetryKey(key: string): ParsedTelemetryKey {
  if (key.length > MAX_TELEMETRY_KEY_LENGTH) throw new TelemetryKeyError(KEY_VIOLATION.TooLong, `key has ${key.length} characters, at most ${MAX_TELEMETRY_KEY_LENGTH}`);
  if (!KEY_ALPHABET.test(key)) throw new TelemetryKeyError(KEY_VIOLATION.Characters, `"${printable(key)}" holds a character outside A-Z a-z 0-9 = . / -`);
  if (!key.startsWith(TELEMETRY_PREFIX)) throw new TelemetryKeyError(KEY_VIOLATION.Prefix, `"${printable(key)}" is not under ${TELEMETRY_PREFIX}`);
  const segments = key.split("/");
  if (segments.length !== 6 || segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
    throw new TelemetryKeyError(
      KEY_VIOLATION.Segments,
      `"${printable(key)}" is not telemetry/<vehicle|fleet>/<uploader>/dt=.../hour=.../<file>: ${segments.length} segments, 6 expected, none empty, . or ..`,
    );
  }
  const [, kind, uploader, dateSegment, hourSegment, fileName] = segments as [string, string, string, string, string, string];
  if (kind !== UPLOADER_KIND.Vehicle && kind !== UPLOADER_KIND.Fleet) {
    throw new TelemetryKeyError(KEY_VIOLATION.UploaderKind, `"${printable(kind)}" is neither ${UPLOADER_KIND.Vehicle} nor ${UPLOADER_KIND.Fleet}`);
  }
  if (kind === UPLOADER_KIND.Vehicle) checkVin(uploader);
  else checkGatewayId(uploader);
  const { date, hour } = parsePartition(dateSegment, hourSegment);
  const { createdAtMs, name } = parseFileName(fileName, date, hour);
  const parts = { date, hour, createdAtMs, name };
  return kind === UPLOADER_KIND.Vehicle ? { kind, vin: uploader, ...parts } : { kind, gatewayId: uploader, ...parts };
}

/**
 * The parsed key, or the violation, without throwing (for callers that branch on it).
 *
 * @example
 * const result = tryParseTelemetryKey(object.key);
 * if (!result.ok) rejected.push({ rule: result.violation, message: result.message }); // quarantined with its reason
 */
export function tryParseTelemetryKey(key: string): { ok: true; key: ParsedTelemetryKey } | { ok: false; violation: KeyViolation; message: string } {
  try {
    return { ok: true, key: parseTelemetryKey(key) };
  } catch (error) {
    if (!(error instanceof TelemetryKeyError)) throw error;
    return { ok: false, violation: error.violation, message: error.message };
  }
}

/**
 * A key as S3 event notifications write it (URL-encoded, spaces as `+`), decoded; undefined when it is
 * not valid URL encoding (a bare `%`).
 *
 * @example
 * decodeEventKey("telemetry/a%3Db+c"); // "telemetry/a=b c"
 */
export function decodeEventKey(eventKey: string): string | undefined {
  try {
    return decodeURIComponent(eventKey.replaceAll("+", " "));
  } catch {
    return undefined;
  }
}

/**
 * Parses the key an S3 event names. S3 notifications URL-encode keys (`dt%3D2026-11-26`, a space as
 * `+`); the key as stored is tried first, then its decoded form, and either must follow the layout
 * strictly. Decoding cannot move an object to another uploader: the layout has no character that needs
 * encoding, so the uploader segment is the same in both forms. Returns the parsed key and the form
 * that parsed (the key to read), or the first form's violation.
 *
 * @example
 * parseTelemetryEventKey("telemetry/vehicle/1HGCM82633A004352/dt%3D2026-11-26/hour%3D17/20261126T173500000Z-7.ndjson.gz");
 * // { ok: true, key: { kind: "vehicle", vin: "1HGCM82633A004352", … }, storedKey: "telemetry/vehicle/1HGCM82633A004352/dt=2026-11-26/hour=17/…" }
 */
export function parseTelemetryEventKey(
  eventKey: string,
): { ok: true; key: ParsedTelemetryKey; storedKey: string } | { ok: false; violation: KeyViolation; message: string } {
  const asStored = tryParseTelemetryKey(eventKey);
  if (asStored.ok) return { ...asStored, storedKey: eventKey };
  if (!/[%+]/.test(eventKey) || eventKey.length > 3 * MAX_TELEMETRY_KEY_LENGTH) return asStored;
  const decoded = decodeEventKey(eventKey);
  if (decoded === undefined) return asStored;
  const asDecoded = tryParseTelemetryKey(decoded);
  return asDecoded.ok ? { ...asDecoded, storedKey: decoded } : asStored;
}
