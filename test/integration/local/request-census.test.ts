/**
 * The front door counts what passes it without changing it: a transaction still commits, and the
 * census holds its request and the capacity units it consumes, by caller.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { LOCAL_PRINCIPAL_KEY } from "../../../local/request-census.js";
import { startTestEmulator, type TestEmulator } from "../support/local-cloud.js";

const TABLE = "census";
let world: TestEmulator;

test.before(async () => {
  world = await startTestEmulator();
  await world.clients.dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }),
  );
});

test.after(async () => {
  await world?.stop();
});

test("a function's three-item transaction commits and is counted as one request of six write units", async () => {
  world.census.reset();
  const asFunction = new DynamoDBClient({
    ...world.clientConfig,
    credentials: { ...world.clientConfig.credentials, accessKeyId: `${LOCAL_PRINCIPAL_KEY.functionPrefix}fleetota-dev-update-manager` },
  });
  const put = (pk: string) => ({ Put: { TableName: TABLE, Item: { pk: { S: pk } } } });
  await asFunction.send(new TransactWriteItemsCommand({ TransactItems: [put("a"), put("b"), put("c")] }));
  const read = await world.clients.dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "b" } }, ConsistentRead: true }));
  asFunction.destroy();

  assert.is(read.Item?.pk?.S, "b");
  const { requests, dynamoDbUnits } = world.census.snapshot();
  assert.is(requests["function:fleetota-dev-update-manager dynamodb:TransactWriteItems"], 1);
  assert.is(requests["operator dynamodb:GetItem"], 1);
  assert.equal(dynamoDbUnits["function:fleetota-dev-update-manager"], { write: 6, read: 0 });
  assert.equal(dynamoDbUnits.operator, { write: 0, read: 1 });
});

test.run();
