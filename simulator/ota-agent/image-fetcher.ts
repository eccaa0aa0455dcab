import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { imageHasher, type ImageDigest } from "../../uptane/vehicle-verification.js";
import type { ImageFetchRequest, ImageFetchResult } from "./agent-machine.js";

/**
 * The OTA agent's image download (the I/O half of DOWNLOADING): GETs each image the verified targets name
 * with the vehicle's own S3 client and hands the machine what arrived (length and SHA-256), never the bytes.
 * Streams and hashes, and reads at most one byte past the signed length (a Range request, and a reader
 * that stops there), so an image replaced by something endless costs the vehicle length + 1 bytes.
 */

/** S3 answers no retry changes: refused (403), missing (404), a malformed request. (416, nothing in range, is an empty object.) */
const PERMANENT_STATUS = new Set([400, 403, 404, 405]);

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/**
 * Receives one image's bytes chunk by chunk: hashes them, stops one byte past the signed length, and (an
 * injected transit fault) flips the byte at `corruptByteAt` as it passes.
 *
 * @example
 * const receiver = new ImageReceiver(image.length);
 * for await (const chunk of body) if (!receiver.take(chunk)) break;
 * receiver.digest(); // { length, sha256 } for verifyImageDigest
 */
export class ImageReceiver {
  private readonly hasher = imageHasher();
  private received = 0;

  constructor(
    private readonly length: number,
    private readonly corruptByteAt?: number,
  ) {}

  /** Takes a chunk; false once more bytes than the signed length arrived (stop reading). */
  take(chunk: Uint8Array): boolean {
    const room = this.length + 1 - this.received;
    let part = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
    const flip = this.corruptByteAt === undefined ? -1 : this.corruptByteAt - this.received;
    if (flip >= 0 && flip < part.byteLength) {
      part = Uint8Array.from(part);
      part[flip] = part[flip]! ^ 0xff;
    }
    this.hasher.update(part);
    this.received += part.byteLength;
    return this.received <= this.length;
  }

  digest(): ImageDigest {
    return this.hasher.digest();
  }
}

/** Timers a fetch's deadlines run on (the real ones by default; tests inject their own clock). */
export interface FetchTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: FetchTimers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** How long one image's GET may take: no byte for `stallMs` ends it, and so does running past its whole deadline. */
export interface FetchDeadlines {
  stallMs: number;
  minimumMs: number;
  minBytesPerSecond: number;
}

export const FETCH_DEADLINES: Readonly<FetchDeadlines> = {
  /** No byte (nor the response) for this long: the GET has stalled. */
  stallMs: 30_000,
  /** The whole GET's deadline is max(this, length / minBytesPerSecond). */
  minimumMs: 30_000,
  minBytesPerSecond: 16 * 1024,
};

export interface FetchOptions {
  timers?: FetchTimers;
  deadlines?: Readonly<FetchDeadlines>;
}

/** A GET that stalled or ran past its deadline; a transient fetch failure (the agent fetches again, 3 fetches at most). */
export class ImageFetchTimeoutError extends Error {
  override readonly name = "ImageFetchTimeoutError";
}

/**
 * Settles as `promise` does, or rejects with the signal's reason once it aborts, whichever comes first (the
 * promise keeps its handlers: a later rejection of it is not unhandled).
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const done = () => signal.removeEventListener("abort", onAbort);
    promise.then(
      (value) => (done(), resolve(value)),
      (error: unknown) => (done(), reject(error)),
    );
  });
}

/**
 * One image GET's deadlines, as an AbortSignal: aborts when no byte came for `stallMs` (`progress()` resets that)
 * or when the whole GET ran past max(minimumMs, length / minBytesPerSecond). `stop()` clears both timers.
 */
