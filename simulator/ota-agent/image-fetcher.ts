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

/**
 * Fetches the images of one request, in order, as the vehicle (`s3` signs with its own credentials).
 * Never throws: a failed GET or a broken stream is a result with its reason, transient unless S3 refused,
 * lacked or could not serve the object.
 *
 * @example
 * import { imageFetchWanted } from "./agent-machine.js";
 * const result = await fetchImages(vehicleS3, bucket, imageFetchWanted(memory, facts, now)!);
 * // { jobId, attempt, fetch: 1, ok: true, received: [{ length: 65536, sha256: "…" }] }
 */
export async function fetchImages(s3: S3Client, bucket: string, request: ImageFetchRequest): Promise<ImageFetchResult> {
  const { jobId, attempt, fetch } = request;
  const received: ImageDigest[] = [];
  for (const [index, image] of request.images.entries()) {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: image.objectKey, Range: image.length > 0 ? `bytes=0-${image.length}` : undefined }));
      const receiver = new ImageReceiver(image.length, request.corruptByte?.image === index ? request.corruptByte.offset : undefined);
      for await (const chunk of (object.Body ?? []) as AsyncIterable<Uint8Array>) {
        if (!receiver.take(chunk)) break; // leaving the loop destroys the stream: nothing past length + 1 is read
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
      return { jobId, attempt, fetch, ok: false, transient: !permanent, reason: `GET ${image.objectKey} failed: ${said}: ${(error as Error).message}` };
    }
  }
  return { jobId, attempt, fetch, ok: true, received };
}
