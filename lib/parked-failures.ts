import { createHash, randomInt } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { StandardUnit, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { METRIC } from "../contracts/metrics.js";
import { PARKED_PREFIX, parkedFailureKey, type ParkedFailure, type ParkedSource } from "../contracts/parked-failure.js";
import { isMissingObject } from "./s3-errors.js";

/**
 * Writing, counting and reading parked failures (contracts/parked-failure.ts): what no retry can fix is
 * recorded once in the data bucket and counted by `Reliability/MessagesParked`, instead of being
 * retried into a DLQ. Shared by the telemetry processor, the update manager, `fleetota parked` and the
 * dashboard publisher.
 */

/**
 * Reasons shared by the sources (each source may add its own, from a small fixed set: the `Reason`
 * metric dimension must never carry free text).
 */
export const PARKED_REASON = {
  /** The telemetry object an event announced no longer exists (deleted before it was read). */
  ObjectMissing: "object-missing",
  /** The key now holds another body than the event's and the event names no version to read its own by. */
  ObjectReplaced: "object-replaced",
  /**
   * The telemetry object is stored so that no read succeeds: an archive storage class (GLACIER, DEEP_ARCHIVE), or S3
   * answers its read 400 (e.g. a customer-provided encryption key, SSE-C, which the uploader chose and the device roles
   * refuse); the detail keeps S3's code and message.
   */
  ObjectUnreadable: "object-unreadable",
  /** The event names a key that cannot be an S3 key as given (e.g. a bare `%` in an encoded key). */
  BadObjectKey: "bad-object-key",
  /** The telemetry-queue message is not an EventBridge S3 event. */
  NotAnEvent: "not-an-event",
  /** The update-queue message is not JSON or not an update message. */
  InvalidUpdateMessage: "invalid-update-message",
  /** The image repository's published targets have expired: no job document can be published until a refresh. */
  ImageTargetsExpired: "image-targets-expired",
  /** The published image targets do not verify under the newest image root (a release-key rotation not yet followed by a refresh). */
  ImageTargetsUnverifiable: "image-targets-unverifiable",
  /**
   * An operator command or tick that arrived on a queue other than the command queue (the vehicle-report queue, which
   * the telemetry processor may send to): refused whoever sent it.
   */
  CommandOffCommandQueue: "command-off-command-queue",
  /**
   * A status report or candidate that arrived on the command queue: only the telemetry processor speaks for vehicles,
   * and it may send to the vehicle-report queue only.
   */
  VehicleMessageOnCommandQueue: "vehicle-message-on-command-queue",
} as const;

/** What an operator does about each shared reason, when the failure itself names no command. */
const REMEDY_BY_REASON: Readonly<Record<string, string>> = {
  [PARKED_REASON.ObjectMissing]:
    "nothing, if the object was deleted on purpose; otherwise upload it again (a new object version is processed on its own)",
  [PARKED_REASON.ObjectReplaced]:
    "upload the lost batch again under a new key (never overwrite a telemetry key), or turn versioning on so each overwrite is read by its version",
  [PARKED_REASON.ObjectUnreadable]:
    "the detail names S3's code and message; the device roles and the bucket policy allow only STANDARD uploads without SSE-C under telemetry/, so find how this one was written (a bucket policy or lifecycle rule changed by hand; the key names the uploader); nothing to resend: if its data matters, restore it (archived) and upload it again as STANDARD under a new key",
  [PARKED_REASON.BadObjectKey]: "upload the object again under a key without a bare % (vehicles write telemetry/… keys the processor can read)",
  [PARKED_REASON.NotAnEvent]: "find what else sends to the telemetry queue: only the bucket's EventBridge rule should",
  [PARKED_REASON.InvalidUpdateMessage]: "find the sender of the malformed message (its body is in the record); fix it and send the message again",
  [PARKED_REASON.ImageTargetsExpired]:
    "fleetota release refresh --key <release key>, by a threshold of release engineers; then nothing to resend: the next tick publishes queued jobs' documents and vehicles' next telemetry re-sends candidates",
  [PARKED_REASON.CommandOffCommandQueue]:
    "nothing to resend (an operator sends a wanted command again with fleetota campaign …, which uses the command queue); only the telemetry processor sends to the vehicle-report queue and it never sends commands, so its role or code is being misused: read its logs and the telemetry objects it handled just before",
  [PARKED_REASON.VehicleMessageOnCommandQueue]:
    "nothing to resend (vehicles' reports and candidates reach the update manager from the telemetry processor, on the vehicle-report queue); whoever sent this holds command-queue rights (an operator or the rollout ticker) and is misusing them: the detail names the sender (SQS's SenderId: an IAM user's id, or a role's id and session name)",
  [PARKED_REASON.ImageTargetsUnverifiable]:
    "fleetota release status says why: after a release-key rotation, fleetota release refresh --key <release key> by a threshold of the new release keys; then nothing to resend: the next tick publishes queued jobs' documents and vehicles' next telemetry re-sends candidates",
};

/**
 * The remedy for a parked failure: its own `fleetota` command when it names one, else the reason's.
 *
 * @example
 * remedyOf({ reason: "object-missing" }); // "nothing, if the object was deleted on purpose; …"
 */
export function remedyOf(failure: Pick<ParkedFailure, "reason" | "remedy">): string {
  return failure.remedy ?? REMEDY_BY_REASON[failure.reason] ?? "read the detail and the message; no retry will fix it";
}

/**
 * The messages a parked record stands for: a counted record's `count`, a whole number of at least 1 (anything else in
 * a record read back counts as one).
 *
 * @example
 * messagesOf({ count: 64 }); // 64
 * messagesOf({}); // 1
 */
export function messagesOf(failure: Pick<ParkedFailure, "count">): number {
  return typeof failure.count === "number" && Number.isSafeInteger(failure.count) && failure.count > 1 ? failure.count : 1;
}

/** The contract keeps at most 16 KiB of the original message. */
export const MAX_PARKED_MESSAGE_CHARS = 16 * 1024;
/** A detail is one human line; longer ones are cut. */
export const MAX_PARKED_DETAIL_CHARS = 500;

/** C0/C1 controls, DEL and the Unicode line/paragraph separators: nothing that breaks a line or drives a terminal. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * The stable id of a failure: a hash of its business identity, so a redelivered message parks onto the
 * same id (the write is then a no-op).
 *
 * @example
 * parkedFailureId("fleet-data", "telemetry/a.ndjson.gz", "9b2c…"); // "4f1d…" (32 hex characters)
 */
export function parkedFailureId(...identity: readonly string[]): string {
  return createHash("sha256").update(identity.join("\u0000")).digest("hex").slice(0, 32);
}

export interface ParkedFailureInput {
  source: ParkedSource;
  /** The parts of the business identity (object bucket/key/etag, or job id + sequence), hashed into the id. */
  identity: readonly string[];
  reason: string;
  detail: string;
  /** The original message body; cut to 16 KiB. */
  message: string;
  remedy?: string;
  at: Date;
}

/**
 * Builds the record of one parked failure: the id from the identity, the detail made one line without
 * control characters, the message cut to 16 KiB.
 *
 * @example
 * parkedFailure({ source: "telemetry-processor", identity: [bucket, key, etag], reason: "object-missing",
 *   detail: "s3://fleet-data/telemetry/a.ndjson.gz no longer exists", message: record.body, at: new Date() });
 */
export function parkedFailure(input: ParkedFailureInput): ParkedFailure {
  const detail = input.detail.replace(CONTROL_CHARACTERS, " ").slice(0, MAX_PARKED_DETAIL_CHARS);
  return {
    id: parkedFailureId(input.source, ...input.identity),
    source: input.source,
    reason: input.reason,
    detail,
    parkedAt: input.at.toISOString(),
    message: input.message.length > MAX_PARKED_MESSAGE_CHARS ? input.message.slice(0, MAX_PARKED_MESSAGE_CHARS) : input.message,
    ...(input.remedy === undefined ? {} : { remedy: input.remedy }),
  };
}

export const PARK_RESULT = { Written: "written", AlreadyParked: "already-parked", Counted: "counted" } as const;
export type ParkResult = (typeof PARK_RESULT)[keyof typeof PARK_RESULT];

function isPreconditionFailed(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === "PreconditionFailed" || error.$metadata?.httpStatusCode === 412);
}

