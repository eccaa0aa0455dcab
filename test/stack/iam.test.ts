import { test } from "uvu";
import * as assert from "uvu/assert";
import { list, parseJson, ref, synthStack, type Statement } from "./support/synth.js";

const stack = synthStack();

function identityStatements(): Array<{ policy: string; statement: Statement }> {
  return Object.entries(stack.resources("aws_iam_role_policy")).flatMap(([policy, attributes]) =>
    parseJson<{ Statement: Statement[] }>(attributes.policy).Statement.map((statement) => ({ policy, statement })),
  );
}

function grantsOf(functionId: string): Statement[] {
  return parseJson<{ Statement: Statement[] }>(stack.resource("aws_iam_role_policy", `${functionId}_policy`).policy).Statement;
}

function allows(statements: Statement[], action: string, resource: string): boolean {
  return statements.some(
    (statement) => statement.Effect === "Allow" && list(statement.Action).includes(action) && list(statement.Resource).includes(resource),
  );
}

test("no statement allows every action on every resource, and `*` resources always carry a condition", () => {
  const statements = identityStatements();

  assert.ok(statements.length > 10);
  for (const { policy, statement } of statements) {
    const actions = list(statement.Action);
    const resources = list(statement.Resource);
    assert.not.ok(actions.includes("*") && resources.includes("*"), `${policy}: * on *`);
    assert.not.ok(actions.some((action) => action.endsWith(":*")), `${policy}: service-wide action ${actions.join(",")}`);
    if (resources.includes("*")) assert.ok(statement.Condition, `${policy}: ${actions.join(",")} on * without a condition`);
  }
});

test("resource policies allow only named AWS services, and only for a named source", () => {
  const resourcePolicies = [
    ...Object.values(stack.resources("aws_sqs_queue_policy")),
    ...Object.values(stack.resources("aws_s3_bucket_policy")),
  ].flatMap((attributes) => parseJson<{ Statement: Statement[] }>(attributes.policy).Statement);
  const allows = resourcePolicies.filter((statement) => statement.Effect === "Allow");

  assert.ok(allows.length >= 3);
  for (const statement of allows) {
    assert.not.equal(statement.Principal, "*");
    assert.ok(Object.keys(statement.Principal as object).every((kind) => kind === "Service"));
    assert.not.ok(list(statement.Action).some((action) => action === "*" || action.endsWith(":*")));
    const condition = JSON.stringify(statement.Condition ?? {});
    assert.match(condition, /aws:SourceArn/i);
  }
});

test("no function may call PutMetricData: metrics are EMF log lines in each function's own log group", () => {
  const putMetrics = identityStatements().filter(({ statement }) => list(statement.Action).some((action) => /^cloudwatch:(PutMetricData|\*)$/.test(action)));

  assert.equal(putMetrics, []);
});

test("each function writes only to its own log group", () => {
  for (const fn of ["telemetry_processor", "update_manager", "rollout_ticker", "dashboard_publisher"]) {
    const logStatements = grantsOf(fn).filter((statement) => list(statement.Action).includes("logs:PutLogEvents"));
    assert.equal(logStatements.flatMap((statement) => list(statement.Resource)), [`${ref("aws_cloudwatch_log_group", `${fn}_logs`, "arn")}:*`]);
  }
});

test("each role is assumable by Lambda only and carries its function's policy", () => {
  for (const fn of ["telemetry_processor", "update_manager", "rollout_ticker", "dashboard_publisher"]) {
    const trust = parseJson<{ Statement: Statement[] }>(stack.resource("aws_iam_role", `${fn}_role`).assume_role_policy).Statement;
    assert.equal(trust.map((statement) => statement.Principal), [{ Service: "lambda.amazonaws.com" }]);
    assert.is(stack.resource("aws_iam_role_policy", `${fn}_policy`).role, ref("aws_iam_role", `${fn}_role`, "id"));
    assert.is(stack.resource("aws_lambda_function", fn).role, ref("aws_iam_role", `${fn}_role`, "arn"));
  }
});

