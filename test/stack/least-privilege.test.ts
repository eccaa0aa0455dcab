/**
 * Least privilege, proven against the code: each function's policy grants exactly the actions its code
 * calls (the SDK commands left in its bundle, scripts/least-privilege/code-actions.ts) plus what the
 * platform does on its behalf (its log group, the queue it is mapped to, X-Ray when tracing is on);
 * nothing missing, nothing unused. Then the resources and conditions, as narrow as the code allows.
 */
import { runUnsafeSimulation } from "@cloud-copilot/iam-simulate";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DASHBOARD_DOCUMENT } from "../../contracts/dashboard-documents.js";
import { vehicleTelemetryKey } from "../../contracts/telemetry-keys.js";
import { gatewayVehiclesKey, GATEWAY_VEHICLES_PREFIX } from "../../contracts/gateway-vehicles.js";
import { FUNCTION } from "../../modules/fleet-functions.js";
import { PARKED_PREFIX } from "../../contracts/parked-failure.js";
import { FLEET_SNAPSHOT_KEY, FLEET_STATE_PARTS_PREFIX } from "../../telemetry/fleet-state.js";
import { REPOSITORY_LAYOUT } from "../../uptane/metadata.js";
import { actionsCalledBy } from "../../scripts/least-privilege/code-actions.js";
import { policyDiff } from "../../scripts/least-privilege/policy-diff.js";
import { list, parseJson, ref, synthStack, TEST_ACCOUNT_ID, type Statement, type SynthesizedStack } from "./support/synth.js";
import { OWED_INDEX } from "../../campaigns/store/keys.js";

const stack = synthStack();
const functionIds = Object.values(FUNCTION).map((shortName) => shortName.replace(/-/g, "_"));
const codeActions = new Map(await Promise.all(Object.values(FUNCTION).map(async (shortName) => [shortName.replace(/-/g, "_"), (await actionsCalledBy(shortName)).actions] as const)));

function statementsOf(synthesized: SynthesizedStack, functionId: string): Statement[] {
  return parseJson<{ Statement: Statement[] }>(synthesized.resource("aws_iam_role_policy", `${functionId}_policy`).policy).Statement;
}

/** What Lambda does with the function's role itself: logs, polling its queue, sending traces, on-failure records. */
function platformActions(synthesized: SynthesizedStack, functionId: string): string[] {
  const actions = ["logs:CreateLogStream", "logs:PutLogEvents"];
  const functionRefs = [ref("aws_lambda_function", functionId, "arn"), ref("aws_lambda_function", functionId, "function_name")];
  const mapped = Object.values(synthesized.resources("aws_lambda_event_source_mapping")).some((mapping) => functionRefs.includes(String(mapping.function_name)));
  if (mapped) actions.push("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes");
  const tracing = synthesized.resource("aws_lambda_function", functionId).tracing_config as { mode?: string } | undefined;
  if (tracing?.mode === "Active") actions.push("xray:PutTraceSegments", "xray:PutTelemetryRecords");
  const onFailure = Object.values(synthesized.resources("aws_lambda_function_event_invoke_config")).some(
    (config) => functionRefs.includes(String(config.function_name)) && (config.destination_config as { on_failure?: unknown } | undefined)?.on_failure,
  );
  if (onFailure) actions.push("sqs:SendMessage");
  return actions;
}

const writes = (statement: Statement) =>
  list(statement.Action).filter((action) => /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|ConditionCheckItem|\*)$/.test(action));

test("each function's policy grants exactly what its code and its platform use: nothing missing, nothing unused, no wildcard action", () => {
  for (const functionId of functionIds) {
    const required = [...codeActions.get(functionId)!, ...platformActions(stack, functionId)];

    const diff = policyDiff(statementsOf(stack, functionId), required);

    assert.equal(diff.missing, [], `${functionId} calls what its policy does not grant`);
    assert.equal(diff.unused, [], `${functionId} is granted what its code never calls`);
    assert.equal(diff.wildcards, [], `${functionId} has a wildcard action`);
  }
});