/**
 * Writes the failure to `parked/<source>/<day>/<id>.json` unless that object already exists (a
 * conditional put), so parking the same failure twice keeps the first record. Any other S3 error is
 * thrown: the caller's message is then retried like any transient failure.
 *
 * @example
 * await parkFailureRecord(s3, dataBucket, failure); // "written", then "already-parked" on a redelivery
 */
export async function parkFailureRecord(s3: S3Client, bucket: string, failure: ParkedFailure): Promise<ParkResult> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: parkedFailureKey(failure),
        Body: JSON.stringify(failure, null, 2),
        ContentType: "application/json",
        IfNoneMatch: "*",
      }),
    );
    return PARK_RESULT.Written;
  } catch (error) {
    if (isPreconditionFailed(error)) return PARK_RESULT.AlreadyParked;
    throw error;
  }
}

/** How many message keys a counted record remembers (digests): a redelivery within them is not counted twice. */
export const COUNTED_KEYS_KEPT = 128;
/** Conditional writes of a counted record before its messages' parking fails (transient: the messages are retried). */
const COUNT_WRITE_ATTEMPTS = 8;
/**
 * After the n-th lost race (n from 0) a writer waits a random time of at most this many ms times 2^n before its next
 * try, and not after the last: 7 waits, 1.27 s at most in all. The update manager's concurrent invocations parking
 * one vehicle's junk reports otherwise kept meeting on the record, and one report in ~5 lost all 8 races (review 19,
 * R19-P1).
 */
