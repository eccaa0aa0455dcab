import { CORRUPTION, CorruptObjectError, decodeLineBatches, DEFAULT_DECODE_LIMITS, type ByteSource, type DecodedLine, type DecodeLimits } from "./decode.js";
import { enrich, type EnrichedRecord } from "./enrich.js";
import { PARSE_BUDGET, ParseBudget, type TooComplex } from "./parse-budget.js";
import { knownFieldsOf, validateRecord, type RecordRejection, type TelemetryRecord } from "./schema.js";
import { BINDING_RULE, bindingRejection } from "./uploader-binding.js";
import { VIN_RULE } from "./vin.js";
import { FLEET_SOURCE, isLater, latestEntryOf, type FleetSource, type LatestEntry } from "./aggregate.js";
import { UPLOADER_KIND, type ParsedTelemetryKey } from "../contracts/telemetry-keys.js";

/**
 * Why a line was refused, as a small fixed set (the `Reason` of the refusal counts; the full reasons,
 * field by field, go with the line to `quarantine/records/…`).
 */
export const LINE_REFUSAL = {
  NotJson: "not-json",
  LineTooLong: "line-too-long",
  /**
   * More arrays, objects, members or array elements in one line, or in the object's lines, or more distinct keys or key
   * orders in the object's lines, than records have (telemetry/parse-budget.ts); not parsed.
   */
  TooComplex: "too-complex",
  BadVin: "bad-vin",
  OutOfClockWindow: "out-of-clock-window",
  Schema: "schema",
  /** A valid record for another VIN than the vehicle that uploaded the object (telemetry/uploader-binding.ts). */
  OtherVehicle: BINDING_RULE.OtherVehicle,
  /** A status report in a fleet gateway's object. */
  ReportFromGateway: BINDING_RULE.ReportFromGateway,
  /** A record in a fleet gateway's object for a VIN not bound to that gateway. */
  UnboundVehicle: BINDING_RULE.UnboundVehicle,
} as const;
export type LineRefusal = (typeof LINE_REFUSAL)[keyof typeof LINE_REFUSAL];

/** A line that did not become a record, with why; what goes to `quarantine/records/…`. */
export interface RejectedLine {
  /** 1-based line number in the source object. */
  line: number;
  /**
   * The line as it came (cut to 200 characters when longer than the line limit). Never the parsed
   * value: a hostile value (arrays nested thousands deep) parses but cannot be serialised again.
   */
  raw: string;
  refusal: LineRefusal;
  reasons: RecordRejection[];
}

/**
 * Refused lines of an object that get every reason the schema gives (MAX_RECORD_REASONS at most); later ones get the
 * first. Finding every reason runs the schema's whole validator, ~0.8 ms for a record of 256 bad ECUs (review 21,
 * R21-03): an object's first lines are what tells an operator what went wrong. With MAX_RECORD_REASONS, an object's
 * refused lines keep at most some 10,700 reasons (one a line past these, within `maxLines`).
 */
export const FULLY_EXPLAINED_LINES = 100;

/**
 * UTF-8 bytes a refused line takes in `quarantine/records/…` besides what the records file adds to every line
 * (`ReadLimits.rejectedLineOverhead`): the line as JSON. Its raw length fell short twice: JSON writes a control character
 * as `\u0001`, six (64 lines of U+0001, a 4.3 KB gzip object, made a 25 MB records body; review 22, R22-01), and UTF-8
 * takes three bytes for a CJK character or for the U+FFFD an invalid byte decodes to (10,000 such lines, 12.5 MB; review
 * 23, R23-01).
 */
const quarantinedBytes = (line: RejectedLine): number => Buffer.byteLength(JSON.stringify(line));

/**
 * The text as a string of its own. A line is a slice of its decoded chunk's text, and V8 keeps a slice of 13 characters
 * or more as a view that holds the whole chunk alive: 1,024 refused 20-character lines, one every 16 KiB chunk of two-byte
 * text, held 48 MB of an object until its records file was written, ten such objects past Lambda's heap (review 25,
 * R25-01). JSON.parse builds new strings.
 */
const ownCopy = (text: string): string => JSON.parse(JSON.stringify(text)) as string;