test("grants follow the data flow, object prefixes included", () => {
  const lake = ref("aws_s3_bucket", "data_lake", "arn");
  const processor = grantsOf("telemetry_processor");
  const manager = grantsOf("update_manager");
  const publisher = grantsOf("dashboard_publisher");

  assert.ok(allows(processor, "s3:GetObject", `${lake}/telemetry/*`));
  assert.ok(allows(processor, "s3:GetObjectVersion", `${lake}/telemetry/*`), "each event's object is read by its version");
  assert.not.ok(allows(processor, "s3:GetObjectVersion", `${lake}/jobs/*`), "versions of nothing but telemetry");
  assert.ok(allows(processor, "s3:PutObject", `${lake}/quarantine/*`));
  assert.not.ok(allows(processor, "s3:PutObject", `${lake}/telemetry/*`), "the processor never rewrites its input");
  assert.ok(allows(processor, "sqs:SendMessage", ref("aws_sqs_queue", "update_queue", "arn")));
  assert.ok(allows(processor, "sqs:DeleteMessage", ref("aws_sqs_queue", "telemetry_queue", "arn")));
  assert.ok(allows(manager, "sqs:DeleteMessage", ref("aws_sqs_queue", "update_queue", "arn")));
  assert.not.ok(allows(manager, "sqs:DeleteMessage", ref("aws_sqs_queue", "telemetry_queue", "arn")));
  assert.ok(allows(manager, "s3:PutObject", `${lake}/jobs/*`));
  assert.ok(allows(manager, "dynamodb:UpdateItem", ref("aws_dynamodb_table", "state_table", "arn")));
  const directorKey = ref("aws_kms_key", "director_key", "arn");
  assert.ok(allows(manager, "kms:Sign", directorKey));
  assert.ok(allows(manager, "s3:GetObject", `${lake}/director/root/*`));
  assert.ok(allows(manager, "s3:GetObject", `${lake}/firmware/metadata/*`));
  const managerReads = manager.filter((statement) => list(statement.Action).includes("s3:GetObject")).flatMap((statement) => list(statement.Resource));
  assert.not.ok(managerReads.some((resource) => /\/firmware\/(\*|staged|images)|\/director\/\*/.test(resource)), "the update manager reads no staged release nor image");
  assert.not.ok(manager.some((statement) => list(statement.Action).some((action) => action.startsWith("ssm:"))), "no signing key in SSM any more");
  for (const other of [processor, publisher, grantsOf("rollout_ticker")]) {
    assert.not.ok(other.some((statement) => list(statement.Action).some((action) => action.startsWith("kms:"))), "only the update manager may use the director key");
  }
  assert.ok(allows(publisher, "s3:PutObject", `${ref("aws_s3_bucket", "dashboard", "arn")}/data/*`));
  // The release calendar: published metadata only; not what is staged for signatures, not the images.
  assert.ok(allows(publisher, "s3:GetObject", `${lake}/firmware/metadata/*`));
  assert.ok(allows(publisher, "s3:GetObject", `${lake}/director/root/*`));
  const publisherReads = publisher.filter((statement) => list(statement.Action).includes("s3:GetObject")).flatMap((statement) => list(statement.Resource));
  assert.not.ok(publisherReads.some((resource) => /\/firmware\/(\*|staged|images)|\/jobs\//.test(resource)), "the publisher reads no staged release, image or job document");
  assert.not.ok(allows(publisher, "dynamodb:PutItem", ref("aws_dynamodb_table", "state_table", "arn")), "the publisher only reads state");
});

test("the account id pins the account in ARNs that cannot reference a resource", () => {
  const pinned = synthStack({ accountId: "210987654321" });
  const statements = parseJson<{ Statement: Statement[] }>(pinned.resource("aws_iam_role_policy", "dashboard_publisher_policy").policy).Statement;

  assert.ok(statements.some((statement) => list(statement.Resource).includes("arn:aws:cloudwatch:eu-central-1:210987654321:alarm:fleetota-dev-*")));
});

test("the director key: ECC_NIST_P256 for signing; its key policy gives kms:Sign to the update manager's role alone", () => {
  const key = stack.resource("aws_kms_key", "director_key");
  const policy = parseJson<{ Statement: Statement[] }>(key.policy).Statement;
  const signers = policy.filter((statement) => list(statement.Action).includes("kms:Sign") || list(statement.Action).includes("kms:*"));

  assert.is(key.customer_master_key_spec, "ECC_NIST_P256");
  assert.is(key.key_usage, "SIGN_VERIFY");
  assert.is(signers.length, 1);
  assert.equal(signers[0]!.Principal, { AWS: [ref("aws_iam_role", "update_manager_role", "arn")] });
  assert.equal(signers[0]!.Condition, { StringEquals: { "kms:SigningAlgorithm": "ECDSA_SHA_256", "kms:MessageType": "RAW" } });
  const administration = policy.find((statement) => statement.Sid === "AccountAdministersButDoesNotSign")!;
  assert.not.ok(list(administration.Action).some((action) => action === "kms:*" || action.startsWith("kms:Sign")), "the account administers the key but cannot sign");
});

test("each schedule may invoke only its own function, without retrying a failed tick", () => {
  for (const fn of ["rollout_ticker", "dashboard_publisher"]) {
    const permission = stack.resource("aws_lambda_permission", `${fn}_schedule_permission`);
    const target = stack.resource("aws_cloudwatch_event_target", `${fn}_schedule_target`);

    assert.is(permission.principal, "events.amazonaws.com");
    assert.is(permission.action, "lambda:InvokeFunction");
    assert.is(permission.function_name, ref("aws_lambda_function", fn, "function_name"));
    assert.is(permission.source_arn, ref("aws_cloudwatch_event_rule", `${fn}_schedule`, "arn"));
    assert.is(target.arn, ref("aws_lambda_function", fn, "arn"));
    assert.is(target.rule, ref("aws_cloudwatch_event_rule", `${fn}_schedule`, "name"));
    assert.is(stack.resource("aws_lambda_function_event_invoke_config", `${fn}_schedule_invoke_config`).maximum_retry_attempts, 0);
  }
});

test.run();
