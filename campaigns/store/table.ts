import {
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";

/** The DynamoDB table the DynamoDB store writes to, and the client it uses. */
export interface StateTable {
  doc: DynamoDBDocumentClient;
  table: string;
}

/** One part of a TransactWriteItems call. */
export type TransactPart = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

/**
 * Writes the named parts in one transaction, in the order given (a part given as `undefined` is left out).
 * Resolves to the names of the parts whose condition failed (empty when the transaction applied), so a
 * caller maps a cancellation by name, never by position. A cancellation for any other reason
 * (a conflicting transaction, throttling) is rethrown as it came.
 */
export async function transact<Part extends string>(
  db: StateTable,
  parts: Record<Part, TransactPart | undefined>,
): Promise<ReadonlySet<Part>> {
  const included = (Object.entries(parts) as Array<[Part, TransactPart | undefined]>).filter(
    (entry): entry is [Part, TransactPart] => entry[1] !== undefined,
  );
  try {
    await db.doc.send(new TransactWriteCommand({ TransactItems: included.map(([, part]) => part) }));
    return new Set();
  } catch (error) {
    if ((error as { name?: string }).name !== "TransactionCanceledException") throw error;
    const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
    const failed = new Set(included.filter((_, index) => reasons[index]?.Code === "ConditionalCheckFailed").map(([name]) => name));
    if (failed.size === 0) throw error;
    return failed;
  }
}

/** Runs a single conditional write; false when its condition failed. */
export async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}

/** Every item a query returns, following pages, up to `limit`. */
export async function queryAll(
  db: StateTable,
  input: Omit<QueryCommandInput, "TableName" | "ExclusiveStartKey">,
  limit = Number.POSITIVE_INFINITY,
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const response = await db.doc.send(new QueryCommand({ ...input, TableName: db.table, ExclusiveStartKey: startKey }));
    items.push(...(response.Items ?? []));
    startKey = response.LastEvaluatedKey;
  } while (startKey && items.length < limit);
  return items.slice(0, limit);
}

export function stripUndefined<T extends Record<string, unknown>>(item: T): T {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined)) as T;
}