test("the code's calls are found: a few the functions are known to make", () => {
  assert.ok(codeActions.get("telemetry_processor")!.includes("s3:GetObject"));
  assert.ok(codeActions.get("telemetry_processor")!.includes("s3:GetObjectVersion"), "the processor reads each event's object by its version id");
  assert.ok(codeActions.get("update_manager")!.includes("dynamodb:UpdateItem"));
  assert.ok(codeActions.get("update_manager")!.includes("iot:DescribeThing"), "the update manager reads vehicles' registrations before admitting them");
  assert.ok(codeActions.get("rollout_ticker")!.includes("sqs:SendMessage"));
  assert.ok(codeActions.get("dashboard_publisher")!.includes("s3:ListBucket"));
});

test("a grant added by hand that no code uses breaks the comparison", () => {
  const tampered = synthStack({}, (fleet) =>
    fleet.functions.byKey.rolloutTicker.addToPolicy({ Sid: "Convenience", Effect: "Allow", Action: "dynamodb:PutItem", Resource: fleet.state.tableArn }),
  );
  const required = [...codeActions.get("rollout_ticker")!, ...platformActions(tampered, "rollout_ticker")];

  assert.equal(policyDiff(statementsOf(tampered, "rollout_ticker"), required).unused, [{ action: "dynamodb:PutItem", sid: "Convenience" }]);
});