/** Limits on one object, well inside the processor's memory with ten objects read at once. */
export interface ReadLimits extends DecodeLimits {
  /**
   * Lines an object may have, blank ones too (the simulator writes 500 and no blank one): blank lines cost the reader as
   * much as short ones, and 16 MiB of newlines gzip to 16 KB (review 21, R21-01).
   */
  maxLines: number;
  /**
   * Bytes the rejected lines of an object may take in `quarantine/records/…` before gzip (each as JSON, in UTF-8, with its
   * reasons and `rejectedLineOverhead`): a bound on the memory they take while the object is read; past it the object
   * is quarantined whole.
   */
  maxRejectedBytes: number;
  /** Bytes the records file adds to each rejected line's own JSON (its newline: quarantine.ts, recordsFileLimits); none by default. */
  rejectedLineOverhead?: number;
  /**
   * Asked once a parse-ahead run: true abandons the read (ReadDeadlineError), e.g. when the processor's invocation is
   * near its timeout. None by default.
   */
  pastDeadline?: () => boolean;
}

export const DEFAULT_READ_LIMITS: ReadLimits = {
  ...DEFAULT_DECODE_LIMITS,
  maxLines: 10_000,
  maxRejectedBytes: 4 * 1024 * 1024,
};

/**
 * What one object gave, folded while its lines stream by: only what the processor uses afterwards is
 * kept (each vehicle's latest record, the records carrying an OTA report, the rejected lines), never the
 * list of every record.
 */
export interface ObjectReadout {
  /** Lines accepted as records. */
  accepted: number;
  /**
   * The entries that may be a vehicle's latest: each run of consecutive records of one VIN leaves its
   * newest (by timestamp, then sequence), in line order, as its fleet-state entry (the source is the
   * uploader's kind; a vehicle's own without an uploader). A vehicle's own object holds one VIN, so one
   * entry; a VIN that comes back after another's records has an entry per run, and the reader
   * (InvocationAggregate, candidatesOf) keeps the newest. No per-VIN map here: the aggregate's map is the
   * one lookup each VIN pays.
   */
  latest: LatestEntry[];
  /** Accepted records carrying an `ota` block, in line order. */
  otaRecords: EnrichedRecord[];
  rejected: RejectedLine[];
  /** Rejected lines by refusal. */
  refusals: Partial<Record<LineRefusal, number>>;
}

/**
 * The object's rejected lines passed `maxRejectedBytes` (CORRUPTION.TooManyRejected): it is quarantined whole.
 * `refusals` counts the lines refused up to that point by refusal, so the processor can tell a gateway's object
 * refused as not bound on a cached binding (worth reading again against a newer one) from any other.
 */
export class TooManyRejectedError extends CorruptObjectError {
  constructor(
    readonly refusals: Partial<Record<LineRefusal, number>>,
    message: string,
  ) {
    super(CORRUPTION.TooManyRejected, message);
  }
}

/**
 * The read passed its deadline (`ReadLimits.pastDeadline`): abandoned, nothing of the object counted. Not a fault of the object (no
 * CorruptObjectError): the processor returns its message to the queue.
 */
export class ReadDeadlineError extends Error {
  override readonly name = "ReadDeadlineError";
  constructor(readonly line: number) {
    super(`read abandoned at line ${line}, past its deadline: the invocation is near its timeout`);
  }
}

const VIN_RULES: ReadonlySet<string> = new Set(Object.values(VIN_RULE));

function refusalOf(reasons: readonly RecordRejection[]): LineRefusal {
  const first = reasons[0];
  if (first?.field === "vin" && VIN_RULES.has(first.rule)) return LINE_REFUSAL.BadVin;
  if (first?.field === "ts" && (first.rule === "future" || first.rule === "too-old")) return LINE_REFUSAL.OutOfClockWindow;
  return LINE_REFUSAL.Schema;
}

/** Whose entries an object's records make: a fleet gateway's, or (no uploader: tests, benches) a vehicle's own. */
const fleetSourceOf = (uploader: ParsedTelemetryKey | undefined): FleetSource => (uploader?.kind === UPLOADER_KIND.Fleet ? FLEET_SOURCE.Gateway : FLEET_SOURCE.Vehicle);

/** `text.trim() === ""`, without trimming the common line, which opens with `{`. */
const isBlank = (text: string): boolean => text.charCodeAt(0) !== 123 /* { */ && text.trim() === "";

/** A line JSON.parse refused, with its message. */
class NotJson {
  constructor(readonly message: string) {}
}

/**
 * Arrays and objects one line may open (PARSE_BUDGET.lineContainers). A record has 7 (8 with an `ota` block): 64 KiB of
 * nested arrays in an unknown key cost ~2 CPU-s an object before it (review 16, R16-T2).
 */
export const MAX_LINE_CONTAINERS = PARSE_BUDGET.lineContainers;

