/**
 * The request → IAM mapping, tried as an attacker would: every S3 subresource and key-path trick either
 * maps to the action AWS would check (and the emulator performs), or is refused by name.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { requestAction, type RequestFacts } from "../../../../local/identity/request-action.js";

const s3 = (method: string, url: string, headers: RequestFacts["headers"] = {}): RequestFacts => ({ method, url, headers, service: "s3" });
const object = (key: string) => `arn:aws:s3:::lake/${key}`;
const bucket = "arn:aws:s3:::lake";
const json = (target: string, headers: RequestFacts["headers"] = {}, url = "/"): RequestFacts => ({
  method: "POST",
  url,
  headers: { "x-amz-target": target, "content-type": "application/x-amz-json-1.0", ...headers },
  service: target.startsWith("Granite") ? "monitoring" : "dynamodb",
});
const job = object("jobs/V.json");

const MAPPED: Array<[string, RequestFacts, Array<{ action: string; resource: string }>]> = [
  ["put object", s3("PUT", "/lake/telemetry/vehicle/V/x.gz?x-id=PutObject"), [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/x.gz") }]],
  ["get object", s3("GET", "/lake/jobs/V.json?x-id=GetObject"), [{ action: "s3:GetObject", resource: job }]],
  ["head object is a get", s3("HEAD", "/lake/jobs/V.json"), [{ action: "s3:GetObject", resource: job }]],
  ["a part of an object is a get", s3("GET", "/lake/jobs/V.json?partNumber=1"), [{ action: "s3:GetObject", resource: job }]],
  ["response overrides do not change the action", s3("GET", "/lake/jobs/V.json?response-content-type=text%2Fplain"), [{ action: "s3:GetObject", resource: job }]],
  ["presigned parameters are not subresources", s3("GET", "/lake/jobs/V.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=k&X-Amz-Signature=s"), [{ action: "s3:GetObject", resource: job }]],
  ["escaped key is decoded", s3("PUT", "/lake/telemetry/vehicle/V/a%20b.gz"), [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/a b.gz") }]],
  ["unicode key is decoded once", s3("PUT", "/lake/telemetry/vehicle/V/%C3%A9%25.gz"), [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/é%.gz") }]],
  ["a versionId read is GetObjectVersion", s3("GET", "/lake/jobs/V.json?versionId=3HL4kqtJ"), [{ action: "s3:GetObjectVersion", resource: job }]],
  ["a versionId head is GetObjectVersion", s3("HEAD", "/lake/jobs/V.json?versionId=3HL4kqtJ"), [{ action: "s3:GetObjectVersion", resource: job }]],
  ["a versionId delete is DeleteObjectVersion", s3("DELETE", "/lake/jobs/V.json?versionId=3HL4kqtJ"), [{ action: "s3:DeleteObjectVersion", resource: job }]],
  ["object acl read", s3("GET", "/lake/jobs/V.json?acl"), [{ action: "s3:GetObjectAcl", resource: job }]],
  ["object acl write", s3("PUT", "/lake/jobs/V.json?acl"), [{ action: "s3:PutObjectAcl", resource: job }]],
  ["versioned acl read", s3("GET", "/lake/jobs/V.json?acl&versionId=v"), [{ action: "s3:GetObjectVersionAcl", resource: job }]],
  ["object tagging read", s3("GET", "/lake/jobs/V.json?tagging"), [{ action: "s3:GetObjectTagging", resource: job }]],
  ["object tagging write", s3("PUT", "/lake/jobs/V.json?tagging"), [{ action: "s3:PutObjectTagging", resource: job }]],
  ["object tagging delete", s3("DELETE", "/lake/jobs/V.json?tagging"), [{ action: "s3:DeleteObjectTagging", resource: job }]],
  ["versioned tagging write", s3("PUT", "/lake/jobs/V.json?tagging&versionId=v"), [{ action: "s3:PutObjectVersionTagging", resource: job }]],
  ["attributes", s3("GET", "/lake/jobs/V.json?attributes"), [{ action: "s3:GetObjectAttributes", resource: job }]],
  ["legal hold read", s3("GET", "/lake/jobs/V.json?legal-hold"), [{ action: "s3:GetObjectLegalHold", resource: job }]],
  ["legal hold write", s3("PUT", "/lake/jobs/V.json?legal-hold"), [{ action: "s3:PutObjectLegalHold", resource: job }]],
  ["retention write", s3("PUT", "/lake/jobs/V.json?retention"), [{ action: "s3:PutObjectRetention", resource: job }]],
  [
    "retention read also needs GetObject (the emulator answers it with the object)",
    s3("GET", "/lake/jobs/V.json?retention"),
    [{ action: "s3:GetObjectRetention", resource: job }, { action: "s3:GetObject", resource: job }],
  ],
  ["torrent also needs GetObject (the emulator answers it with the object)", s3("GET", "/lake/jobs/V.json?torrent"), [{ action: "s3:GetObjectTorrent", resource: job }, { action: "s3:GetObject", resource: job }]],
  ["restore", s3("POST", "/lake/jobs/V.json?restore"), [{ action: "s3:RestoreObject", resource: job }]],
  ["delete", s3("DELETE", "/lake/jobs/V.json?x-id=DeleteObject"), [{ action: "s3:DeleteObject", resource: job }]],
  [
    "a delete that bypasses governance needs that too",
    s3("DELETE", "/lake/jobs/V.json", { "x-amz-bypass-governance-retention": "true" }),
    [{ action: "s3:DeleteObject", resource: job }, { action: "s3:BypassGovernanceRetention", resource: job }],
  ],
  [
    "multi-object delete needs every object and version of the bucket",
    s3("POST", "/lake?delete"),
    [{ action: "s3:DeleteObject", resource: object("*") }, { action: "s3:DeleteObjectVersion", resource: object("*") }],
  ],
  ["list", s3("GET", "/lake?list-type=2&prefix=jobs%2F"), [{ action: "s3:ListBucket", resource: bucket }]],
  ["list v1", s3("GET", "/lake/?prefix=jobs%2F&marker=a"), [{ action: "s3:ListBucket", resource: bucket }]],
  ["head bucket", s3("HEAD", "/lake"), [{ action: "s3:ListBucket", resource: bucket }]],
  ["ListObjectVersions", s3("GET", "/lake?versions&prefix=jobs%2F"), [{ action: "s3:ListBucketVersions", resource: bucket }]],
  ["ListMultipartUploads", s3("GET", "/lake?uploads"), [{ action: "s3:ListBucketMultipartUploads", resource: bucket }]],
  ["bucket policy read", s3("GET", "/lake?policy"), [{ action: "s3:GetBucketPolicy", resource: bucket }]],
  ["bucket policy write", s3("PUT", "/lake?policy"), [{ action: "s3:PutBucketPolicy", resource: bucket }]],
  ["bucket policy delete", s3("DELETE", "/lake?policy"), [{ action: "s3:DeleteBucketPolicy", resource: bucket }]],
  ["bucket acl", s3("GET", "/lake?acl"), [{ action: "s3:GetBucketAcl", resource: bucket }]],
  ["bucket creation", s3("PUT", "/other"), [{ action: "s3:CreateBucket", resource: "arn:aws:s3:::other" }]],
  ["bucket deletion", s3("DELETE", "/lake"), [{ action: "s3:DeleteBucket", resource: bucket }]],
  ["list all buckets", s3("GET", "/?x-id=ListBuckets"), [{ action: "s3:ListAllMyBuckets", resource: "*" }]],
  [
    "copy needs the source too",
    s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "/lake/jobs/W.json" }),
    [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/x.gz") }, { action: "s3:GetObject", resource: object("jobs/W.json") }],
  ],
  [
    "copy source without a leading slash, escaped",
    s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "lake/telemetry/vehicle/W/a%20b.gz" }),
    [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/x.gz") }, { action: "s3:GetObject", resource: object("telemetry/vehicle/W/a b.gz") }],
  ],
  [
    "copy of a version needs GetObjectVersion on the source",
    s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "/lake/jobs/V.json?versionId=v1" }),
    [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/x.gz") }, { action: "s3:GetObjectVersion", resource: job }],
  ],
  [
    "copy from another bucket is evaluated on that bucket",
    s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "/dashboard/data/fleet.json" }),
    [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/x.gz") }, { action: "s3:GetObject", resource: "arn:aws:s3:::dashboard/data/fleet.json" }],
  ],
  [
    "a canned ACL or tags on a put need their own permissions",
    s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-acl": "public-read", "x-amz-tagging": "a=b" }),
    [{ action: "s3:PutObject", resource: object("telemetry/vehicle/V/x.gz") }, { action: "s3:PutObjectAcl", resource: object("telemetry/vehicle/V/x.gz") }, { action: "s3:PutObjectTagging", resource: object("telemetry/vehicle/V/x.gz") }],
  ],
  [
    "object lock headers on a put need retention and legal hold",
    s3("PUT", "/lake/firmware/x", { "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-legal-hold": "ON" }),
    [{ action: "s3:PutObject", resource: object("firmware/x") }, { action: "s3:PutObjectRetention", resource: object("firmware/x") }, { action: "s3:PutObjectLegalHold", resource: object("firmware/x") }],
  ],
  ["JSON protocol", json("DynamoDB_20120810.PutItem"), [{ action: "dynamodb:PutItem", resource: "*" }]],
  ["monitoring is cloudwatch", json("GraniteServiceVersion20100801.PutMetricData"), [{ action: "cloudwatch:PutMetricData", resource: "*" }]],
];

for (const [name, facts, actions] of MAPPED) {
  test(`maps ${name}`, () => {
    assert.equal(requestAction(facts), { kind: "mapped", service: facts.service === "monitoring" ? "cloudwatch" : facts.service, actions });
  });
}

const UNMAPPED: Array<[string, RequestFacts, RegExp]> = [
  ["dot segments", s3("PUT", "/lake/telemetry/vehicle/V/../W/x.gz"), /dot segments/],
  ["a dot segment", s3("GET", "/lake/jobs/./W.json"), /dot segments/],
  ["escaped dot segments", s3("PUT", "/lake/telemetry/vehicle/V/%2e%2e/W/x.gz"), /dot segments/],
  ["upper-case escaped dot segments", s3("PUT", "/lake/telemetry/vehicle/V/%2E%2E/W/x.gz"), /dot segments/],
  ["half-escaped dot segments", s3("PUT", "/lake/telemetry/vehicle/V/.%2E/W/x.gz"), /dot segments/],
  ["an escaped slash", s3("PUT", "/lake/telemetry/vehicle/V%2F..%2FW/x.gz"), /encoded or backward slash/],
  ["an escaped slash in the bucket", s3("GET", "/lake%2Fjobs/W.json"), /encoded or backward slash/],
  ["a backslash", s3("PUT", "/lake/telemetry/vehicle/V/..\\W/x.gz"), /encoded or backward slash/],
  ["an escaped backslash", s3("PUT", "/lake/telemetry/vehicle/V/..%5CW/x.gz"), /encoded or backward slash/],
  ["a double slash", s3("GET", "/lake//jobs/W.json"), /empty segment/],
  ["a trailing slash on a key", s3("PUT", "/lake/telemetry/vehicle/V/"), /empty segment/],
  ["an invalid escape", s3("PUT", "/lake/telemetry/vehicle/V/%E0%A4%A.gz"), /invalid escape/],
  ["invalid UTF-8", s3("PUT", "/lake/telemetry/vehicle/V/%C0%AE%C0%AE/x.gz"), /invalid escape/],
  ["a control character", s3("PUT", "/lake/telemetry/vehicle/V/a%00b.gz"), /control characters/],
  ["raw bytes outside ASCII", s3("PUT", "/lake/telemetry/vehicle/V/\u00e9.gz"), /printable ASCII/],
  ["a raw ; (moto's urlparse cuts the last segment's params)", s3("GET", "/lake/jobs/W.json;x"), /raw # or ;/],
  ["a raw ; in an allowed prefix", s3("PUT", "/lake/telemetry/vehicle/V/x.gz;y"), /raw # or ;/],
  ["a raw # (the fragment is dropped)", s3("GET", "/lake/firmware/#/x"), /raw # or ;/],
  ["a bucket name the emulator routes elsewhere", s3("GET", "/sqs_us-east-1/123/q"), /no valid bucket/],
  ["the S3 Control path", s3("GET", "/v20180820/configuration/publicAccessBlock"), /S3 Control/],
  ["a relative request target", s3("GET", "lake/jobs/V.json"), /not absolute/],
  ["a repeated parameter", s3("GET", "/lake/jobs/V.json?versionId=a&versionId=b"), /appears twice/],
  ["object with two subresources", s3("PUT", "/lake/jobs/V.json?acl&tagging"), /two|acl,tagging/],
  ["an unknown object subresource", s3("GET", "/lake/jobs/V.json?anything"), /object GET anything/],
  ["a subresource on a head", s3("HEAD", "/lake/jobs/V.json?acl"), /object HEAD acl/],
  ["a versionId on a put", s3("PUT", "/lake/jobs/V.json?versionId=v"), /with versionId/],
  ["create multipart upload", s3("POST", "/lake/telemetry/vehicle/V/x.gz?uploads"), /multipart/],
  ["upload part", s3("PUT", "/lake/telemetry/vehicle/V/x.gz?partNumber=1&uploadId=u"), /multipart/],
  ["complete multipart upload", s3("POST", "/lake/telemetry/vehicle/V/x.gz?uploadId=u"), /multipart/],
  ["list parts", s3("GET", "/lake/telemetry/vehicle/V/x.gz?uploadId=u"), /multipart/],
  ["abort multipart upload", s3("DELETE", "/lake/telemetry/vehicle/V/x.gz?uploadId=u"), /multipart/],
  ["select", s3("POST", "/lake/jobs/V.json?select&select-type=2"), /select/],
  ["POST object (form upload)", s3("POST", "/lake"), /form upload/],
  ["an unknown bucket subresource (moto would list)", s3("GET", "/lake?analytics"), /bucket GET analytics/],
  ["two bucket subresources", s3("GET", "/lake?policy&acl"), /bucket GET with policy,acl/],
  ["a copy source with dot segments", s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "/lake/firmware/../jobs/W.json" }), /dot segments/],
  ["a copy source with escaped dot segments", s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "/lake/firmware/%2e%2e/jobs/W.json" }), /dot segments/],
  ["a copy source with an escaped slash", s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "/lake/firmware%2F..%2Fjobs/W.json" }), /encoded or backward slash/],
  ["a copy source with a fragment", s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "/lake/firmware/x#/../../jobs/W.json" }), /raw # or ;/],
  ["a copy source with parameters", s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "/lake/jobs/W.json;x" }), /raw # or ;/],
  ["a copy source with a host", s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "//lake/jobs/W.json" }), /starts with \/\//],
  ["a copy source with a scheme", s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "s3:lake/jobs/W.json" }), /no valid bucket/],
  ["a copy source with another query", s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "/lake/jobs/V.json?versionId=a&x=b" }), /not one versionId/],
  ["a copy source without a key", s3("PUT", "/lake/telemetry/vehicle/V/x.gz", { "x-amz-copy-source": "/lake" }), /no key/],
  ["a copy source on a tagging write", s3("PUT", "/lake/jobs/V.json?tagging", { "x-amz-copy-source": "/lake/jobs/W.json" }), /copy-source on object PUT tagging/],
  ["a JSON request without target", { method: "POST", url: "/", headers: {}, service: "sqs" }, /without X-Amz-Target/],
  ["a JSON request with an Action in the query", json("DynamoDB_20120810.GetItem", {}, "/?Action=DeleteTable"), /path or query/],
  ["a JSON request with an Action header", json("DynamoDB_20120810.GetItem", { Action: "DeleteTable" }), /Action header/],
  ["a JSON request with two targets", json("DynamoDB_20120810.GetItem, DynamoDB_20120810.DeleteTable"), /not <service>.<operation>/],
  ["a JSON request with a form body", json("DynamoDB_20120810.GetItem", { "content-type": "application/x-www-form-urlencoded" }), /JSON content type/],
];

for (const [name, facts, reason] of UNMAPPED) {
  test(`refuses to guess: ${name}`, () => {
    const result = requestAction(facts);
    assert.is(result.kind, "unmapped", JSON.stringify(result));
    assert.match((result as { reason: string }).reason, reason);
  });
}

test.run();
