/**
 * The fleet-gateway identity over the synthesized stack: the thing type, the role, its trust, the role
 * alias, the IoT policy, and the role's policy evaluated by iam-simulate as an attacker would use it (a
 * gateway against another gateway's prefix, the vehicles' prefixes, jobs/, firmware/, reading, the
 * table; a vehicle holding gateway credentials). The two IoT policies are evaluated too: a vehicle
 * certificate cannot assume the gateway alias, a gateway certificate cannot assume the vehicle alias.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { evaluateDeviceRequest, policyAsAwsSeesIt, type DeviceContext, type VehiclePolicyDocument } from "../../local/identity/vehicle-policy.js";
import { list, parseJson, ref, synthStack, type Statement } from "./support/synth.js";

const stack = synthStack();
const BUCKET = "fleetota-test-data-lake";
const ACCOUNT = "123456789012";
const REGION = "eu-central-1";
const GATEWAY_TYPE = "fleetota-dev-gateway";
const G = "gw-depot-7";
const H = "gw-depot-8";
const VIN = "1HGCM82633A004352";
const aliasArn = (name: string): string => `arn:aws:iot:${REGION}:${ACCOUNT}:rolealias/${name}`;

/** A policy with the stack's references resolved, as AWS receives it. */
function asAws(text: unknown): VehiclePolicyDocument {
  return policyAsAwsSeesIt(
    String(text)
      .replaceAll(ref("aws_s3_bucket", "data_lake", "arn"), `arn:aws:s3:::${BUCKET}`)
      .replaceAll(ref("aws_iot_role_alias", "gateway_role_alias", "arn"), aliasArn("fleetota-dev-gateway"))
      .replaceAll(ref("aws_iot_role_alias", "vehicle_role_alias", "arn"), aliasArn("fleetota-dev-vehicle")),
  );
}

const gatewayPolicy = asAws(stack.resource("aws_iam_role_policy", "gateway_policy").policy);
const gateway = (thingName: string): DeviceContext => ({ thingName, thingTypeName: GATEWAY_TYPE });
const can = (device: DeviceContext, action: string, resource: string): boolean => evaluateDeviceRequest(gatewayPolicy, device, ACCOUNT, { action, resource }).allowed;
const object = (key: string): string => `arn:aws:s3:::${BUCKET}/${key}`;
const fleetKey = (id: string): string => `telemetry/fleet/${id}/dt=2026-12-01/hour=18/20261201T180000000Z-run1-000001.ndjson.gz`;

test("the gateway thing type exists under the stack's prefix, and the role's policy requires it by that name", () => {
  const thingType = stack.resource("aws_iot_thing_type", "gateway_thing_type");
  const statements = parseJson<{ Statement: Statement[] }>(stack.resource("aws_iam_role_policy", "gateway_policy").policy).Statement;

  assert.is(thingType.name, GATEWAY_TYPE);
  for (const statement of statements) {
    assert.equal(statement.Condition, {
      StringEquals: { "credentials-iot:ThingTypeName": GATEWAY_TYPE },
      StringEqualsIfExists: { "s3:x-amz-storage-class": "STANDARD" },
      Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "true", "s3:x-amz-copy-source": "true" },
    });
  }
});

