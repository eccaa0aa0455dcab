/**
 * The director key's policy, evaluated as AWS evaluates it (iam-simulate: the key policy as the resource
 * policy, KMS's account-principal delegation, explicit denies) for the principals that matter: an account
 * administrator with `kms:*` in its identity policy, the deploy role, the root user, the update manager.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ADMINISTRATION_ACTIONS } from "../../modules/director-signing-key.js";
import { InvalidStackPropsError, resolveStackProps, stackOverridesFromEnv } from "../../modules/stack-config.js";
import { parseJson, ref, synthStack, TEST_ACCOUNT_ID, type SynthesizedStack } from "./support/synth.js";

const KEY_ARN = `arn:aws:kms:eu-central-1:${TEST_ACCOUNT_ID}:key/0a1b2c3d-1111-2222-3333-444455556666`;
const MANAGER_ROLE = `arn:aws:iam::${TEST_ACCOUNT_ID}:role/fleetota-dev-update-manager`;
const DEPLOY_ROLE = `arn:aws:iam::${TEST_ACCOUNT_ID}:role/fleetota-deploy`;
const ROOT = `arn:aws:iam::${TEST_ACCOUNT_ID}:root`;
const KMS_EVERYTHING = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] };
const SIGN_CONTEXT = { "kms:SigningAlgorithm": "ECDSA_SHA_256", "kms:MessageType": "RAW" };

function keyPolicyOf(synthesized: SynthesizedStack): unknown {
  const text = String(synthesized.resource("aws_kms_key", "director_key").policy).replaceAll(ref("aws_iam_role", "update_manager_role", "arn"), MANAGER_ROLE);
  return JSON.parse(text);
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
  const synthesized = synthStack();
  const policy = keyPolicyOf(synthesized);
  const managerPolicy = JSON.parse(
    String(synthesized.resource("aws_iam_role_policy", "update_manager_policy").policy).replaceAll(ref("aws_kms_key", "director_key", "arn"), KEY_ARN),
  );
  const manager = { principalArn: MANAGER_ROLE, identityPolicy: managerPolicy };

  assert.is(await decide(policy, manager, "kms:Sign", SIGN_CONTEXT), "Allowed");
  assert.is.not(await decide(policy, manager, "kms:Sign", { ...SIGN_CONTEXT, "kms:MessageType": "DIGEST" }), "Allowed");
  assert.is.not(await decide(policy, manager, "kms:CreateGrant"), "Allowed");
});

test("with keyAdministratorArns only the deploy role and the root user may rewrite the key policy (no lockout)", async () => {
  const policy = keyPolicyOf(synthStack({ keyAdministratorArns: [DEPLOY_ROLE] }));

  assert.is(await decide(policy, admin, "kms:PutKeyPolicy"), "ExplicitlyDenied");
  assert.is(await decide(policy, deployer, "kms:PutKeyPolicy"), "Allowed", "Terraform, as the deploy role, still updates the policy");
  assert.is(await decide(policy, rootUser, "kms:PutKeyPolicy"), "Allowed", "the root user is the break-glass");
  assert.is.not(await decide(policy, deployer, "kms:Sign", SIGN_CONTEXT), "Allowed");
  assert.is(await decide(policy, deployer, "kms:CreateGrant"), "ExplicitlyDenied");
});

test("without keyAdministratorArns the key policy stays writable by the account's IAM (documented; nothing is locked out)", async () => {
  const statements = parseJson<{ Statement: Array<{ Sid?: string }> }>(synthStack().resource("aws_kms_key", "director_key").policy).Statement;

  assert.is(await decide(keyPolicyOf(synthStack()), admin, "kms:PutKeyPolicy"), "Allowed");
  assert.not.ok(statements.some((statement) => statement.Sid === "OnlyKeyAdministratorsChangeThePolicy"));
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
