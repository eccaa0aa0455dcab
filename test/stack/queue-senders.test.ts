/**
 * The eight queues' resource policies (GuardedQueuePolicy: TelemetryPipeline.guardQueues, UpdatePipeline.guardQueues,
 * and each ScheduledInvocation's failure queue),
 * evaluated as AWS evaluates them (iam-simulate: the queue policy as the resource policy, the caller's IAM policy as
 * its identity policy): who may send, take messages and administer a queue must not rest on role policies alone. Each
 * stack role is tried with an over-broad `sqs:*` on `*` (the mistake the queue policies are there to survive), the
 * functions also with their real policies, operators with `sqs:*`, EventBridge as the service principal it is.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ADMINISTRATION_ACTIONS, SEND_ACTION, SQS_POLICY_QUOTA, STACK_ROLE, TAKING_ACTIONS, type StackRoleName } from "../../modules/guarded-queue-policy.js";
import { list, parseJson, ref, synthStack, TEST_ACCOUNT_ID, type Statement, type SynthesizedStack } from "./support/synth.js";

const OTHER_ACCOUNT = "210987654321";
const REGION = "eu-central-1";
const queueArnOf = (logicalId: string) => `arn:aws:sqs:${REGION}:${TEST_ACCOUNT_ID}:${logicalId}`;
const roleArnOf = (logicalId: string) => `arn:aws:iam::${TEST_ACCOUNT_ID}:role/${logicalId}`;
const ruleArnOf = (logicalId: string, account = TEST_ACCOUNT_ID) => `arn:aws:events:${REGION}:${account}:rule/${logicalId}`;
const TELEMETRY_RULE = ruleArnOf("telemetry_object_created");
const SQS_EVERYTHING = { Version: "2012-10-17", Statement: [{ Sid: "OverBroad", Effect: "Allow", Action: "sqs:*", Resource: "*" }] };

/** A policy's text with the queues', roles' and rules' references made ARNs (by logical id), any other reference an ARN nobody matches. */
function resolved(text: unknown): any {
  return JSON.parse(
    String(text)
      .replace(/\$\{aws_sqs_queue\.([a-z_]+)\.arn\}/g, (_, logicalId: string) => queueArnOf(logicalId))
      .replace(/\$\{aws_iam_role\.([a-z_]+)\.arn\}/g, (_, logicalId: string) => roleArnOf(logicalId))
      .replace(/\$\{aws_cloudwatch_event_rule\.([a-z_]+)\.arn\}/g, (_, logicalId: string) => ruleArnOf(logicalId))
      .replace(/\$\{[^}]+\}/g, "arn:aws:unresolved:::x"),
  );
}

const stack = synthStack();

/** The schedules' on-failure queues: Lambda's records of failed ticker and publisher runs, read by operators only. */
const FAILURE_QUEUES = ["rollout_ticker_schedule_failures", "dashboard_publisher_schedule_failures"] as const;
const QUEUES = ["telemetry_queue", "telemetry_dlq", "command_queue", "command_dlq", "update_queue", "update_dlq", ...FAILURE_QUEUES] as const;
type Queue = (typeof QUEUES)[number];
const DLQS = ["telemetry_dlq", "command_dlq", "update_dlq"] as const;

/**
 * What each stack role does on each queue, from the code (the functions' SQS calls, least-privilege.test.ts): every
 * other send, take and any administration is refused by the queue. The publisher only peeks at dead letters.
 */
const LEGITIMATE: Readonly<Record<Queue, { senders: readonly StackRoleName[]; takers: readonly StackRoleName[]; peekers: readonly StackRoleName[] }>> = {
  telemetry_queue: { senders: [], takers: ["telemetryProcessor"], peekers: [] },
  telemetry_dlq: { senders: [], takers: [], peekers: ["dashboardPublisher"] },
  command_queue: { senders: ["rolloutTicker"], takers: ["updateManager"], peekers: [] },
  command_dlq: { senders: [], takers: [], peekers: ["dashboardPublisher"] },
  update_queue: { senders: ["telemetryProcessor"], takers: ["updateManager"], peekers: [] },
  update_dlq: { senders: [], takers: [], peekers: ["dashboardPublisher"] },
  // Lambda sends a failed run's record with the function's own role (its on-failure destination); nothing reads them but operators.
  rollout_ticker_schedule_failures: { senders: ["rolloutTicker"], takers: [], peekers: [] },
  dashboard_publisher_schedule_failures: { senders: ["dashboardPublisher"], takers: [], peekers: [] },
};
const EVERY_ACTION = [SEND_ACTION, ...ADMINISTRATION_ACTIONS, ...TAKING_ACTIONS] as const;

