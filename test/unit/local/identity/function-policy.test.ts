import { test } from "uvu";
import * as assert from "uvu/assert";
import { functionSqsAuthorizer, queueArnOf } from "../../../../local/identity/function-policy.js";
import type { LocalCloudDescription } from "../../../../local/model.js";
import { functionStack } from "./support/function-stack.js";

const ACCOUNT = "123456789012";
const REPORTS = `arn:aws:sqs:us-east-1:${ACCOUNT}:fleetota-dev-update-jobs`;
const COMMANDS = `arn:aws:sqs:us-east-1:${ACCOUNT}:fleetota-dev-commands`;
const url = (name: string) => `http://127.0.0.1:4566/${ACCOUNT}/${name}`;
const SIGNATURE = "0".repeat(64);

/** An applied stack with two functions, each with its role and its inline policy, and the two queues. */
function description(): LocalCloudDescription {
  const send = (queueArn: string) => [{ Sid: "Send", Effect: "Allow", Action: "sqs:SendMessage", Resource: queueArn }];
  return functionStack({
    accountId: ACCOUNT,
    resources: {
      "aws_sqs_queue.update_queue": { url: url("fleetota-dev-update-jobs"), arn: REPORTS },
      "aws_sqs_queue.command_queue": { url: url("fleetota-dev-commands"), arn: COMMANDS },
    },
    functions: { "fleetota-dev-telemetry-processor": send(REPORTS), "fleetota-dev-rollout-ticker": send(COMMANDS) },
  });
}