/** A line left unparsed: it would cost more to parse than the object's parse budget allows. */
class TooComplexLine {
  constructor(readonly why: TooComplex) {}
}

/**
 * Lines are parsed a run ahead of their checks: JSON.parse of lines back to back, then the checks of the same
 * lines, measured 2–3 % faster than one line at a time (the parser's and the checks' working sets take turns in
 * the CPU caches less often). A run ends at this many lines or this much text, so it holds little memory
 * whatever the lines are (a hostile line parses to many times its size).
 */
const PARSE_AHEAD = { lines: 64, chars: 64 * 1024 } as const;

/**
 * Parses a run of `batch`'s lines from `from` on into `into` (`into[i]` for line `from + i`); blank and too-long
 * lines are left out, as the reader skips them; a line `budget` refuses is left unparsed. Returns the index after the run.
 */
function parseAhead(batch: readonly DecodedLine[], from: number, into: unknown[], budget: ParseBudget): number {
  const end = Math.min(batch.length, from + PARSE_AHEAD.lines);
  let chars = 0;
  let index = from;
  while (index < end && chars < PARSE_AHEAD.chars) {
    const { text, tooLong } = batch[index]!;
    if (!tooLong && !isBlank(text)) {
      chars += text.length;
      const tooComplex = budget.check(text);
      try {
        into[index - from] = tooComplex ? new TooComplexLine(tooComplex) : JSON.parse(text);
      } catch (error) {
        into[index - from] = new NotJson((error as Error).message);
      }
    }
    index++;
  }
  return index;
}

/**
 * Decodes, validates and enriches every line of one object, streaming. Blank lines are skipped;
 * everything else ends up accepted or rejected with reasons. Given the object's `uploader` (its parsed
 * key), a valid record the uploader may not send (another vehicle's, a gateway's status report, a
 * gateway's record for a VIN not in `boundVins`, the VINs bound to that gateway) is rejected too, and the entries
 * carry the uploader's kind (a gateway's rank below a vehicle's own). Production always gives it: without one (tests,
 * benches) no binding is checked and entries rank as a vehicle's own. Throws CorruptObjectError when the object cannot be read at all (broken gzip, binary,
 * decoded size, too many lines, too much rejected text); then nothing of it counts and it is
 * quarantined whole.
 *
 * @example
 * import { parseTelemetryKey } from "../contracts/telemetry-keys.js";
 * const readout = await readTelemetryObject(response.Body, Date.now(), DEFAULT_READ_LIMITS, parseTelemetryKey(key));
 * readout.accepted + readout.rejected.length; // non-blank lines in the object
 */
