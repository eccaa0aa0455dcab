import { GetObjectCommand, NoSuchKey, type S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { writeEmfMetrics, type LineWriter } from "../../lib/emf-metrics.js";
import type { Log } from "../../lib/logger.js";
import { InvocationAggregate } from "../../telemetry/aggregate.js";
import { DEFAULT_READ_LIMITS, LINE_REFUSAL, readTelemetryObject, rejudgeUnbound, TooManyRejectedError, type ObjectReadout, type ReadLimits } from "../../telemetry/core.js";
import { CORRUPTION, CorruptObjectError } from "../../telemetry/decode.js";
import { PARKED_SOURCE } from "../../contracts/parked-failure.js";
import { decodeEventKey, KEY_VIOLATION, parseTelemetryEventKey, tryParseTelemetryKey, UPLOADER_KIND, type FleetTelemetryKey } from "../../contracts/telemetry-keys.js";
import { parkedFailure, parkFailure, PARKED_REASON, PermanentFailureError, type ParkedTally, type Parking } from "../../lib/parked-failures.js";
import { InvalidEventError, parseQueueMessage, type ObjectRef } from "../../contracts/telemetry-events.js";
import { writeFleetStatePart } from "../../telemetry/fleet-state.js";
import { reportingVin } from "../../telemetry/uploader-binding.js";
import type { GatewayVehicles } from "./gateway-vehicles.js";
import { CopyDeadlineError } from "./deadline.js";
import { COMPLETION, completeObject, completionOf, type ObjectLedger } from "./idempotency.js";
import { QuarantineWriteError, quarantineObject, recordsFileLimits, writeQuarantineReason, writeRejectedRecords } from "./quarantine.js";
import { unreadableObject } from "./unreadable-object.js";
import { HeldBackTally, heldBackTotal } from "./report-screen.js";
import { candidatesOf, NO_CAMPAIGNS, reportedCampaignIds, sendUpdateMessages, statusReportsOf } from "./update-handoff.js";
import type { InvocationCampaigns } from "./campaign-cache.js";

/**
 * Compressed objects larger than this are quarantined unread and not copied: a vehicle may put 5 GB in one PUT, and a
 * server-side copy that size may outlast the invocation, which no deadline guard can then keep (review 18, R18-F2).
 */
export const MAX_OBJECT_BYTES = 256 * 1024 * 1024;

/**
 * A message handled this long after its object was created may follow an attempt that wrote outputs and failed
 * before the ledger recorded it, even at receive count 1: a message back from the DLQ is a new message, and it got
 * there only after maxReceiveCount receives a visibility timeout apart (5 × 6 min on AWS; the stack test holds the
 * queue above this). A first delivery is seconds old; one this old only in a backlog of a quarter hour.
 */
export const REDRIVEN_AFTER_MS = 15 * 60_000;

/** What SQS says of this delivery of the message. */
export interface Delivery {
  /** ApproximateReceiveCount: above 1, an earlier receive may have written outputs. */
  receiveCount: number;
}

export interface ProcessorDependencies {
  s3: S3Client;
  sqs: SQSClient;
  doc: DynamoDBDocumentClient;
  dataBucket: string;
  stateTable: string;
  updateQueueUrl: string;
  metricsNamespace: string;
  /** The VINs each fleet gateway may carry (cached across invocations; gateway-vehicles.ts). */
  gatewayVehicles: GatewayVehicles;
  log: Log;
  /** Where the invocation's metrics are written as EMF log lines; default standard output (the function's log group). */
  metricsOut?: LineWriter;
  now?: () => number;
  limits?: ReadLimits;
}

/** What one invocation works with besides its dependencies. */
export interface InvocationScope {
  aggregate: InvocationAggregate;
  /** Every campaign's id and the running ones' definitions: the container's list, read again as campaign-cache.ts says. */
  campaigns: InvocationCampaigns;
  /** Status reports kept off the update queue (report-screen.ts), counted in Telemetry/StatusReportsHeldBack. */
  reportsHeldBack: HeldBackTally;
  /** Objects this invocation is already handling, by identity: a second delivery in the same batch waits for the first. */
  inFlight: Map<string, Promise<MessageOutcome>>;
  /** Where permanent failures are parked and counted (Reliability/MessagesParked). */
  parking: Parking;
  /** True once an object's read is to be abandoned (ReadLimits.pastDeadline; ReadDeadlineError: the message is retried); deadline.ts. */
  readPastDeadline?: () => boolean;
}

export const MESSAGE_OUTCOME = {
  Processed: "processed",
  Quarantined: "quarantined",
  Duplicate: "duplicate",
  Ignored: "ignored",
  Parked: "parked",
} as const;
export type MessageOutcome = (typeof MESSAGE_OUTCOME)[keyof typeof MESSAGE_OUTCOME];

/**
 * Quarantines an object whole: the one stored under `storedKey` when the key's parse named it (the
 * object that was read), otherwise the key as given or, when that does not exist, its decoded form; an
 * object that is not there is gone, and one whose key now holds another version was replaced (both
 * PermanentFailureErrors). The copy is of the event's version (quarantine.ts), never of another, and is started only
 * before the read deadline (`pastDeadline`; else CopyDeadlineError: the message goes back to the queue, as a read past
 * it does): a copy of up to MAX_OBJECT_BYTES is left to the read reserve. An object over MAX_OBJECT_BYTES, in the layout
 * or not, is not copied: its reason alone is written, naming it where it stays, once a one-byte read bound like every
 * read (version, If-Match) finds the event's object still there (gone or replaced: parked as a read would be). It was
 * never read, so its key is tried as given, then decoded, whatever its parse named.
 */
async function quarantineWhole(
  dependencies: ProcessorDependencies,
  object: ObjectRef,
  why: { corruption: string; message: string },
  now: Date,
  storedKey?: string,
  pastDeadline?: () => boolean,
): Promise<string> {
  const { s3, dataBucket } = dependencies;
  const tooLarge = object.size > MAX_OBJECT_BYTES;
  const onKey = async function quarantineOnKey(key: string): Promise<string> {
    if (tooLarge) {
      await stillStored(s3, object, key);
      return writeQuarantineReason(s3, dataBucket, object, why, now, false);
    }
    if (pastDeadline?.()) throw new CopyDeadlineError(`s3://${object.bucket}/${key}`);
    return quarantineObject(s3, dataBucket, object, why, now, key);
  };
  try {
    if (storedKey === undefined || tooLarge) return await onStoredKey(object, onKey);
    return await onKey(storedKey);
  } catch (error) {
    if (error instanceof QuarantineWriteError) throw error;
    if (isNoSuchKey(error)) throw objectMissing(object);
    if (isPreconditionFailed(error)) throw objectReplaced(object);
    throw readFailure(error, object, storedKey ?? object.key);
  }
}

/** The key as given does not exist and cannot be URL-decoded (a bare `%`): no retry can find the object. */
function badObjectKey(object: ObjectRef): PermanentFailureError {
  return new PermanentFailureError(PARKED_REASON.BadObjectKey, `key ${JSON.stringify(object.key)} does not exist and is not a valid URL-encoded key (a bare %)`);
}

/** The object's version is gone (deleted before it was read, or expired by the lifecycle): no retry brings it back. */
function objectMissing(object: ObjectRef): PermanentFailureError {
  return new PermanentFailureError(PARKED_REASON.ObjectMissing, `s3://${object.bucket}/${object.key} (${describeVersion(object)}) no longer exists`);
}

/**
 * The key holds another body than the event's (its ETag differs) and the event names no version to read
 * the event's own by: it was overwritten. Reading what is there would count the newer body for this
 * event (and again for its own), so no retry can do right: the event is parked.
 */
function objectReplaced(object: ObjectRef): PermanentFailureError {
  const why =
    object.versionId === undefined
      ? "the key was overwritten before it was read, and the event names no version to read it by"
      : "that version carries another ETag than the event";
  return new PermanentFailureError(PARKED_REASON.ObjectReplaced, `s3://${object.bucket}/${object.key} no longer holds ${describeVersion(object)}: ${why}`);
}

const describeVersion = (object: ObjectRef): string => `etag ${object.etag}${object.versionId === undefined ? "" : `, version ${object.versionId}`}`;

/** No such key, or (a read by version id) no such version of it. */
const isNoSuchKey = (error: unknown): boolean =>
  error instanceof NoSuchKey || ["NoSuchKey", "NoSuchVersion"].includes(String((error as { name?: string }).name));

/**
 * S3 refused to read the event's object (403). The role may list `telemetry/`, so on AWS a key or version
 * that is not there answers 404 (object-missing, above), never 403 (modules/fleet-functions.ts
 * answerMissingWith404), and an archived object's 403 is the object's fault (readFailure): any other 403 is a
 * refusal of this role, i.e. configuration (a bucket policy, a KMS key policy, an SCP, the grant itself). That is transient, not parked: parking completes the object in the
 * ledger and nothing replays a parked event, so a misconfiguration would silently drop every object it
 * touches; retried into the telemetry DLQ it is loud (the DLQ alarm) and `fleetota redrive --queue telemetry`
 * processes every one once the configuration is fixed.
 */
export class ObjectReadDeniedError extends Error {
  override readonly name = "ObjectReadDeniedError";
  constructor(readonly object: ObjectRef, readonly storedKey: string, options: { cause: unknown }) {
    super(
      `S3 denied the processor's read of s3://${object.bucket}/${storedKey} (${describeVersion(object)}): check its role (s3:GetObject, s3:GetObjectVersion, s3:ListBucket on telemetry/), the bucket policy and the bucket's KMS key; the message is retried, then dead-lettered for a redrive`,
      options,
    );
  }
}

const isAccessDenied = (error: unknown): boolean =>
  (error as { name?: string }).name === "AccessDenied" || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403;

/**
 * What a failed read or copy of the event's object means: S3 says no read of it can succeed (unreadable-object.ts: an
 * archive class, or a 400 such as SSE-C's, judged by code, not wording), the object's fault (parked
 * `object-unreadable`, with S3's code and message); any other 403 an ObjectReadDeniedError (transient, with what to
 * check); every other error as it is.
 */
function readFailure(error: unknown, object: ObjectRef, storedKey: string): unknown {
  const unreadable = unreadableObject(error);
  if (unreadable !== undefined) {
    const stored = unreadable.archived ? "is in an archive storage class (GLACIER, DEEP_ARCHIVE)" : "cannot be read as stored (e.g. encrypted with a key of the uploader's own, SSE-C)";
    return new PermanentFailureError(
      PARKED_REASON.ObjectUnreadable,
      `s3://${object.bucket}/${storedKey} (${describeVersion(object)}) ${stored}: S3 answered ${unreadable.status} ${unreadable.code}: ${unreadable.message}`,
    );
  }
  return isAccessDenied(error) ? new ObjectReadDeniedError(object, storedKey, { cause: error }) : error;
}

/**
 * Runs `read` on the object's key as given and, when S3 has no such key, once more on its URL-decoded
 * form (some event paths encode the key, S3 notification style). An object in neither form is gone, and a
 * key that cannot be decoded can never be found: both are permanent failures.
 */
async function onStoredKey<T>(object: ObjectRef, read: (storedKey: string) => Promise<T>): Promise<T> {
  try {
    return await read(object.key);
  } catch (error) {
    if (!isNoSuchKey(error)) throw error;
  }
  const decoded = decodeEventKey(object.key);
  if (decoded === undefined) throw badObjectKey(object);
  if (decoded === object.key) throw objectMissing(object);
  try {
    return await read(decoded);
  } catch (error) {
    if (isNoSuchKey(error)) throw objectMissing(object);
    throw error;
  }
}

const isPreconditionFailed = (error: unknown): boolean =>
  (error as { name?: string }).name === "PreconditionFailed" || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412;

/** The event named a raw-looking key whose decoded form is another object: the event's object is the raw one. */
const NOT_THE_EVENTS_OBJECT = Symbol("not the event's object");

/**
 * The body of exactly the object version the event names, under `storedKey` (the form of the event key
 * that parsed): by the event's version id when it has one, and always only while its ETag is the event's
 * (If-Match), so an uploader that overwrites its key quickly cannot make this event read the newer body.
 * When `storedKey` is the decoded form, a miss there means the event's object is the raw-looking key itself:
 * a vehicle may upload a raw-looking key (`dt%3D…`) beside the layout key it decodes to, and the event for
 * the raw one must not read the other. Never falls back to another key or version.
 */
async function boundObjectBody(s3: S3Client, object: ObjectRef, storedKey: string): Promise<AsyncIterable<Uint8Array> | typeof NOT_THE_EVENTS_OBJECT> {
  const decoded = storedKey !== object.key;
  try {
    const response = await s3.send(boundGet(object, storedKey));
    return response.Body as AsyncIterable<Uint8Array>;
  } catch (error) {
    if (decoded && (isNoSuchKey(error) || isPreconditionFailed(error))) return NOT_THE_EVENTS_OBJECT;
    if (isNoSuchKey(error)) throw objectMissing(object);
    if (isPreconditionFailed(error)) throw objectReplaced(object);
    throw readFailure(error, object, storedKey);
  }
}

/** A GetObject of exactly the event's object version under `key`: by its version id when it has one, and If-Match its ETag. */
const boundGet = (object: ObjectRef, key: string, range?: string): GetObjectCommand =>
  new GetObjectCommand({
    Bucket: object.bucket,
    Key: key,
    IfMatch: `"${object.etag}"`,
    ...(object.versionId === undefined ? {} : { VersionId: object.versionId }),
    ...(range === undefined ? {} : { Range: range }),
  });

/**
 * Resolves when S3 still holds the event's object version under `key` (a read of its first byte, bound as every read);
 * S3's error as it is otherwise (NoSuchKey, 412, …: the caller judges it). Nothing of a 5 GB body is moved.
 */
async function stillStored(s3: S3Client, object: ObjectRef, key: string): Promise<void> {
  const response = await s3.send(boundGet(object, key, "bytes=0-0"));
  for await (const chunk of (response.Body ?? []) as AsyncIterable<Uint8Array>) void chunk;
}

/**
 * Parks a permanent failure of one message (written once, counted once) and logs it.
 */
async function park(
  dependencies: ProcessorDependencies,
  scope: InvocationScope,
  body: string,
  identity: readonly string[],
  failure: PermanentFailureError,
): Promise<MessageOutcome> {
  const now = dependencies.now ?? Date.now;
  const record = parkedFailure({
    source: PARKED_SOURCE.TelemetryProcessor,
    identity,
    reason: failure.reason,
    detail: failure.message,
    message: body,
    ...(failure.remedy === undefined ? {} : { remedy: failure.remedy }),
    at: new Date(now()),
  });
  const result = await parkFailure(scope.parking, record);
  dependencies.log.warn("message parked: a retry cannot fix it", { reason: record.reason, detail: record.detail, id: record.id, result });
  return MESSAGE_OUTCOME.Parked;
}

/**
 * Handles one telemetry-queue message: claims the object it announces, reads and validates it,
 * quarantines what is bad, hands OTA status reports and campaign candidates to the update queue,
 * and marks the object complete. Adds the outcome to the invocation's aggregate. Throws on transient
 * failures (the message is retried); a corrupt object is quarantined and counts as handled.
 *
 * @example
 * await processTelemetryMessage(record.body, dependencies, scope, { receiveCount: Number(record.attributes.ApproximateReceiveCount) }); // "processed"
 */
export async function processTelemetryMessage(body: string, dependencies: ProcessorDependencies, scope: InvocationScope, delivery: Delivery = { receiveCount: 1 }): Promise<MessageOutcome> {
  let parsed;
  try {
    parsed = parseQueueMessage(body);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    return park(dependencies, scope, body, [body], new PermanentFailureError(PARKED_REASON.NotAnEvent, error.message));
  }
  if (parsed.kind === "ignored") return MESSAGE_OUTCOME.Ignored;
  const object = parsed.object;
  const identity = `${object.bucket}/${object.key}#${object.etag}`;
  const earlier = scope.inFlight.get(identity);
  if (earlier) {
    await earlier; // a failure of the first delivery fails this one too: both are retried
    return countDuplicate(object, dependencies, scope);
  }
  const handling = handleObject(object, body, dependencies, scope, delivery);
  scope.inFlight.set(identity, handling);
  return handling;
}

function countDuplicate(object: ObjectRef, dependencies: ProcessorDependencies, scope: InvocationScope): MessageOutcome {
  dependencies.log.info("duplicate delivery of a processed object", { key: object.key, etag: object.etag });
  scope.aggregate.addDuplicate();
  return MESSAGE_OUTCOME.Duplicate;
}

/**
 * Records the object's outcome in the ledger, then counts it with `counted`; a delivery that lost the race
 * with a concurrent delivery of the same object counts a duplicate instead (idempotency.ts).
 */
async function recordOutcome(
  object: ObjectRef,
  entry: Record<string, number | string>,
  dependencies: ProcessorDependencies,
  scope: InvocationScope,
  now: () => number,
  counted: () => MessageOutcome,
): Promise<MessageOutcome> {
  const ledger: ObjectLedger = { doc: dependencies.doc, table: dependencies.stateTable };
  if ((await completeObject(ledger, object, entry, now())) === COMPLETION.Duplicate) return countDuplicate(object, dependencies, scope);
  return counted();
}

/**
 * Skips an object already processed; otherwise does its work and records it processed. A delivery that
 * fails transiently leaves no record (its redelivery does the work again: every output is idempotent); one
 * that loses the race with a concurrent delivery of the same object counts a duplicate (idempotency.ts).
 */
async function handleObject(object: ObjectRef, body: string, dependencies: ProcessorDependencies, scope: InvocationScope, delivery: Delivery): Promise<MessageOutcome> {
  const now = dependencies.now ?? Date.now;
  const ledger: ObjectLedger = { doc: dependencies.doc, table: dependencies.stateTable };
  const mayFollowAnAttempt = delivery.receiveCount > 1 || now() - object.createdAtMs >= REDRIVEN_AFTER_MS;
  // A first delivery asks only whether the object is completed, as ever; one that may follow an attempt asks what came of it.
  const completed = await completionOf(ledger, object, { withOutcome: mayFollowAnAttempt });
  if (completed) {
    // This message's failed attempt may have written refused lines to quarantine/records before another message of the
    // same object (S3 and EventBridge deliver at least once) completed it refusing none: those lines would stay
    // quarantined while the ledger counts them processed. Rewritten empty, as that completion's own retry would have.
    if (mayFollowAnAttempt && refusedNoLine(completed.outcome)) await writeRejectedRecords(dependencies.s3, dependencies.dataBucket, object, []);
    return countDuplicate(object, dependencies, scope);
  }
  try {
    return await processObject(object, dependencies, scope, now, mayFollowAnAttempt);
  } catch (error) {
    if (!(error instanceof PermanentFailureError)) throw error;
    const outcome = await park(dependencies, scope, body, [object.bucket, object.key, object.etag], error);
    return recordOutcome(object, { parked: error.reason }, dependencies, scope, now, () => outcome);
  }
}

/**
 * Whether a completion's outcome leaves quarantine/records empty: processed refusing no line, or quarantined whole (the
 * object's quarantine holds every line). A completion that refused lines wrote its own file, after any attempt that
 * failed before it; a parked one counted no line processed, so an earlier attempt's refused lines contradict nothing
 * (left, as a parked retry leaves them); an outcome of another shape is left alone.
 */
const refusedNoLine = (outcome: Record<string, unknown> | undefined): boolean => outcome?.rejected === 0 || typeof outcome?.quarantined === "string";

/** What reading an object gave: its readout, or why it is quarantined whole. */
type Judged = { readout: ObjectReadout; corruption?: undefined } | { readout?: undefined; corruption: CorruptObjectError };

async function judge(read: () => Promise<ObjectReadout>): Promise<Judged> {
  try {
    return { readout: await read() };
  } catch (error) {
    if (!(error instanceof CorruptObjectError)) throw error;
    return { corruption: error };
  }
}

/** Lines were refused as not bound: in the readout, or before its refused text passed the limit (quarantined whole). */
const refusedUnbound = (judged: Judged): boolean =>
  Boolean(judged.readout?.refusals[LINE_REFUSAL.UnboundVehicle] || (judged.corruption instanceof TooManyRejectedError && judged.corruption.refusals[LINE_REFUSAL.UnboundVehicle]));

/**
 * A gateway's object judged with a cached copy of its binding (`judgedWith`) that refused records as not bound: a
 * bind since then must not cost the records. When the binding is newer (gatewayVehicles.newerThan, rate limited;
 * a failure to read is thrown), the refused lines are judged again from the readout; an object quarantined whole
 * because its refused text passed the limit (a depot's cars moved to the gateway, then its usual big object) is
 * read once more (its stream is consumed) against the newer copy. Either happens at most once per object and
 * attempt: the newer copy is not asked about again, so a gateway flooding unbound VINs costs at most one more read
 * of an object per change of its binding, and none while the binding is unchanged.
 */
async function againstNewerBinding(
  object: ObjectRef,
  storedKey: string,
  uploader: FleetTelemetryKey,
  judgedWith: ReadonlySet<string>,
  readAtMs: number,
  judged: Judged,
  dependencies: ProcessorDependencies,
  limits: ReadLimits,
): Promise<Judged> {
  if (!refusedUnbound(judged)) return judged;
  const newer = await dependencies.gatewayVehicles.newerThan(uploader.gatewayId, judgedWith);
  if (!newer) return judged;
  const { log } = dependencies;
  if (judged.readout) {
    const readout = rejudgeUnbound(judged.readout, readAtMs, uploader, newer);
    log.info("gateway's binding changed since it was cached: lines refused as not bound judged again", { key: object.key, accepted: readout.accepted - judged.readout.accepted });
    return { readout };
  }
  const body = await boundObjectBody(dependencies.s3, object, storedKey);
  if (body === NOT_THE_EVENTS_OBJECT) return judged; // replaced since the first read: quarantineWhole's If-Match parks it
  const again = await judge(() => readTelemetryObject(body, readAtMs, limits, uploader, newer));
  log.info("gateway's binding changed since it was cached: object refused whole as not bound read again", {
    key: object.key,
    accepted: again.readout?.accepted ?? 0,
    ...(again.corruption ? { corruption: again.corruption.corruption } : {}),
  });
  return again;
}

async function processObject(
  object: ObjectRef,
  dependencies: ProcessorDependencies,
  scope: InvocationScope,
  now: () => number,
  mayFollowAnAttempt: boolean,
): Promise<MessageOutcome> {
  const { s3, log } = dependencies;
  const quarantine = async (why: { corruption: string; message: string }, storedKey?: string): Promise<MessageOutcome> => {
    const key = await quarantineWhole(dependencies, object, why, new Date(now()), storedKey, scope.readPastDeadline);
    log.warn("object quarantined", { source: object.key, quarantine: key, ...why });
    return recordOutcome(object, { quarantined: why.corruption }, dependencies, scope, now, () => {
      scope.aggregate.addQuarantinedObject(now() - object.createdAtMs, why.corruption);
      return MESSAGE_OUTCOME.Quarantined;
    });
  };
  // The key names the uploader (its IAM policy scopes it): outside the layout, nothing in it is trusted.
  const uploader = parseTelemetryEventKey(object.key);
  if (!uploader.ok) return quarantine({ corruption: uploader.violation, message: uploader.message });
  let corruption: CorruptObjectError | undefined;
  let readout: ObjectReadout | undefined;
  if (object.size > MAX_OBJECT_BYTES) {
    corruption = new CorruptObjectError(CORRUPTION.TooLarge, `object is ${object.size} bytes, more than ${MAX_OBJECT_BYTES}`);
  } else {
    // A gateway's records count only for the VINs bound to it; a failure to read them is transient (thrown),
    // and read before the body so a failure leaves no open stream.
    const boundVins = uploader.key.kind === UPLOADER_KIND.Fleet ? await dependencies.gatewayVehicles.vehiclesOf(uploader.key.gatewayId) : undefined;
    const body = await boundObjectBody(s3, object, uploader.storedKey);
    if (body === NOT_THE_EVENTS_OBJECT) {
      // The event's object is the raw-looking key itself, which is outside the layout.
      const asGiven = tryParseTelemetryKey(object.key);
      const why = asGiven.ok ? { corruption: KEY_VIOLATION.Segments, message: "the key only parses decoded" } : { corruption: asGiven.violation, message: asGiven.message };
      return quarantine(why, object.key);
    }
    const readAtMs = now();
    const limits: ReadLimits = {
      ...recordsFileLimits(object, dependencies.limits ?? DEFAULT_READ_LIMITS),
      ...(scope.readPastDeadline === undefined ? {} : { pastDeadline: scope.readPastDeadline }),
    };
    let judged = await judge(() => readTelemetryObject(body, readAtMs, limits, uploader.key, boundVins));
    if (uploader.key.kind === UPLOADER_KIND.Fleet) judged = await againstNewerBinding(object, uploader.storedKey, uploader.key, boundVins!, readAtMs, judged, dependencies, limits);
    ({ readout, corruption } = judged);
  }
  // quarantine/records holds the lines refused by the judgement the ledger records: an earlier attempt may have written
  // others (its binding was older) and failed before the ledger did, so a delivery that may follow one writes the
  // file whatever it refused (empty when nothing); a first delivery writes it only when it refused lines.
  if (corruption || !readout) {
    if (mayFollowAnAttempt) await writeRejectedRecords(s3, dependencies.dataBucket, object, []);
    return quarantine({ corruption: corruption!.corruption, message: corruption!.message }, uploader.storedKey);
  }
  if (readout.rejected.length > 0 || mayFollowAnAttempt) await writeRejectedRecords(s3, dependencies.dataBucket, object, readout.rejected);
  // The update side hears a vehicle's own word only: status reports and campaign candidates come from a vehicle's
  // own object, for its VIN (the key's, not the body's); a gateway's object feeds fleet state and metrics alone.
  // Only reports that can still apply go on the update queue, which the whole fleet shares (report-screen.ts).
  const ownVin = reportingVin(uploader.key);
  const campaigns = ownVin !== undefined && readout.accepted > 0 ? await scope.campaigns.knowing(reportedCampaignIds(readout.otaRecords, ownVin)) : NO_CAMPAIGNS;
  // Screened before the bound, what is kept is within it (nothing withheld).
  const { reports, heldBack } = ownVin === undefined ? { reports: [], heldBack: {} } : statusReportsOf(readout.otaRecords, ownVin, campaigns.ids);
  const heldBackCount = heldBackTotal(heldBack);
  if (heldBackCount > 0) log.warn("status reports held back: none of them could apply, or more than any agent makes", { key: object.key, sent: reports.length, heldBack });
  const candidates = ownVin !== undefined && readout.accepted > 0 ? candidatesOf(readout.latest, ownVin, campaigns.running) : [];
  await sendUpdateMessages(dependencies.sqs, dependencies.updateQueueUrl, [...reports, ...candidates]);
  const outcome = {
    accepted: readout.accepted,
    rejected: readout.rejected.length,
    statusReports: reports.length,
    candidates: candidates.length,
    ...(heldBackCount > 0 ? { statusReportsHeldBack: heldBackCount } : {}),
  };
  return recordOutcome(object, outcome, dependencies, scope, now, () => {
    scope.aggregate.addObject(readout, now() - object.createdAtMs);
    scope.reportsHeldBack.add(heldBack);
    log.debug("object processed", { key: object.key, accepted: readout.accepted, rejected: readout.rejected.length, refusals: readout.refusals });
    return MESSAGE_OUTCOME.Processed;
  });
}

/**
 * After the messages: one fleet-state part and the invocation's metrics, once, as embedded-metric-format
 * log lines (lib/emf-metrics.ts: CloudWatch Logs extracts them; no PutMetricData request). Both are best
 * effort (the objects are already complete): a failure is logged, not retried.
 *
 * @example
 * await publishInvocation(aggregate, dependencies, context.awsRequestId);
 */
export async function publishInvocation(
  aggregate: InvocationAggregate,
  dependencies: ProcessorDependencies,
  invocationId: string,
  parked?: ParkedTally,
  reportsHeldBack?: HeldBackTally,
): Promise<void> {
  const { log } = dependencies;
  const at = new Date((dependencies.now ?? Date.now)());
  const vehicles = aggregate.fleetVehicles();
  if (aggregate.fleetEntriesOverCap > 0) {
    log.warn("fleet-state part full: new VINs of gateway objects left out (their records still count)", { left: aggregate.fleetEntriesOverCap, kept: vehicles.length });
  }
  const fleetState =
    vehicles.length > 0
      ? writeFleetStatePart(dependencies.s3, dependencies.dataBucket, vehicles, at, invocationId).catch((error: unknown) =>
          log.error("fleet state not written", { error, vehicles: vehicles.length }),
        )
      : undefined;
  const touchedAnything = aggregate.objectsProcessed + aggregate.objectsQuarantined + aggregate.duplicateObjects + aggregate.deferredMessages + (parked?.total ?? 0) + (reportsHeldBack?.total ?? 0) > 0;
  if (touchedAnything) {
    const metricData = [...aggregate.metricData(at), ...(parked?.metricData(at) ?? []), ...(reportsHeldBack?.metricData(at) ?? [])];
    try {
      writeEmfMetrics(metricData, { namespace: dependencies.metricsNamespace, log, write: dependencies.metricsOut });
    } catch (error) {
      log.error("metrics not published", { error });
    }
  }
  await fleetState;
}