function sqsRequest(accessKeyId: string, operation: string) {
  return {
    method: "POST",
    url: "/",
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261202/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`,
      "x-amz-target": `AmazonSQS.${operation}`,
      "content-type": "application/x-amz-json-1.0",
    },
  };
}

const applied = description();
const authorizer = functionSqsAuthorizer({ description: () => applied, accountId: ACCOUNT });
const judge = (fn: string, operation: string, queue: string) => {
  const request = sqsRequest(`fleetota-fn-fleetota-dev-${fn}`, operation);
  assert.ok(authorizer.needsBody(request), "a local function's SQS call is judged with its body");
  return authorizer.judge(request, JSON.stringify({ QueueUrl: url(queue), MessageBody: "{}" }))?.code ?? "forwarded";
};

test("a local function sends only where its role's policy allows: the processor to the report queue, never the command queue", () => {
  assert.is(judge("telemetry-processor", "SendMessage", "fleetota-dev-update-jobs"), "forwarded");
  assert.is(judge("telemetry-processor", "SendMessageBatch", "fleetota-dev-update-jobs"), "forwarded", "a batch is authorized as sqs:SendMessage");
  assert.is(judge("telemetry-processor", "SendMessage", "fleetota-dev-commands"), "AccessDenied");
  assert.is(judge("telemetry-processor", "SendMessageBatch", "fleetota-dev-commands"), "AccessDenied");
  assert.is(judge("rollout-ticker", "SendMessageBatch", "fleetota-dev-commands"), "forwarded");
  assert.is(judge("rollout-ticker", "SendMessage", "fleetota-dev-update-jobs"), "AccessDenied");
  assert.is(judge("telemetry-processor", "PurgeQueue", "fleetota-dev-update-jobs"), "AccessDenied", "an action its role lacks");
});

test("a refusal is SQS's AccessDenied, naming the action and the queue; a function without a role policy is refused", () => {
  const refused = authorizer.judge(sqsRequest("fleetota-fn-fleetota-dev-telemetry-processor", "SendMessage"), JSON.stringify({ QueueUrl: url("fleetota-dev-commands") }))!;
  assert.is(refused.statusCode, 403);
  assert.is(refused.headers["x-amzn-query-error"], "AccessDenied;Sender");
  assert.match(refused.body, `is not authorized to perform: sqs:SendMessage on resource: ${COMMANDS}`);
  assert.is(judge("unknown-function", "SendMessage", "fleetota-dev-update-jobs"), "AccessDenied");
});

test("the operator, the event source mappings and other services are not judged here; nothing is before the stack is applied", () => {
  assert.not.ok(authorizer.needsBody(sqsRequest("fleetota-local", "SendMessage")));
  assert.not.ok(authorizer.needsBody(sqsRequest("fleetota-esm", "ReceiveMessage")));
  const s3 = { method: "PUT", url: "/lake/x", headers: { authorization: `AWS4-HMAC-SHA256 Credential=fleetota-fn-fleetota-dev-telemetry-processor/20261202/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIGNATURE}` } };
  assert.not.ok(authorizer.needsBody(s3));
  const beforeApply = functionSqsAuthorizer({ description: () => undefined, accountId: ACCOUNT });
  assert.not.ok(beforeApply.needsBody(sqsRequest("fleetota-fn-fleetota-dev-telemetry-processor", "SendMessage")));
});

test("R10-L1: a local function's SQS request in any other form than the SDKs' JSON protocol is refused (moto would read another operation or queue than the one judged); the JSON form is judged as before", () => {
  const processor = `AWS4-HMAC-SHA256 Credential=fleetota-fn-fleetota-dev-telemetry-processor/20261202/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`;
  const json = { authorization: processor, "x-amz-target": "AmazonSQS.SendMessage", "content-type": "application/x-amz-json-1.0" };
  const toReports = JSON.stringify({ QueueUrl: url("fleetota-dev-update-jobs"), MessageBody: "{}" });
  const toCommands = new URLSearchParams({ Action: "SendMessage", QueueUrl: url("fleetota-dev-commands"), MessageBody: "{}" }).toString();
  const outcome = (request: { method: string; url: string; headers: Record<string, string> }, body: string) => {
    assert.ok(authorizer.needsBody(request), `judged: ${JSON.stringify(request)}`);
    return authorizer.judge(request, body)?.code ?? "forwarded";
  };
  assert.is(outcome({ method: "POST", url: "/", headers: json }, toReports), "forwarded", "the control: the SDK's form, allowed");

  const forms: Record<string, [{ method: string; url: string; headers: Record<string, string> }, string]> = {
    "query protocol (Action in a form body, no target)": [{ method: "POST", url: "/", headers: { authorization: processor, "content-type": "application/x-www-form-urlencoded" } }, toCommands],
    "?Action= in the URL": [{ method: "POST", url: "/?Action=SendMessage", headers: json }, toReports],
    "a query string of any kind": [{ method: "POST", url: "/?QueueUrl=x", headers: json }, toReports],
    "a queue path": [{ method: "POST", url: `/${ACCOUNT}/fleetota-dev-commands`, headers: json }, toReports],
    "GET with the query protocol": [{ method: "GET", url: `/?${toCommands}`, headers: { authorization: processor } }, ""],
    "an Action header": [{ method: "POST", url: "/", headers: { ...json, action: "PurgeQueue" } }, toReports],
    "another content type": [{ method: "POST", url: "/", headers: { ...json, "content-type": "text/plain" } }, toReports],
    "no content type": [{ method: "POST", url: "/", headers: { authorization: processor, "x-amz-target": "AmazonSQS.SendMessage" } }, toReports],
  };
  for (const target of ["AmazonSQSv2.SendMessage", "x.SendMessage", "AmazonSQS.Send.SendMessage", "SendMessage", "AmazonSQS.", "DynamoDB_20120810.SendMessage"]) {
    forms[`X-Amz-Target ${target}`] = [{ method: "POST", url: "/", headers: { ...json, "x-amz-target": target } }, toReports];
  }
  forms["signed for queue (moto routes it to SQS too)"] = [{ method: "POST", url: "/", headers: { ...json, authorization: processor.replace("/sqs/", "/queue/") } }, toReports];
  for (const [form, [request, body]] of Object.entries(forms)) assert.is(outcome(request, body), "AccessDenied", form);

  const refused = authorizer.judge({ method: "POST", url: "/?Action=SendMessage", headers: json }, toReports)!;
  assert.is(refused.statusCode, 403);
  assert.is(refused.headers["x-amzn-query-error"], "AccessDenied;Sender");
  assert.match(refused.body, "must be in the JSON protocol");
});

test("queueArnOf reads the applied queue by its URL, else the URL's account and name", () => {
  assert.is(queueArnOf(applied, url("fleetota-dev-commands"), "us-east-1"), COMMANDS);
  assert.is(queueArnOf(applied, url("other"), "eu-west-1"), `arn:aws:sqs:eu-west-1:${ACCOUNT}:other`);
  assert.is(queueArnOf(applied, "not a url", "eu-west-1"), undefined);
});

test("decisions are remembered per question, never past a policy change: a send allowed, then revoked, is refused; granted again, allowed", () => {
  let current = description();
  const changing = functionSqsAuthorizer({ description: () => current, accountId: ACCOUNT });
  const ask = () => changing.judge(sqsRequest("fleetota-fn-fleetota-dev-telemetry-processor", "SendMessage"), JSON.stringify({ QueueUrl: url("fleetota-dev-update-jobs") }))?.code ?? "forwarded";
  const withProcessorPolicy = (statement: object): LocalCloudDescription => {
    const next = description();
    next.resources["aws_iam_role_policy.fleetota-dev-telemetry-processor"] = { ...next.resources["aws_iam_role_policy.fleetota-dev-telemetry-processor"], policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) };
    return next;
  };
  assert.is(ask(), "forwarded");
  assert.is(ask(), "forwarded", "asked again");
  current = withProcessorPolicy({ Sid: "Send", Effect: "Allow", Action: "sqs:SendMessage", Resource: COMMANDS });
  assert.is(ask(), "AccessDenied", "the grant was moved to another queue");
  current = withProcessorPolicy({ Sid: "Send", Effect: "Allow", Action: "sqs:SendMessage", Resource: REPORTS });
  assert.is(ask(), "forwarded", "granted again");
  // The same object changed in place (as a re-apply could), not replaced.
  current.resources["aws_iam_role_policy.fleetota-dev-telemetry-processor"]!.policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Deny", Effect: "Deny", Action: "sqs:*", Resource: "*" }, { Sid: "Send", Effect: "Allow", Action: "sqs:SendMessage", Resource: REPORTS }] });
  assert.is(ask(), "AccessDenied", "an explicit Deny added in place");
});

test.run();
