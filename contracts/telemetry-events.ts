/**
 * The telemetry queue carries EventBridge "Object Created" events from the data-lake bucket.
 * AWS spells the object's etag `etag`; the moto emulator spells it `eTag`. Both are accepted; both send
 * the object's `version-id` in a versioned bucket. The
 * event `id` is never used for anything (moto gives every event the same one).
 */

export const OBJECT_CREATED = "Object Created";

/** The identity of one object version: what idempotency is keyed on. */
export interface ObjectRef {
  bucket: string;
  key: string;
  /** Without surrounding quotes. */
  etag: string;
  /**
   * The version S3 created (the event's `version-id`; the data lake is versioned): the processor reads and
   * copies exactly this version, so an overwrite of the key cannot make this event read another body.
   * Absent when the event has none (an unversioned bucket names `null`, read as absent).
   */
  versionId?: string;
  size: number;
  /** When S3 created the object (the event's `time`), for the processing-latency metric. */
  createdAtMs: number;
}

export type ParsedMessage = { kind: "object"; object: ObjectRef } | { kind: "ignored"; detailType: string };

/** The message body is not an EventBridge S3 event; it is dead-lettered with this reason. */
export class InvalidEventError extends Error {
  override readonly name = "InvalidEventError";
}

interface S3EventShape {
  "detail-type"?: unknown;
  time?: unknown;
  detail?: {
    bucket?: { name?: unknown };
    object?: { key?: unknown; size?: unknown; etag?: unknown; eTag?: unknown; "version-id"?: unknown };
  };
}

/**
 * Parses one SQS message body. Events other than "Object Created" (moto also emits "Object Tags
 * Added" for every PutObject) come back as `ignored`.
 *
 * @example
 * parseQueueMessage(record.body); // { kind: "object", object: { bucket, key, etag: "9b2c…", size: 1843, createdAtMs } }
 */
export function parseQueueMessage(body: string): ParsedMessage {
  let event: S3EventShape;
  try {
    event = JSON.parse(body) as S3EventShape;
  } catch {
    throw new InvalidEventError(`message body is not JSON: ${body.slice(0, 120)}`);
  }
  if (typeof event !== "object" || event === null) throw new InvalidEventError("message body is not an event object");
  const detailType = event["detail-type"];
  if (typeof detailType !== "string") throw new InvalidEventError("event has no detail-type");
  if (detailType !== OBJECT_CREATED) return { kind: "ignored", detailType };
  const bucket = event.detail?.bucket?.name;
  const object = event.detail?.object;
  const etag = object?.etag ?? object?.eTag;
  if (typeof bucket !== "string" || typeof object?.key !== "string" || typeof etag !== "string") {
    throw new InvalidEventError("Object Created event lacks detail.bucket.name, detail.object.key or detail.object.etag");
  }
  const createdAtMs = typeof event.time === "string" ? Date.parse(event.time) : Number.NaN;
  const versionId = object["version-id"];
  return {
    kind: "object",
    object: {
      bucket,
      key: object.key,
      etag: etag.replaceAll('"', ""),
      ...(typeof versionId === "string" && versionId !== "" && versionId !== "null" ? { versionId } : {}),
      size: typeof object.size === "number" ? object.size : 0,
      createdAtMs,
    },
  };
}
