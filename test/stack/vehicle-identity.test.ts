/**
 * The vehicle identity over the synthesized stack: the role, its trust, the role alias, the IoT policy,
 * and the role's policy evaluated by iam-simulate as an attacker would use it (vehicle A against B's data,
 * listing, firmware writes, the state table; a thing of another type, a fleet gateway above all, or a session
 * without a thing name holding vehicle credentials), and the vehicle thing type (vehicles have 4 attributes, an
 * untyped thing may hold only 3 on AWS) that no role of the stack may create things of or retype things to.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { evaluateDeviceRequest, evaluateVehicleRequest, policyAsAwsSeesIt, type DeviceContext, type VehiclePolicyDocument } from "../../local/identity/vehicle-policy.js";
import { REPOSITORY_LAYOUT } from "../../uptane/metadata.js";
import { vehicleIdentityNames } from "../../contracts/vehicle-identity.js";
import { ENV } from "../../contracts/environment.js";
import { list, parseJson, ref, synthStack, type Statement } from "./support/synth.js";

const stack = synthStack();
const BUCKET = "fleetota-test-data-lake";
const ACCOUNT = "123456789012";
const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const GATEWAY_TYPE = "fleetota-dev-gateway";
const VEHICLE_TYPE = "fleetota-dev-vehicle";
const SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/** The role policy with the bucket reference resolved, as AWS receives it. */
function vehiclePolicy(): VehiclePolicyDocument {
  const text = String(stack.resource("aws_iam_role_policy", "vehicle_policy").policy);
  return policyAsAwsSeesIt(text.replaceAll(ref("aws_s3_bucket", "data_lake", "arn"), `arn:aws:s3:::${BUCKET}`));
}

const can = (vin: string, action: string, resource: string): boolean => evaluateVehicleRequest(vehiclePolicy(), vin, ACCOUNT, { action, resource }).allowed;
const object = (key: string): string => `arn:aws:s3:::${BUCKET}/${key}`;

test("the role is assumable only by the IoT credentials provider, with the shortest IAM session", () => {
  const role = stack.resource("aws_iam_role", "vehicle_role");
  const trust = parseJson<{ Statement: Statement[] }>(role.assume_role_policy).Statement;

  assert.equal(trust, [{ Effect: "Allow", Principal: { Service: "credentials.iot.amazonaws.com" }, Action: "sts:AssumeRole" }]);
  assert.is(role.max_session_duration, 3600);
  assert.is(stack.resource("aws_iam_role_policy", "vehicle_policy").role, ref("aws_iam_role", "vehicle_role", "id"));
});

test("the role alias points at the vehicle role and hands out 15-minute credentials", () => {
  const alias = stack.resource("aws_iot_role_alias", "vehicle_role_alias");

  assert.is(alias.role_arn, ref("aws_iam_role", "vehicle_role", "arn"));
  assert.is(alias.credential_duration, 900);
  assert.is(alias.alias, "fleetota-dev-vehicle");
});

test("the IoT policy allows only AssumeRoleWithCertificate, only on the role alias", () => {
  const statements = parseJson<{ Statement: Statement[] }>(stack.resource("aws_iot_policy", "vehicle_iot_policy").policy).Statement;

  assert.is(statements.length, 1);
  assert.is(statements[0]!.Effect, "Allow");
  assert.equal(list(statements[0]!.Action), ["iot:AssumeRoleWithCertificate"]);
  assert.equal(list(statements[0]!.Resource), [ref("aws_iot_role_alias", "vehicle_role_alias", "arn")]);
});

test("the role policy carries the thing-name variable escaped for Terraform, and no wildcard action", () => {
  const text = String(stack.resource("aws_iam_role_policy", "vehicle_policy").policy);
  const statements = parseJson<{ Statement: Statement[] }>(text).Statement;

  assert.match(text, "$${credentials-iot:ThingName}");
  assert.not.match(text.replaceAll("$${", ""), "${credentials-iot");
  assert.equal(statements.flatMap((statement) => list(statement.Action)).sort(), ["s3:GetObject", "s3:PutObject"]);
  assert.ok(statements.every((statement) => statement.Effect === "Allow" && !list(statement.Resource).includes("*")));
});

