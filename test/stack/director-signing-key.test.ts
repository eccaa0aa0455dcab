/**
 * The director key's policy, evaluated as AWS evaluates it (iam-simulate: the key policy as the resource
 * policy, KMS's account-principal delegation, explicit denies) for the principals that matter: an account
 * administrator with `kms:*` in its identity policy, the deploy role, the root user, the update manager.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ADMINISTRATION_ACTIONS } from "../../modules/director-signing-key.js";
import { InvalidStackPropsError, MissingKeyAdministratorsError, resolveStackProps, stackOverridesFromEnv } from "../../modules/stack-config.js";
import { parseJson, ref, synthStack, TEST_ACCOUNT_ID, TEST_DEPLOY_ROLE, type SynthesizedStack } from "./support/synth.js";

const KEY_ARN = `arn:aws:kms:eu-central-1:${TEST_ACCOUNT_ID}:key/0a1b2c3d-1111-2222-3333-444455556666`;
const MANAGER_ROLE = `arn:aws:iam::${TEST_ACCOUNT_ID}:role/fleetota-dev-update-manager`;
const DEPLOY_ROLE = TEST_DEPLOY_ROLE;
const MANAGER_FUNCTION = `arn:aws:lambda:eu-central-1:${TEST_ACCOUNT_ID}:function:fleetota-dev-update-manager`;
const ROOT = `arn:aws:iam::${TEST_ACCOUNT_ID}:root`;
const KMS_EVERYTHING = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] };
const SIGN_CONTEXT = { "kms:SigningAlgorithm": "ECDSA_SHA_256", "kms:MessageType": "RAW" };

function keyPolicyOf(synthesized: SynthesizedStack): unknown {
  const text = String(synthesized.resource("aws_kms_key", "director_key").policy).replaceAll(ref("aws_iam_role", "update_manager_role", "arn"), MANAGER_ROLE);
  return JSON.parse(text);
}

/** The key policy and the update manager's role policy of a synthesized stack, with the manager as a caller. */
function updateManagerOf(synthesized: SynthesizedStack) {
  const managerPolicy = JSON.parse(
    String(synthesized.resource("aws_iam_role_policy", "update_manager_policy").policy).replaceAll(ref("aws_kms_key", "director_key", "arn"), KEY_ARN),
  ) as { Statement: Array<{ Sid?: string }> };
  return { synthesized, policy: keyPolicyOf(synthesized), managerPolicy, manager: { principalArn: MANAGER_ROLE, identityPolicy: managerPolicy } };
}

