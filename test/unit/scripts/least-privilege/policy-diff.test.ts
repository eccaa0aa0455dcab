import { test } from "uvu";
import * as assert from "uvu/assert";
import { policyDiff, type PolicyStatementLike } from "../../../../scripts/least-privilege/policy-diff.js";

const exact: PolicyStatementLike[] = [
  { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"] },
  { Sid: "ReadTelemetry", Effect: "Allow", Action: "s3:GetObject" },
];
const calls = ["logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject"];

test("a policy that grants exactly what the code calls has nothing missing, unused or wild", () => {
  assert.equal(policyDiff(exact, calls), { missing: [], unused: [], wildcards: [] });
});

test("a statement added by hand that no code calls is reported as unused, with its Sid", () => {
  const tampered = [...exact, { Sid: "Convenient", Effect: "Allow", Action: ["dynamodb:Scan", "s3:GetObject"] }];

  const diff = policyDiff(tampered, calls);

  assert.equal(diff.unused, [{ action: "dynamodb:Scan", sid: "Convenient" }]);
  assert.equal(diff.missing, []);
});

test("a call the policy does not grant is reported as missing", () => {
  assert.equal(policyDiff(exact, [...calls, "sqs:SendMessage", "s3:GetObject"]).missing, ["sqs:SendMessage"]);
});

test("a Deny grants nothing: the call it names stays missing and is not counted as unused", () => {
  const diff = policyDiff([...exact, { Effect: "Deny", Action: "sqs:SendMessage" }], [...calls, "sqs:SendMessage"]);

  assert.equal(diff.missing, ["sqs:SendMessage"]);
  assert.equal(diff.unused, []);
});

test("a wildcard covers the calls it matches but is always reported, and is unused when it matches none", () => {
  const diff = policyDiff([{ Sid: "Lazy", Effect: "Allow", Action: "s3:*" }, { Effect: "Allow", Action: "kms:*" }], ["s3:GetObject"]);

  assert.equal(diff.missing, []);
  assert.equal(diff.wildcards.map((grant) => grant.action), ["s3:*", "kms:*"]);
  assert.equal(diff.unused, [{ action: "kms:*" }]);
});

test("action names compare case-insensitively, as IAM does", () => {
  assert.equal(policyDiff([{ Effect: "Allow", Action: "S3:getobject" }], ["s3:GetObject"]), { missing: [], unused: [], wildcards: [] });
});

test.run();