test("vehicle A puts its own telemetry and reads its own job document and the firmware", () => {
  assert.ok(can(A, "s3:PutObject", object(`telemetry/vehicle/${A}/dt=2026-12-01/hour=18/20261201T180000000Z-0.ndjson.gz`)));
  assert.ok(can(A, "s3:GetObject", object(`jobs/${A}.json`)));
  for (const key of [REPOSITORY_LAYOUT.image(SHA), REPOSITORY_LAYOUT.imageTargets(7), REPOSITORY_LAYOUT.imageRoot(2)]) assert.ok(can(A, "s3:GetObject", object(key)), key);
});

test("vehicle A cannot read a staged release: not yet signed by a threshold of release engineers, perhaps never to be", () => {
  for (const key of [REPOSITORY_LAYOUT.stagedImage(SHA), REPOSITORY_LAYOUT.stagedTargets(8), "firmware/tcu-2/4.2.0/image.bin", "firmware/images", "firmware/metadata"]) {
    assert.not.ok(can(A, "s3:GetObject", object(key)), key);
  }
});

test("vehicle A cannot write under B's prefix, nor pretend to be B by a prefix of its own name", () => {
  assert.not.ok(can(A, "s3:PutObject", object(`telemetry/vehicle/${B}/dt=2026-12-01/hour=18/x.ndjson.gz`)));
  assert.not.ok(can(A, "s3:PutObject", object(`telemetry/vehicle/${A.slice(0, 16)}/x.ndjson.gz`)));
  assert.not.ok(can(A, "s3:PutObject", object(`telemetry/vehicle/${A}x/x.ndjson.gz`)));
  assert.not.ok(can(A, "s3:PutObject", object(`telemetry/fleet/gateway-1/x.ndjson.gz`)), "not the fleet gateway's prefix");
  assert.not.ok(can(A, "s3:PutObject", object(`telemetry/dt=2026-12-01/hour=18/x.ndjson.gz`)), "not the old shared layout");
  assert.not.ok(can(A, "s3:PutObject", object(`quarantine/${A}.json`)));
});

test("vehicle A cannot read B's job, list jobs/, or read its own telemetry back", () => {
  assert.not.ok(can(A, "s3:GetObject", object(`jobs/${B}.json`)));
  assert.not.ok(can(A, "s3:GetObject", object(`jobs/${A}.json.bak`)));
  assert.not.ok(can(A, "s3:ListBucket", `arn:aws:s3:::${BUCKET}`));
  assert.not.ok(can(A, "s3:GetObject", object(`telemetry/vehicle/${A}/x.ndjson.gz`)));
  assert.not.ok(can(A, "s3:GetObject", object("fleet-state/snapshot.json")));
});

test("vehicle A cannot write its job, the firmware, or delete anything", () => {
  assert.not.ok(can(A, "s3:PutObject", object(`jobs/${A}.json`)));
  assert.not.ok(can(A, "s3:PutObject", object("firmware/tcu-2/9.9.9/image.bin")));
  assert.not.ok(can(A, "s3:DeleteObject", object(`telemetry/vehicle/${A}/x.ndjson.gz`)));
  assert.not.ok(can(A, "s3:PutObjectAcl", object(`telemetry/vehicle/${A}/x.ndjson.gz`)));
});

test("vehicle A cannot touch the state table, the queues or another bucket", () => {
  const table = `arn:aws:dynamodb:eu-central-1:${ACCOUNT}:table/fleetota-dev-state`;
  for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:Scan"]) {
    assert.not.ok(can(A, action, table), action);
  }
  assert.not.ok(can(A, "sqs:SendMessage", `arn:aws:sqs:eu-central-1:${ACCOUNT}:fleetota-dev-update-jobs`));
  assert.not.ok(can(A, "s3:PutObject", `arn:aws:s3:::fleetota-dev-dashboard/data/campaigns.json`));
});

test("every statement requires a named thing of the vehicle type, or an untyped one (credentials-iot:ThingName present, ThingTypeName the vehicle type if present)", () => {
  const statements = parseJson<{ Statement: Statement[] }>(stack.resource("aws_iam_role_policy", "vehicle_policy").policy).Statement;

  assert.is(statements.length, 2);
  for (const statement of statements) {
    const uploads = list(statement.Action).includes("s3:PutObject");
    assert.equal(
      statement.Condition,
      {
        Null: { "credentials-iot:ThingName": "false", ...(uploads ? { "s3:x-amz-server-side-encryption-customer-algorithm": "true", "s3:x-amz-copy-source": "true" } : {}) },
        StringEqualsIfExists: { "credentials-iot:ThingTypeName": VEHICLE_TYPE, ...(uploads ? { "s3:x-amz-storage-class": "STANDARD" } : {}) },
      },
      String(statement.Sid),
    );
  }
});

