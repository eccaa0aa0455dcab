/**
 * The front door counts what passes it without changing it: a transaction still commits, and the
 * census holds its request and the capacity units it consumes, by caller.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
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
  const { requests, units } = world.census.snapshot();
  assert.is(requests["function:fleetota-dev-update-manager dynamodb:TransactWriteItems"], 1);
  assert.is(requests["operator dynamodb:GetItem"], 1);
  assert.equal(units["function:fleetota-dev-update-manager"], { write: 6, read: 0, metrics: 0 });
  assert.equal(units.operator, { write: 0, read: 1, metrics: 0 });
});

test("a GetMetricData request is counted by the metrics it asks for", async () => {
  world.census.reset();
  const stat = (id: string, name: string) => ({ Id: id, MetricStat: { Metric: { Namespace: "FleetOTA", MetricName: name }, Period: 60, Stat: "Sum" } });
  await world.clients.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(Date.now() - 600_000),
      EndTime: new Date(),
      MetricDataQueries: [stat("a", "Telemetry/DataPoints"), stat("b", "Telemetry/RecordsRejected")],
    }),
  );
  const { requests, units } = world.census.snapshot();
  assert.is(requests["operator monitoring:GetMetricData"], 1);
  assert.is(units.operator?.metrics, 2);
});

test.run();
