/**
 * A local function's S3 calls judged by its role's policy, on requests as the real SDK sends them: granted prefixes
 * and actions pass, anything else is S3's AccessDenied (a copy needs Get on its source, a listing its s3:prefix,
 * a DeleteObjects each key); a read the role may not list the key of is marked for 403 on a 404. The operator,
 * vehicles, the function's other services and anything before the stack is applied are not judged here.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CopyObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { deleteObjectsOf, functionS3Authorizer } from "../../../../local/identity/function-s3-policy.js";
import type { FrontDoorRequest, Refusal } from "../../../../local/identity/front-door.js";
import { s3ListContext } from "../../../../local/identity/vehicle-policy.js";
import type { LocalCloudDescription } from "../../../../local/model.js";
import { functionStack } from "./support/function-stack.js";
import { capturedRequest, type CapturedRequest } from "./support/signed-requests.js";

const ACCOUNT = "123456789012";
const LAKE = "arn:aws:s3:::lake";
const PROCESSOR = "fleetota-dev-telemetry-processor";
const PUBLISHER = "fleetota-dev-dashboard-publisher";

function description(): LocalCloudDescription {
  return functionStack({
    accountId: ACCOUNT,
    functions: {
      [PROCESSOR]: [
        { Sid: "ReadTelemetry", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `${LAKE}/telemetry/*` },
        { Sid: "List", Effect: "Allow", Action: "s3:ListBucket", Resource: LAKE, Condition: { StringLike: { "s3:prefix": ["telemetry/*"] } } },
        { Sid: "WriteQuarantine", Effect: "Allow", Action: "s3:PutObject", Resource: `${LAKE}/quarantine/*` },
        { Sid: "ReadGateways", Effect: "Allow", Action: "s3:GetObject", Resource: `${LAKE}/registry/gateways/*` },
      ],
      [PUBLISHER]: [
        { Sid: "List", Effect: "Allow", Action: "s3:ListBucket", Resource: LAKE, Condition: { StringLike: { "s3:prefix": ["fleet-state/parts/*"] } } },
        { Sid: "Delete", Effect: "Allow", Action: "s3:DeleteObject", Resource: `${LAKE}/fleet-state/parts/*` },
      ],
    },
  });
}

const refusals: Refusal[] = [];
const authorizer = functionS3Authorizer({ description, accountId: ACCOUNT, onRefusal: (refused) => refusals.push(refused) });
const as = (fn: string) => ({ accessKeyId: `fleetota-fn-${fn}`, secretAccessKey: "fleetota-local" });
const sent = (fn: string, command: object): Promise<CapturedRequest> => capturedRequest((config) => new S3Client(config).send(command as never), as(fn));
const outcome = (request: FrontDoorRequest, body?: string): string => {
  const refused = authorizer.authorize(request) ?? (authorizer.needsBody(request) ? authorizer.judge(request, body ?? "") : undefined);
  return refused ? `${refused.statusCode} ${refused.code}` : "forwarded";
};

test("the processor's granted calls pass: its telemetry read (by version), its quarantine write and copy, a listing under telemetry/", async () => {
  assert.is(outcome(await sent(PROCESSOR, new GetObjectCommand({ Bucket: "lake", Key: "telemetry/vehicle/V/a.gz", VersionId: "v1" }))), "forwarded");
  assert.is(outcome(await sent(PROCESSOR, new PutObjectCommand({ Bucket: "lake", Key: "quarantine/vehicle/V/a.gz", Body: "x" }))), "forwarded");
  assert.is(outcome(await sent(PROCESSOR, new CopyObjectCommand({ Bucket: "lake", Key: "quarantine/vehicle/V/a.gz", CopySource: "lake/telemetry/vehicle/V/a.gz?versionId=v1" }))), "forwarded");
  assert.is(outcome(await sent(PROCESSOR, new ListObjectsV2Command({ Bucket: "lake", Prefix: "telemetry/vehicle/V/" }))), "forwarded");
});

test("the processor's calls outside its role are S3's 403 AccessDenied, naming the action and the resource", async () => {
  const before = refusals.length;
  assert.is(outcome(await sent(PROCESSOR, new PutObjectCommand({ Bucket: "lake", Key: "firmware/images/x.bin", Body: "x" }))), "403 AccessDenied");
  assert.is(outcome(await sent(PROCESSOR, new GetObjectCommand({ Bucket: "lake", Key: "jobs/V.json" }))), "403 AccessDenied", "a prefix it may not read");
  assert.is(outcome(await sent(PROCESSOR, new GetObjectCommand({ Bucket: "lake", Key: "registry/gateways/gw-1.json", VersionId: "v1" }))), "403 AccessDenied", "GetObjectVersion where only GetObject is granted");
  assert.is(outcome(await sent(PROCESSOR, new PutObjectCommand({ Bucket: "lake", Key: "telemetry/vehicle/V/a.gz", Body: "x" }))), "403 AccessDenied", "read-only telemetry/");
  assert.is(outcome(await sent(PROCESSOR, new CopyObjectCommand({ Bucket: "lake", Key: "quarantine/x", CopySource: "lake/jobs/V.json" }))), "403 AccessDenied", "a copy needs Get on its source");
  assert.is(outcome(await sent(PROCESSOR, new ListObjectsV2Command({ Bucket: "lake", Prefix: "jobs/" }))), "403 AccessDenied", "a listing outside its s3:prefix");
  assert.is(outcome(await sent(PROCESSOR, new ListObjectsV2Command({ Bucket: "lake" }))), "403 AccessDenied", "a listing without a prefix");
  assert.is(outcome(await sent(PROCESSOR, new UploadPartCommand({ Bucket: "lake", Key: "quarantine/x", UploadId: "u", PartNumber: 1, Body: "x" }))), "403 AccessDenied", "multipart is not mapped: refused");
  assert.is(refusals.length - before, 8, "each refusal reported");
  const refused = refusals[before]!;
  assert.match(refused.body, "<Code>AccessDenied</Code>");
  assert.match(refused.body, `assumed-role/${PROCESSOR}-role/${PROCESSOR} is not authorized to perform: s3:PutObject on resource: &quot;`.replace("&quot;", '"'));
  assert.match(refused.reason, `${PROCESSOR}: s3:PutObject on ${LAKE}/firmware/images/x.bin ImplicitlyDenied`);
});

test("DeleteObjects is judged key by key from its body: the publisher's parts pass, one key outside refuses the whole request", async () => {
  const request = await sent(PUBLISHER, new DeleteObjectsCommand({ Bucket: "lake", Delete: { Objects: [{ Key: "fleet-state/parts/a" }], Quiet: true } }));
  assert.is(authorizer.authorize(request), undefined, "left to the body's judgment");
  assert.ok(authorizer.needsBody(request));
  const body = (keys: string[]) => `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${keys.map((key) => `<Object><Key>${key}</Key></Object>`).join("")}<Quiet>true</Quiet></Delete>`;
  assert.is(outcome(request, body(["fleet-state/parts/a", "fleet-state/parts/b&amp;c"])), "forwarded");
  assert.is(outcome(request, body(["fleet-state/parts/a", "fleet-state/snapshot.json"])), "403 AccessDenied");
  assert.is(outcome(request, `<Delete><Object><Key>fleet-state/parts/a</Key><VersionId>v1</VersionId></Object></Delete>`), "403 AccessDenied", "a version's delete is s3:DeleteObjectVersion");
  assert.is(outcome(request, `<Delete><Object><Key><![CDATA[jobs/V.json]]></Key></Object></Delete>`), "403 AccessDenied", "a body it cannot read plainly");
  assert.is(outcome(request, "<Delete></Delete>"), "403 AccessDenied", "no key at all");
});

test("deleteObjectsOf reads keys and version ids as S3 does (entities decoded) and refuses what it cannot read plainly", () => {
  assert.equal(deleteObjectsOf("<Delete><Object><Key>a&amp;b&#47;&#x43;</Key></Object><Object><Key>d</Key><VersionId>v&lt;1</VersionId></Object><Quiet>true</Quiet></Delete>"), [{ key: "a&b/C" }, { key: "d", versionId: "v<1" }]);
  for (const body of ["", "<Delete>", "<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>", "<Delete><Object><VersionId>v</VersionId></Object></Delete>", "<Delete><!-- x --><Object><Key>a</Key></Object></Delete>", "<Delete><Object id='1'><Key>a</Key></Object></Delete>", "<Delete><Object><Key></Key></Object></Delete>"]) {
    assert.ok("error" in deleteObjectsOf(body), body);
  }
});

test("s3ListContext reads a listing's prefix, delimiter and max-keys, decoded, and only those present", () => {
  assert.equal(s3ListContext("/lake/?list-type=2&prefix=fleet-state%2Fparts%2F&delimiter=%2F&max-keys=5&continuation-token=t"), { "s3:prefix": "fleet-state/parts/", "s3:delimiter": "/", "s3:max-keys": "5" });
  assert.equal(s3ListContext("/lake/?list-type=2&prefix="), { "s3:prefix": "" }, "an empty prefix is a prefix");
  assert.equal(s3ListContext("/lake/?list-type=2"), {});
});

test("a read of a key the role may not list is marked for 403 on a 404 (S3's answer to a caller without s3:ListBucket there); one it may list is not", async () => {
  const listed = await sent(PROCESSOR, new GetObjectCommand({ Bucket: "lake", Key: "telemetry/vehicle/V/a.gz" }));
  const unlisted = await sent(PROCESSOR, new HeadObjectCommand({ Bucket: "lake", Key: "registry/gateways/gw-1.json" }));
  assert.is(outcome(listed), "forwarded");
  assert.is(outcome(unlisted), "forwarded");
  assert.not.ok(authorizer.answersMissingWith403(listed));
  assert.ok(authorizer.answersMissingWith403(unlisted));
});

test("the operator, vehicles, a function's other services and anything before the stack is applied are not judged here", async () => {
  const operator = await capturedRequest((config) => new S3Client(config).send(new PutObjectCommand({ Bucket: "lake", Key: "firmware/x", Body: "x" })), { accessKeyId: "fleetota-local", secretAccessKey: "x" });
  assert.is(outcome(operator), "forwarded");
  const denied = await sent(PROCESSOR, new PutObjectCommand({ Bucket: "lake", Key: "firmware/x", Body: "x" }));
  assert.is(outcome(denied), "403 AccessDenied", "the control");
  const otherService = { ...denied, headers: { ...denied.headers, authorization: String(denied.headers.authorization).replace("/s3/", "/sqs/") } };
  assert.is(outcome(otherService), "forwarded");
  const beforeApply = functionS3Authorizer({ description: () => undefined, accountId: ACCOUNT });
  assert.is(beforeApply.authorize(denied), undefined);
  assert.is(outcome({ ...denied, headers: { ...denied.headers, host: "lake.127.0.0.1:4566" } }), "403 AccessDenied", "virtual-hosted: what moto would read otherwise");
});

test("an unknown function or one without a role policy may do nothing", async () => {
  assert.is(outcome(await sent("fleetota-dev-unknown", new GetObjectCommand({ Bucket: "lake", Key: "telemetry/vehicle/V/a.gz" }))), "403 AccessDenied");
});

test.run();
