/**
 * The proxy sends DynamoDB calls to the emulator one at a time. A caller that goes away while waiting
 * its turn (a Lambda sandbox reset at its timeout drops its sockets) must not stall every call after it.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { BatchWriteItemCommand, CreateTableCommand, GetItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { startTestEmulator, type TestEmulator } from "../support/local-cloud.js";

const TABLE = "turns";
let world: TestEmulator;

test.before(async () => {
  world = await startTestEmulator();
  const dynamodb = world.clients.dynamodb;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }),
  );
  for (let start = 0; start < 4000; start += 25) {
    const items = Array.from({ length: 25 }, (_, index) => ({ PutRequest: { Item: { pk: { S: `item-${start + index}` }, body: { S: "x".repeat(100) } } } }));
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: items } }));
  }
});

test.after(async () => {
  await world?.stop();
});

/** A DynamoDB request whose caller hangs up after `afterMs`, before its turn comes. */
function abandonedCall(afterMs: number): Promise<void> {
  const { hostname, port } = new URL(world.clientConfig.endpoint);
  const call = request({
    host: hostname,
    port,
    method: "POST",
    path: "/",
    headers: { "x-amz-target": "DynamoDB_20120810.ListTables", "content-type": "application/x-amz-json-1.0" },
  });
  call.on("error", () => undefined);
  call.end("{}");
  return sleep(afterMs).then(() => void call.destroy());
}

test("callers that hang up while waiting their turn do not stall the calls after them", async () => {
  const slowScan = world.clients.dynamodb.send(new ScanCommand({ TableName: TABLE }));
  await sleep(5);
  await Promise.all(Array.from({ length: 5 }, () => abandonedCall(20)));
  const scanned = await slowScan;
  assert.ok((scanned.Count ?? 0) > 0);

  const answered = world.clients.dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "item-7" } } })).then((output) => output.Item?.pk?.S);
  const stalled = sleep(10_000).then(() => "stalled");
  assert.is(await Promise.race([answered, stalled]), "item-7");
});

test.run();