function legitimate(queue: Queue, role: StackRoleName, action: string): boolean {
  const { senders, takers, peekers } = LEGITIMATE[queue];
  if (action === SEND_ACTION) return senders.includes(role);
  if ((TAKING_ACTIONS as readonly string[]).includes(action)) return takers.includes(role) || (action === "sqs:ReceiveMessage" && peekers.includes(role));
  return false;
}

function queuePolicyOf(synthesized: SynthesizedStack, queue: string): { Statement: Statement[] } {
  const policy = Object.values(synthesized.resources("aws_sqs_queue_policy")).find((candidate) => candidate.queue_url === ref("aws_sqs_queue", queue, "url"));
  if (!policy) throw new Error(`${queue} has no queue policy`);
  return resolved(policy.policy);
}

/** Each stack role's logical id (the vehicle and gateway roles read from the stack: the roles IoT's credentials provider hands out). */
const ROLE_LOGICAL_ID: Readonly<Record<StackRoleName, string>> = (() => {
  const roles = Object.keys(stack.resources("aws_iam_role"));
  const only = (pattern: RegExp) => {
    const found = roles.filter((logicalId) => pattern.test(logicalId));
    assert.is(found.length, 1, `one role matching ${pattern}: ${roles.join(", ")}`);
    return found[0]!;
  };
  return {
    telemetryProcessor: "telemetry_processor_role",
    updateManager: "update_manager_role",
    rolloutTicker: "rollout_ticker_role",
    dashboardPublisher: "dashboard_publisher_role",
    vehicles: only(/vehicle/),
    gateways: only(/gateway/),
  };
})();

interface Caller {
  /** A role or user ARN, or a service principal (`events.amazonaws.com`). */
  readonly principal: string;
  readonly identityPolicy?: unknown;
  /** The request context its call carries beyond a role's or user's own keys (a service principal's aws:SourceArn …). */
  readonly context?: Record<string, string>;
}