export async function readTelemetryObject(
  source: ByteSource,
  nowMs: number,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
  uploader?: ParsedTelemetryKey,
  boundVins?: ReadonlySet<string>,
): Promise<ObjectReadout> {
  const readout: ObjectReadout = { accepted: 0, latest: [], otaRecords: [], rejected: [], refusals: {} };
  let lineNumber = 0;
  let rejectedBytes = 0;
  /** The last accepted record's VIN: it passed every VIN rule, and a vehicle's own object holds only it. */
  let lastValidVin: string | undefined;
  /** The newest record of the current run of lastValidVin's records (and its parsed `ts`); an entry once the run ends. */
  let runNewest: TelemetryRecord | undefined;
  let runNewestTsMs = 0;
  const fleetSource = fleetSourceOf(uploader);
  const parsed: unknown[] = new Array(PARSE_AHEAD.lines);
  const budget = new ParseBudget();
  const { pastDeadline } = limits;
  const reject = (text: string, refusal: LineRefusal, reasons: RecordRejection[]) => {
    const rejected: RejectedLine = { line: lineNumber, raw: ownCopy(text), refusal, reasons };
    rejectedBytes += quarantinedBytes(rejected) + (limits.rejectedLineOverhead ?? 0);
    if (rejectedBytes > limits.maxRejectedBytes) {
      const refusals = { ...readout.refusals, [refusal]: (readout.refusals[refusal] ?? 0) + 1 };
      throw new TooManyRejectedError(refusals, `rejected lines pass ${limits.maxRejectedBytes} bytes of text`);
    }
    readout.rejected.push(rejected);
    readout.refusals[refusal] = (readout.refusals[refusal] ?? 0) + 1;
  };
  for await (const batch of decodeLineBatches(source, limits)) {
    let runStart = 0;
    let runEnd = 0;
    for (let index = 0; index < batch.length; index++) {
      if (index === runEnd) {
        // Once a run (at most 64 lines or 64 KiB of text, a few ms of parsing even of nested arrays).
        if (pastDeadline?.()) throw new ReadDeadlineError(lineNumber + 1);
        runStart = index;
        runEnd = parseAhead(batch, index, parsed, budget);
      }
      const { text, tooLong, controlFree } = batch[index]!;
      if (++lineNumber > limits.maxLines) throw new CorruptObjectError(CORRUPTION.TooManyLines, `more than ${limits.maxLines} lines`);
      if (!tooLong && isBlank(text)) continue;
      if (tooLong) {
        reject(text, LINE_REFUSAL.LineTooLong, [{ field: "(line)", rule: "max-length", message: `line longer than ${limits.maxLineBytes} bytes` }]);
        continue;
      }
      const value = parsed[index - runStart];
      // Emptied once taken: blank and too-long lines write no slot, so it would otherwise keep this value past its run.
      parsed[index - runStart] = undefined;
      if (value instanceof NotJson) {
        reject(text, LINE_REFUSAL.NotJson, [{ field: "(line)", rule: "json", message: value.message }]);
        continue;
      }
      if (value instanceof TooComplexLine) {
        reject(text, LINE_REFUSAL.TooComplex, [{ field: "(line)", ...value.why }]);
        continue;
      }
      const validation = validateRecord(value, nowMs, lastValidVin, controlFree, readout.rejected.length < FULLY_EXPLAINED_LINES);
      if (!validation.valid) {
        reject(text, refusalOf(validation.reasons), validation.reasons);
        continue;
      }
      const unbound = uploader && bindingRejection(uploader, validation.record, boundVins);
      if (unbound) {
        reject(text, unbound.rule, [unbound]);
        continue;
      }
      const { record, tsMs } = validation;
      readout.accepted++;
      if (record.vin !== lastValidVin) {
        if (runNewest) readout.latest.push(latestEntryOf(runNewest, runNewestTsMs, fleetSource));
        runNewest = record;
        runNewestTsMs = tsMs;
      } else if (isLater(tsMs, record.seq, runNewestTsMs, runNewest!.seq)) {
        runNewest = record;
        runNewestTsMs = tsMs;
      }
      lastValidVin = record.vin;
      // Kept until the object is read: without unknown keys (a valid line may carry 64 KiB of them; knownFieldsOf).
      if (record.ota) readout.otaRecords.push(enrich(knownFieldsOf(record), tsMs));
    }
  }
  if (runNewest) readout.latest.push(latestEntryOf(runNewest, runNewestTsMs, fleetSource));
  return readout;
}

/**
 * The readout of a gateway's object judged again against `boundVins` (a newer copy of its binding), from the lines
 * `readTelemetryObject` refused as not bound: only their verdict can depend on the binding (the rule is checked
 * last, on a valid record), and their text is kept whole (a valid record is never a cut too-long line), so the
 * object is not read again. `nowMs` is the first reading's, so the clock window judges alike. A line bound now is
 * accepted (an entry of its own after the others in `latest`: readers keep a VIN's newest); every other line, and every
 * accepted one, keeps its verdict (an unbind in the newer copy counts from the next object, within the cache period).
 *
 * @example
 * const newer = await gatewayVehicles.newerThan(gatewayId, boundVins); // functions/telemetry-processor/gateway-vehicles.ts
 * if (newer) readout = rejudgeUnbound(readout, readAtMs, uploader, newer);
 */
export function rejudgeUnbound(readout: ObjectReadout, nowMs: number, uploader: ParsedTelemetryKey, boundVins: ReadonlySet<string>): ObjectReadout {
  const again: ObjectReadout = { accepted: readout.accepted, latest: [...readout.latest], otaRecords: [...readout.otaRecords], rejected: [], refusals: {} };
  for (const line of readout.rejected) {
    const validation = line.refusal === LINE_REFUSAL.UnboundVehicle ? validateRecord(JSON.parse(line.raw), nowMs) : undefined;
    if (validation?.valid && !bindingRejection(uploader, validation.record, boundVins)) {
      const { record, tsMs } = validation;
      again.accepted++;
      again.latest.push(latestEntryOf(record, tsMs, fleetSourceOf(uploader)));
      if (record.ota) again.otaRecords.push(enrich(knownFieldsOf(record), tsMs));
      continue;
    }
    again.rejected.push(line);
    again.refusals[line.refusal] = (again.refusals[line.refusal] ?? 0) + 1;
  }
  return again;
}
