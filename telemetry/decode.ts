import { constants as zlibConstants, createGunzip, gunzipSync } from "node:zlib";
import { StringDecoder } from "node:string_decoder";
import type { Writable } from "node:stream";

/** Limits that make an object corrupt rather than a source of bad records. */
export interface DecodeLimits {
  /** Decoded bytes an object may have (stops gzip bombs). */
  maxDecodedBytes: number;
  /** A longer line is rejected as a record, not parsed. */
  maxLineBytes: number;
}

/**
 * 16 MiB decoded is about 50 times the simulator's 500-record objects and keeps ten objects read at
 * once well inside a 512 MB function (a 2 MB gzip of repeated valid records decodes to hundreds of MB).
 */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxDecodedBytes: 16 * 1024 * 1024,
  maxLineBytes: 64 * 1024,
};

export const CORRUPTION = {
  BadGzip: "bad-gzip",
  TooLarge: "too-large",
  Binary: "binary",
  TooManyLines: "too-many-lines",
  TooManyRejected: "too-many-rejected",
} as const;
export type Corruption = (typeof CORRUPTION)[keyof typeof CORRUPTION];

/** The object as a whole cannot be read as NDJSON; it is quarantined whole with this reason. */
export class CorruptObjectError extends Error {
  override readonly name = "CorruptObjectError";
  constructor(
    readonly corruption: Corruption,
    message: string,
  ) {
    super(message);
  }
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Waits for the stream's `drain` or `close`, and leaves no listener behind (one a wait passed the listener warning's 10). */
function drainedOrClosed(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

async function* gunzipped(first: Buffer, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  let sourceError: unknown;
  const feed = (async () => {
    try {
      gunzip.write(first);
      for (let next = await rest.next(); !next.done && !gunzip.destroyed; next = await rest.next()) {
        if (!gunzip.write(next.value)) await drainedOrClosed(gunzip);
      }
      if (!gunzip.destroyed) gunzip.end();
    } catch (error) {
      sourceError = error;
      gunzip.destroy(error as Error);
    }
  })();
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    // A failing source (network, throttling) is transient; only the decoder's own error means corruption.
    if (sourceError !== undefined) throw sourceError;
    throw new CorruptObjectError(CORRUPTION.BadGzip, `gzip stream cannot be decoded: ${(error as Error).message}`);
  } finally {
    // When the reader stops early (a limit passed), the feeder may be waiting for a drain that never
    // comes: destroying the decoder ends its wait (it hung until the function timed out, then the DLQ).
    if (!gunzip.destroyed) gunzip.destroy();
    await feed;
    await rest.return?.();
  }
}

