/**
 * A local function's DynamoDB calls judged by its role's policy, on requests as the real SDK sends them (lib-dynamodb,
 * as the functions call it): the action from X-Amz-Target, the table or index ARN, the partition keys as
 * dynamodb:LeadingKeys (the stack's itemsUnder statements), a batch once per table and a transaction once per part.
 * A refusal is DynamoDB's AccessDeniedException (400, `com.amazon.coral.service#AccessDeniedException`), which the
 * SDK reads as such. The operator, other services and anything before the stack is applied are not judged here.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { BatchGetItemCommand, BatchWriteItemCommand, DescribeTableCommand, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactGetCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dynamoDbQuestions } from "../../../../local/identity/dynamodb-request.js";
import { functionDynamoDbAuthorizer, tableFactsOf } from "../../../../local/identity/function-dynamodb-policy.js";
import type { FrontDoorRequest, Refusal } from "../../../../local/identity/front-door.js";
import type { LocalCloudDescription } from "../../../../local/model.js";
import { itemsUnder } from "../../../../modules/fleet-functions.js";
import { functionStack } from "./support/function-stack.js";
import { capturedRequest, type CapturedRequest } from "./support/signed-requests.js";

const ACCOUNT = "123456789012";
const TABLE = "fleetota-dev-state";
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${TABLE}`;
const OTHER_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/other`;
const PROCESSOR = "fleetota-dev-telemetry-processor";
const MANAGER = "fleetota-dev-update-manager";
const BATCHER = "fleetota-dev-batcher";

function description(): LocalCloudDescription {
  return functionStack({
    accountId: ACCOUNT,
    resources: {
      "aws_dynamodb_table.state_table": { name: TABLE, arn: TABLE_ARN, hash_key: "pk", range_key: "sk" },
      "aws_dynamodb_table.other": { name: "other", arn: OTHER_ARN, hash_key: "id", range_key: "" },
    },
    functions: {
      [PROCESSOR]: [
        itemsUnder("ObjectMarkers", ["dynamodb:GetItem", "dynamodb:PutItem"], TABLE_ARN, ["OBJECT#"]),
        { Sid: "ListCampaigns", Effect: "Allow", Action: "dynamodb:Query", Resource: `${TABLE_ARN}/index/gsi1` },
      ],
      [MANAGER]: [
        itemsUnder("CampaignItems", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], TABLE_ARN, ["CAMPAIGN#", "COMMAND#"]),
        { Sid: "Query", Effect: "Allow", Action: "dynamodb:Query", Resource: [TABLE_ARN, `${TABLE_ARN}/index/gsi1`] },
      ],
      [BATCHER]: [
        itemsUnder("Batches", ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"], TABLE_ARN, ["OBJECT#"]),
        { Sid: "DescribeState", Effect: "Allow", Action: "dynamodb:DescribeTable", Resource: TABLE_ARN },
      ],
      "fleetota-dev-unknown": [],
    },
  });
}

const refusals: Refusal[] = [];
const authorizer = functionDynamoDbAuthorizer({ description, accountId: ACCOUNT, onRefusal: (refused) => refusals.push(refused) });
const sent = (fn: string, command: object, accessKeyId = `fleetota-fn-${fn}`): Promise<CapturedRequest> =>
  capturedRequest((config) => new DynamoDBClient(config).send(command as never), { accessKeyId, secretAccessKey: "fleetota-local" });
const outcome = (request: CapturedRequest | FrontDoorRequest, body = "body" in request ? request.body : ""): string => {
  if (!authorizer.needsBody(request)) return "not judged";
  const refused = authorizer.judge(request, body);
  return refused ? `${refused.statusCode} ${JSON.parse(refused.body).__type.split("#")[1]}` : "forwarded";
};
const DENIED = "400 AccessDeniedException";
const key = (pk: string) => ({ pk, sk: "x" });

test("the processor's granted calls pass: its object markers read and written conditionally, campaigns listed through gsi1", async () => {
  assert.is(outcome(await sent(PROCESSOR, new GetCommand({ TableName: TABLE, Key: key("OBJECT#lake/a.gz#e1"), ConsistentRead: true }))), "forwarded");
  assert.is(outcome(await sent(PROCESSOR, new PutCommand({ TableName: TABLE, Item: { ...key("OBJECT#lake/a.gz#e1"), at: 1 }, ConditionExpression: "attribute_not_exists(pk)" }))), "forwarded");
  assert.is(outcome(await sent(PROCESSOR, new QueryCommand({ TableName: TABLE, IndexName: "gsi1", KeyConditionExpression: "gsi1pk = :p", ExpressionAttributeValues: { ":p": "CAMPAIGNS" } }))), "forwarded");
});

test("the processor's calls outside its role are DynamoDB's AccessDeniedException, naming the action and the resource", async () => {
  const before = refusals.length;
  assert.is(outcome(await sent(PROCESSOR, new GetCommand({ TableName: TABLE, Key: key("CAMPAIGN#c1") }))), DENIED, "an item outside its partition-key prefixes");
  assert.is(outcome(await sent(PROCESSOR, new UpdateCommand({ TableName: TABLE, Key: key("OBJECT#a"), UpdateExpression: "SET n = :n", ExpressionAttributeValues: { ":n": 1 } }))), DENIED, "UpdateItem is not granted");
  assert.is(outcome(await sent(PROCESSOR, new DeleteCommand({ TableName: TABLE, Key: key("OBJECT#a") }))), DENIED, "DeleteItem is not granted");
  assert.is(outcome(await sent(PROCESSOR, new QueryCommand({ TableName: TABLE, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": "OBJECT#a" } }))), DENIED, "the table itself: only gsi1 is granted");
  assert.is(outcome(await sent(PROCESSOR, new QueryCommand({ TableName: TABLE, IndexName: "owed", KeyConditionExpression: "owedpk = :p", ExpressionAttributeValues: { ":p": "x" } }))), DENIED, "another index");
  assert.is(outcome(await sent(PROCESSOR, new ScanCommand({ TableName: TABLE, IndexName: "gsi1" }))), DENIED, "Scan is not granted, even on gsi1");
  assert.is(outcome(await sent(PROCESSOR, new GetCommand({ TableName: "other", Key: { id: "OBJECT#a" } }))), DENIED, "another table");
  assert.is(refusals.length - before, 7, "each refusal reported");
  const refused = refusals[before]!;
  assert.is(refused.statusCode, 400);
  assert.equal(JSON.parse(refused.body), {
    __type: "com.amazon.coral.service#AccessDeniedException",
    Message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/${PROCESSOR}-role/${PROCESSOR} is not authorized to perform: dynamodb:GetItem on resource: ${TABLE_ARN} because no identity-based policy allows the dynamodb:GetItem action`,
  });
  assert.match(refused.reason, `dynamodb:GetItem on ${TABLE_ARN} {"dynamodb:LeadingKeys":["CAMPAIGN#c1"]} ImplicitlyDenied`);
});

test("a transaction is judged part by part, as the item operation each is: one part outside the role refuses it all", async () => {
  const put = (pk: string) => ({ Put: { TableName: TABLE, Item: { ...key(pk), state: "RUNNING" }, ConditionExpression: "attribute_not_exists(pk)" } });
  const update = (pk: string) => ({ Update: { TableName: TABLE, Key: key(pk), UpdateExpression: "ADD n :one", ExpressionAttributeValues: { ":one": 1 } } });
  assert.is(outcome(await sent(MANAGER, new TransactWriteCommand({ TransactItems: [put("CAMPAIGN#c1"), update("CAMPAIGN#c1"), put("COMMAND#k1")] }))), "forwarded");
  assert.is(outcome(await sent(MANAGER, new TransactWriteCommand({ TransactItems: [put("CAMPAIGN#c1"), put("OBJECT#a")] }))), DENIED, "one part's partition key outside");
  assert.is(outcome(await sent(MANAGER, new TransactWriteCommand({ TransactItems: [put("CAMPAIGN#c1"), { Delete: { TableName: TABLE, Key: key("CAMPAIGN#c2") } }] }))), DENIED, "DeleteItem not granted");
  assert.is(outcome(await sent(MANAGER, new TransactWriteCommand({ TransactItems: [put("CAMPAIGN#c1"), { ConditionCheck: { TableName: TABLE, Key: key("CAMPAIGN#c2"), ConditionExpression: "attribute_exists(pk)" } }] }))), DENIED, "ConditionCheckItem not granted");
  assert.is(outcome(await sent(MANAGER, new TransactWriteCommand({ TransactItems: [put("CAMPAIGN#c1"), { Put: { TableName: "other", Item: { id: "CAMPAIGN#c1" } } }] }))), DENIED, "a part on another table");
  assert.is(outcome(await sent(MANAGER, new TransactGetCommand({ TransactItems: [{ Get: { TableName: TABLE, Key: key("CAMPAIGN#c1") } }] }))), "forwarded");
  assert.is(outcome(await sent(MANAGER, new TransactGetCommand({ TransactItems: [{ Get: { TableName: TABLE, Key: key("CAMPAIGN#c1") } }, { Get: { TableName: TABLE, Key: key("OBJECT#a") } }] }))), DENIED);
  assert.is(outcome(await sent(MANAGER, new QueryCommand({ TableName: TABLE, KeyConditionExpression: "#p = :p AND begins_with(sk, :j)", ExpressionAttributeNames: { "#p": "pk" }, ExpressionAttributeValues: { ":p": "CAMPAIGN#c1", ":j": "JOB#" } }))), "forwarded");
});

test("BatchGetItem and BatchWriteItem are their own action once per table, with every key of that table", async () => {
  const batchGet = (tables: Record<string, string[]>) =>
    new BatchGetItemCommand({ RequestItems: Object.fromEntries(Object.entries(tables).map(([table, pks]) => [table, { Keys: pks.map((pk) => ({ pk: { S: pk }, sk: { S: "x" } })) }])) });
  assert.is(outcome(await sent(BATCHER, batchGet({ [TABLE]: ["OBJECT#a", "OBJECT#b"] }))), "forwarded");
  assert.is(outcome(await sent(BATCHER, batchGet({ [TABLE]: ["OBJECT#a", "CAMPAIGN#c"] }))), DENIED, "one key outside the prefixes");
  assert.is(outcome(await sent(BATCHER, batchGet({ [TABLE]: ["OBJECT#a"], other: ["OBJECT#a"] }))), DENIED, "a second table");
  const write = (pk: string) => ({ PutRequest: { Item: { pk: { S: pk }, sk: { S: "x" } } } });
  const remove = (pk: string) => ({ DeleteRequest: { Key: { pk: { S: pk }, sk: { S: "x" } } } });
  assert.is(outcome(await sent(BATCHER, new BatchWriteItemCommand({ RequestItems: { [TABLE]: [write("OBJECT#a"), remove("OBJECT#b")] } }))), "forwarded");
  assert.is(outcome(await sent(BATCHER, new BatchWriteItemCommand({ RequestItems: { [TABLE]: [write("OBJECT#a"), remove("CAMPAIGN#c")] } }))), DENIED, "a delete outside");
  assert.is(outcome(await sent(BATCHER, new DescribeTableCommand({ TableName: TABLE }))), "forwarded", "a table-level action on its table");
  assert.is(outcome(await sent(BATCHER, new DescribeTableCommand({ TableName: "other" }))), DENIED);
});

test("dynamoDbQuestions: a table Query's partition key from its expression or KeyConditions; none for an index or a Scan; unknown operations and bodies refused", () => {
  const tableOf = tableFactsOf(description(), "us-east-1", ACCOUNT);
  const query = (body: object) => dynamoDbQuestions("Query", JSON.stringify({ TableName: TABLE, ...body }), tableOf);
  assert.equal(query({ KeyConditionExpression: "sk > :s AND pk = :p", ExpressionAttributeValues: { ":p": { S: "CAMPAIGN#c" }, ":s": { S: "a" } } }), [{ action: "dynamodb:Query", resource: TABLE_ARN, leadingKeys: ["CAMPAIGN#c"] }]);
  assert.equal(query({ KeyConditions: { pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "CAMPAIGN#c" }] } } }), [{ action: "dynamodb:Query", resource: TABLE_ARN, leadingKeys: ["CAMPAIGN#c"] }]);
  assert.equal(query({ IndexName: "gsi1", KeyConditionExpression: "gsi1pk = :p", ExpressionAttributeValues: { ":p": { S: "CAMPAIGNS" } } }), [{ action: "dynamodb:Query", resource: `${TABLE_ARN}/index/gsi1` }]);
  assert.equal(dynamoDbQuestions("GetItem", JSON.stringify({ TableName: "unknown", Key: { pk: { S: "a" } } }), tableOf), [{ action: "dynamodb:GetItem", resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/unknown` }], "an unknown table: its ARN, no key read");
  assert.equal(dynamoDbQuestions("GetItem", JSON.stringify({ TableName: TABLE_ARN, Key: { pk: { N: "7" } } }), tableOf), [{ action: "dynamodb:GetItem", resource: TABLE_ARN, leadingKeys: ["7"] }], "a table named by its ARN");
  assert.equal(dynamoDbQuestions("ListTables", "{}", tableOf), [{ action: "dynamodb:ListTables", resource: "*" }]);
  for (const [operation, body] of [["ExecuteStatement", '{"Statement":"DELETE FROM x"}'], ["GetItem", "not json"], ["GetItem", "[]"], ["PutItem", '{"Item":{}}'], ["TransactWriteItems", '{"TransactItems":[{"Put":{"TableName":"t","Item":{}},"Delete":{"TableName":"t","Key":{}}}]}'], ["TransactGetItems", `{"TransactItems":[{"Put":{"TableName":"${TABLE}","Item":{}}}]}`], ["BatchWriteItem", '{"RequestItems":{"t":{}}}'], ["BatchWriteItem", '{"RequestItems":{"":[{"PutRequest":{"Item":{"pk":{"S":"OBJECT#1"}}}}]}}'], ["BatchGetItem", '{"RequestItems":{"":{"Keys":[{"pk":{"S":"OBJECT#1"}}]}}}']] as const) {
    assert.ok("problem" in dynamoDbQuestions(operation, body, tableOf), `${operation} ${body}`);
  }
});

test("not as the SDKs send it is refused; the operator, other services and anything before the stack is applied are not judged", async () => {
  const granted = await sent(PROCESSOR, new GetCommand({ TableName: TABLE, Key: key("OBJECT#a") }));
  assert.is(outcome(granted), "forwarded", "the control");
  assert.is(outcome({ ...granted, headers: { ...granted.headers, "x-amz-target": "DynamoDB_20120810.PutItem" } }), DENIED, "the target is the operation judged: PutItem's Key-less body");
  assert.is(outcome({ ...granted, headers: { ...granted.headers, "x-amz-target": "AmazonSQS.GetItem" } }), DENIED, "another service's target prefix");
  assert.is(outcome({ ...granted, url: "/?Action=DeleteTable" }), DENIED, "a query string moto could read an action from");
  assert.is(outcome({ ...granted, headers: { ...granted.headers, "content-type": "application/x-www-form-urlencoded" } }), DENIED, "a form body");
  assert.is(outcome(await sent(PROCESSOR, new GetCommand({ TableName: TABLE, Key: key("CAMPAIGN#c") }), "fleetota-local")), "not judged", "the operator");
  assert.is(outcome({ ...granted, headers: { ...granted.headers, authorization: String(granted.headers.authorization).replace("/dynamodb/", "/sqs/") } }), "not judged", "signed for another service");
  const beforeApply = functionDynamoDbAuthorizer({ description: () => undefined, accountId: ACCOUNT });
  assert.not.ok(beforeApply.needsBody(granted));
  assert.is(outcome(await sent("fleetota-dev-unknown", new GetCommand({ TableName: TABLE, Key: key("OBJECT#a") }))), DENIED, "a function without a role policy may do nothing");
});

test("the SDK reads the refusal as DynamoDB's: AccessDeniedException, HTTP 400, the message", async () => {
  const denied = authorizer.judge(await sent(PROCESSOR, new GetCommand({ TableName: TABLE, Key: key("CAMPAIGN#c1") })), JSON.stringify({ TableName: TABLE, Key: { pk: { S: "CAMPAIGN#c1" }, sk: { S: "x" } } }))!;
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(denied.statusCode, denied.headers).end(denied.body));
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" }, maxAttempts: 1 });
  const error = (await client.send(new GetCommand({ TableName: TABLE, Key: key("CAMPAIGN#c1") }) as never).catch((caught: unknown) => caught)) as Error & { $metadata: { httpStatusCode: number } };
  client.destroy();
  await new Promise((closed) => server.close(closed));
  assert.is(error.name, "AccessDeniedException");
  assert.is(error.$metadata.httpStatusCode, 400);
  assert.match(error.message, "is not authorized to perform: dynamodb:GetItem");
});

test.run();