/** A role session (`sessionOf(role)`) or the root user calling `action` on the key; aws:PrincipalArn as AWS sets it. */
async function decide(keyPolicy: unknown, caller: { principalArn: string; identityPolicy: unknown }, action: string, context: Record<string, string> = {}): Promise<string> {
  const role = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(caller.principalArn);
  const principal = role ? `arn:aws:sts::${role[1]}:assumed-role/${role[2]!.split("/").at(-1)}/session` : caller.principalArn;
  const result = await runSimulation(
    {
      identityPolicies: [{ name: "identity", policy: caller.identityPolicy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: keyPolicy,
      request: { action, principal, resource: { accountId: TEST_ACCOUNT_ID, resource: KEY_ARN }, contextVariables: { "aws:PrincipalArn": caller.principalArn, ...context } },
    },
    {},
  );
  if (result.resultType === "error") throw new Error(`simulation refused: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

const admin = { principalArn: `arn:aws:iam::${TEST_ACCOUNT_ID}:role/AdministratorAccess`, identityPolicy: KMS_EVERYTHING };
const deployer = { principalArn: DEPLOY_ROLE, identityPolicy: KMS_EVERYTHING };
const rootUser = { principalArn: ROOT, identityPolicy: KMS_EVERYTHING };

test("an account principal with kms:* in its identity policy cannot sign, nor grant itself Sign; it may still read the key", async () => {
  const policy = keyPolicyOf(synthStack());

  assert.is.not(await decide(policy, admin, "kms:Sign", SIGN_CONTEXT), "Allowed");
  assert.is(await decide(policy, admin, "kms:CreateGrant", { "kms:GrantOperations": "Sign" }), "ExplicitlyDenied");
  assert.is(await decide(policy, admin, "kms:DescribeKey"), "Allowed");
  assert.is(await decide(policy, admin, "kms:GetPublicKey"), "Allowed");
  for (const caller of [deployer, rootUser]) assert.is(await decide(policy, caller, "kms:CreateGrant"), "ExplicitlyDenied", caller.principalArn);
});

test("the update manager signs (RAW, ECDSA_SHA_256) with its own grant; another algorithm or message type is refused", async () => {
  const { policy, manager } = updateManagerOf(synthStack());
  const fromTheFunction = { ...SIGN_CONTEXT, "lambda:SourceFunctionArn": MANAGER_FUNCTION };

  assert.is(await decide(policy, manager, "kms:Sign", fromTheFunction), "Allowed");
  assert.is.not(await decide(policy, manager, "kms:Sign", { ...fromTheFunction, "kms:MessageType": "DIGEST" }), "Allowed");
  assert.is.not(await decide(policy, manager, "kms:CreateGrant"), "Allowed");
});

test("R8-F: the update manager's role signs only from the update manager's own function: a function someone else creates with the role (iam:PassRole + lambda:CreateFunction), or a session without a source function, is explicitly denied", async () => {
  const { synthesized, policy, managerPolicy, manager } = updateManagerOf(synthStack());
  const deny = managerPolicy.Statement.find((statement) => statement.Sid === "SignOnlyFromTheUpdateManagerFunction");

  // The ARN the Deny names is the deployed function's: its name in the stack.
  assert.is(synthesized.resource("aws_lambda_function", "update_manager").function_name, MANAGER_FUNCTION.split(":").at(-1));
  assert.equal(deny, { Sid: "SignOnlyFromTheUpdateManagerFunction", Effect: "Deny", Action: "kms:Sign", Resource: "*", Condition: { ArnNotLike: { "lambda:SourceFunctionArn": [MANAGER_FUNCTION, `${MANAGER_FUNCTION}:*`] } } });
  assert.is(await decide(policy, manager, "kms:Sign", { ...SIGN_CONTEXT, "lambda:SourceFunctionArn": MANAGER_FUNCTION }), "Allowed");
  assert.is(await decide(policy, manager, "kms:Sign", { ...SIGN_CONTEXT, "lambda:SourceFunctionArn": `${MANAGER_FUNCTION}:live` }), "Allowed", "its alias");
  for (const other of [`${MANAGER_FUNCTION}-2`, MANAGER_FUNCTION.replace("update-manager", "rollout-ticker"), `arn:aws:lambda:eu-central-1:${TEST_ACCOUNT_ID}:function:attacker`]) {
    assert.is(await decide(policy, manager, "kms:Sign", { ...SIGN_CONTEXT, "lambda:SourceFunctionArn": other }), "ExplicitlyDenied", other);
  }
  assert.is(await decide(policy, manager, "kms:Sign", SIGN_CONTEXT), "ExplicitlyDenied", "a session of the role outside any function");
  // Reading the public key (to check the director root) is not Sign: unaffected.
  assert.is(await decide(policy, manager, "kms:GetPublicKey"), "Allowed");
});

test("with keyAdministratorArns only the deploy role and the root user may rewrite the key policy (no lockout)", async () => {
  const policy = keyPolicyOf(synthStack({ keyAdministratorArns: [DEPLOY_ROLE] }));

  assert.is(await decide(policy, admin, "kms:PutKeyPolicy"), "ExplicitlyDenied");
  assert.is(await decide(policy, deployer, "kms:PutKeyPolicy"), "Allowed", "Terraform, as the deploy role, still updates the policy");
  assert.is(await decide(policy, rootUser, "kms:PutKeyPolicy"), "Allowed", "the root user is the break-glass");
  assert.is.not(await decide(policy, deployer, "kms:Sign", SIGN_CONTEXT), "Allowed");
  assert.is(await decide(policy, deployer, "kms:CreateGrant"), "ExplicitlyDenied");
});

test("R8-F: an AWS deployment without keyAdministratorArns is refused, naming the setting; only the local target may leave the policy to the account's IAM", async () => {
  for (const keyAdministratorArns of [undefined, []]) {
    for (const attempt of [() => resolveStackProps({ accountId: TEST_ACCOUNT_ID, keyAdministratorArns }), () => synthStack({ keyAdministratorArns })]) {
      assert.throws(attempt, (error: unknown) => error instanceof MissingKeyAdministratorsError && /FLEETOTA_STACK_KEY_ADMINISTRATOR_ARNS/.test((error as Error).message));
    }
  }
  assert.throws(() => synthStack({ keyAdministratorArns: undefined, ...stackOverridesFromEnv({ FLEETOTA_STACK_ACCOUNT_ID: TEST_ACCOUNT_ID }) }), (error: unknown) => error instanceof MissingKeyAdministratorsError);

  const local = synthStack({ accountId: undefined, keyAdministratorArns: undefined, ...stackOverridesFromEnv({ FLEETOTA_STACK_TARGET: "local" }) });
  const statements = parseJson<{ Statement: Array<{ Sid?: string }> }>(local.resource("aws_kms_key", "director_key").policy).Statement;
  assert.not.ok(statements.some((statement) => statement.Sid === "OnlyKeyAdministratorsChangeThePolicy"), "the emulator's stack: nothing to lock");
  assert.is(await decide(keyPolicyOf(local), admin, "kms:PutKeyPolicy"), "Allowed");
});

test("administration is a list of named actions: no wildcard, no CreateGrant, no Sign", () => {
  for (const action of ADMINISTRATION_ACTIONS) assert.not.ok(/\*|^kms:(CreateGrant|Sign|ReplicateKey|ImportKeyMaterial)$/.test(action), action);
  assert.ok(ADMINISTRATION_ACTIONS.includes("kms:PutKeyPolicy"), "Terraform writes the key policy on deploy");
});

test("key administrators must be IAM roles or users of the stack's own account; the environment takes a comma-separated list", () => {
  for (const arn of [`arn:aws:iam::210987654321:role/deploy`, "deploy", `arn:aws:sts::${TEST_ACCOUNT_ID}:assumed-role/deploy/s`, `arn:aws:iam::${TEST_ACCOUNT_ID}:root`]) {
    assert.throws(() => resolveStackProps({ accountId: TEST_ACCOUNT_ID, keyAdministratorArns: [arn] }), (error: unknown) => error instanceof InvalidStackPropsError, arn);
  }
  const sso = `arn:aws:iam::${TEST_ACCOUNT_ID}:role/aws-reserved/sso.amazonaws.com/eu-central-1/AWSReservedSSO_Deploy_*`;
  assert.equal(resolveStackProps({ accountId: TEST_ACCOUNT_ID, keyAdministratorArns: [DEPLOY_ROLE, sso] }).keyAdministratorArns, [DEPLOY_ROLE, sso]);
  assert.equal(stackOverridesFromEnv({ FLEETOTA_STACK_KEY_ADMINISTRATOR_ARNS: ` ${DEPLOY_ROLE}, ${sso}` }).keyAdministratorArns, [DEPLOY_ROLE, sso]);
});

test.run();