test("no function may Scan, and every item write is bound to partition-key prefixes (dynamodb:LeadingKeys)", () => {
  for (const functionId of functionIds) {
    for (const statement of statementsOf(stack, functionId)) {
      assert.not.ok(list(statement.Action).some((action) => /^dynamodb:(Scan|\*)$/.test(action)), `${functionId} may Scan`);
      if (writes(statement).length === 0) continue;
      const leadingKeys = list(statement.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"] as string[] | undefined);
      assert.ok(leadingKeys.length > 0 && leadingKeys.every((prefix) => /^[A-Z]+#\*$/.test(prefix)), `${functionId}: ${statement.Sid} writes any item`);
      assert.equal(statement.Condition?.Null, { "dynamodb:LeadingKeys": "false" }, `${functionId}: ${statement.Sid} lets a keyless request through`);
    }
  }
});

test("the ticker writes no item; the processor writes only its object markers; the manager neither sends nor scans nor deletes", () => {
  const byFunction = (functionId: string) => statementsOf(stack, functionId);
  const actionsOf = (functionId: string) => byFunction(functionId).flatMap((statement) => list(statement.Action));

  assert.equal(byFunction("rollout_ticker").flatMap(writes), []);
  const processorWriteKeys = byFunction("telemetry_processor")
    .filter((statement) => writes(statement).length > 0)
    .flatMap((statement) => list(statement.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"] as string[]));
  assert.equal(processorWriteKeys, ["OBJECT#*"]);
  for (const action of ["sqs:SendMessage", "dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"]) {
    assert.not.ok(actionsOf("update_manager").includes(action), `update manager holds ${action}`);
  }
  for (const functionId of ["rollout_ticker", "telemetry_processor"]) {
    const queries = byFunction(functionId).filter((statement) => list(statement.Action).includes("dynamodb:Query"));
    assert.equal(queries.flatMap((statement) => list(statement.Resource)), [`${ref("aws_dynamodb_table", "state_table", "arn")}/index/gsi1`], `${functionId} queries the table`);
  }
});

test("only the update manager (its tick settling owed withdrawals) queries the sparse index of jobs owing a withdrawal", () => {
  const owedIndex = `${ref("aws_dynamodb_table", "state_table", "arn")}/index/${OWED_INDEX.name}`;
  const queriers = functionIds.filter((functionId) =>
    statementsOf(stack, functionId).some((statement) => list(statement.Action).includes("dynamodb:Query") && list(statement.Resource).includes(owedIndex)),
  );
  assert.equal(queriers, ["update_manager"]);
});

test("only the rollout ticker sends to the command queue; the processor may send only to the vehicle-report queue, never a command (iam-simulate)", () => {
  // Each queue by its logical id; the schedules' on-failure queues too, so no token is left for iam-simulate to read as a policy variable.
  const queueArn = (logicalId: string) => `arn:aws:sqs:eu-central-1:${TEST_ACCOUNT_ID}:${logicalId}`;
  const queueArns: Record<string, string> = { reports: queueArn("update_queue"), commands: queueArn("command_queue"), commandDlq: queueArn("command_dlq"), reportDlq: queueArn("update_dlq") };
  const send = (functionId: string, queue: string) => {
    const text = String(stack.resource("aws_iam_role_policy", `${functionId}_policy`).policy)
      .replace(/\$\{aws_sqs_queue\.([a-z_]+)\.arn\}/g, (_, logicalId: string) => queueArn(logicalId))
      .replace(/\$\{[^}]+\}/g, "arn:aws:unresolved:::x");
    // SendMessageBatch has no IAM action of its own: SQS authorizes it as sqs:SendMessage.
    return runUnsafeSimulation(
      {
        identityPolicies: [{ name: functionId, policy: JSON.parse(text) as never }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: { action: "sqs:SendMessage", principal: `arn:aws:sts::${TEST_ACCOUNT_ID}:assumed-role/${functionId}/fn`, resource: { accountId: TEST_ACCOUNT_ID, resource: queueArns[queue]! }, contextVariables: {} },
      },
      {},
    );
  };
  const allowed = "Allowed";
  const denied = "ImplicitlyDenied";

  assert.equal(send("telemetry_processor", "reports"), allowed, "the processor hands candidates and reports over");
  for (const queue of ["commands", "commandDlq", "reportDlq"]) assert.equal(send("telemetry_processor", queue), denied, `the processor sends to ${queue}`);
  assert.equal(send("rollout_ticker", "commands"), allowed, "the ticker queues its ticks");
  for (const queue of ["reports", "commandDlq", "reportDlq"]) assert.equal(send("rollout_ticker", queue), denied, `the ticker sends to ${queue}`);
  for (const functionId of ["update_manager", "dashboard_publisher"]) {
    for (const queue of Object.keys(queueArns)) assert.equal(send(functionId, queue), denied, `${functionId} sends to ${queue}`);
  }
});

test("each function that parks failures may write only under its own parked/<source>/ folder", () => {
  const lake = ref("aws_s3_bucket", "data_lake", "arn");
  for (const [functionId, source] of [["telemetry_processor", "telemetry-processor"], ["update_manager", "update-manager"]] as const) {
    const parkedWrites = statementsOf(stack, functionId)
      .filter((statement) => list(statement.Action).includes("s3:PutObject"))
      .flatMap((statement) => list(statement.Resource))
      .filter((resource) => resource.startsWith(`${lake}/parked/`));
    assert.equal(parkedWrites, [`${lake}/parked/${source}/*`], functionId);
  }
});

test("S3: listing carries an s3:prefix condition, object grants name a prefix, never a whole bucket", () => {
  for (const functionId of functionIds) {
    for (const statement of statementsOf(stack, functionId)) {
      const actions = list(statement.Action).filter((action) => action.startsWith("s3:"));
      if (actions.includes("s3:ListBucket")) {
        const prefixes = list(statement.Condition?.StringLike?.["s3:prefix"] as string[] | undefined);
        assert.ok(prefixes.length > 0 && prefixes.every((prefix) => /^[a-z][\w-]*\//.test(prefix)), `${functionId}: ${statement.Sid} lists the whole bucket`);
      }
      for (const resource of actions.some((action) => action !== "s3:ListBucket") ? list(statement.Resource) : []) {
        assert.match(resource, /^\$\{aws_s3_bucket\.\w+\.arn\}\/[a-z][\w.-]*\/?/, `${functionId}: ${statement.Sid} reaches ${resource}`);
      }
    }
  }
});

// ── a read of a missing key answers 404 only to a caller that may list it (R2-a) ──────────────────

const LAKE = "arn:aws:s3:::lake";
const DASHBOARD = "arn:aws:s3:::dashboard";
const VIN = "1HGCM82633A004352";

/**
 * Whether AWS answers `functionId`'s read of the missing `key` with 404 rather than 403: S3 then evaluates
 * s3:ListBucket on the bucket with the key as s3:prefix (modules/fleet-functions.ts answerMissingWith404).
 * `prefix` undefined: a listing that names no prefix (the whole bucket).
 */
function listAllowed(functionId: string, bucketArn: string, prefix: string | undefined, synthesized = stack): boolean {
  return allowed(functionId, "s3:ListBucket", bucketArn, prefix === undefined ? {} : { "s3:prefix": prefix }, synthesized);
}

/** Whether the function's role is allowed `action` on `resource` (iam-simulate), the buckets' references resolved to LAKE and DASHBOARD. */
function allowed(functionId: string, action: string, resource: string, contextVariables: Record<string, string> = {}, synthesized = stack): boolean {
  const text = String(synthesized.resource("aws_iam_role_policy", `${functionId}_policy`).policy)
    .replaceAll(ref("aws_s3_bucket", "data_lake", "arn"), LAKE)
    .replaceAll(ref("aws_s3_bucket", "dashboard", "arn"), DASHBOARD);
  const result = runUnsafeSimulation(
    {
      identityPolicies: [{ name: functionId, policy: JSON.parse(text) as never }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action,
        principal: `arn:aws:sts::${TEST_ACCOUNT_ID}:assumed-role/${functionId}/fn`,
        resource: { accountId: TEST_ACCOUNT_ID, resource },
        contextVariables,
      },
    },
    {},
  );
  return result === "Allowed";
}

const telemetryKey = vehicleTelemetryKey(VIN, Date.parse("2026-12-01T18:00:00Z"), "0");
/** The keys each function reads and acts on finding missing ([bucket, key]). */
const missingByFunction: Record<string, Array<[string, string]>> = {
  // The event's object or version gone (parked object-missing); a raw-looking key whose decoded form is not there (quarantined).
  // ... and the vehicles of a gateway nobody bound (it carries none).
  telemetry_processor: [[LAKE, telemetryKey], [LAKE, telemetryKey.replace("/dt=", "/dt%3D")], [LAKE, "telemetry/fleet/gw-depot-7/x.ndjson.gz"], [LAKE, gatewayVehiclesKey("gw-depot-7")]],
  // Chains read until the next version is missing; a vehicle's first job document; a counted parked record's first read of the day.
  update_manager: [
    [LAKE, REPOSITORY_LAYOUT.imageRoot(3)], [LAKE, REPOSITORY_LAYOUT.imageTargets(12)], [LAKE, REPOSITORY_LAYOUT.directorRoot(2)], [LAKE, REPOSITORY_LAYOUT.jobDocument(VIN)],
    [LAKE, `${PARKED_PREFIX}update-manager/2026-12-01/0123456789abcdef0123456789abcdef.json`],
  ],
  // No snapshot before the first compaction; no previous page of a new campaign or of "needs a hand".
  // ... and the release calendar's chains (the next image targets, image root, director root).
  dashboard_publisher: [
    [LAKE, FLEET_SNAPSHOT_KEY], [DASHBOARD, "data/campaigns/c-42.json"], [DASHBOARD, `data/${DASHBOARD_DOCUMENT.NeedsAHand}`],
    [LAKE, REPOSITORY_LAYOUT.imageTargets(13)], [LAKE, REPOSITORY_LAYOUT.imageRoot(2)], [LAKE, REPOSITORY_LAYOUT.directorRoot(3)],
  ],
};
/** The folders each function lists with ListObjectsV2 ([bucket, prefix]): the publisher's fleet-state parts and its "needs a hand" listing of parked failures (by source, then day). */
const listedByFunction: Record<string, Array<[string, string]>> = {
  dashboard_publisher: [[LAKE, FLEET_STATE_PARTS_PREFIX], [LAKE, PARKED_PREFIX], [LAKE, `${PARKED_PREFIX}update-manager/2026-12-01/`]],
};

test("a missing key the code acts on answers 404 on AWS: each function may list exactly the keys it reads and may find missing", () => {
  for (const [functionId, reads] of Object.entries(missingByFunction)) {
    assert.ok(codeActions.get(functionId)!.includes("s3:ListBucket"), `${functionId}: the analyser sees a read whose miss the code acts on`);
    for (const [bucket, key] of reads) assert.ok(listAllowed(functionId, bucket, key), `${functionId}: a missing ${key} would answer 403`);
  }
  assert.not.ok(codeActions.get("rollout_ticker")!.includes("s3:ListBucket"));
});

test("the listing that makes a miss a 404 reaches no further: not the whole bucket, not another function's keys", () => {
  const outside: Record<string, Array<[string, string | undefined]>> = {
    telemetry_processor: [[LAKE, undefined], [LAKE, ""], [LAKE, "jobs/"], [LAKE, "quarantine/"], [LAKE, "firmware/"], [LAKE, "telemetr"], [DASHBOARD, "data/"]],
    update_manager: [[LAKE, undefined], [LAKE, "telemetry/"], [LAKE, "firmware/images/"], [LAKE, "firmware/staged/"], [LAKE, "quarantine/"], [LAKE, PARKED_PREFIX], [LAKE, `${PARKED_PREFIX}telemetry-processor/`]],
    dashboard_publisher: [[LAKE, undefined], [LAKE, "telemetry/"], [LAKE, "jobs/"], [LAKE, "firmware/staged/"], [LAKE, "firmware/images/"], [LAKE, "director/"], [LAKE, "fleet-state/snapshot.json.gz.bak"], [DASHBOARD, undefined], [DASHBOARD, "data/fleet.json"], [DASHBOARD, "index.html"]],
    rollout_ticker: [[LAKE, undefined], [LAKE, "telemetry/"]],
  };

  for (const [functionId, listings] of Object.entries(outside)) {
    for (const [bucket, prefix] of listings) assert.not.ok(listAllowed(functionId, bucket, prefix), `${functionId} may list ${bucket} under ${String(prefix)}`);
  }
});

test("the update manager reads published metadata and job documents, not staged releases nor images (iam-simulate)", () => {
  const text = String(stack.resource("aws_iam_role_policy", "update_manager_policy").policy).replaceAll(ref("aws_s3_bucket", "data_lake", "arn"), LAKE);
  const read = (key: string) =>
    runUnsafeSimulation(
      {
        identityPolicies: [{ name: "update_manager", policy: JSON.parse(text) as never }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          action: "s3:GetObject",
          principal: `arn:aws:sts::${TEST_ACCOUNT_ID}:assumed-role/update_manager/fn`,
          resource: { accountId: TEST_ACCOUNT_ID, resource: `${LAKE}/${key}` },
          contextVariables: {},
        },
      },
      {},
    );
  for (const key of [REPOSITORY_LAYOUT.imageRoot(1), REPOSITORY_LAYOUT.imageTargets(4), REPOSITORY_LAYOUT.directorRoot(2), REPOSITORY_LAYOUT.jobDocument(VIN)]) {
    assert.is(read(key), "Allowed", key);
  }
  const sha = "a".repeat(64);
  for (const key of [REPOSITORY_LAYOUT.stagedTargets(5), REPOSITORY_LAYOUT.stagedImage(sha), REPOSITORY_LAYOUT.image(sha), "firmware/other.json", "director/notes.json", telemetryKey]) {
    assert.is(read(key), "ImplicitlyDenied", key);
  }
});

/** Whether the function's role may do `action` on the data-lake key (iam-simulate). */
const lakeAllowed = (functionId: string, action: string, key: string): boolean => allowed(functionId, action, `${LAKE}/${key}`);

test("the update manager reads and rewrites its own counted parked records, no other parked record (R21-04: its reads were denied on AWS)", () => {
  const own = `${PARKED_PREFIX}update-manager/2026-12-01/0123456789abcdef0123456789abcdef.json`;
  assert.ok(lakeAllowed("update_manager", "s3:GetObject", own), "a counted record is read before it is rewritten");
  assert.ok(lakeAllowed("update_manager", "s3:PutObject", own));
  for (const key of [`${PARKED_PREFIX}telemetry-processor/2026-12-01/0123456789abcdef0123456789abcdef.json`, `${PARKED_PREFIX}update-manager.json`]) {
    assert.not.ok(lakeAllowed("update_manager", "s3:GetObject", key), key);
  }
});

test("the VINs bound to each gateway: the processor may only read them (and list them to see a missing one), no function may write or delete them", () => {
  const key = gatewayVehiclesKey("gw-depot-7");
  assert.ok(lakeAllowed("telemetry_processor", "s3:GetObject", key));
  assert.not.ok(lakeAllowed("telemetry_processor", "s3:GetObject", "registry/other.json"), "nothing else under registry/");
  assert.not.ok(listAllowed("telemetry_processor", LAKE, "registry/"), "no listing beyond the gateways' documents");
  for (const functionId of functionIds) {
    for (const action of ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]) {
      assert.not.ok(lakeAllowed(functionId, action, key), `${functionId} may ${action} ${key}`);
    }
    if (functionId !== "telemetry_processor") assert.not.ok(lakeAllowed(functionId, "s3:GetObject", key), `${functionId} reads ${GATEWAY_VEHICLES_PREFIX}`);
  }
});

/** IAM's StringLike: `*` any run of characters, `?` one, the rest literal. */
const stringLike = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "s").test(value);

test("every listing a policy grants is needed: each s3:prefix pattern covers a key its function may find missing or a folder it lists", () => {
  const buckets: Record<string, string> = { [ref("aws_s3_bucket", "data_lake", "arn")]: LAKE, [ref("aws_s3_bucket", "dashboard", "arn")]: DASHBOARD };
  for (const functionId of functionIds) {
    const needed = [...(missingByFunction[functionId] ?? []), ...(listedByFunction[functionId] ?? [])];
    for (const statement of statementsOf(stack, functionId).filter((candidate) => list(candidate.Action).includes("s3:ListBucket"))) {
      const bucket = buckets[String(statement.Resource)];
      assert.ok(bucket, `${functionId}: ${statement.Sid} lists ${String(statement.Resource)}`);
      for (const pattern of list(statement.Condition?.StringLike?.["s3:prefix"] as string[] | undefined)) {
        assert.ok(
          needed.some(([neededBucket, key]) => neededBucket === bucket && stringLike(pattern, key)),
          `${functionId}: ${statement.Sid} may list ${bucket} under ${pattern}, which no read or listing of its code needs`,
        );
      }
    }
  }
});

test("only the update manager reads the IoT registry, and only things named like a VIN: no gateway id of another length, no other IoT resource", () => {
  const iotOf = (functionId: string) => statementsOf(stack, functionId).filter((statement) => list(statement.Action).some((action) => action.startsWith("iot:")));
  for (const functionId of functionIds) if (functionId !== "update_manager") assert.equal(iotOf(functionId), [], `${functionId} holds an IoT action`);
  const iot = iotOf("update_manager");
  assert.equal(iot.flatMap((statement) => list(statement.Action)), ["iot:DescribeThing"]);
  const [resource, ...more] = iot.flatMap((statement) => list(statement.Resource));
  assert.equal(more, []);
  assert.match(resource!, /^arn:aws:iot:[a-z0-9-]+:\d{12}:thing\/\?{17}$/);
  const policy = JSON.parse(String(stack.resource("aws_iam_role_policy", "update_manager_policy").policy));
  const region = resource!.split(":")[3];
  const describe = (name: string) =>
    runUnsafeSimulation(
      {
        identityPolicies: [{ name: "update_manager", policy }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          action: "iot:DescribeThing",
          principal: `arn:aws:sts::${TEST_ACCOUNT_ID}:assumed-role/update_manager/fn`,
          resource: { accountId: TEST_ACCOUNT_ID, resource: `arn:aws:iot:${region}:${TEST_ACCOUNT_ID}:thing/${name}` },
          contextVariables: {},
        },
      },
      {},
    );
  assert.is(describe(VIN), "Allowed", "a vehicle's thing");
  for (const other of ["gw-depot-7", "gw-sim-1a2b3c4d", VIN.slice(1), `${VIN}0`]) assert.is(describe(other), "ImplicitlyDenied", other);
});

test("no ARN in any policy has a wildcard or empty account: they name the deployment's account", () => {
  const policies = [...Object.values(stack.resources("aws_iam_role_policy")), ...Object.values(stack.resources("aws_iam_policy"))];
  const arns = policies.flatMap((policy) => parseJson<{ Statement: Statement[] }>(policy.policy).Statement.flatMap((statement) => list(statement.Resource)));
  const accountArns = arns.filter((arn) => /^arn:aws:(ssm|cloudwatch|logs|sqs|dynamodb|kms|lambda|sns|iot|events):/.test(arn));

  assert.ok(accountArns.length >= 1);
  for (const arn of accountArns) assert.is(arn.split(":")[4], TEST_ACCOUNT_ID, arn);
});

test.run();
