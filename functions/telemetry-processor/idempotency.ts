import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ObjectRef } from "../../contracts/telemetry-events.js";

/**
 * Once-in-effect processing of an object version, keyed on its identity (bucket/key + etag) in the
 * state table: `pk = OBJECT#<bucket>/<key>`, `sk = <etag>`. A claim is a lease; it becomes COMPLETED
 * only after every output of the object is written, so a crash mid-way lets a redelivery redo the
 * work, and a completed object redelivered is skipped and counted as a duplicate.
 */
export const OBJECT_STATUS = { InProgress: "IN_PROGRESS", Completed: "COMPLETED" } as const;

/** Markers stay long enough to outlive every redelivery path (S3, EventBridge retries, SQS, DLQ redrive). */
export const OBJECT_MARKER_TTL_SECONDS = 30 * 86_400;

export const CLAIM = { Claimed: "claimed", Completed: "completed" } as const;
export type ClaimResult = (typeof CLAIM)[keyof typeof CLAIM];

/** Another invocation holds an unexpired lease on the object: retry the message later. */
export class ObjectBusyError extends Error {
  override readonly name = "ObjectBusyError";
  constructor(readonly object: ObjectRef) {
    super(`s3://${object.bucket}/${object.key} (${object.etag}) is being processed by another invocation`);
  }
}

export interface ObjectLedger {
  doc: DynamoDBDocumentClient;
  table: string;
}

/** Partition-key prefix of the object markers; the stack's IAM condition (dynamodb:LeadingKeys) uses it too. */
export const OBJECT_PK_PREFIX = "OBJECT#";
const keyOf = (object: ObjectRef) => ({ pk: `${OBJECT_PK_PREFIX}${object.bucket}/${object.key}`, sk: object.etag });

/**
 * Claims the object for `leaseMs`. Returns `completed` when it was already processed; throws
 * ObjectBusyError when someone else's lease is still running.
 *
 * @example
 * if ((await claimObject(ledger, object, Date.now(), 60_000)) === "completed") aggregate.addDuplicate();
 */
export async function claimObject(ledger: ObjectLedger, object: ObjectRef, nowMs: number, leaseMs: number): Promise<ClaimResult> {
  try {
    await ledger.doc.send(
      new PutCommand({
        TableName: ledger.table,
        Item: {
          ...keyOf(object),
          status: OBJECT_STATUS.InProgress,
          leaseUntil: nowMs + leaseMs,
          expiresAt: Math.floor(nowMs / 1000) + OBJECT_MARKER_TTL_SECONDS,
        },
        ConditionExpression: "attribute_not_exists(pk) OR (#status = :inProgress AND leaseUntil < :now)",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":inProgress": OBJECT_STATUS.InProgress, ":now": nowMs },
      }),
    );
    return CLAIM.Claimed;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const existing = await ledger.doc.send(new GetCommand({ TableName: ledger.table, Key: keyOf(object), ConsistentRead: true }));
  if (existing.Item?.status === OBJECT_STATUS.Completed) return CLAIM.Completed;
  throw new ObjectBusyError(object);
}

/**
 * Marks the object processed, with what came of it.
 *
 * @example
 * await completeObject(ledger, object, { accepted: 498, rejected: 2 }, Date.now());
 */
export async function completeObject(ledger: ObjectLedger, object: ObjectRef, outcome: Record<string, number | string>, nowMs: number): Promise<void> {
  await ledger.doc.send(
    new UpdateCommand({
      TableName: ledger.table,
      Key: keyOf(object),
      UpdateExpression: "SET #status = :completed, completedAt = :at, outcome = :outcome REMOVE leaseUntil",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":completed": OBJECT_STATUS.Completed, ":at": new Date(nowMs).toISOString(), ":outcome": outcome },
    }),
  );
}

/**
 * Gives a claim back after a failure, so the redelivery does not wait for the lease to run out.
 *
 * @example
 * await releaseObject(ledger, object);
 */
export async function releaseObject(ledger: ObjectLedger, object: ObjectRef): Promise<void> {
  await ledger.doc.send(
    new DeleteCommand({
      TableName: ledger.table,
      Key: keyOf(object),
      ConditionExpression: "#status = :inProgress",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":inProgress": OBJECT_STATUS.InProgress },
    }),
  );
}
