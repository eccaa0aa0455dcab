import { randomUUID } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ObjectRef } from "../../contracts/telemetry-events.js";

/**
 * Once-in-effect processing of an object version, keyed on its identity (bucket/key + etag) in the
 * state table: `pk = OBJECT#<bucket>/<key>`, `sk = <etag>`. One item an object, written once, when every
 * output of the object is written: the first delivery to write it counts the object; any later or
 * concurrent delivery finds it there and counts a duplicate. Every output before it is idempotent (keys
 * named by the object's identity, update messages taken once by job id and sequence), so a delivery that
 * crashed before it, or lost the race to it, leaves nothing twice.
 *
 * Why no claim before the work (the ledger had a lease item, then a completion update: 2 write units an
 * object): the claim kept two concurrent deliveries from both doing the work, which only happens when S3,
 * EventBridge or SQS deliver the same object twice at the same moment, and both doing it is harmless here.
 * Now an object costs one read (eventually consistent, 0.5 read unit: a completed object is skipped
 * without reading it again) and one conditional write (1 write unit).
 */
export const OBJECT_STATUS = { Completed: "COMPLETED" } as const;

/** Markers stay long enough to outlive every redelivery path (S3, EventBridge retries, SQS, DLQ redrive). */
export const OBJECT_MARKER_TTL_SECONDS = 30 * 86_400;

export const COMPLETION = { First: "first", Duplicate: "duplicate" } as const;
export type Completion = (typeof COMPLETION)[keyof typeof COMPLETION];

export interface ObjectLedger {
  doc: DynamoDBDocumentClient;
  table: string;
}

/** Partition-key prefix of the object markers; the stack's IAM condition (dynamodb:LeadingKeys) uses it too. */
export const OBJECT_PK_PREFIX = "OBJECT#";
const keyOf = (object: ObjectRef) => ({ pk: `${OBJECT_PK_PREFIX}${object.bucket}/${object.key}`, sk: object.etag });

/**
 * The object's completion as recorded (undefined while it is not completed). Eventually consistent (half the price
 * of a consistent read): a completion it misses is caught by `completeObject`'s condition. Only a COMPLETED item
 * counts: an IN_PROGRESS claim left by the previous ledger (a lease whose holder died) is work never done, not a
 * duplicate. With `withOutcome`, what the counted delivery recorded comes back too (`completeObject`'s outcome):
 * still the one GetItem at the same read units (DynamoDB charges a read by the item's size, not by what the
 * projection returns); without it the request is the status alone.
 *
 * @example
 * if (await completionOf(ledger, object)) aggregate.addDuplicate();
 * const completed = await completionOf(ledger, object, { withOutcome: true }); // completed?.outcome?.rejected
 */
export async function completionOf(ledger: ObjectLedger, object: ObjectRef, options: { withOutcome?: boolean } = {}): Promise<{ outcome?: Record<string, unknown> } | undefined> {
  const existing = await ledger.doc.send(
    new GetCommand({
      TableName: ledger.table,
      Key: keyOf(object),
      ...(options.withOutcome
        ? { ProjectionExpression: "#status, #outcome", ExpressionAttributeNames: { "#status": "status", "#outcome": "outcome" } }
        : { ProjectionExpression: "#status", ExpressionAttributeNames: { "#status": "status" } }),
    }),
  );
  if (existing.Item?.status !== OBJECT_STATUS.Completed) return undefined;
  return options.withOutcome ? { outcome: existing.Item.outcome as Record<string, unknown> | undefined } : {};
}

/**
 * Records the object processed, with what came of it, unless a delivery already did: returns `first` for
 * the delivery that counts, `duplicate` for any other (its outputs were the same; it counts nothing).
 * The item carries this call's own token: when the SDK retries a put whose answer was lost after it was
 * written, the retry's failed condition returns the stored item (ALL_OLD), and our token there means the
 * object is ours, not a duplicate.
 *
 * @example
 * if ((await completeObject(ledger, object, { accepted: 498, rejected: 2 }, Date.now())) === "first") aggregate.addObject(readout, lag);
 */
export async function completeObject(ledger: ObjectLedger, object: ObjectRef, outcome: Record<string, number | string>, nowMs: number): Promise<Completion> {
  const delivery = randomUUID();
  try {
    await ledger.doc.send(
      new PutCommand({
        TableName: ledger.table,
        Item: {
          ...keyOf(object),
          status: OBJECT_STATUS.Completed,
          completedAt: new Date(nowMs).toISOString(),
          outcome,
          delivery,
          expiresAt: Math.floor(nowMs / 1000) + OBJECT_MARKER_TTL_SECONDS,
        },
        ConditionExpression: "attribute_not_exists(pk) OR #status <> :completed",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":completed": OBJECT_STATUS.Completed },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    return COMPLETION.First;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // The stored item comes back in DynamoDB's own attribute format (the document client does not unmarshall errors).
    return error.Item?.delivery?.S === delivery ? COMPLETION.First : COMPLETION.Duplicate;
  }
}