const COUNT_RETRY_BASE_MS = 10;

/** How parkCountedRecords waits between lost races. */
export interface CountedParkOptions {
  /** Waits `ms` milliseconds (default: a timer); a test passes one that counts the waits. */
  wait?: (ms: number) => Promise<void>;
}

/** A write of a counted record kept losing to concurrent writers. */
export class ParkedCountConflictError extends Error {
  override readonly name = "ParkedCountConflictError";
  constructor(key: string) {
    super(`parked record ${key} changed under ${COUNT_WRITE_ATTEMPTS} conditional writes; the messages are retried`);
  }
}

/** A counted record's parks were not all for that record (parkCountedRecords takes one record's). */
export class MixedCountedRecordsError extends Error {
  override readonly name = "MixedCountedRecordsError";
  constructor(key: string, other: string) {
    super(`counted parks for ${key} and ${other} cannot be written as one record`);
  }
}

function keyDigest(messageKey: string): string {
  return createHash("sha256").update(messageKey).digest("hex").slice(0, 16);
}

/** One message parked under a counted record: the failure as it would be parked alone, and the message's own key. */
export interface CountedPark {
  failure: ParkedFailure;
  /** The message's business key (an idempotency key): a redelivery has the same one and is not counted again. */
  messageKey: string;
}

/** What writing a counted record did: its result and how many messages it counted. */
export interface CountedParkOutcome {
  result: ParkResult;
  /** The messages counted by this write: the parks whose key the record did not hold yet, each key once. */
  counted: number;
}

/** The record, or undefined when there is none yet (a 404: the caller may list the key, see modules/fleet-functions.ts). */
async function readCountedRecord(s3: S3Client, bucket: string, key: string): Promise<{ record: ParkedFailure; etag: string } | undefined> {
  let response;
  try {
    response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
  const stored: unknown = JSON.parse((await response.Body?.transformToString()) ?? "");
  if (!isParkedFailure(stored)) throw new Error(`${key} is not a parked-failure record`);
  return { record: stored, etag: response.ETag ?? "*" };
}

/** The record with `fresh` counted in: the first message and detail kept, the last of `fresh` as the last. */
function countedIn(stored: ParkedFailure | undefined, fresh: ReadonlyArray<{ failure: ParkedFailure; digest: string }>): ParkedFailure {
  const first = fresh[0]!.failure;
  const last = fresh[fresh.length - 1]!.failure;
  const count = (stored ? stored.count ?? 1 : 0) + fresh.length;
  return {
    ...(stored ?? first),
    count,
    lastParkedAt: last.parkedAt,
    ...(count > 1 ? { lastDetail: last.detail, lastMessage: last.message } : {}),
    recentKeys: [...(stored?.recentKeys ?? []), ...fresh.map(({ digest }) => digest)].slice(-COUNTED_KEYS_KEPT),
  };
}

/**
 * Parks many messages under one record (its identity shared by all of them, e.g. one vehicle's reports that can never
 * apply, a day) with one read and one conditional write: the record is read (a 404: none yet), the messages whose
 * `messageKey` is not among its last COUNTED_KEYS_KEPT (each key once) are added to its count, and it is written
 * conditional on the ETag read (or on there being none); on a lost race it is read and written again. The record
 * keeps the first message and detail, and the last (`lastMessage`, `lastDetail`). The update manager gathers one
 * invocation's batch by record (CountedParkBatch), so a vehicle's 10 junk reports cost 2 requests, not 10
 * read-modify-writes queued on the one key (review 21, R21-04). Any other S3 error is thrown: the messages are then
 * retried, none of them counted.
 *
 * @example
 * await parkCountedRecords(s3, dataBucket, [{ failure, messageKey: message.idempotencyKey }]); // { result: "written", counted: 1 }, then "counted", or "already-parked" on a redelivery
 */
export async function parkCountedRecords(s3: S3Client, bucket: string, parks: readonly CountedPark[], options: CountedParkOptions = {}): Promise<CountedParkOutcome> {
  if (parks.length === 0) return { result: PARK_RESULT.AlreadyParked, counted: 0 };
  const wait = options.wait ?? ((ms: number) => delay(ms));
  const key = parkedFailureKey(parks[0]!.failure);
  const byDigest = new Map<string, { failure: ParkedFailure; digest: string }>();
  for (const { failure, messageKey } of parks) {
    const other = parkedFailureKey(failure);
    if (other !== key) throw new MixedCountedRecordsError(key, other);
    const digest = keyDigest(messageKey);
    if (!byDigest.has(digest)) byDigest.set(digest, { failure, digest });
  }
  for (let attempt = 0; attempt < COUNT_WRITE_ATTEMPTS; attempt++) {
    if (attempt > 0) await wait(randomInt(COUNT_RETRY_BASE_MS * 2 ** (attempt - 1) + 1));
    const stored = await readCountedRecord(s3, bucket, key);
    const known = new Set(stored?.record.recentKeys ?? []);
    const fresh = [...byDigest.values()].filter(({ digest }) => !known.has(digest));
    if (fresh.length === 0) return { result: PARK_RESULT.AlreadyParked, counted: 0 };
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(countedIn(stored?.record, fresh), null, 2),
          ContentType: "application/json",
          ...(stored ? { IfMatch: stored.etag } : { IfNoneMatch: "*" }),
        }),
      );
      return { result: stored ? PARK_RESULT.Counted : PARK_RESULT.Written, counted: fresh.length };
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }
  throw new ParkedCountConflictError(key);
}