/** `caller` (a session of a role, a user, or a service) calling `action` on `queue` of the stack; the request context as AWS sets it. */
async function decide(caller: Caller, action: string, queue: string, synthesized: SynthesizedStack = stack): Promise<string> {
  const iam = /^arn:aws:iam::(\d{12}):(role|user)\/(.+)$/.exec(caller.principal);
  const principal = iam?.[2] === "role" ? `arn:aws:sts::${iam[1]}:assumed-role/${iam[3]}/session` : caller.principal;
  const contextVariables = { ...(iam ? { "aws:PrincipalArn": caller.principal, "aws:PrincipalAccount": iam[1]!, "aws:PrincipalIsAWSService": "false" } : {}), ...caller.context };
  const result = await runSimulation(
    {
      identityPolicies: caller.identityPolicy ? [{ name: "identity", policy: caller.identityPolicy }] : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: queuePolicyOf(synthesized, queue),
      request: { action, principal, resource: { accountId: TEST_ACCOUNT_ID, resource: queueArnOf(queue) }, contextVariables },
    },
    {},
  );
  if (result.resultType === "error") throw new Error(`simulation refused: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

const withSqsEverything = (principal: string): Caller => ({ principal, identityPolicy: SQS_EVERYTHING });
const stackRole = (role: StackRoleName) => withSqsEverything(roleArnOf(ROLE_LOGICAL_ID[role]));
const operators = [withSqsEverything(`arn:aws:iam::${TEST_ACCOUNT_ID}:role/fleet-operator`), withSqsEverything(`arn:aws:iam::${TEST_ACCOUNT_ID}:user/alice`)];
/** EventBridge delivering for a rule: a service principal, with the rule as aws:SourceArn (AWS also sets aws:SourceAccount). */
const eventBridge = (ruleArn: string, extra: Record<string, string> = {}): Caller => ({
  principal: "events.amazonaws.com",
  context: { "aws:SourceArn": ruleArn, "aws:SourceAccount": ruleArn.split(":")[4]!, "aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": "events.amazonaws.com", ...extra },
});

/** Every (action, role) on `queue` decided with `sqs:*` on the role: the refusals and the legitimate uses, as one list of mismatches. */
async function mismatchesOn(queue: Queue): Promise<string[]> {
  const wrong: string[] = [];
  for (const role of STACK_ROLE) {
    for (const action of EVERY_ACTION) {
      const expected = legitimate(queue, role, action) ? "Allowed" : "ExplicitlyDenied";
      const actual = await decide(stackRole(role), action, queue);
      if (actual !== expected) wrong.push(`${role} ${action} on ${queue}: ${actual}, expected ${expected}`);
    }
  }
  return wrong;
}

test("the telemetry queue and its DLQ take EventBridge's delivery for the telemetry rule, and refuse any other rule, service or account", async () => {
  for (const queue of ["telemetry_queue", "telemetry_dlq"] as const) {
    // Whichever of its keys AWS sets beside aws:SourceArn (no aws:PrincipalAccount of ours; aws:PrincipalIsAWSService or not), the rule's delivery is allowed.
    assert.is(await decide(eventBridge(TELEMETRY_RULE), SEND_ACTION, queue), "Allowed", `the rule's delivery to ${queue}`);
    assert.is(await decide({ principal: "events.amazonaws.com", context: { "aws:SourceArn": TELEMETRY_RULE } }, SEND_ACTION, queue), "Allowed", `${queue}: aws:SourceArn alone`);
    assert.is(await decide(eventBridge(TELEMETRY_RULE, { "aws:PrincipalAccount": "999999999999" }), SEND_ACTION, queue), "Allowed", `${queue}: a service account`);
    // Refused explicitly, so no later Allow lets them in: another rule of this account or another, another service, another account.
    assert.is(await decide(eventBridge(ruleArnOf("some_other_rule")), SEND_ACTION, queue), "ExplicitlyDenied", `another rule to ${queue}`);
    assert.is(await decide(eventBridge(ruleArnOf("telemetry_object_created", OTHER_ACCOUNT)), SEND_ACTION, queue), "ExplicitlyDenied", `another account's rule to ${queue}`);
    const topic = `arn:aws:sns:${REGION}:${TEST_ACCOUNT_ID}:fleet-topic`;
    assert.is(await decide({ principal: "sns.amazonaws.com", context: { "aws:SourceArn": topic, "aws:PrincipalIsAWSService": "true" } }, SEND_ACTION, queue), "ExplicitlyDenied", `SNS to ${queue}`);
    // Even should a service's call carry this account as aws:PrincipalAccount: only the telemetry rule is a service sender.
    const asThisAccount = { "aws:PrincipalAccount": TEST_ACCOUNT_ID };
    assert.is(await decide(eventBridge(ruleArnOf("some_other_rule"), asThisAccount), SEND_ACTION, queue), "ExplicitlyDenied", `another rule, this account, to ${queue}`);
    assert.is(await decide({ principal: "sns.amazonaws.com", context: { "aws:SourceArn": topic, "aws:PrincipalIsAWSService": "true", ...asThisAccount } }, SEND_ACTION, queue), "ExplicitlyDenied", `SNS, this account, to ${queue}`);
    assert.is(await decide(withSqsEverything(`arn:aws:iam::${OTHER_ACCOUNT}:role/fleet-operator`), SEND_ACTION, queue), "ExplicitlyDenied", `another account to ${queue}`);
  }
  // The update pipeline's queues take no service's sends at all (no Allow for any: R14-C5 below).
  for (const queue of ["command_queue", "command_dlq", "update_queue", "update_dlq"] as const) {
    assert.is(await decide(eventBridge(TELEMETRY_RULE), SEND_ACTION, queue), "ImplicitlyDenied", `EventBridge to ${queue}`);
  }
});

test("R14-C5: on the update pipeline's four queues the other-account denial judges principals that carry an account: a service principal (no aws:PrincipalAccount) is refused for want of an Allow, not by that Deny, so a move SQS were to judge as its own service is not refused there; every IAM principal of another account still is, explicitly", async () => {
  const sqsMove = (source: string): Caller => ({
    principal: "sqs.amazonaws.com",
    context: { "aws:SourceArn": queueArnOf(source), "aws:SourceAccount": TEST_ACCOUNT_ID, "aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": "sqs.amazonaws.com" },
  });
  for (const [queue, source] of [["command_dlq", "command_queue"], ["update_dlq", "update_queue"], ["command_queue", "command_dlq"], ["update_queue", "update_dlq"]] as const) {
    assert.is(await decide(sqsMove(source), SEND_ACTION, queue), "ImplicitlyDenied", `sqs.amazonaws.com to ${queue}`);
    assert.is(await decide({ principal: "sqs.amazonaws.com", context: {} }, SEND_ACTION, queue), "ImplicitlyDenied", `a keyless service call to ${queue}`);
    for (const principal of [`arn:aws:iam::${OTHER_ACCOUNT}:role/fleet-operator`, `arn:aws:iam::${OTHER_ACCOUNT}:user/mallory`]) {
      assert.is(await decide(withSqsEverything(principal), SEND_ACTION, queue), "ExplicitlyDenied", `${principal} to ${queue}`);
    }
  }
});