function fetchDeadline(key: string, length: number, options: FetchOptions) {
  const timers = options.timers ?? realTimers;
  const limits = options.deadlines ?? FETCH_DEADLINES;
  const controller = new AbortController();
  const totalMs = Math.max(limits.minimumMs, Math.ceil((length / limits.minBytesPerSecond) * 1000));
  const abort = (why: string) => controller.abort(new ImageFetchTimeoutError(`GET ${key} ${why}`));
  const total = timers.set(() => abort(`took longer than ${totalMs / 1000} s (its deadline for ${length} bytes)`), totalMs);
  let stall = timers.set(() => abort(`stalled: no byte for ${limits.stallMs / 1000} s`), limits.stallMs);
  return {
    signal: controller.signal,
    progress() {
      timers.clear(stall);
      stall = timers.set(() => abort(`stalled: no byte for ${limits.stallMs / 1000} s`), limits.stallMs);
    },
    stop() {
      timers.clear(stall);
      timers.clear(total);
    },
  };
}

/**
 * Fetches the images of one request, in order, as the vehicle (`s3` signs with its own credentials).
 * Never throws: a failed GET or a broken stream is a result with its reason, transient unless S3 refused,
 * lacked or could not serve the object. Each GET has deadlines (`FETCH_DEADLINES`: no byte for 30 s, or past
 * max(30 s, length at 16 KiB/s)); one that stalls or runs past them is aborted, a transient failure, so a stalled
 * body never holds the vehicle (nor a simulated fleet ticked one vehicle after another).
 *
 * @example
 * import { imageFetchWanted } from "./agent-machine.js";
 * const result = await fetchImages(vehicleS3, bucket, imageFetchWanted(memory, facts, now)!);
 * // { jobId, attempt, fetch: 1, ok: true, received: [{ length: 65536, sha256: "…" }] }
 */
export async function fetchImages(s3: S3Client, bucket: string, request: ImageFetchRequest, options: FetchOptions = {}): Promise<ImageFetchResult> {
  const { jobId, attempt, fetch } = request;
  const received: ImageDigest[] = [];
  for (const [index, image] of request.images.entries()) {
    const deadline = fetchDeadline(image.objectKey, image.length, options);
    let body: AsyncIterable<Uint8Array> | undefined;
    let chunks: AsyncIterator<Uint8Array> | undefined;
    let ended = false;
    try {
      const command = new GetObjectCommand({ Bucket: bucket, Key: image.objectKey, Range: image.length > 0 ? `bytes=0-${image.length}` : undefined });
      const object = await untilAborted(s3.send(command, { abortSignal: deadline.signal }), deadline.signal);
      deadline.progress();
      body = (object.Body ?? []) as AsyncIterable<Uint8Array>;
      const receiver = new ImageReceiver(image.length, request.corruptByte?.image === index ? request.corruptByte.offset : undefined);
      chunks = body[Symbol.asyncIterator]();
      for (;;) {
        const next = await untilAborted(chunks.next(), deadline.signal);
        if (next.done) {
          ended = true;
          break;
        }
        deadline.progress();
        if (!receiver.take(next.value)) break;
      }
      received.push(receiver.digest());
    } catch (error) {
      const status = statusOf(error);
      if (status === 416) {
        received.push(new ImageReceiver(image.length).digest()); // no byte in range: the object is empty
        continue;
      }
      const permanent = (status !== undefined && PERMANENT_STATUS.has(status)) || (error as Error).name === "NoSuchKey";
      const said = [status, (error as Error).name].filter((part) => part !== undefined).join(" ");
      if (error instanceof ImageFetchTimeoutError) return { jobId, attempt, fetch, ok: false, transient: true, reason: error.message };
      return { jobId, attempt, fetch, ok: false, transient: !permanent, reason: `GET ${image.objectKey} failed: ${said}: ${(error as Error).message}` };
    } finally {
      deadline.stop();
      if (!ended) {
        // Whatever was not read (past length + 1, or a stalled or failed body) is dropped: nothing more is read.
        (body as { destroy?: () => void } | undefined)?.destroy?.();
        chunks?.return?.().catch(() => undefined);
      }
    }
  }
  return { jobId, attempt, fetch, ok: true, received };
}