/** Chunks of an object: a stream (S3 GetObject body) or, in tests and benchmarks, buffers in memory. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

function asyncIteratorOf(source: ByteSource): AsyncIterator<Uint8Array> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const iterator = source[Symbol.iterator]();
  return { next: async () => iterator.next() };
}

/** The chunk as a Buffer over the same memory (Buffer.from of a Buffer copies it). */
function bufferView(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

async function* plain(first: Buffer, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Buffer> {
  try {
    yield first;
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield bufferView(next.value);
  } finally {
    await rest.return?.(); // stopped early: let the source (an S3 body) close its connection
  }
}

/**
 * A gzip object up to this size (compressed) is read whole and decoded in one synchronous call, capped at
 * the decoded limit: no stream, no thread-pool round trips per chunk. Telemetry objects are far smaller
 * (the simulator's 500 records are about 60 KB); a larger object streams as before.
 */
export const WHOLE_OBJECT_GZIP_BYTES = 1024 * 1024;

/** One decoded line; a line over the limit comes back cut to 200 characters with `tooLong: true`. */
export interface DecodedLine {
  text: string;
  tooLong: boolean;
  /**
   * True when no string this line parses to can hold a control character (C0, DEL, C1): neither the line
   * nor anything before it in the object has a backslash (every escape needs one), a DEL byte or 0xC2 (the
   * UTF-8 lead byte of every C1 control; JSON.parse refuses raw C0 controls in strings, and bytes that are
   * not valid UTF-8 decode to U+FFFD). The validator then skips its per-string control-character scans.
   */
  controlFree: boolean;
}

const BACKSLASH = 0x5c;
const DEL = 0x7f;
/** UTF-8 encodes U+0080–U+00BF, the C1 controls among them, as 0xC2 and one more byte. */
const C1_LEAD = 0xc2;
/** No byte of the chunk can put a control character into a parsed string (see DecodedLine.controlFree). */
const isControlFree = (chunk: Buffer): boolean => chunk.indexOf(BACKSLASH) < 0 && chunk.indexOf(DEL) < 0 && chunk.indexOf(C1_LEAD) < 0;

/**
 * Reads chunks until the source ends or `cap` bytes are in hand. `ended` says whether it was all of it.
 */
async function gather(first: Buffer, rest: AsyncIterator<Uint8Array>, cap: number): Promise<{ chunks: Buffer[]; ended: boolean }> {
  const chunks = [first];
  let bytes = first.length;
  while (bytes <= cap) {
    const next = await rest.next();
    if (next.done) return { chunks, ended: true };
    const chunk = bufferView(next.value);
    chunks.push(chunk);
    bytes += chunk.length;
  }
  return { chunks, ended: false };
}

/**
 * How many times its compressed size an object's output buffer may start at: the simulator's gateway objects compress
 * about 8 times, vehicles' hourly ones about 32, so an honest claim mostly fits; a higher claim, true (repeated records)
 * or not, starts here and the output grows in pieces of this size.
 */
const TRUSTED_EXPANSION = 64;
/** A gzip member's header and trailer take at least this many bytes. */
const GZIP_MIN_BYTES = 18;

/**
 * The output buffer gunzipSync starts with: the size the gzip trailer gives (ISIZE, the last member's decoded size, and
 * one byte more so the end of the stream fits beside it), so the common object decodes into one buffer and is never
 * copied together from 16 KiB pieces (the default; 23 → 17 ms a gateway corpus round). Never more than the decoded
 * limit or 64 times the compressed bytes: the trailer is the uploader's text, and zlib does not always catch a false one
 * (it ignores zero bytes after a member, so 16 KiB of them can end in any size: with deflate's 1032 times as the cap,
 * 16 MiB buffers for 16 KiB objects, 10-15 times a small object's CPU in the collections they caused; review 19,
 * R19-D1). Never less than zlib's default 16 KiB either: every piece of the output is this size, and a claim can be low
 * (several members: the last one's size counts), so an empty member appended to an object made 64-byte pieces, ~254,000
 * of them copied together for 15.5 MiB, 9 times the object's decode (review 20, R20-D1). A low or capped claim means
 * pieces of the default size at worst, as before the trailer was read.
 *
 * @example
 * import { gzipSync } from "node:zlib";
 * gunzipOutputBytes(gzipSync("{}\n".repeat(10_000)), DEFAULT_DECODE_LIMITS); // 30001
 */
export function gunzipOutputBytes(compressed: Buffer, limits: DecodeLimits): number {
  const claimed = compressed.length >= GZIP_MIN_BYTES ? compressed.readUInt32LE(compressed.length - 4) : 0;
  return Math.max(zlibConstants.Z_DEFAULT_CHUNK, Math.min(claimed + 1, limits.maxDecodedBytes + 1, compressed.length * TRUSTED_EXPANSION));
}

/** A small gzip object decoded at once, never to more than the decoded limit (a bomb stops there). */
function gunzipWhole(compressed: Buffer, limits: DecodeLimits): Buffer {
  try {
    return gunzipSync(compressed, { maxOutputLength: limits.maxDecodedBytes + 1, chunkSize: gunzipOutputBytes(compressed, limits) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new CorruptObjectError(CORRUPTION.TooLarge, `decoded size passes ${limits.maxDecodedBytes} bytes`);
    }
    throw new CorruptObjectError(CORRUPTION.BadGzip, `gzip stream cannot be decoded: ${(error as Error).message}`);
  }
}

async function* decodedChunks(source: ByteSource, limits: DecodeLimits): AsyncGenerator<Buffer> {
  const iterator = asyncIteratorOf(source);
  const head = await iterator.next();
  if (head.done) return;
  let first = bufferView(head.value);
  // The magic is two bytes, and a source may hand over fewer in its first chunks (a slow network read).
  while (first.length < GZIP_MAGIC.length) {
    const next = await iterator.next();
    if (next.done) break;
    first = Buffer.concat([first, bufferView(next.value)]);
  }
  if (!(first[0] === GZIP_MAGIC[0] && first[1] === GZIP_MAGIC[1])) {
    yield* plain(first, iterator);
    return;
  }
  const { chunks, ended } = await gather(first, iterator, WHOLE_OBJECT_GZIP_BYTES);
  if (ended) {
    yield gunzipWhole(chunks.length === 1 ? first : Buffer.concat(chunks), limits);
    return;
  }
  yield* gunzipped(Buffer.concat(chunks), iterator);
}

/**
 * Lines one batch holds at most. A chunk of newlines holds one line a byte, and a small gzip object is one chunk of up to
 * 16 MiB: its lines in one batch were 16.7 million line objects built before the reader could count one, out of heap from
 * a 16 KB object (review 21, R21-01). In batches, the reader's line limit stops such an object within its first lines.
 */
export const MAX_BATCH_LINES = 1024;

/**
 * Streams an object's lines in batches (the lines of each decoded chunk, at most MAX_BATCH_LINES a batch, so the
 * caller's loop awaits once a chunk, not once a line): gzip (recognised by its magic bytes, whatever the key says) or plain,
 * UTF-8, split on `\n` (a trailing `\r` is dropped). Lines longer than `maxLineBytes` come back
 * truncated with `tooLong: true`. Throws CorruptObjectError when the gzip stream is broken, the
 * decoded size passes `maxDecodedBytes`, or the bytes are binary (NUL) rather than text.
 *
 * @example
 * for await (const lines of decodeLineBatches(response.Body)) for (const { text } of lines) console.log(text);
 */
export async function* decodeLineBatches(source: ByteSource, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): AsyncGenerator<DecodedLine[]> {
  const decoder = new StringDecoder("utf8");
  let decodedBytes = 0;
  let pending = "";
  let pendingTooLong = false;
  /** Every chunk so far is control-free (a line may begin in an earlier chunk). */
  let controlFree = true;
  for await (const chunk of decodedChunks(source, limits)) {
    decodedBytes += chunk.length;
    if (decodedBytes > limits.maxDecodedBytes) {
      throw new CorruptObjectError(CORRUPTION.TooLarge, `decoded size passes ${limits.maxDecodedBytes} bytes`);
    }
    if (chunk.includes(0)) throw new CorruptObjectError(CORRUPTION.Binary, "contains NUL bytes: binary data, not NDJSON");
    controlFree &&= isControlFree(chunk);
    let lines: DecodedLine[] = [];
    let text = pending + decoder.write(chunk);
    let start = 0;
    for (let newline = text.indexOf("\n"); newline >= 0; newline = text.indexOf("\n", start)) {
      const line = text.slice(start, newline);
      start = newline + 1;
      if (pendingTooLong) {
        pendingTooLong = false;
        continue;
      }
      lines.push(lineOf(line, limits, controlFree));
      if (lines.length === MAX_BATCH_LINES) {
        yield lines;
        lines = [];
      }
    }
    text = text.slice(start);
    // A final "\r" may be the first half of the line's "\r\n" (the next chunk's "\n"), dropped with it
    // by lineOf: it does not count yet, or where the chunks end would decide the line's verdict.
    if (exceedsUtf8Bytes(text.endsWith("\r") ? text.slice(0, -1) : text, limits.maxLineBytes)) {
      if (!pendingTooLong) lines.push({ text: text.slice(0, 200), tooLong: true, controlFree });
      pendingTooLong = true;
      text = "";
    }
    pending = text;
    if (lines.length > 0) yield lines;
  }
  pending += decoder.end();
  if (!pendingTooLong && pending.length > 0) yield [lineOf(pending, limits, controlFree)];
}

/**
 * The same lines one by one.
 *
 * @example
 * for await (const { text } of decodeLines(response.Body)) console.log(text);
 */
export async function* decodeLines(source: ByteSource, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): AsyncGenerator<DecodedLine> {
  for await (const lines of decodeLineBatches(source, limits)) yield* lines;
}

function lineOf(line: string, limits: DecodeLimits, controlFree: boolean): DecodedLine {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  return exceedsUtf8Bytes(text, limits.maxLineBytes) ? { text: text.slice(0, 200), tooLong: true, controlFree } : { text, tooLong: false, controlFree };
}

/**
 * Whether the text takes more than `limit` bytes in UTF-8. A UTF-16 unit is 1 to 3 bytes, so only a
 * text between a third of the limit and the limit in units needs counting.
 */
function exceedsUtf8Bytes(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return Buffer.byteLength(text, "utf8") > limit;
}
