import { decodeLines, DEFAULT_DECODE_LIMITS, type ByteSource, type DecodeLimits } from "./decode.js";
import { enrich, type EnrichedRecord } from "./enrich.js";
import { validateRecord, type RecordRejection } from "./schema.js";

/** A line that did not become a record, with why; what goes to `quarantine/records/…`. */
export interface RejectedLine {
  /** 1-based line number in the source object. */
  line: number;
  /** The parsed value when the line was JSON, otherwise the raw text. */
  record?: unknown;
  raw?: string;
  reasons: RecordRejection[];
}

export interface ObjectReadout {
  accepted: EnrichedRecord[];
  rejected: RejectedLine[];
}

/**
 * Decodes, validates and enriches every line of one object. Blank lines are skipped; everything else
 * ends up accepted or rejected with reasons. Throws CorruptObjectError (from decodeLines) when the
 * object cannot be read at all; then nothing of it counts.
 *
 * @example
 * const readout = await readTelemetryObject(response.Body, Date.now());
 * readout.accepted.length + readout.rejected.length; // lines in the object
 */
export async function readTelemetryObject(
  source: ByteSource,
  nowMs: number,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): Promise<ObjectReadout> {
  const readout: ObjectReadout = { accepted: [], rejected: [] };
  let lineNumber = 0;
  for await (const { text, tooLong } of decodeLines(source, limits)) {
    lineNumber++;
    if (tooLong) {
      readout.rejected.push({ line: lineNumber, raw: text, reasons: [{ field: "(line)", rule: "max-length", message: `line longer than ${limits.maxLineBytes} bytes` }] });
      continue;
    }
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      readout.rejected.push({ line: lineNumber, raw: text, reasons: [{ field: "(line)", rule: "json", message: (error as Error).message }] });
      continue;
    }
    const validation = validateRecord(value, nowMs);
    if (validation.valid) readout.accepted.push(enrich(validation.record));
    else readout.rejected.push({ line: lineNumber, record: value, reasons: validation.reasons });
  }
  return readout;
}
