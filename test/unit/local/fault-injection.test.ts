import { test } from "uvu";
import * as assert from "uvu/assert";
import { FAULT, FaultInjector, faultResponse } from "../../../local/fault-injection.js";

const call = (principal: string, service: string, operation: string) => ({ principal, service, operation }) as Parameters<FaultInjector["decide"]>[0];

test("no rule, no fault", () => {
  assert.is(new FaultInjector().decide(call("function:p", "s3", "GetObject")), undefined);
});

test("a rule applies to functions by default, by service and operation, and counts what it injected", () => {
  const faults = new FaultInjector();
  faults.inject([{ fault: FAULT.Throttle, rate: 1, service: "dynamodb", operation: "PutItem" }]);
  assert.is(faults.decide(call("function:p", "dynamodb", "PutItem"))?.fault, "throttle");
  assert.is(faults.decide(call("operator", "dynamodb", "PutItem")), undefined, "the operator's calls pass");
  assert.is(faults.decide(call("function:p", "dynamodb", "GetItem")), undefined, "another operation passes");
  assert.is(faults.injected.throttle, 1);
  faults.clear();
  assert.is(faults.decide(call("function:p", "dynamodb", "PutItem")), undefined);
});

test("a rate picks about that share, the same way for the same seed", () => {
  const run = () => {
    const faults = new FaultInjector(7);
    faults.inject([{ fault: FAULT.ServerError, rate: 0.2 }]);
    return Array.from({ length: 1_000 }, () => faults.decide(call("function:p", "sqs", "SendMessageBatch")) !== undefined);
  };
  const first = run();
  const share = first.filter(Boolean).length / first.length;
  assert.ok(share > 0.15 && share < 0.25, `share ${share}`);
  assert.equal(run(), first);
});

test("answers are AWS's: S3 503 SlowDown, JSON services 400 ThrottlingException, 500 InternalError, others 429", () => {
  const s3 = faultResponse("s3", false, FAULT.Throttle);
  assert.is(s3.statusCode, 503);
  assert.match(s3.body, "<Code>SlowDown</Code>");
  const dynamo = faultResponse("dynamodb", true, FAULT.Throttle);
  assert.is(dynamo.statusCode, 400);
  assert.match(JSON.parse(dynamo.body).__type, /ThrottlingException$/);
  assert.is(faultResponse("s3", false, FAULT.ServerError).statusCode, 500);
  assert.is(faultResponse("monitoring", false, FAULT.Throttle).statusCode, 429);
});

test.run();
