/**
 * The records file of one telemetry object version, `quarantine/records/<path>.<etag>.ndjson.gz`: the lines the
 * telemetry processor refused, for operators. Gzip of NDJSON: a header line naming the object once
 * (`{ "format", "source" }`), then one line per refused line, `{ line, raw, refusal, reasons }` (telemetry/core.ts,
 * RejectedLine). A file that refuses nothing (a redelivery's rewrite) is empty, 0 bytes, not gzip: an empty records
 * file means no refused line, as it always has. Until review 25 (R25-02) the file was plain NDJSON under `….ndjson` with the source on every line:
 * a 314-byte gzip upload of 10,000 short refused lines wrote 3.6-4.0 MB, kept 90 days; decodeRejectedRecords still
 * reads such files.
 *
 * The object's 4 MiB bound on refused lines (ReadLimits.maxRejectedBytes) is on this file's bytes before gzip, the
 * header included: it bounds the memory the lines take while the object is read, not what S3 stores.
 */
import { gunzipSync, gzip } from "node:zlib";
import { promisify } from "node:util";
import type { RejectedLine } from "../telemetry/core.js";

export const REJECTED_RECORDS = {
  /** What the header's `format` says; a file without a header is the old layout (the source on each line). */
  Format: "fleetota.rejected-lines.v2",
  /** After `<path>.<etag>`; the old layout's files end `.ndjson`. */
  Suffix: ".ndjson.gz",
  /**
   * A gzip file, byte for byte, to every client: no `Content-Encoding: gzip`, which browsers and some HTTP clients
   * undo on download, leaving plain text under a `.gz` name.
   */
  ContentType: "application/gzip",
  /** Decoded bytes a file may have when read back: the processor writes at most 4 MiB; old files a little more. */
  MaxDecodedBytes: 16 * 1024 * 1024,
  /**
   * Non-empty lines a file may have when read back: the header and an object's 10,000 lines at most (ReadLimits.maxLines).
   * 16 KB of gzip holds millions of `{}` lines, each parsed before the file was refused (4.1 s, ~500 MB; review 27, R27-02).
   */
  MaxLines: 10_001,
} as const;

/** The telemetry object whose lines a records file holds. */
export interface RejectedRecordsSource {
  bucket: string;
  key: string;
  etag: string;
}

export interface RejectedRecordsFile {
  /** Absent only in an empty file (written when a redelivery refused nothing). */
  source?: RejectedRecordsSource;
  lines: RejectedLine[];
}

/**
 * The header line, newline included: the bytes a records file has besides its lines' JSON and newlines.
 *
 * @example
 * Buffer.byteLength(rejectedRecordsHeader({ bucket: "lake", key: "telemetry/x", etag: "e1" })); // 99
 */
export const rejectedRecordsHeader = (source: RejectedRecordsSource): string =>
  `${JSON.stringify({ format: REJECTED_RECORDS.Format, source: { bucket: source.bucket, key: source.key, etag: source.etag } })}\n`;

/**
 * The text of a records file before gzip: the header, then each line as JSON (exactly what telemetry/core.ts counts
 * for it) and a newline.
 *
 * @example
 * rejectedRecordsText(source, readout.rejected).startsWith(rejectedRecordsHeader(source)); // true
 */
export function rejectedRecordsText(source: RejectedRecordsSource, lines: readonly RejectedLine[]): string {
  return rejectedRecordsHeader(source) + lines.map((line) => `${JSON.stringify(line)}\n`).join("");
}

const gzipAsync = promisify(gzip);

/**
 * zlib's fastest level: the text is the uploader's, and refused lines of random text from a small alphabet are the
 * default level's slowest input: 4 MiB of them took 0.83-0.91 CPU-s to compress at level 6, ~70 % of their object's
 * read, against 0.06 s at level 1 for a file ~20 % larger (review 27, R27-01).
 */
const GZIP_LEVEL = 1;

/**
 * The bytes of a records file: gzip at GZIP_LEVEL, off the event loop (up to 4 MiB of text, ~0.06 s at worst; the
 * processor reads other objects meanwhile); none for no lines.
 *
 * @example
 * const body = await encodeRejectedRecords(source, readout.rejected); // PUT with ContentType REJECTED_RECORDS.ContentType
 */
export async function encodeRejectedRecords(source: RejectedRecordsSource, lines: readonly RejectedLine[]): Promise<Buffer> {
  return lines.length === 0 ? Buffer.alloc(0) : gzipAsync(rejectedRecordsText(source, lines), { level: GZIP_LEVEL });
}

/**
 * Reads a records file of either layout: gzip with a header (since review 25) or the plain NDJSON before it, each line
 * with its `source`; an empty file holds no line. Throws RejectedRecordsFileError for anything else.
 *
 * @example
 * const { source, lines } = decodeRejectedRecords(await response.Body.transformToByteArray());
 * lines.map((line) => `${source?.key}:${line.line} ${line.refusal}`);
 */
export function decodeRejectedRecords(bytes: Uint8Array): RejectedRecordsFile {
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  let text: string;
  try {
    text = (gzipped ? gunzipSync(bytes, { maxOutputLength: REJECTED_RECORDS.MaxDecodedBytes }) : Buffer.from(bytes)).toString("utf8");
  } catch (error) {
    throw new RejectedRecordsFileError(`not gzip within ${REJECTED_RECORDS.MaxDecodedBytes} bytes: ${(error as Error).message}`);
  }
  const values: Array<Record<string, unknown>> = [];
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf("\n", start);
    const end = newline < 0 ? text.length : newline;
    if (end > start) {
      if (values.length === REJECTED_RECORDS.MaxLines) throw new RejectedRecordsFileError(`more than ${REJECTED_RECORDS.MaxLines} lines`);
      values.push(parseLine(text.slice(start, end), values.length + 1));
    }
    start = end + 1;
  }
  const [first] = values;
  if (first !== undefined && first.format === REJECTED_RECORDS.Format) {
    return { source: sourceOf(first.source, 1), lines: values.slice(1).map((value, index) => rejectedLineOf(value, index + 2)) };
  }
  if (gzipped) throw new RejectedRecordsFileError(`the first line is not a header of ${REJECTED_RECORDS.Format}`);
  const lines = values.map((value, index) => rejectedLineOf(value, index + 1));
  return first === undefined ? { lines } : { source: sourceOf(first.source, 1), lines };
}

function parseLine(line: string, number: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new RejectedRecordsFileError(`line ${number} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new RejectedRecordsFileError(`line ${number} is not an object`);
  return value as Record<string, unknown>;
}

function sourceOf(value: unknown, number: number): RejectedRecordsSource {
  const source = value as Partial<Record<keyof RejectedRecordsSource, unknown>> | null;
  if (typeof source !== "object" || source === null || typeof source.bucket !== "string" || typeof source.key !== "string" || typeof source.etag !== "string") {
    throw new RejectedRecordsFileError(`line ${number} has no source { bucket, key, etag }`);
  }
  return { bucket: source.bucket, key: source.key, etag: source.etag };
}

function rejectedLineOf(value: Record<string, unknown>, number: number): RejectedLine {
  const { line, raw, refusal, reasons } = value;
  if (typeof line !== "number" || typeof raw !== "string" || typeof refusal !== "string" || !Array.isArray(reasons)) {
    throw new RejectedRecordsFileError(`line ${number} is not { line, raw, refusal, reasons }`);
  }
  return { line, raw, refusal, reasons } as RejectedLine;
}

/** A records file that is neither layout (not one the processor wrote). */
export class RejectedRecordsFileError extends Error {
  override readonly name = "RejectedRecordsFileError";
}