test("vehicle A's upload is refused in any storage class but STANDARD and with a key of its own (SSE-C), which the processor could never read (review 18, R18-T1)", () => {
  const key = object(`telemetry/vehicle/${A}/dt=2026-12-01/hour=18/20261201T180000000Z-0.ndjson.gz`);
  const put = (context: Record<string, string>) => evaluateVehicleRequest(vehiclePolicy(), A, ACCOUNT, { action: "s3:PutObject", resource: key, context }).allowed;

  assert.ok(put({}), "no storage class named: S3's default, STANDARD");
  assert.ok(put({ "s3:x-amz-storage-class": "STANDARD" }));
  for (const storageClass of ["GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "REDUCED_REDUNDANCY", "standard"]) {
    assert.not.ok(put({ "s3:x-amz-storage-class": storageClass }), storageClass);
  }
  assert.not.ok(put({ "s3:x-amz-server-side-encryption-customer-algorithm": "AES256" }), "SSE-C");
  assert.not.ok(put({ "s3:x-amz-storage-class": "STANDARD", "s3:x-amz-server-side-encryption-customer-algorithm": "AES256" }), "SSE-C in STANDARD");
});

test("vehicle A cannot server-side copy anything into its own prefix (CopyObject, UploadPartCopy: s3:PutObject with s3:x-amz-copy-source), the firmware it may read least of all; its own upload and its firmware reads still work (review 21, R21-02)", () => {
  const policy = vehiclePolicy();
  const put = (key: string, context: Record<string, string> = {}) => evaluateVehicleRequest(policy, A, ACCOUNT, { action: "s3:PutObject", resource: object(key), context }).allowed;
  const inLayout = `telemetry/vehicle/${A}/dt=2026-12-01/hour=18/20261201T180000000Z-0.ndjson.gz`;
  const outside = `telemetry/vehicle/${A}/junk-1.bin`;
  // Every source a copy could name: what A may read (an image, the metadata, its job), its own telemetry, another bucket.
  const sources = [
    `${BUCKET}/${REPOSITORY_LAYOUT.image(SHA)}`,
    `/${BUCKET}/${REPOSITORY_LAYOUT.image(SHA)}?versionId=v1`,
    `${BUCKET}/firmware/metadata/targets/1.targets.json`,
    `${BUCKET}/jobs/${A}.json`,
    `${BUCKET}/${inLayout}`,
    "attacker-bucket/5tib.bin",
    "",
  ];

  for (const key of [inLayout, outside]) {
    assert.ok(put(key), `${key}: a plain upload`);
    for (const source of sources) {
      assert.not.ok(put(key, { "s3:x-amz-copy-source": source }), `${key} from ${JSON.stringify(source)}`);
      assert.not.ok(put(key, { "s3:x-amz-copy-source": source, "s3:x-amz-storage-class": "STANDARD" }), `${key} from ${JSON.stringify(source)} in STANDARD`);
    }
  }
  // The source half stays allowed: what refuses the copy is the destination's condition, not a lost firmware read.
  assert.ok(can(A, "s3:GetObject", object(REPOSITORY_LAYOUT.image(SHA))));
  assert.ok(can(A, "s3:GetObject", object(`jobs/${A}.json`)));
});

test("the vehicle thing type exists under the stack's prefix with make, model and hardware searchable, is an output, and is the one the update manager derives", () => {
  const thingType = stack.resource("aws_iot_thing_type", "vehicle_thing_type");
  const prefix = (stack.resource("aws_lambda_function", "update_manager").environment as { variables: Record<string, string> }).variables[ENV.NAME_PREFIX]!;

  assert.is(thingType.name, VEHICLE_TYPE);
  const properties = [thingType.properties].flat()[0] as { searchable_attributes?: string[]; description?: string };
  assert.equal(properties.searchable_attributes, ["make", "model", "hardware"]);
  assert.ok((properties.searchable_attributes ?? []).length <= 3, "AWS IoT allows 3 searchable attributes on a thing type");
  assert.not.ok(thingType.deprecated, "not deprecated: a deprecated type takes no new things");
  assert.is(vehicleIdentityNames(prefix).thingType, VEHICLE_TYPE);
  assert.is(stack.json.output.vehicle_thing_type.value, VEHICLE_TYPE);
  assert.is.not(VEHICLE_TYPE, stack.resource("aws_iot_thing_type", "gateway_thing_type").name, "vehicles and gateways have types of their own");
});

test("no role or IoT policy of the stack may create, retype or delete things or thing types: registering and retyping vehicles is the operator's, with their own credentials", () => {
  const documents = [
    ...Object.values(stack.resources("aws_iam_role_policy")).map((resource) => resource.policy),
    ...Object.values(stack.resources("aws_iam_policy")).map((resource) => resource.policy),
    ...Object.values(stack.resources("aws_iot_policy")).map((resource) => resource.policy),
  ];
  const iotActions = documents.flatMap((document) => {
    const parsed = parseJson<{ Statement: Statement[] }>(document);
    return [parsed.Statement].flat().flatMap((statement) => list(statement.Action)).filter((action) => action.startsWith("iot:") || action === "*");
  });
  assert.ok(documents.length > 5, "the stack's policies were found");
  assert.equal([...new Set(iotActions)].sort(), ["iot:AssumeRoleWithCertificate", "iot:DescribeThing"]);
});

/** What a session of `device` holding vehicle-role credentials may do (the vehicle IoT policy attached to its certificate by mistake). */
const deviceCan = (device: DeviceContext, action: string, resource: string): boolean => evaluateDeviceRequest(vehiclePolicy(), device, ACCOUNT, { action, resource }).allowed;
const everythingAVehicleMay = (name: string): Array<[string, string]> => [
  ["s3:PutObject", object(`telemetry/vehicle/${name}/dt=2026-12-01/hour=18/20261201T180000000Z-0.ndjson.gz`)],
  ["s3:GetObject", object(`jobs/${name}.json`)],
  ["s3:GetObject", object(REPOSITORY_LAYOUT.image(SHA))],
  ["s3:GetObject", object(REPOSITORY_LAYOUT.imageTargets(7))],
];

test("a fleet gateway's session with vehicle credentials gets nothing: no telemetry under its name, no job, no firmware", () => {
  for (const [action, resource] of everythingAVehicleMay("gw-depot-7")) {
    assert.not.ok(deviceCan({ thingName: "gw-depot-7", thingTypeName: GATEWAY_TYPE }, action, resource), `${action} ${resource}`);
  }
});

test("a thing of the vehicle type may all a vehicle may; an untyped one (registered before vehicles had a type) too", () => {
  for (const [action, resource] of everythingAVehicleMay(A)) {
    assert.ok(deviceCan({ thingName: A, thingTypeName: VEHICLE_TYPE }, action, resource), `vehicle type: ${action} ${resource}`);
    assert.ok(deviceCan({ thingName: A }, action, resource), `untyped: ${action} ${resource}`);
  }
});

test("a thing of any other type named like a vehicle gets nothing: not A's telemetry prefix, not A's job (a gateway's, another stack's vehicle type, a prefix of the name)", () => {
  for (const [action, resource] of everythingAVehicleMay(A)) {
    for (const type of [GATEWAY_TYPE, "some-other-type", "fleetota-prod-vehicle", `${VEHICLE_TYPE}-x`, "fleetota-dev", VEHICLE_TYPE.toUpperCase(), ""]) {
      assert.not.ok(deviceCan({ thingName: A, thingTypeName: type }, action, resource), `type ${JSON.stringify(type)}: ${action} ${resource}`);
    }
  }
});

test("a session without a thing name (x-amzn-iot-thingname left out, so neither key is set) gets nothing, the firmware included", () => {
  for (const [action, resource] of everythingAVehicleMay(A)) {
    assert.not.ok(deviceCan({ thingName: undefined }, action, resource), `${action} ${resource}`);
    assert.not.ok(deviceCan({ thingName: undefined, thingTypeName: GATEWAY_TYPE }, action, resource), `${action} ${resource}`);
  }
});

test.run();
