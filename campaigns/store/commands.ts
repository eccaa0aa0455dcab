import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { CommandRecords } from "./campaign-store.js";
import { COMMAND_MARK_RETENTION_DAYS, commandKey, expiresAt } from "./keys.js";
import type { StateTable, TransactPart } from "./table.js";

/** Processed-command marks: one item per idempotency key, kept two weeks (TTL). */
export function dynamoCommandRecords(db: StateTable): CommandRecords {
  return {
    async isProcessed(idempotencyKey) {
      const response = await db.doc.send(new GetCommand({ TableName: db.table, Key: commandKey(idempotencyKey), ConsistentRead: true }));
      return response.Item !== undefined;
    },
  };
}

/** The transaction part that marks a command processed, failing when it already was. */
export function commandMarkPart(db: StateTable, idempotencyKey: string, now: string): TransactPart {
  return {
    Put: {
      TableName: db.table,
      Item: { ...commandKey(idempotencyKey), type: "command", processedAt: now, expiresAt: expiresAt(now, COMMAND_MARK_RETENTION_DAYS) },
      ConditionExpression: "attribute_not_exists(pk)",
    },
  };
}