/**
 * parkCountedRecords for one message.
 *
 * @example
 * await parkCountedRecord(s3, dataBucket, failure, message.idempotencyKey); // "written", then "counted", or "already-parked" on a redelivery
 */
export async function parkCountedRecord(s3: S3Client, bucket: string, failure: ParkedFailure, messageKey: string, options: CountedParkOptions = {}): Promise<ParkResult> {
  return (await parkCountedRecords(s3, bucket, [{ failure, messageKey }], options)).result;
}

/** What one record's write in CountedParkBatch.flush did, for the messages (`owners`) it carried. */
export interface CountedFlush<Owner> {
  key: string;
  /** The first of its parks (source, reason, id, detail). */
  failure: ParkedFailure;
  owners: Owner[];
  /** The write's outcome, or the error that failed it (then none of `owners` is counted: each is to be retried). */
  outcome: CountedParkOutcome | { error: Error };
}

/**
 * One invocation's counted parks, gathered by record and written once each when the batch is done: one read and one
 * conditional write a record (parkCountedRecords), whatever number of messages it counts, instead of one
 * read-modify-write a message. Each park names its owner (the SQS message it stands for); a record whose write fails
 * returns its owners, and only those, to be retried.
 *
 * @example
 * const gathered = new CountedParkBatch<string>();
 * gathered.add(record.messageId, failure, message.idempotencyKey);
 * const flushed = await gathered.flush(parking); // one entry a record; owners of an entry with an error are retried
 */
export class CountedParkBatch<Owner> {
  private readonly byKey = new Map<string, Array<CountedPark & { owner: Owner }>>();

  add(owner: Owner, failure: ParkedFailure, messageKey: string): void {
    const key = parkedFailureKey(failure);
    const parks = this.byKey.get(key) ?? [];
    parks.push({ failure, messageKey, owner });
    this.byKey.set(key, parks);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Writes every record gathered (concurrently), counts what each counted in the tally, and starts over. */
  async flush(parking: Parking, options: CountedParkOptions = {}): Promise<Array<CountedFlush<Owner>>> {
    const gathered = [...this.byKey];
    this.byKey.clear();
    return Promise.all(
      gathered.map(async function writeRecord([key, parks]): Promise<CountedFlush<Owner>> {
        const failure = parks[0]!.failure;
        const owners = parks.map(({ owner }) => owner);
        try {
          const outcome = await parkCountedRecords(parking.s3, parking.bucket, parks, options);
          parking.tally.add(failure.source, failure.reason, outcome.counted);
          return { key, failure, owners, outcome };
        } catch (error) {
          return { key, failure, owners, outcome: { error: error instanceof Error ? error : new Error(String(error)) } };
        }
      }),
    );
  }
}

/**
 * Counts parked failures by source and reason for one invocation; becomes `Reliability/MessagesParked`
 * data with the `Source` and `Reason` dimensions (small fixed sets, never per vehicle).
 *
 * @example
 * const tally = new ParkedTally();
 * tally.add("telemetry-processor", "object-missing");
 * tally.metricData(new Date()); // [{ MetricName: "Reliability/MessagesParked", Value: 1, Dimensions: [Source, Reason] }]
 */
export class ParkedTally {
  private readonly counts = new Map<string, { source: ParkedSource; reason: string; count: number }>();

