/**
 * The update pipeline's queue policies (UpdatePipeline.refuseSenders), evaluated as AWS evaluates them (iam-simulate:
 * the queue policy as the resource policy, the caller's role policy as its identity policy): who may send commands
 * must not rest on role policies alone. Each role is tried with its real policy, or with an over-broad `sqs:*` on
 * `*` added (the mistake the queue policy is there to survive).
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { COMMAND_TAKING_ACTIONS, REFUSED_SENDER_ACTIONS } from "../../modules/update-pipeline.js";
import { parseJson, ref, synthStack, TEST_ACCOUNT_ID, type SynthesizedStack } from "./support/synth.js";

const OTHER_ACCOUNT = "210987654321";
const queueArnOf = (logicalId: string) => `arn:aws:sqs:eu-central-1:${TEST_ACCOUNT_ID}:${logicalId}`;
const roleArnOf = (logicalId: string) => `arn:aws:iam::${TEST_ACCOUNT_ID}:role/${logicalId}`;
const SQS_EVERYTHING = { Version: "2012-10-17", Statement: [{ Sid: "OverBroad", Effect: "Allow", Action: "sqs:*", Resource: "*" }] };

/** A policy's text with the queues' and roles' references made ARNs (by logical id), any other reference an ARN nobody matches. */
function resolved(text: unknown): any {
  return JSON.parse(
    String(text)
      .replace(/\$\{aws_sqs_queue\.([a-z_]+)\.arn\}/g, (_, logicalId: string) => queueArnOf(logicalId))
      .replace(/\$\{aws_iam_role\.([a-z_]+)\.arn\}/g, (_, logicalId: string) => roleArnOf(logicalId))
      .replace(/\$\{[^}]+\}/g, "arn:aws:unresolved:::x"),
  );
}

const stack = synthStack();
// The mistake: the telemetry processor's role given sqs:* on * by hand.
const overBroad = synthStack({}, (fleet) => fleet.functions.byKey.telemetryProcessor.addToPolicy({ Sid: "OverBroad", Effect: "Allow", Action: "sqs:*", Resource: "*" }));

function queuePolicyOf(synthesized: SynthesizedStack, queue: string): unknown {
  const policy = Object.values(synthesized.resources("aws_sqs_queue_policy")).find((candidate) => candidate.queue_url === ref("aws_sqs_queue", queue, "url"));
  if (!policy) throw new Error(`${queue} has no queue policy`);
  return resolved(policy.policy);
}

const rolePolicyOf = (synthesized: SynthesizedStack, functionId: string) => resolved(synthesized.resource("aws_iam_role_policy", `${functionId}_policy`).policy);