test("telemetry queue and DLQ: every stack role with sqs:* is refused sending (a fake S3 event), administering and taking; the processor takes from the queue, the publisher peeks at the DLQ", async () => {
  assert.equal([...(await mismatchesOn("telemetry_queue")), ...(await mismatchesOn("telemetry_dlq"))], []);
});

test("command queue and DLQ: with sqs:* only the ticker sends commands, only the manager takes them, no stack role administers either queue or sends to or takes from the DLQ (the publisher peeks)", async () => {
  assert.equal([...(await mismatchesOn("command_queue")), ...(await mismatchesOn("command_dlq"))], []);
});

test("vehicle-report queue and DLQ: with sqs:* only the processor sends, only the manager takes, no stack role administers either queue or sends to or takes from the DLQ (the publisher peeks)", async () => {
  assert.equal([...(await mismatchesOn("update_queue")), ...(await mismatchesOn("update_dlq"))], []);
});

test("R15-Q5: each schedule's failure queue: with sqs:* only its own function's role sends (Lambda's on-failure record), no stack role takes, purges, moves or administers the records", async () => {
  assert.equal([...(await mismatchesOn("rollout_ticker_schedule_failures")), ...(await mismatchesOn("dashboard_publisher_schedule_failures"))], []);
});

test("R15-Q5: Lambda's on-failure send still arrives whatever its context: the function's role session with its real policy (with or without the function as aws:SourceArn) is Allowed; were it a service principal's, the policy refuses it no more than no policy did (no explicit Deny)", async () => {
  for (const [queue, role] of [["rollout_ticker_schedule_failures", "rolloutTicker"], ["dashboard_publisher_schedule_failures", "dashboardPublisher"]] as const) {
    const functionId = ROLE_LOGICAL_ID[role].replace(/_role$/, "");
    const functionArn = `arn:aws:lambda:${REGION}:${TEST_ACCOUNT_ID}:function:${functionId}`;
    const identityPolicy = resolved(stack.resource("aws_iam_role_policy", `${functionId}_policy`).policy);
    const session = { principal: roleArnOf(ROLE_LOGICAL_ID[role]), identityPolicy };
    assert.is(await decide(session, SEND_ACTION, queue), "Allowed", `${role} to ${queue}`);
    assert.is(await decide({ ...session, context: { "aws:SourceArn": functionArn, "aws:SourceAccount": TEST_ACCOUNT_ID } }, SEND_ACTION, queue), "Allowed", `${role} with the function as source to ${queue}`);
    const lambdaService = { principal: "lambda.amazonaws.com", context: { "aws:SourceArn": functionArn, "aws:SourceAccount": TEST_ACCOUNT_ID, "aws:PrincipalIsAWSService": "true", "aws:PrincipalServiceName": "lambda.amazonaws.com" } };
    assert.is(await decide(lambdaService, SEND_ACTION, queue), "ImplicitlyDenied", `lambda.amazonaws.com to ${queue}`);
    // The other schedule's function, with its real policy, sends to its own failure queue only.
    const other = role === "rolloutTicker" ? "dashboardPublisher" : "rolloutTicker";
    assert.is(await decide(stackRole(other), SEND_ACTION, queue), "ExplicitlyDenied", `${other} with sqs:* to ${queue}`);
  }
});

