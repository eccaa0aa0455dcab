/**
 * The front door's judgment of a local Lambda's DynamoDB calls (function-json-policy.ts, with DynamoDB's reading):
 * each question the request asks (dynamodb-request.ts: the action, the table or index ARN, the partition keys it
 * touches as `dynamodb:LeadingKeys`; a batch once per table, a transaction once per part) must be allowed by the
 * function's role, or the request is refused with DynamoDB's AccessDeniedException (400) and nothing of it is written.
 * Pure but for the description it reads.
 */
import type { LocalCloudDescription } from "../model.js";
import { dynamoDbQuestions, type TableFacts } from "./dynamodb-request.js";
import { functionJsonAuthorizer, type FunctionJsonAuthorizerOptions, type JsonServiceReading } from "./function-json-policy.js";
import type { BodyAuthorizer } from "./function-policy.js";

/**
 * The table a request names, as the applied stack created it (its ARN and partition key), else as IAM would name
 * a table of that name in the caller's region.
 *
 * @example
 * tableFactsOf(description, "us-east-1", "123456789012")("fleetota-dev-state"); // { arn: "arn:aws:dynamodb:us-east-1:123456789012:table/fleetota-dev-state", hashKey: "pk" }
 */
export function tableFactsOf(description: Pick<LocalCloudDescription, "resources">, region: string, accountId: string): (nameOrArn: string) => TableFacts {
  const tables = Object.entries(description.resources).filter(([address]) => address.startsWith("aws_dynamodb_table."));
  return (nameOrArn) => {
    const applied = tables.find(([, attributes]) => attributes.name === nameOrArn || attributes.arn === nameOrArn)?.[1];
    if (applied && typeof applied.arn === "string") return { arn: applied.arn, hashKey: typeof applied.hash_key === "string" ? applied.hash_key : undefined };
    return { arn: nameOrArn.startsWith("arn:") ? nameOrArn : `arn:aws:dynamodb:${region}:${accountId}:table/${nameOrArn}`, hashKey: undefined };
  };
}

/** DynamoDB as the SDKs call it: `X-Amz-Target: DynamoDB_20120810.<Operation>`, JSON 1.0. */
export const DYNAMODB_READING: JsonServiceReading = {
  service: "dynamodb",
  targetPrefix: "DynamoDB_20120810.",
  contentType: "application/x-amz-json-1.0",
  questions(operation, body, call) {
    const questions = dynamoDbQuestions(operation, body, tableFactsOf(call.description, call.scope.region, call.accountId));
    if ("problem" in questions) return questions;
    return questions.map(({ action, resource, leadingKeys }) => (leadingKeys ? { action, resource, context: { "dynamodb:LeadingKeys": [...leadingKeys] } } : { action, resource }));
  },
};

/**
 * Refuses a local function's DynamoDB call that its role's policy does not allow, with DynamoDB's
 * AccessDeniedException; forwards (undefined) every other request, and every request before the stack is applied.
 *
 * @example
 * const functionDynamoDb = functionDynamoDbAuthorizer({ description: () => applied, accountId: "123456789012" });
 * // startSqsProxy({ upstream, credentials, authorizeBody: eitherBodyAuthorizer(functionSqs, functionS3, functionDynamoDb) })
 */
export function functionDynamoDbAuthorizer(options: FunctionJsonAuthorizerOptions): BodyAuthorizer {
  return functionJsonAuthorizer(options, DYNAMODB_READING);
}