  /** Counts `count` (default 1) parked messages; none adds nothing. */
  add(source: ParkedSource, reason: string, count = 1): void {
    if (count <= 0) return;
    const key = `${source}\u0000${reason}`;
    const entry = this.counts.get(key) ?? { source, reason, count: 0 };
    entry.count += count;
    this.counts.set(key, entry);
  }

  /** Starts over, once what was counted is written. */
  reset(): void {
    this.counts.clear();
  }

  get total(): number {
    let total = 0;
    for (const { count } of this.counts.values()) total += count;
    return total;
  }

  /** Parked counts by reason, e.g. `{ "object-missing": 2 }`. */
  byReason(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { reason, count } of this.counts.values()) out[reason] = (out[reason] ?? 0) + count;
    return out;
  }

  metricData(timestamp: Date): MetricDatum[] {
    return [...this.counts.values()].map(({ source, reason, count }) => ({
      MetricName: METRIC.MessagesParked,
      Dimensions: [
        { Name: "Source", Value: source },
        { Name: "Reason", Value: reason },
      ],
      Value: count,
      Unit: StandardUnit.Count,
      Timestamp: timestamp,
    }));
  }
}

/** Parks failures and counts them: what a handler holds for one invocation. */
export interface Parking {
  s3: S3Client;
  bucket: string;
  tally: ParkedTally;
}

/**
 * Writes the failure (idempotent on its id) and counts it in the invocation's tally. A redelivered
 * failure that was already parked is not counted again. With `countedAs` (the message's own key) the
 * record is shared by many messages and counts them (parkCountedRecord): each new one is counted.
 *
 * @example
 * await parkFailure(parking, parkedFailure({ source, identity, reason, detail, message, at: new Date() }));
 */
export async function parkFailure(parking: Parking, failure: ParkedFailure, options: { countedAs?: string } = {}): Promise<ParkResult> {
  const result =
    options.countedAs === undefined
      ? await parkFailureRecord(parking.s3, parking.bucket, failure)
      : await parkCountedRecord(parking.s3, parking.bucket, failure, options.countedAs);
  if (result !== PARK_RESULT.AlreadyParked) parking.tally.add(failure.source, failure.reason);
  return result;
}

export interface ListParkedOptions {
  source?: ParkedSource;
  /** At most this many, newest first (default 1,000). */
  limit?: number;
  /**
   * At most this many ListObjectsV2 pages of keys (default: no bound, every key is listed). With a bound
   * the days are listed newest first (`parked/<source>/<day>/`), and listing stops once `limit` keys are
   * found and their day is complete, or when the pages run out: what is left is older. The dashboard
   * lists every minute, and parked/ keeps 90 days of records (vehicles' refused reports
   * add some every day): listing all of it every minute would one day not fit in the publisher's minute.
   */
  maxListPages?: number;
}

function isParkedFailure(value: unknown): value is ParkedFailure {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ["id", "source", "reason", "detail", "parkedAt", "message"].every((field) => typeof candidate[field] === "string");
}

type ListedKey = { key: string; modified: number };

/** The `.json` keys under `prefix` (and, with a delimiter, the folders), within `maxPages` pages. */
async function listKeys(s3: S3Client, bucket: string, prefix: string, maxPages: number, delimiter?: string): Promise<{ keys: ListedKey[]; folders: string[]; pages: number; complete: boolean }> {
  const keys: ListedKey[] = [];
  const folders: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    if (pages >= maxPages) return { keys, folders, pages, complete: false };
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, ...(delimiter ? { Delimiter: delimiter } : {}) }));
    pages++;
    for (const object of page.Contents ?? []) {
      if (object.Key?.endsWith(".json")) keys.push({ key: object.Key, modified: object.LastModified?.getTime() ?? 0 });
    }
    for (const folder of page.CommonPrefixes ?? []) if (folder.Prefix) folders.push(folder.Prefix);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { keys, folders, pages, complete: true };
}

