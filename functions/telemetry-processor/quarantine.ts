import { createHash } from "node:crypto";
import { CopyObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { TELEMETRY_PREFIX, tryParseTelemetryKey } from "../../contracts/telemetry-keys.js";
import type { ReadLimits, RejectedLine } from "../../telemetry/core.js";
import { encodeRejectedRecords, REJECTED_RECORDS, rejectedRecordsHeader } from "../../contracts/rejected-records.js";
import type { ObjectRef } from "../../contracts/telemetry-events.js";

export const QUARANTINE_PREFIX = {
  Records: "quarantine/records/",
  Objects: "quarantine/objects/",
} as const;

/** Where quarantine keeps objects whose key is outside the layout, under a hash of that key. */
export const OUTSIDE_LAYOUT = "outside-layout/";

/**
 * The source key below `telemetry/`, so quarantine mirrors the input partitions; a key outside the
 * layout (contracts/telemetry-keys.ts) is replaced by its SHA-256, because it may be too long for a
 * quarantine key, or climb out of a folder (`..`) for whoever downloads the quarantine.
 */
function relativeKey(object: ObjectRef): string {
  if (tryParseTelemetryKey(object.key).ok) return object.key.slice(TELEMETRY_PREFIX.length);
  return `${OUTSIDE_LAYOUT}${createHash("sha256").update(object.key).digest("hex").slice(0, 40)}`;
}

/**
 * `quarantine/records/<source path>.<etag>.ndjson.gz`: one object per source object version (contracts/rejected-records.ts).
 *
 * @example
 * rejectedRecordsKey({ key: "telemetry/vehicle/1HGCM82633A004352/dt=2026-11-26/hour=17/20261126T173500000Z-1.ndjson.gz", etag: "e1", bucket, size, createdAtMs });
 * // "quarantine/records/vehicle/1HGCM82633A004352/dt=2026-11-26/hour=17/20261126T173500000Z-1.ndjson.gz.e1.ndjson.gz"
 */
export function rejectedRecordsKey(object: ObjectRef): string {
  return `${QUARANTINE_PREFIX.Records}${relativeKey(object)}.${object.etag}${REJECTED_RECORDS.Suffix}`;
}

export function quarantinedObjectKey(object: ObjectRef): string {
  return `${QUARANTINE_PREFIX.Objects}${relativeKey(object)}.${object.etag}`;
}

/**
 * Writes the rejected lines of one source object: gzip NDJSON, the object named once in a header line, then
 * `{ line, raw, refusal, reasons }` per line (contracts/rejected-records.ts). Each line is serialised from its raw text
 * (a string), never from a parsed value, so no line can make the write fail. The key is deterministic, so a reprocessed
 * object overwrites rather than duplicates; no lines write an empty object, 0 bytes (a redelivery that refused nothing
 * replaces an earlier attempt's lines).
 *
 * @example
 * await writeRejectedRecords(s3, bucket, object, readout.rejected);
 */
export async function writeRejectedRecords(s3: S3Client, bucket: string, object: ObjectRef, rejected: readonly RejectedLine[]): Promise<string> {
  const body = await encodeRejectedRecords(object, rejected);
  const key = rejectedRecordsKey(object);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: REJECTED_RECORDS.ContentType }));
  return key;
}

export interface ObjectQuarantineReason {
  source: { bucket: string; key: string; etag: string; versionId?: string; size: number };
  /** Short machine-readable kind, e.g. `bad-gzip`, `too-large`. */
  corruption: string;
  message: string;
  quarantinedAt: string;
  /**
   * Whether the object was copied beside this file. An object over the processor's size bound is not (no copy of it is
   * sure to end within the invocation; review 18, R18-F2): it stays at `source`, under the telemetry lifecycle.
   */
  copied: boolean;
}

/**
 * Copies an unreadable object to `quarantine/objects/…` and writes `<that key>.reason.json` beside it.
 * `storedKey` is the key to copy when the event named it URL-encoded. The copy is of the event's own
 * version: by its version id when the event has one, and only while its ETag is the event's
 * (`CopySourceIfMatch`; a 412 means the key was overwritten, which the caller parks).
 *
 * @example
 * await quarantineObject(s3, bucket, object, { corruption: "bad-gzip", message: "unexpected end of file" }, new Date());
 */
export async function quarantineObject(
  s3: S3Client,
  bucket: string,
  object: ObjectRef,
  why: { corruption: string; message: string },
  now: Date,
  storedKey: string = object.key,
): Promise<string> {
  const key = quarantinedObjectKey(object);
  const version = object.versionId === undefined ? "" : `?versionId=${encodeURIComponent(object.versionId)}`;
  await s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: key,
      CopySource: `${object.bucket}/${encodeURIComponent(storedKey).replaceAll("%2F", "/")}${version}`,
      CopySourceIfMatch: `"${object.etag}"`,
    }),
  );
  await writeQuarantineReason(s3, bucket, object, why, now, true);
  return key;
}

/**
 * `limits` for reading `object` so its refused lines' bound (`maxRejectedBytes`) is on the bytes of its records file
 * before gzip, exactly: writeRejectedRecords adds a newline to each line's JSON (`rejectedLineOverhead`) and one header
 * line naming the object (taken off the bound; a key of 1 KiB makes it ~1.1 KB). Before gzip because the bound is about
 * the memory the kept lines take while the object is read; S3 stores the gzip (10,000 short lines: ~30 KB).
 *
 * @example
 * import { DEFAULT_READ_LIMITS } from "../../telemetry/core.js";
 * const limits = recordsFileLimits(object, DEFAULT_READ_LIMITS); // for readTelemetryObject
 */
export function recordsFileLimits(object: ObjectRef, limits: ReadLimits): ReadLimits {
  return { ...limits, maxRejectedBytes: limits.maxRejectedBytes - Buffer.byteLength(rejectedRecordsHeader(object)), rejectedLineOverhead: 1 };
}

/**
 * Writes `<the object's quarantine key>.reason.json` and returns its key: beside the copy (quarantineObject), or alone
 * for an object left where it is (`copied: false`; the reason names it).
 *
 * @example
 * await writeQuarantineReason(s3, bucket, object, { corruption: "too-large", message: "object is 5368709120 bytes, more than 268435456" }, new Date(), false);
 */
export async function writeQuarantineReason(
  s3: S3Client,
  bucket: string,
  object: ObjectRef,
  why: { corruption: string; message: string },
  now: Date,
  copied: boolean,
): Promise<string> {
  const reason: ObjectQuarantineReason = {
    source: { bucket: object.bucket, key: object.key, etag: object.etag, ...(object.versionId === undefined ? {} : { versionId: object.versionId }), size: object.size },
    corruption: why.corruption,
    message: why.message,
    quarantinedAt: now.toISOString(),
    copied,
  };
  const key = `${quarantinedObjectKey(object)}.reason.json`;
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(reason, null, 2), ContentType: "application/json" }));
  } catch (error) {
    throw new QuarantineWriteError(key, error);
  }
  return key;
}

/**
 * The processor's own write of a `.reason.json` failed: S3's answer is about that request (a 400 such as IncompleteBody
 * or BadDigest is a cut or corrupted upload), never about the object quarantined, so it is not judged as a read of the
 * object would be (review 23, R23-02: such a 400 parked a readable object as unreadable). Transient: the message is retried.
 */
export class QuarantineWriteError extends Error {
  override readonly name = "QuarantineWriteError";
  constructor(
    readonly key: string,
    override readonly cause: unknown,
  ) {
    super(`writing ${key} failed: ${(cause as Error).message}`);
  }
}
