/**
 * How the DynamoDB store's admission reads a cancelled transaction (campaigns/store/jobs.ts): each part's
 * ConditionalCheckFailed names one typed error, in the order job, wave, target; a cancellation for any other
 * reason (a conflicting transaction, throttling) is no decision and is rethrown as it came, so the message
 * fails and is redelivered instead of a vehicle being taken for "not waiting". The conditions themselves run
 * against the emulator in the store contract (test/integration/campaigns/store/dynamo.test.ts).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { dynamoJobRecords } from "../../../../campaigns/store/jobs.js";
import { NotWaitingError, StaleJobError, TargetExistsError, WaveClosedError } from "../../../../campaigns/store/index.js";
import { job, vehicle } from "../support/factories.js";

type Code = "None" | "ConditionalCheckFailed" | "TransactionConflict" | "ThrottlingError";

/** Job records on a client whose every transaction is cancelled with these reasons (job, wave, target). */
function cancelledWith(...codes: Code[]) {
  const cancellation = new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(", ")}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
  const doc = { send: async () => Promise.reject(cancellation) } as unknown as DynamoDBDocumentClient;
  return { records: dynamoJobRecords({ doc, table: "state" }), cancellation };
}

async function admitError(codes: Code[], firstSighting: boolean): Promise<unknown> {
  const { records } = cancelledWith(...codes);
  return records.admit(job(), { capacity: 5, ...(firstSighting ? { firstSighting: vehicle() } : {}) }).then(
    () => assert.unreachable("admitted"),
    (error: unknown) => error,
  );
}

test("a waiting admission whose target condition failed is NotWaitingError; a first sighting's is TargetExistsError", async () => {
  assert.instance(await admitError(["None", "None", "ConditionalCheckFailed"], false), NotWaitingError);
  assert.instance(await admitError(["None", "None", "ConditionalCheckFailed"], true), TargetExistsError);
});

test("the job's and the wave's failures come first: an admitted vehicle is StaleJobError, a closed wave WaveClosedError", async () => {
  assert.instance(await admitError(["ConditionalCheckFailed", "None", "ConditionalCheckFailed"], false), StaleJobError);
  assert.instance(await admitError(["None", "ConditionalCheckFailed", "ConditionalCheckFailed"], false), WaveClosedError);
});

test("a cancellation for another reason is rethrown as it came, never taken for a vehicle not waiting", async () => {
  for (const code of ["TransactionConflict", "ThrottlingError"] as const) {
    const { records, cancellation } = cancelledWith("None", "None", code);
    const error = await records.admit(job(), { capacity: 5 }).then(() => undefined, (caught: unknown) => caught);
    assert.is(error, cancellation, code);
  }
});

test("a retry taken (FAILED -> QUEUED, a new attempt) written on the campaign-not-ended condition is still one TransactWriteItems of the job Put and the campaign Update: the condition rides on that Update, no request or part more", async () => {
  const sent: Array<{ name: string; input: { TransactItems?: Array<{ Update?: { ConditionExpression?: string } }> } }> = [];
  const doc = { send: async (command: { constructor: { name: string }; input: never }) => void sent.push({ name: command.constructor.name, input: command.input }) } as unknown as DynamoDBDocumentClient;
  const records = dynamoJobRecords({ doc, table: "state" });
  const failed = job({ state: "FAILED", nextRetryAt: "2026-11-26T18:00:00.000Z" });
  const { nextRetryAt: _taken, ...retried } = { ...failed, state: "QUEUED" as const, attempt: 2 };
  await records.saveTransition(failed, retried);
  await records.saveTransition(failed, retried, { whileNotEnded: true });
  assert.equal(sent.map(({ name }) => name), ["TransactWriteCommand", "TransactWriteCommand"]);
  assert.equal(sent.map(({ input }) => input.TransactItems?.length), [2, 2]);
  assert.is(sent[0]!.input.TransactItems![1]!.Update!.ConditionExpression, undefined);
  assert.match(sent[1]!.input.TransactItems![1]!.Update!.ConditionExpression ?? "", /^#state IN \(/);
});

test.run();
