import { GetObjectCommand, NoSuchKey, type S3Client } from "@aws-sdk/client-s3";
import { PutMetricDataCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { CampaignDefinition } from "../../campaigns/model.js";
import type { Log } from "../../lib/logger.js";
import { InvocationAggregate } from "../../telemetry/aggregate.js";
import { readTelemetryObject } from "../../telemetry/core.js";
import { CORRUPTION, CorruptObjectError, DEFAULT_DECODE_LIMITS, type DecodeLimits } from "../../telemetry/decode.js";
import { parseQueueMessage, type ObjectRef } from "./events.js";
import { writeFleetStatePart } from "../../telemetry/fleet-state.js";
import { CLAIM, claimObject, completeObject, ObjectBusyError, releaseObject, type ClaimResult, type ObjectLedger } from "./idempotency.js";
import { quarantineObject, writeRejectedRecords } from "./quarantine.js";
import { candidatesOf, sendUpdateMessages, statusReportsOf } from "./update-handoff.js";

/** Compressed objects larger than this are quarantined unread. */
export const MAX_OBJECT_BYTES = 256 * 1024 * 1024;

export interface ProcessorDependencies {
  s3: S3Client;
  sqs: SQSClient;
  cloudWatch: CloudWatchClient;
  doc: DynamoDBDocumentClient;
  dataBucket: string;
  stateTable: string;
  updateQueueUrl: string;
  metricsNamespace: string;
  log: Log;
  now?: () => number;
  limits?: DecodeLimits;
}

/** What one invocation works with besides its dependencies. */
export interface InvocationScope {
  aggregate: InvocationAggregate;
  /** Loaded once per invocation, on first need. */
  activeCampaigns: () => Promise<CampaignDefinition[]>;
  /** How long a claim on an object lasts: the invocation's remaining time. */
  leaseMs: number;
  /** How long to wait for another invocation's claim on the same object to finish before giving up. */
  busyWaitMs: number;
  /** Objects this invocation is already handling, by identity: a second delivery in the same batch waits for the first. */
  inFlight: Map<string, Promise<MessageOutcome>>;
}

const BUSY_POLL_MS = 500;

export const MESSAGE_OUTCOME = {
  Processed: "processed",
  Quarantined: "quarantined",
  Duplicate: "duplicate",
  Ignored: "ignored",
} as const;
export type MessageOutcome = (typeof MESSAGE_OUTCOME)[keyof typeof MESSAGE_OUTCOME];

/**
 * A per-invocation cache of the running campaigns (one query, and only when a record needs it).
 *
 * @example
 * const activeCampaigns = lazyOnce(() => loadActiveCampaigns(store.campaigns)); // one query, on first call
 */
export function lazyOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= load());
}

async function objectBody(s3: S3Client, object: ObjectRef): Promise<AsyncIterable<Uint8Array>> {
  const get = (Key: string) => s3.send(new GetObjectCommand({ Bucket: object.bucket, Key }));
  try {
    return (await get(object.key)).Body as AsyncIterable<Uint8Array>;
  } catch (error) {
    // Some event paths URL-encode the key (S3 notification style); try the decoded form once.
    const decoded = decodeURIComponent(object.key.replaceAll("+", " "));
    if (error instanceof NoSuchKey && decoded !== object.key) return (await get(decoded)).Body as AsyncIterable<Uint8Array>;
    throw error;
  }
}

/**
 * Handles one telemetry-queue message: claims the object it announces, reads and validates it,
 * quarantines what is bad, hands OTA status reports and campaign candidates to the update queue,
 * and marks the object complete. Adds the outcome to the invocation's aggregate. Throws on transient
 * failures (the message is retried); a corrupt object is quarantined and counts as handled.
 *
 * @example
 * await processTelemetryMessage(record.body, dependencies, scope); // "processed"
 */
export async function processTelemetryMessage(body: string, dependencies: ProcessorDependencies, scope: InvocationScope): Promise<MessageOutcome> {
  const parsed = parseQueueMessage(body);
  if (parsed.kind === "ignored") return MESSAGE_OUTCOME.Ignored;
  const object = parsed.object;
  const identity = `${object.bucket}/${object.key}#${object.etag}`;
  const earlier = scope.inFlight.get(identity);
  if (earlier) {
    await earlier; // a failure of the first delivery fails this one too: both are retried
    return countDuplicate(object, dependencies, scope);
  }
  const handling = handleObject(object, dependencies, scope);
  scope.inFlight.set(identity, handling);
  return handling;
}

function countDuplicate(object: ObjectRef, dependencies: ProcessorDependencies, scope: InvocationScope): MessageOutcome {
  dependencies.log.info("duplicate delivery of a processed object", { key: object.key, etag: object.etag });
  scope.aggregate.addDuplicate();
  return MESSAGE_OUTCOME.Duplicate;
}

