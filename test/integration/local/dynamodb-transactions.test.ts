/**
 * The emulator's DynamoDB compensations (local/emulator-patches/serve.py) replace moto's whole-table
 * rollback copy with item backups and a lock: these keep the semantics moto and AWS share — a cancelled
 * transaction rolls back exactly what it touched; concurrent transactions are each applied once.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CreateTableCommand, DynamoDBClient, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, ScanCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { LOCAL_CREDENTIALS } from "../../../local/apply/context.js";
import { startEmulator, type Emulator } from "../../../local/emulator.js";

const TABLE = "transactions";
let emulator: Emulator;
let doc: DynamoDBDocumentClient;

test.before(async () => {
  emulator = await startEmulator();
  const client = new DynamoDBClient({ endpoint: emulator.endpoint, region: "eu-central-1", credentials: LOCAL_CREDENTIALS });
  doc = DynamoDBDocumentClient.from(client);
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }),
  );
});

test.after(async () => {
  doc.destroy();
  await emulator.stop();
});

function counterUpdate(pk: string) {
  return { Update: { TableName: TABLE, Key: { pk }, UpdateExpression: "ADD n :one", ExpressionAttributeValues: { ":one": 1 } } };
}

function putIfAbsent(pk: string) {
  return { Put: { TableName: TABLE, Item: { pk, created: true }, ConditionExpression: "attribute_not_exists(pk)" } };
}

async function counter(pk: string): Promise<number | undefined> {
  const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk }, ConsistentRead: true }));
  return Item?.n as number | undefined;
}

test("a cancelled transaction undoes its earlier writes and creates nothing", async () => {
  await doc.send(new TransactWriteCommand({ TransactItems: [counterUpdate("rollback-counter"), putIfAbsent("existing")] }));
  assert.is(await counter("rollback-counter"), 1);

  const attempt = doc.send(
    new TransactWriteCommand({ TransactItems: [counterUpdate("rollback-counter"), putIfAbsent("fresh"), putIfAbsent("existing")] }),
  );

  const error = await attempt.then(() => undefined, (caught: unknown) => caught);
  assert.instance(error, TransactionCanceledException);
  assert.is(await counter("rollback-counter"), 1);
  const { Item } = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: "fresh" } }));
  assert.is(Item, undefined);
});

test("concurrent transactions sent straight to moto are each applied exactly once", async () => {
  const writers = 16;

  const results = await Promise.allSettled(
    Array.from({ length: writers }, (_, index) =>
      doc.send(new TransactWriteCommand({ TransactItems: [counterUpdate("shared-counter"), putIfAbsent(`writer-${index}`)] })),
    ),
  );

  assert.equal(results.filter((result) => result.status === "rejected"), []);
  assert.is(await counter("shared-counter"), writers);
  const { Items = [] } = await doc.send(new ScanCommand({ TableName: TABLE }));
  assert.is(Items.filter((item) => String(item.pk).startsWith("writer-")).length, writers);
});

test.run();
