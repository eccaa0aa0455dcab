import { test } from "uvu";
import * as assert from "uvu/assert";
import { credentialScope } from "../../../../local/identity/front-door.js";
import { requestAction, type RequestFacts } from "../../../../local/identity/request-action.js";

const s3 = (method: string, url: string, headers: RequestFacts["headers"] = {}): RequestFacts => ({ method, url, headers, service: "s3" });
const object = (key: string) => `arn:aws:s3:::lake/${key}`;

const MAPPED: Array<[string, RequestFacts, Array<{ action: string; resource: string }>]> = [
  ["put object", s3("PUT", "/lake/telemetry/vehicle/V/x.gz?x-id=PutObject"), [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/x.gz") }]],
  ["get object", s3("GET", "/lake/jobs/V.json?x-id=GetObject"), [{ action: "s3:GetObject", resource: object("jobs/V.json") }]],
  ["head object is a get", s3("HEAD", "/lake/jobs/V.json"), [{ action: "s3:GetObject", resource: object("jobs/V.json") }]],
  ["escaped key is decoded", s3("PUT", "/lake/telemetry/vehicle/V/a%20b.gz"), [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/a b.gz") }]],
  ["list", s3("GET", "/lake?list-type=2&prefix=jobs%2F"), [{ action: "s3:ListBucket", resource: "arn:aws:s3:::lake" }]],
  ["object acl", s3("PUT", "/lake/jobs/V.json?acl"), [{ action: "s3:PutObjectAcl", resource: object("jobs/V.json") }]],
  ["delete", s3("DELETE", "/lake/jobs/V.json?x-id=DeleteObject"), [{ action: "s3:DeleteObject", resource: object("jobs/V.json") }]],
  ["multi-object delete", s3("POST", "/lake?delete"), [{ action: "s3:DeleteObject", resource: object("*") }]],
  ["upload part", s3("PUT", "/lake/telemetry/vehicle/V/x.gz?partNumber=1&uploadId=u"), [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/x.gz") }]],
  [
    "copy needs the source too",
    s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "/lake/jobs/W.json" }),
    [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/x.gz") }, { action: "s3:GetObject", resource: object("jobs/W.json") }],
  ],
  ["JSON protocol", { method: "POST", url: "/", headers: { "x-amz-target": "DynamoDB_20120810.PutItem" }, service: "dynamodb" }, [{ action: "dynamodb:PutItem", resource: "*" }]],
  ["monitoring is cloudwatch", { method: "POST", url: "/", headers: { "x-amz-target": "GraniteServiceVersion20100801.PutMetricData" }, service: "monitoring" }, [{ action: "cloudwatch:PutMetricData", resource: "*" }]],
];

for (const [name, facts, actions] of MAPPED) {
  test(`maps ${name}`, () => {
    assert.equal(requestAction(facts), { kind: "mapped", service: facts.service === "monitoring" ? "cloudwatch" : facts.service, actions });
  });
}

const UNMAPPED: Array<[string, RequestFacts]> = [
  ["dot segments", s3("PUT", "/lake/telemetry/vehicle/V/../W/x.gz")],
  ["escaped dot segments", s3("PUT", "/lake/telemetry/vehicle/V/%2e%2e/W/x.gz")],
  ["half-escaped dot segments", s3("PUT", "/lake/telemetry/vehicle/V/.%2E/W/x.gz")],
  ["an invalid escape", s3("PUT", "/lake/telemetry/vehicle/V/%E0%A4%A.gz")],
  ["bucket policy write", s3("PUT", "/lake?policy")],
  ["bucket creation", s3("PUT", "/other")],
  ["object with two subresources", s3("PUT", "/lake/jobs/V.json?acl&tagging")],
  ["query protocol without target", { method: "POST", url: "/", headers: {}, service: "sqs" }],
];

for (const [name, facts] of UNMAPPED) {
  test(`refuses to guess: ${name}`, () => {
    assert.is(requestAction(facts).kind, "unmapped");
  });
}

test("the credential scope comes from the header or a presigned URL", () => {
  assert.equal(
    credentialScope({ headers: { authorization: "AWS4-HMAC-SHA256 Credential=ASIAVEHICLE1/20261201/eu-central-1/s3/aws4_request, SignedHeaders=host, Signature=ab", "x-amz-security-token": "t" } }),
    { accessKeyId: "ASIAVEHICLE1", region: "eu-central-1", service: "s3", token: "t" },
  );
  assert.equal(
    credentialScope({ url: "/lake/jobs/V.json?X-Amz-Credential=ASIAVEHICLE2%2F20261201%2Feu-central-1%2Fs3%2Faws4_request&X-Amz-Security-Token=u", headers: {} }),
    { accessKeyId: "ASIAVEHICLE2", region: "eu-central-1", service: "s3", token: "u" },
  );
  assert.is(credentialScope({ url: "/", headers: {} }), undefined);
});

test.run();
