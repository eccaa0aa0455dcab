/**
 * Odd bodies the local judges must refuse as problems, never throw on nor read otherwise than moto runs them (review 29).
 * Each fails on 0afde65.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { BatchWriteItemCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { dynamoDbQuestions } from "../../../../local/identity/dynamodb-request.js";
import { functionDynamoDbAuthorizer, tableFactsOf } from "../../../../local/identity/function-dynamodb-policy.js";
import { KMS_READING } from "../../../../local/identity/function-kms-policy.js";
import { deleteObjectsOf } from "../../../../local/identity/function-s3-policy.js";
import type { LocalCloudDescription } from "../../../../local/model.js";
import { itemsUnder } from "../../../../modules/fleet-functions.js";
import { functionStack } from "./support/function-stack.js";
import { capturedRequest, type CapturedRequest } from "./support/signed-requests.js";

const ACCOUNT = "123456789012";
const TABLE = "fleetota-dev-state";
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${TABLE}`;
const MANAGER = "fleetota-dev-update-manager";
const BATCHER = "fleetota-dev-batcher";

function description(): LocalCloudDescription {
  return functionStack({
    accountId: ACCOUNT,
    resources: { "aws_dynamodb_table.state_table": { name: TABLE, arn: TABLE_ARN, hash_key: "pk", range_key: "sk" } },
    functions: {
      [MANAGER]: [itemsUnder("CampaignItems", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], TABLE_ARN, ["CAMPAIGN#", "COMMAND#"])],
      [BATCHER]: [itemsUnder("Batches", ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"], TABLE_ARN, ["OBJECT#"])],
    },
  });
}
const authorizer = functionDynamoDbAuthorizer({ description, accountId: ACCOUNT });
const sent = (fn: string, command: object): Promise<CapturedRequest> =>
  capturedRequest((config) => new DynamoDBClient(config).send(command as never), { accessKeyId: `fleetota-fn-${fn}`, secretAccessKey: "fleetota-local" });
const outcome = (request: CapturedRequest, body: string): string => {
  try {
    const refused = authorizer.judge(request, body);
    return refused ? `${refused.statusCode} ${JSON.parse(refused.body).__type.split("#")[1]}` : "forwarded";
  } catch (error) {
    return `throws ${String(error)}`;
  }
};
const DENIED = "400 AccessDeniedException";
const pkItem = (pk: string) => ({ pk: { S: pk }, sk: { S: "x" } });

test("a BatchWriteItem WriteRequest naming both a DeleteRequest and a PutRequest is refused (moto runs the first member, the judge read the Put)", async () => {
  const granted = await sent(BATCHER, new BatchWriteItemCommand({ RequestItems: { [TABLE]: [{ PutRequest: { Item: pkItem("OBJECT#a") } }] } }));
  // moto/dynamodb/responses.py batch_write_item: request_type = list(table_request.keys())[0] -> deletes CAMPAIGN#c1.
  const body = JSON.stringify({ RequestItems: { [TABLE]: [{ DeleteRequest: { Key: pkItem("CAMPAIGN#c1") }, PutRequest: { Item: pkItem("OBJECT#a") } }] } });
  assert.is(outcome(granted, body), DENIED, "the judge asked about OBJECT#a only; moto deletes CAMPAIGN#c1, AWS refuses the request");
});

test("a Query naming both KeyConditions and a KeyConditionExpression is a problem (the judge reads KeyConditions, moto the expression)", () => {
  const body = JSON.stringify({ TableName: TABLE, KeyConditions: { pk: { ComparisonOperator: "EQ", AttributeValueList: [{ S: "OBJECT#a" }] } }, KeyConditionExpression: "pk = :v", ExpressionAttributeValues: { ":v": { S: "CAMPAIGN#c1" } } });
  const questions = dynamoDbQuestions("Query", body, tableFactsOf(description(), "us-east-1", ACCOUNT));
  assert.ok("problem" in questions, JSON.stringify(questions));
});

test("a transaction part keyed __proto__ or constructor is a problem, not a question with an object as its action", async () => {
  const granted = await sent(MANAGER, new TransactWriteCommand({ TransactItems: [{ Put: { TableName: TABLE, Item: { pk: "CAMPAIGN#c1", sk: "x" } } }] }));
  for (const kind of ["__proto__", "constructor"]) {
    const body = `{"TransactItems":[{${JSON.stringify(kind)}:{"TableName":"${TABLE}","Item":{"pk":{"S":"CAMPAIGN#c1"},"sk":{"S":"x"}}}}]}`;
    const questions = dynamoDbQuestions("TransactWriteItems", body, tableFactsOf(description(), "us-east-1", ACCOUNT));
    assert.ok("problem" in questions, `${kind}: ${JSON.stringify(questions)}`);
    assert.is(outcome(granted, body), DENIED, kind);
  }
});

test("a KMS body of null is a problem, not a TypeError", () => {
  let result: unknown;
  try {
    result = KMS_READING.questions("Sign", "null", { description: description(), accountId: ACCOUNT } as never);
  } catch (error) {
    result = `throws ${String(error)}`;
  }
  assert.equal(result, { problem: "Sign without a KeyId" });
});

test("a DeleteObjects key with a character reference past U+10FFFF is an error, not a RangeError", () => {
  for (const reference of ["&#x110000;", "&#99999999999;"]) {
    let result: unknown;
    try {
      result = deleteObjectsOf(`<Delete><Object><Key>fleet-state/a${reference}</Key></Object></Delete>`);
    } catch (error) {
      result = `throws ${String(error)}`;
    }
    assert.ok(typeof result === "object" && result !== null && "error" in result, `${reference}: ${String(result)}`);
  }
});

test.run();