/** A session of `principalArn` (a role, or a user) calling `action` on `queue` of the stack; the request context as AWS sets it. */
async function decide(synthesized: SynthesizedStack, caller: { principalArn: string; identityPolicy: unknown }, action: string, queue: string): Promise<string> {
  const role = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(caller.principalArn);
  const account = /^arn:aws:iam::(\d{12}):/.exec(caller.principalArn)![1]!;
  const principal = role ? `arn:aws:sts::${role[1]}:assumed-role/${role[2]}/session` : caller.principalArn;
  const result = await runSimulation(
    {
      identityPolicies: [{ name: "identity", policy: caller.identityPolicy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: queuePolicyOf(synthesized, queue),
      request: {
        action,
        principal,
        resource: { accountId: TEST_ACCOUNT_ID, resource: queueArnOf(queue) },
        contextVariables: { "aws:PrincipalArn": caller.principalArn, "aws:PrincipalAccount": account },
      },
    },
    {},
  );
  if (result.resultType === "error") throw new Error(`simulation refused: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

const functionRole = (synthesized: SynthesizedStack, functionId: string) => ({ principalArn: roleArnOf(`${functionId}_role`), identityPolicy: rolePolicyOf(synthesized, functionId) });
const withSqsEverything = (principalArn: string) => ({ principalArn, identityPolicy: SQS_EVERYTHING });
const processor = functionRole(overBroad, "telemetry_processor");
const operator = withSqsEverything(`arn:aws:iam::${TEST_ACCOUNT_ID}:role/fleet-operator`);
const operatorUser = withSqsEverything(`arn:aws:iam::${TEST_ACCOUNT_ID}:user/alice`);
const otherAccount = withSqsEverything(`arn:aws:iam::${OTHER_ACCOUNT}:role/fleet-operator`);
const COMMAND_QUEUES = ["command_queue", "command_dlq"] as const;
const REPORT_QUEUES = ["update_queue", "update_dlq"] as const;

/** The vehicle and gateway roles' logical ids, read from the stack (the roles IoT's credentials provider hands out). */
function identityRoles(): string[] {
  const roles = Object.keys(stack.resources("aws_iam_role")).filter((logicalId) => /vehicle|gateway/.test(logicalId));
  assert.is(roles.length, 2, `the vehicle and gateway roles: ${roles.join(", ")}`);
  return roles;
}

test("the telemetry processor's role with sqs:* on * added is refused by the command queue and its DLQ: no send, no policy change", async () => {
  for (const queue of COMMAND_QUEUES) {
    for (const action of REFUSED_SENDER_ACTIONS) assert.is(await decide(overBroad, processor, action, queue), "ExplicitlyDenied", `${action} on ${queue}`);
  }
  // Nor may it take (receive and delete) an operator's pause off the queue before the manager sees it.
  for (const action of COMMAND_TAKING_ACTIONS) assert.is(await decide(overBroad, processor, action, "command_queue"), "ExplicitlyDenied", `${action} on the command queue`);
  // What its own grant is for still works: candidates and reports to the vehicle-report queue.
  assert.is(await decide(overBroad, processor, "sqs:SendMessage", "update_queue"), "Allowed");
});

test("every other stack role that never commands is refused sending to the command queue, whatever its role policy allows", async () => {
  const refused = ["update_manager_role", "dashboard_publisher_role", ...identityRoles()].map(roleArnOf);
  for (const principalArn of refused) {
    for (const queue of COMMAND_QUEUES) assert.is(await decide(stack, withSqsEverything(principalArn), "sqs:SendMessage", queue), "ExplicitlyDenied", `${principalArn} to ${queue}`);
  }
});

test("the rollout ticker sends its ticks and operators send commands and redrive; the update manager consumes; the publisher reads depths and peeks", async () => {
  assert.is(await decide(stack, functionRole(stack, "rollout_ticker"), "sqs:SendMessage", "command_queue"), "Allowed", "ticker's tick");
  for (const caller of [operator, operatorUser]) {
    assert.is(await decide(stack, caller, "sqs:SendMessage", "command_queue"), "Allowed", `${caller.principalArn}: fleetota campaign … / client-side redrive`);
    for (const action of ["sqs:StartMessageMoveTask", "sqs:ReceiveMessage", "sqs:DeleteMessage"]) {
      assert.is(await decide(stack, caller, action, "command_dlq"), "Allowed", `${caller.principalArn}: ${action} on the command DLQ (fleetota redrive)`);
    }
    assert.is(await decide(stack, caller, "sqs:SendMessage", "update_queue"), "Allowed", `${caller.principalArn}: redrive of the vehicle-report DLQ`);
  }
  const manager = functionRole(stack, "update_manager");
  for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]) {
    assert.is(await decide(stack, manager, action, "command_queue"), "Allowed", `the manager's ${action}`);
  }
  const publisher = functionRole(stack, "dashboard_publisher");
  assert.is(await decide(stack, publisher, "sqs:GetQueueAttributes", "command_queue"), "Allowed");
  assert.is(await decide(stack, publisher, "sqs:ReceiveMessage", "command_dlq"), "Allowed", "the publisher peeks at dead commands");
});

test("no principal of another account sends to the update pipeline's queues, even one the queue policy were to name later", async () => {
  for (const queue of [...COMMAND_QUEUES, ...REPORT_QUEUES]) assert.is(await decide(stack, otherAccount, "sqs:SendMessage", queue), "ExplicitlyDenied", queue);
});

test("the vehicle-report queue and its DLQ: only the telemetry processor among the stack's roles sends there", async () => {
  for (const functionId of ["update_manager", "rollout_ticker", "dashboard_publisher"]) {
    for (const queue of REPORT_QUEUES) assert.is(await decide(stack, withSqsEverything(roleArnOf(`${functionId}_role`)), "sqs:SendMessage", queue), "ExplicitlyDenied", `${functionId} to ${queue}`);
  }
  for (const logicalId of identityRoles()) {
    for (const queue of REPORT_QUEUES) assert.is(await decide(stack, withSqsEverything(roleArnOf(logicalId)), "sqs:SendMessage", queue), "ExplicitlyDenied", `${logicalId} to ${queue}`);
  }
  assert.is(await decide(stack, functionRole(stack, "update_manager"), "sqs:ReceiveMessage", "update_queue"), "Allowed", "the manager consumes reports");
});

test("the queue policies only deny, and only by the caller's account or role ARN", () => {
  for (const queue of [...COMMAND_QUEUES, ...REPORT_QUEUES]) {
    const statements = (queuePolicyOf(stack, queue) as { Statement: Array<{ Effect: string; Condition: Record<string, Record<string, unknown>> }> }).Statement;
    assert.ok(statements.length >= 2, queue);
    for (const statement of statements) {
      assert.is(statement.Effect, "Deny", queue);
      assert.ok(Object.values(statement.Condition).every((keys) => Object.keys(keys).every((key) => ["aws:PrincipalArn", "aws:PrincipalAccount"].includes(key))), queue);
    }
  }
  assert.equal(parseJson(stack.resource("aws_sqs_queue_policy", "command_queue_policy").policy).Statement[0].Resource, ref("aws_sqs_queue", "command_queue", "arn"));
});

test.run();
