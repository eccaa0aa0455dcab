/**
 * A local function's KMS calls judged as KMS judges them, on requests as the real SDK sends them: the role's policy
 * and the key's policy together (the key policy must allow the role, or the account and then the role's policy
 * decides), with kms:SigningAlgorithm, kms:MessageType and lambda:SourceFunctionArn. The director key's shape: the
 * update manager may Sign RAW ECDSA_SHA_256 and read the public key; no one else signs, not even with an identity
 * policy allowing it; DescribeKey goes by the account's delegation.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DescribeKeyCommand, GetPublicKeyCommand, KMSClient, ListKeysCommand, SignCommand } from "@aws-sdk/client-kms";
import { functionKmsAuthorizer } from "../../../../local/identity/function-kms-policy.js";
import type { Refusal } from "../../../../local/identity/front-door.js";
import type { LocalCloudDescription } from "../../../../local/model.js";
import { signOnlyFromFunction } from "../../../../modules/fleet-functions.js";
import { functionStack } from "./support/function-stack.js";
import { capturedRequest, type CapturedRequest } from "./support/signed-requests.js";

const ACCOUNT = "123456789012";
const KEY_ID = "0b7c1f0e-1111-4222-8333-944445555666";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY_ID}`;
const OPEN_KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/open`;
const MANAGER = "fleetota-dev-update-manager";
const PROCESSOR = "fleetota-dev-telemetry-processor";
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}-role`;
const functionArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

function description(): LocalCloudDescription {
  const keyPolicy = {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AccountAdministersButDoesNotSign", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: ["kms:DescribeKey", "kms:GetPublicKey"], Resource: "*" },
      { Sid: "SignDirectorMetadataOnly", Effect: "Allow", Principal: { AWS: [role(MANAGER)] }, Action: "kms:Sign", Resource: "*", Condition: { StringEquals: { "kms:SigningAlgorithm": "ECDSA_SHA_256", "kms:MessageType": "RAW" } } },
      { Sid: "SignersReadThePublicKey", Effect: "Allow", Principal: { AWS: [role(MANAGER)] }, Action: "kms:GetPublicKey", Resource: "*" },
    ],
  };
  return functionStack({
    accountId: ACCOUNT,
    functionArn,
    resources: {
      "aws_kms_key.director_key": { id: KEY_ID, key_id: KEY_ID, arn: KEY_ARN, policy: JSON.stringify(keyPolicy) },
      "aws_kms_key.open": { id: "open", key_id: "open", arn: OPEN_KEY_ARN, policy: "" },
    },
    functions: {
      [MANAGER]: [{ Sid: "SignDirectorMetadata", Effect: "Allow", Action: ["kms:Sign", "kms:GetPublicKey"], Resource: KEY_ARN }, signOnlyFromFunction(functionArn(MANAGER))],
      // An identity policy that allows everything: the key policy still decides.
      [PROCESSOR]: [{ Sid: "Everything", Effect: "Allow", Action: ["kms:Sign", "kms:DescribeKey"], Resource: "*" }],
    },
  });
}

const refusals: Refusal[] = [];
let applied: LocalCloudDescription = description();
const authorizer = functionKmsAuthorizer({ description: () => applied, accountId: ACCOUNT, onRefusal: (refused) => refusals.push(refused) });
const sent = (fn: string, command: object): Promise<CapturedRequest> =>
  capturedRequest((config) => new KMSClient(config).send(command as never), { accessKeyId: `fleetota-fn-${fn}`, secretAccessKey: "fleetota-local" });
const outcome = (request: CapturedRequest): string => {
  if (!authorizer.needsBody(request)) return "not judged";
  const refused = authorizer.judge(request, request.body);
  return refused ? `${refused.statusCode} ${JSON.parse(refused.body).__type}` : "forwarded";
};
const DENIED = "400 AccessDeniedException";
const sign = (extra: object = {}) => new SignCommand({ KeyId: KEY_ARN, Message: new Uint8Array([1, 2, 3]), MessageType: "RAW", SigningAlgorithm: "ECDSA_SHA_256", ...extra });

test("the update manager signs RAW ECDSA_SHA_256 and reads the public key, by the key's ARN or id", async () => {
  assert.is(outcome(await sent(MANAGER, sign())), "forwarded");
  assert.is(outcome(await sent(MANAGER, sign({ KeyId: KEY_ID }))), "forwarded");
  assert.is(outcome(await sent(MANAGER, new GetPublicKeyCommand({ KeyId: KEY_ARN }))), "forwarded");
});

test("the key policy's conditions hold: a digest or another algorithm is refused", async () => {
  assert.is(outcome(await sent(MANAGER, sign({ MessageType: "DIGEST", Message: new Uint8Array(32) }))), DENIED);
  assert.is(outcome(await sent(MANAGER, sign({ SigningAlgorithm: "ECDSA_SHA_384" }))), DENIED);
  assert.is(outcome(await sent(MANAGER, sign({ MessageType: undefined }))), "forwarded", "KMS's default message type is RAW");
});

test("another role may not sign though its identity policy allows it (the key policy names the signer), but DescribeKey goes by the account's delegation", async () => {
  const before = refusals.length;
  assert.is(outcome(await sent(PROCESSOR, sign())), DENIED);
  assert.is(outcome(await sent(PROCESSOR, new DescribeKeyCommand({ KeyId: KEY_ARN }))), "forwarded");
  assert.is(outcome(await sent(MANAGER, new DescribeKeyCommand({ KeyId: KEY_ARN }))), DENIED, "not in the manager's identity policy");
  assert.is(outcome(await sent(PROCESSOR, sign({ KeyId: OPEN_KEY_ARN }))), "forwarded", "a key without a policy: KMS's default delegates to IAM");
  assert.is(outcome(await sent(MANAGER, sign({ KeyId: OPEN_KEY_ARN }))), DENIED, "outside the manager's identity policy");
  assert.is(refusals.length - before, 3);
  assert.match(JSON.parse(refusals[before]!.body).message, `assumed-role/${PROCESSOR}-role/${PROCESSOR} is not authorized to perform: kms:Sign on resource: ${KEY_ARN}`);
});

test("lambda:SourceFunctionArn is the calling function's: the manager's role signing as another function is denied", async () => {
  const request = await sent(MANAGER, sign());
  applied = { ...description(), functions: description().functions.map((fn) => (fn.functionName === MANAGER ? { ...fn, functionArn: functionArn("impostor") } : fn)) };
  try {
    assert.is(outcome(request), DENIED);
    assert.match(refusals.at(-1)!.reason, "ExplicitlyDenied");
  } finally {
    applied = description();
  }
  assert.is(outcome(request), "forwarded", "the control");
});

test("an alias, a key the stack did not create and operations not read are refused", async () => {
  assert.is(outcome(await sent(MANAGER, sign({ KeyId: "alias/fleetota-dev-director" }))), DENIED);
  assert.is(outcome(await sent(MANAGER, sign({ KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/elsewhere` }))), DENIED);
  assert.is(outcome(await sent(MANAGER, new ListKeysCommand({}))), DENIED);
});

test.run();