/** Claims the object, waiting a while when another invocation holds it (concurrent duplicate delivery). */
async function claimPatiently(ledger: ObjectLedger, object: ObjectRef, scope: InvocationScope, now: () => number): Promise<ClaimResult> {
  const deadline = now() + scope.busyWaitMs;
  for (;;) {
    try {
      return await claimObject(ledger, object, now(), scope.leaseMs);
    } catch (error) {
      if (!(error instanceof ObjectBusyError) || now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, BUSY_POLL_MS));
    }
  }
}

async function handleObject(object: ObjectRef, dependencies: ProcessorDependencies, scope: InvocationScope): Promise<MessageOutcome> {
  const now = dependencies.now ?? Date.now;
  const ledger: ObjectLedger = { doc: dependencies.doc, table: dependencies.stateTable };
  if ((await claimPatiently(ledger, object, scope, now)) === CLAIM.Completed) return countDuplicate(object, dependencies, scope);
  try {
    return await processClaimedObject(object, dependencies, scope, now);
  } catch (error) {
    await releaseObject(ledger, object).catch((releaseError: unknown) =>
      dependencies.log.warn("could not release claim", { key: object.key, releaseError }),
    );
    throw error;
  }
}

async function processClaimedObject(
  object: ObjectRef,
  dependencies: ProcessorDependencies,
  scope: InvocationScope,
  now: () => number,
): Promise<MessageOutcome> {
  const { s3, log } = dependencies;
  const ledger: ObjectLedger = { doc: dependencies.doc, table: dependencies.stateTable };
  let corruption: CorruptObjectError | undefined;
  let readout;
  if (object.size > MAX_OBJECT_BYTES) {
    corruption = new CorruptObjectError(CORRUPTION.TooLarge, `object is ${object.size} bytes, more than ${MAX_OBJECT_BYTES}`);
  } else {
    try {
      readout = await readTelemetryObject(await objectBody(s3, object), now(), dependencies.limits ?? DEFAULT_DECODE_LIMITS);
    } catch (error) {
      if (!(error instanceof CorruptObjectError)) throw error;
      corruption = error;
    }
  }
  if (corruption || !readout) {
    const why = { corruption: corruption!.corruption, message: corruption!.message };
    const key = await quarantineObject(s3, dependencies.dataBucket, object, why, new Date(now()));
    log.warn("object quarantined", { source: object.key, quarantine: key, ...why });
    await completeObject(ledger, object, { quarantined: why.corruption }, now());
    scope.aggregate.addQuarantinedObject(now() - object.createdAtMs);
    return MESSAGE_OUTCOME.Quarantined;
  }
  if (readout.rejected.length > 0) await writeRejectedRecords(s3, dependencies.dataBucket, object, readout.rejected);
  const reports = statusReportsOf(readout.accepted);
  const candidates = readout.accepted.length > 0 ? candidatesOf(readout.accepted, await scope.activeCampaigns()) : [];
  await sendUpdateMessages(dependencies.sqs, dependencies.updateQueueUrl, [...reports, ...candidates]);
  await completeObject(ledger, object, { accepted: readout.accepted.length, rejected: readout.rejected.length, statusReports: reports.length, candidates: candidates.length }, now());
  scope.aggregate.addObject(readout, now() - object.createdAtMs);
  log.debug("object processed", { key: object.key, accepted: readout.accepted.length, rejected: readout.rejected.length });
  return MESSAGE_OUTCOME.Processed;
}

/**
 * After the messages: one fleet-state part and one PutMetricData call for the whole invocation.
 * Both are best effort (the objects are already complete): a failure is logged, not retried.
 *
 * @example
 * await publishInvocation(aggregate, dependencies, context.awsRequestId);
 */
export async function publishInvocation(aggregate: InvocationAggregate, dependencies: ProcessorDependencies, invocationId: string): Promise<void> {
  const { log } = dependencies;
  const at = new Date((dependencies.now ?? Date.now)());
  const vehicles = aggregate.fleetVehicles();
  const work: Array<Promise<unknown>> = [];
  if (vehicles.length > 0) {
    work.push(
      writeFleetStatePart(dependencies.s3, dependencies.dataBucket, vehicles, at, invocationId).catch((error: unknown) =>
        log.error("fleet state not written", { error, vehicles: vehicles.length }),
      ),
    );
  }
  const touchedAnything = aggregate.objectsProcessed + aggregate.objectsQuarantined + aggregate.duplicateObjects > 0;
  if (touchedAnything) {
    work.push(
      dependencies.cloudWatch
        .send(new PutMetricDataCommand({ Namespace: dependencies.metricsNamespace, MetricData: aggregate.metricData(at) }))
        .catch((error: unknown) => log.error("metrics not published", { error })),
    );
  }
  await Promise.all(work);
}