test("gateway G's upload is refused in any storage class but STANDARD and with a key of its own (SSE-C) (review 18, R18-T1)", () => {
  const put = (context: Record<string, string>) => evaluateDeviceRequest(gatewayPolicy, gateway(G), ACCOUNT, { action: "s3:PutObject", resource: object(fleetKey(G)), context }).allowed;

  assert.ok(put({}), "no storage class named: S3's default, STANDARD");
  assert.ok(put({ "s3:x-amz-storage-class": "STANDARD" }));
  for (const storageClass of ["GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "STANDARD_IA", "INTELLIGENT_TIERING"]) assert.not.ok(put({ "s3:x-amz-storage-class": storageClass }), storageClass);
  assert.not.ok(put({ "s3:x-amz-server-side-encryption-customer-algorithm": "AES256" }), "SSE-C");
});

test("gateway G cannot server-side copy anything into its own prefix (CopyObject, UploadPartCopy), whatever a source's policy might let it read; its own upload works (review 21, R21-02)", () => {
  const put = (context: Record<string, string>) => evaluateDeviceRequest(gatewayPolicy, gateway(G), ACCOUNT, { action: "s3:PutObject", resource: object(fleetKey(G)), context }).allowed;

  assert.ok(put({}));
  for (const source of [`${BUCKET}/firmware/images/${"a".repeat(64)}`, `${BUCKET}/${fleetKey(G)}`, "attacker-bucket/5tib.bin", ""]) {
    assert.not.ok(put({ "s3:x-amz-copy-source": source }), JSON.stringify(source));
    assert.not.ok(put({ "s3:x-amz-copy-source": source, "s3:x-amz-storage-class": "STANDARD" }), `${JSON.stringify(source)} in STANDARD`);
  }
});

test("the gateway role is assumable only by the IoT credentials provider, with the shortest IAM session and 15-minute credentials", () => {
  const role = stack.resource("aws_iam_role", "gateway_role");
  const trust = parseJson<{ Statement: Statement[] }>(role.assume_role_policy).Statement;
  const alias = stack.resource("aws_iot_role_alias", "gateway_role_alias");

  assert.equal(trust, [{ Effect: "Allow", Principal: { Service: "credentials.iot.amazonaws.com" }, Action: "sts:AssumeRole" }]);
  assert.is(role.max_session_duration, 3600);
  assert.is(stack.resource("aws_iam_role_policy", "gateway_policy").role, ref("aws_iam_role", "gateway_role", "id"));
  assert.is(alias.role_arn, ref("aws_iam_role", "gateway_role", "arn"));
  assert.is(alias.credential_duration, 900);
  assert.is(alias.alias, "fleetota-dev-gateway");
});

test("the role policy is one PutObject statement scoped by the escaped thing-name variable", () => {
  const text = String(stack.resource("aws_iam_role_policy", "gateway_policy").policy);
  const statements = parseJson<{ Statement: Statement[] }>(text).Statement;

  assert.match(text, "/telemetry/fleet/$${credentials-iot:ThingName}/*");
  assert.not.match(text.replaceAll("$${", ""), "${credentials-iot");
  assert.equal(statements.flatMap((statement) => list(statement.Action)), ["s3:PutObject"]);
  assert.ok(statements.every((statement) => statement.Effect === "Allow" && !list(statement.Resource).includes("*")));
});

test("each IoT policy allows only AssumeRoleWithCertificate on its own alias: no certificate crosses over", () => {
  const gatewayIot = asAws(stack.resource("aws_iot_policy", "gateway_iot_policy").policy);
  const vehicleIot = asAws(stack.resource("aws_iot_policy", "vehicle_iot_policy").policy);
  const assume = (policy: VehiclePolicyDocument, thingName: string, alias: string): boolean =>
    evaluateDeviceRequest(policy, { thingName }, ACCOUNT, { action: "iot:AssumeRoleWithCertificate", resource: aliasArn(alias) }).allowed;

  assert.is(stack.resource("aws_iot_policy", "gateway_iot_policy").name, "fleetota-dev-gateway");
  assert.ok(assume(gatewayIot, G, "fleetota-dev-gateway"));
  assert.ok(assume(vehicleIot, VIN, "fleetota-dev-vehicle"));
  assert.not.ok(assume(vehicleIot, VIN, "fleetota-dev-gateway"), "a vehicle certificate cannot get gateway credentials");
  assert.not.ok(assume(gatewayIot, G, "fleetota-dev-vehicle"), "a gateway certificate cannot get vehicle credentials");
  assert.not.ok(assume(gatewayIot, G, "fleetota-dev-gateway-admin"));
  for (const action of ["iot:Connect", "iot:Publish", "iot:AssumeRoleWithCertificate"]) {
    assert.not.ok(evaluateDeviceRequest(gatewayIot, { thingName: G }, ACCOUNT, { action, resource: `arn:aws:iot:${REGION}:${ACCOUNT}:client/${G}` }).allowed, action);
  }
});

test("gateway G puts telemetry under its own prefix", () => {
  assert.ok(can(gateway(G), "s3:PutObject", object(fleetKey(G))));
});

test("gateway G cannot write under another gateway's prefix, nor one its id is a prefix of", () => {
  assert.not.ok(can(gateway(G), "s3:PutObject", object(fleetKey(H))));
  assert.not.ok(can(gateway(G), "s3:PutObject", object(fleetKey(`${G}-2`))));
  assert.not.ok(can(gateway(G), "s3:PutObject", object(fleetKey(G.slice(0, -1)))));
  assert.not.ok(can(gateway(G), "s3:PutObject", object(`telemetry/fleet/${G}`)), "not the prefix's own name");
  assert.not.ok(can(gateway(G), "s3:PutObject", object("telemetry/fleet/x.ndjson.gz")));
});

test("gateway G cannot write a vehicle's telemetry, status reports included, nor elsewhere in the lake", () => {
  assert.not.ok(can(gateway(G), "s3:PutObject", object(`telemetry/vehicle/${VIN}/dt=2026-12-01/hour=18/20261201T180000000Z-1.ndjson.gz`)));
  assert.not.ok(can(gateway(G), "s3:PutObject", object(`telemetry/dt=2026-12-01/hour=18/x.ndjson.gz`)), "not the old shared layout");
  assert.not.ok(can(gateway(G), "s3:PutObject", object(`jobs/${VIN}.json`)));
  assert.not.ok(can(gateway(G), "s3:PutObject", object("firmware/images/0123")));
  assert.not.ok(can(gateway(G), "s3:PutObject", object(`quarantine/${G}.json`)));
  assert.not.ok(can(gateway(G), "s3:PutObject", object("fleet-state/snapshot.json")));
});

test("gateway G reads nothing, lists nothing, deletes nothing", () => {
  for (const key of [fleetKey(G), `jobs/${VIN}.json`, "firmware/metadata/root/1.root.json", "fleet-state/snapshot.json"]) {
    assert.not.ok(can(gateway(G), "s3:GetObject", object(key)), key);
  }
  assert.not.ok(can(gateway(G), "s3:ListBucket", `arn:aws:s3:::${BUCKET}`));
  assert.not.ok(can(gateway(G), "s3:DeleteObject", object(fleetKey(G))));
  assert.not.ok(can(gateway(G), "s3:PutObjectAcl", object(fleetKey(G))));
  assert.not.ok(can(gateway(G), "s3:PutObjectTagging", object(fleetKey(G))));
});

test("gateway G cannot touch the state table, the queues or another bucket", () => {
  const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/fleetota-dev-state`;
  for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:Scan"]) {
    assert.not.ok(can(gateway(G), action, table), action);
  }
  assert.not.ok(can(gateway(G), "sqs:SendMessage", `arn:aws:sqs:${REGION}:${ACCOUNT}:fleetota-dev-update-jobs`));
  assert.not.ok(can(gateway(G), "s3:PutObject", `arn:aws:s3:::fleetota-dev-dashboard/data/campaigns.json`));
});

test("gateway credentials in the hands of a thing that is not a gateway (untyped like a vehicle, or of another type) allow nothing", () => {
  assert.not.ok(can({ thingName: G }, "s3:PutObject", object(fleetKey(G))), "an untyped thing named like a gateway");
  assert.not.ok(can({ thingName: VIN }, "s3:PutObject", object(fleetKey(VIN))), "a vehicle under a fleet prefix of its VIN");
  assert.not.ok(can({ thingName: G, thingTypeName: "fleetota-dev-vehicle" }, "s3:PutObject", object(fleetKey(G))));
  assert.not.ok(can({ thingName: G, thingTypeName: "fleetota-other-gateway" }, "s3:PutObject", object(fleetKey(G))), "another stack's gateway type");
});

test.run();