test("the functions keep every SQS grant of their real policies, operators keep every action on the eight queues, and the same sqs:* on a stack role is refused administering them", async () => {
  let grants = 0;
  for (const role of ["telemetryProcessor", "updateManager", "rolloutTicker", "dashboardPublisher"] as const) {
    const functionId = ROLE_LOGICAL_ID[role].replace(/_role$/, "");
    const identityPolicy = resolved(stack.resource("aws_iam_role_policy", `${functionId}_policy`).policy);
    for (const statement of identityPolicy.Statement as Statement[]) {
      for (const action of list(statement.Action).filter((candidate) => candidate.startsWith("sqs:"))) {
        for (const queue of QUEUES.filter((candidate) => list(statement.Resource).includes(queueArnOf(candidate)))) {
          assert.is(await decide({ principal: roleArnOf(ROLE_LOGICAL_ID[role]), identityPolicy }, action, queue), "Allowed", `${role}'s own ${action} on ${queue}`);
          grants++;
        }
      }
    }
  }
  // processor: consume telemetry (4) + send reports; manager: consume two queues (8); ticker: send commands + its failed
  // runs; publisher: depths (6) + peeks (3) + its failed runs.
  assert.is(grants, 4 + 1 + 8 + 1 + 1 + 6 + 3 + 1);
  for (const operator of operators) {
    for (const queue of QUEUES) {
      // fleetota campaign … sends; fleetota redrive moves (task, or receive/delete/send), a purge or a queue change is theirs to make.
      for (const action of [...EVERY_ACTION, "sqs:GetQueueAttributes", "sqs:ListMessageMoveTasks"]) assert.is(await decide(operator, action, queue), "Allowed", `${operator.principal}: ${action} on ${queue}`);
    }
  }
  for (const queue of QUEUES) assert.is(await decide(stackRole("dashboardPublisher"), "sqs:DeleteQueue", queue), "ExplicitlyDenied", queue);
});

test("no principal of another account sends to any of the eight queues, even one a queue policy were to name later", async () => {
  const otherAccount = withSqsEverything(`arn:aws:iam::${OTHER_ACCOUNT}:role/fleet-operator`);
  for (const queue of QUEUES) assert.is(await decide(otherAccount, SEND_ACTION, queue), "ExplicitlyDenied", queue);
});

test("the queue policies deny only (but EventBridge's delivery to the telemetry queues), by the caller's account, role ARN or the rule, within SQS's policy quotas", () => {
  const known = ["aws:PrincipalArn", "aws:PrincipalAccount", "aws:SourceArn", "aws:PrincipalIsAWSService"];
  for (const queue of QUEUES) {
    const policy = stack.resources("aws_sqs_queue_policy");
    const text = String(Object.values(policy).find((candidate) => candidate.queue_url === ref("aws_sqs_queue", queue, "url"))!.policy);
    const statements = parseJson<{ Statement: Statement[] }>(text).Statement;
    const allows = statements.filter((statement) => statement.Effect === "Allow");
    assert.equal(allows.map((statement) => statement.Principal), queue.startsWith("telemetry") ? [{ Service: "events.amazonaws.com" }] : [], queue);
    for (const statement of statements) {
      assert.ok(Object.values(statement.Condition ?? {}).every((keys) => Object.keys(keys).every((key) => known.includes(key))), `${queue} ${statement.Sid}`);
      assert.ok(list(statement.Action).length <= SQS_POLICY_QUOTA.actionsPerStatement, `${queue} ${statement.Sid}: at most 7 actions`);
      assert.equal(list(statement.Resource), [ref("aws_sqs_queue", queue, "arn")]);
    }
    assert.ok(statements.length <= SQS_POLICY_QUOTA.statements, queue);
    const conditions = statements.reduce((sum, statement) => sum + Object.values(statement.Condition ?? {}).reduce((keys, block) => keys + Object.keys(block).length, 0), 0);
    assert.ok(conditions <= SQS_POLICY_QUOTA.conditions, `${queue}: ${conditions} conditions`);
    // Every reference as long as AWS allows it (role names 64 characters, queue names 80, rule names 64).
    const longest = text.replace(/\$\{[^}]+\}/g, (reference) => (reference.includes("aws_iam_role") ? `arn:aws:iam::${TEST_ACCOUNT_ID}:role/${"r".repeat(64)}` : `arn:aws:sqs:${REGION}:${TEST_ACCOUNT_ID}:${"q".repeat(80)}`));
    assert.ok(Buffer.byteLength(longest) <= SQS_POLICY_QUOTA.bytes, `${queue}: ${Buffer.byteLength(longest)} bytes`);
  }
  for (const queue of DLQS) assert.ok(queuePolicyOf(stack, queue).Statement.some((statement) => statement.Sid === "PeekersOnlyLook"), queue);
});

test.run();