/**
 * The keys of the newest days first (`<source>/<day>/` folders under `prefix`, every source's, newest day
 * first), until `limit` keys are in and their day is listed whole, or `maxPages` pages are spent; `complete`
 * when every day was listed whole (nothing older left unread).
 */
async function listNewestDays(s3: S3Client, bucket: string, prefix: string, limit: number, maxPages: number): Promise<{ keys: ListedKey[]; complete: boolean }> {
  let budget = maxPages;
  let complete = true;
  const spend = async (under: string, delimiter?: string) => {
    const listed = await listKeys(s3, bucket, under, budget, delimiter);
    budget -= listed.pages;
    complete &&= listed.complete;
    return listed;
  };
  const sources = prefix === PARKED_PREFIX ? (await spend(prefix, "/")).folders : [prefix];
  const days: string[] = [];
  for (const source of sources) days.push(...(await spend(source, "/")).folders);
  const dayOf = (folder: string) => folder.split("/").at(-2) ?? "";
  days.sort((a, b) => dayOf(b).localeCompare(dayOf(a)));
  const keys: ListedKey[] = [];
  for (const day of days) {
    // Days left unread are older than every key listed.
    if (keys.length >= limit || budget <= 0) return { keys, complete: false };
    keys.push(...(await spend(day)).keys);
  }
  return { keys, complete };
}

/** Parked failures as listed, and whether the listing read every key under the prefix. */
export interface ParkedListing {
  failures: ParkedFailure[];
  /** False when `maxListPages` (or `limit`) stopped the listing before the oldest days: older failures were not read. */
  complete: boolean;
}

/**
 * Reads parked failures from the bucket, newest first, one per id (a failure parked again on a later
 * day shows once, with its first record). Objects that are not parked-failure JSON are skipped.
 *
 * @example
 * for (const failure of await listParkedFailures(s3, bucket, { source: "update-manager" })) console.log(failure.reason);
 */
export async function listParkedFailures(s3: S3Client, bucket: string, options: ListParkedOptions = {}): Promise<ParkedFailure[]> {
  return (await listParked(s3, bucket, options)).failures;
}

/**
 * listParkedFailures, also saying whether the listing was complete (a bounded one stops at the newest days).
 *
 * @example
 * const { failures, complete } = await listParked(s3, bucket, { limit: 50, maxListPages: 20 });
 */
export async function listParked(s3: S3Client, bucket: string, options: ListParkedOptions = {}): Promise<ParkedListing> {
  const limit = options.limit ?? 1_000;
  const prefix = options.source ? `${PARKED_PREFIX}${options.source}/` : PARKED_PREFIX;
  const listed = options.maxListPages === undefined ? await listKeys(s3, bucket, prefix, Number.POSITIVE_INFINITY) : await listNewestDays(s3, bucket, prefix, limit, options.maxListPages);
  const keys = listed.keys;
  keys.sort((a, b) => b.modified - a.modified || (a.key < b.key ? 1 : -1));
  const byId = new Map<string, ParkedFailure>();
  for (const { key } of keys) {
    if (byId.size >= limit) break;
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    let value: unknown;
    try {
      value = JSON.parse((await response.Body?.transformToString()) ?? "");
    } catch {
      continue;
    }
    if (!isParkedFailure(value)) continue;
    const earlier = byId.get(value.id);
    if (!earlier || value.parkedAt < earlier.parkedAt) byId.set(value.id, value);
  }
  const failures = [...byId.values()].sort((a, b) => (a.parkedAt < b.parkedAt ? 1 : a.parkedAt > b.parkedAt ? -1 : 0));
  return { failures, complete: listed.complete };
}

/**
 * A failure no retry can fix, thrown by the code that finds it and parked by the handler that catches
 * it (with the message it was handling) instead of being retried into the DLQ.
 *
 * @example
 * throw new PermanentFailureError(PARKED_REASON.ObjectMissing, "s3://fleet-data/telemetry/a.ndjson.gz no longer exists");
 */
export class PermanentFailureError extends Error {
  override readonly name: string = "PermanentFailureError";
  constructor(
    /** From the source's fixed vocabulary (PARKED_REASON or the source's own). */
    readonly reason: string,
    message: string,
    /** The `fleetota` command that deals with it, when one does. */
    readonly remedy?: string,
  ) {
    super(message);
  }
}
