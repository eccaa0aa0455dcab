/**
 * The front door fails closed, tried as an attacker would: unsigned, made-up keys, look-alikes of the
 * local principals' keys, SigV2, malformed headers and presigned queries, virtual-hosted Hosts, the
 * emulator's own paths, a copy from another VIN, a versionId read: each is refused with AWS's code in the
 * caller's protocol. The local principals and a vehicle's allowed requests (as the real SDK sends them) pass.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, UploadPartCopyCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { readAuthentication, vehicleAuthorizer, type FrontDoorRequest, type FrontDoorStats, type Refusal } from "../../../../local/identity/front-door.js";
import { LOCAL_PRINCIPAL_KEY } from "../../../../local/identity/local-principals.js";
import { VehicleSessions } from "../../../../local/identity/sessions.js";
import { silentLog } from "../../../../lib/logger.js";
import { capturedRequest, presignedTarget, type CapturedRequest } from "./support/signed-requests.js";

const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const THING = "${credentials-iot:ThingName}";
const POLICY = {
  Version: "2012-10-17",
  Statement: [
    { Sid: "PutOwnTelemetry", Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::lake/telemetry/vehicle/${THING}/*` },
    { Sid: "GetOwnJobDocumentAndFirmware", Effect: "Allow", Action: "s3:GetObject", Resource: [`arn:aws:s3:::lake/jobs/${THING}.json`, "arn:aws:s3:::lake/firmware/*"] },
  ],
};
const SIGNATURE = "0".repeat(64);
const NOW = Date.UTC(2026, 11, 1, 22, 0, 0);

function world(policy: typeof POLICY = POLICY) {
  let now = NOW;
  const sessions = new VehicleSessions(() => now);
  const session = sessions.issue({ thingName: A, roleArn: "arn:aws:iam::123456789012:role/vehicle", policy, durationSeconds: 900 });
  const stats: FrontDoorStats = { vehicleRequests: 0, allowed: 0, refused: 0, unauthenticated: 0 };
  const authorize = vehicleAuthorizer({ sessions, accountId: "123456789012", log: silentLog, stats, now: () => now });
  const credentials = { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken };
  return { authorize, stats, credentials, session, later: (ms: number) => (now += ms) };
}

/** A hand-made request (what an attacker sends), signed in the SDK's header format unless told otherwise. */
function raw(method: string, url: string, headers: Record<string, string> = {}, accessKeyId?: string, token?: string): FrontDoorRequest {
  const signed = accessKeyId === undefined ? {} : { authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261201/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}` };
  return { method, url, headers: { host: "127.0.0.1:4566", ...signed, ...(token ? { "x-amz-security-token": token } : {}), ...headers } };
}

function refusedWith(refusal: Refusal | undefined, statusCode: number, code: string): Refusal {
  assert.ok(refusal, `expected ${code}, the request was forwarded`);
  assert.is(refusal.code, code, refusal.reason);
  assert.is(refusal.statusCode, statusCode);
  return refusal;
}

const s3Send = (command: object) => (config: object) => new S3Client(config).send(command as never);

// --- who may come in at all -------------------------------------------------------------------------

test("an unsigned S3 request is refused with S3's AccessDenied, in XML", () => {
  const { authorize, stats } = world();
  const refusal = refusedWith(authorize({ method: "GET", url: "/lake/jobs/B.json", headers: { host: "127.0.0.1:4566" } }), 403, "AccessDenied");
  assert.match(refusal.body, /<Code>AccessDenied<\/Code>/);
  assert.is(refusal.headers["content-type"], "application/xml");
  assert.is(stats.unauthenticated, 1);
});

test("an unsigned JSON-protocol request is refused with MissingAuthenticationToken, in JSON", () => {
  const { authorize } = world();
  const refusal = refusedWith(authorize({ method: "POST", url: "/", headers: { "x-amz-target": "DynamoDB_20120810.Scan" } }), 403, "MissingAuthenticationToken");
  assert.equal(JSON.parse(refusal.body).__type, "MissingAuthenticationTokenException");
});

test("the emulator's own API is not reachable unsigned through the front door", () => {
  const { authorize } = world();
  refusedWith(authorize({ method: "POST", url: "/moto-api/reset", headers: {} }), 403, "AccessDenied");
  refusedWith(authorize({ method: "GET", url: "/moto-api/data.json", headers: {} }), 403, "AccessDenied");
});

const MADE_UP_KEYS = ["AKIAIOSFODNN7EXAMPLE", "ASIAVEHICLE0000000000", "fleetota-localx", "FLEETOTA-LOCAL", "fleetota-fn-", "fleetota-fn-a.b", "fleetota-esm2", "testing", "operator"];
for (const key of MADE_UP_KEYS) {
  test(`a made-up key is refused: ${key}`, () => {
    const { authorize, stats } = world();
    refusedWith(authorize(raw("GET", "/lake/jobs/B.json", {}, key)), 403, "InvalidAccessKeyId");
    assert.is(stats.vehicleRequests, 0);
  });
}

test("a made-up key is refused in the JSON protocol too (SQS also gets its query-protocol code)", async () => {
  const { authorize } = world();
  const request = await capturedRequest((config) => new SQSClient(config).send(new SendMessageCommand({ QueueUrl: "http://127.0.0.1/123456789012/q", MessageBody: "x" })), { accessKeyId: "AKIAMADEUP", secretAccessKey: "x" });
  const refusal = refusedWith(authorize(request), 403, "InvalidAccessKeyId");
  assert.equal(JSON.parse(refusal.body).__type, "InvalidAccessKeyId");
  assert.is(refusal.headers["x-amzn-query-error"], "InvalidAccessKeyId;Sender");
});

const LOCAL_KEYS = [LOCAL_PRINCIPAL_KEY.operator, `${LOCAL_PRINCIPAL_KEY.functionPrefix}fleetota-dev-telemetry-processor`, LOCAL_PRINCIPAL_KEY.eventSourceMapping, LOCAL_PRINCIPAL_KEY.emulation];
for (const key of LOCAL_KEYS) {
  test(`a local principal's request, as the SDK sends it, is forwarded: ${key}`, async () => {
    const { authorize, stats } = world();
    const s3 = await capturedRequest(s3Send(new GetObjectCommand({ Bucket: "lake", Key: `jobs/${B}.json` })), { accessKeyId: key, secretAccessKey: key });
    const dynamo = await capturedRequest((config) => new DynamoDBClient(config).send(new GetItemCommand({ TableName: "t", Key: { pk: { S: "x" } } })), { accessKeyId: key, secretAccessKey: key });
    assert.is(authorize(s3), undefined);
    assert.is(authorize(dynamo), undefined);
    assert.equal(stats, { vehicleRequests: 0, allowed: 0, refused: 0, unauthenticated: 0 });
  });
}

test("SigV2, in the header or the query, is refused with InvalidRequest", () => {
  const { authorize } = world();
  refusedWith(authorize({ method: "GET", url: "/lake/jobs/B.json", headers: { authorization: "AWS fleetota-local:frJIUN8DYpKDtOLCwo//yllqDzg=" } }), 400, "InvalidRequest");
  refusedWith(authorize({ method: "GET", url: "/lake/jobs/B.json?AWSAccessKeyId=fleetota-local&Expires=1893456000&Signature=abc", headers: {} }), 400, "InvalidRequest");
});

const MALFORMED_HEADERS: Array<[string, string]> = [
  ["no signature", `AWS4-HMAC-SHA256 Credential=fleetota-local/20261201/us-east-1/s3/aws4_request, SignedHeaders=host`],
  ["a short signature", `AWS4-HMAC-SHA256 Credential=fleetota-local/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00`],
  ["a scope with four parts", `AWS4-HMAC-SHA256 Credential=fleetota-local/20261201/s3/aws4_request, SignedHeaders=host, Signature=${SIGNATURE}`],
  ["a scope with six parts", `AWS4-HMAC-SHA256 Credential=fleetota-local/x/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIGNATURE}`],
  // moto reads the service from the first comma-separated part: a decoy there would route the request elsewhere.
  ["a decoy scope before the credential", `AWS4-HMAC-SHA256 Foo=a/b/us-east-1/dynamodb/x, Credential=fleetota-local/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIGNATURE}`],
  ["another algorithm", `AWS4-ECDSA-P256-SHA256 Credential=fleetota-local/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIGNATURE}`],
  ["trailing text", `AWS4-HMAC-SHA256 Credential=fleetota-local/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIGNATURE}, Credential=ASIAVEHICLE/20261201/us-east-1/dynamodb/aws4_request`],
  ["junk", "Bearer fleetota-local"],
];
for (const [name, authorization] of MALFORMED_HEADERS) {
  test(`a malformed Authorization header is refused: ${name}`, () => {
    const { authorize } = world();
    refusedWith(authorize({ method: "GET", url: "/lake/jobs/B.json", headers: { authorization } }), 400, "AuthorizationHeaderMalformed");
  });
}

test("a presigned URL from the SDK's signer authenticates; malformed ones are refused", async () => {
  const { authorize, credentials } = world();
  const signingDate = new Date(NOW - 60_000);
  const good = await presignedTarget({ host: "127.0.0.1:4566", path: `/lake/jobs/${A}.json`, credentials, signingDate });
  assert.is(authorize({ method: "GET", url: good, headers: { host: "127.0.0.1:4566" } }), undefined);

  const variants: Array<[string, string]> = [
    ["a credential with four parts", good.replace(/X-Amz-Credential=[^&]+/, `X-Amz-Credential=${credentials.accessKeyId}%2Fus-east-1%2Fs3%2Faws4_request`)],
    ["a credential with six parts", good.replace(/X-Amz-Credential=([^&]+)/, "X-Amz-Credential=x%2F$1")],
    ["a credential alone", good.replace(/X-Amz-Credential=[^&]+/, `X-Amz-Credential=${credentials.accessKeyId}`)],
    ["no signature", good.replace(/&?X-Amz-Signature=[^&]+/, "")],
    ["no algorithm", good.replace(/X-Amz-Algorithm=[^&]+&?/, "")],
    ["SigV2's algorithm name", good.replace(/X-Amz-Algorithm=[^&]+/, "X-Amz-Algorithm=HmacSHA1")],
    ["a repeated credential", `${good}&X-Amz-Credential=fleetota-local%2F20261201%2Fus-east-1%2Fs3%2Faws4_request`],
    ["a lower-case parameter name", good.replace("X-Amz-Credential=", "x-amz-credential=")],
    ["no expiry", good.replace(/&?X-Amz-Expires=[^&]+/, "")],
    ["an expiry beyond 7 days", good.replace(/X-Amz-Expires=[^&]+/, "X-Amz-Expires=604801")],
  ];
  for (const [name, url] of variants) {
    const refusal = authorize({ method: "GET", url, headers: { host: "127.0.0.1:4566" } });
    assert.ok(refusal, `${name}: forwarded`);
    assert.is(refusal.statusCode, 400, `${name}: ${refusal.code}`);
    assert.is(refusal.code, "AuthorizationQueryParametersError", name);
  }
});

test("an expired presigned URL is refused, even the operator's", async () => {
  const { authorize } = world();
  const old = await presignedTarget({ host: "127.0.0.1:4566", path: "/lake/jobs/x.json", credentials: { accessKeyId: "fleetota-local", secretAccessKey: "fleetota-local" }, signingDate: new Date(NOW - 600_000), expiresIn: 60 });
  refusedWith(authorize({ method: "GET", url: old, headers: { host: "127.0.0.1:4566" } }), 403, "AccessDenied");
});

test("an Authorization header and a presigned query together are refused", async () => {
  const { authorize, credentials } = world();
  const url = await presignedTarget({ host: "127.0.0.1:4566", path: `/lake/jobs/${A}.json`, credentials, signingDate: new Date(NOW) });
  refusedWith(authorize(raw("GET", url, {}, "fleetota-local")), 400, "InvalidArgument");
});

// --- what a vehicle session may do ------------------------------------------------------------------

test("a vehicle's own upload and job read, as the SDK sends them, are allowed", async () => {
  const { authorize, stats, credentials } = world();
  const put = await capturedRequest(s3Send(new PutObjectCommand({ Bucket: "lake", Key: `telemetry/vehicle/${A}/dt=2026-12-01/hour=22/x.ndjson.gz`, Body: "x" })), credentials);
  const get = await capturedRequest(s3Send(new GetObjectCommand({ Bucket: "lake", Key: `jobs/${A}.json`, IfNoneMatch: '"etag"' })), credentials);
  const firmware = await capturedRequest(s3Send(new GetObjectCommand({ Bucket: "lake", Key: "firmware/images/ab12" })), credentials);

  assert.is(authorize(put), undefined);
  assert.is(authorize(get), undefined);
  assert.is(authorize(firmware), undefined);
  assert.equal(stats, { vehicleRequests: 3, allowed: 3, refused: 0, unauthenticated: 0 });
});

test("another vehicle's job, a versionId read of its own job, a copy from B's prefix are denied", async () => {
  const { authorize, stats, credentials } = world();
  const other = await capturedRequest(s3Send(new GetObjectCommand({ Bucket: "lake", Key: `jobs/${B}.json` })), credentials);
  const version = await capturedRequest(s3Send(new GetObjectCommand({ Bucket: "lake", Key: `jobs/${A}.json`, VersionId: "3HL4kqtJlcpXroDTDmJ" })), credentials);
  const copy = await capturedRequest(
    s3Send(new CopyObjectCommand({ Bucket: "lake", Key: `telemetry/vehicle/${A}/dt=2026-12-01/hour=22/copied.ndjson.gz`, CopySource: `lake/telemetry/vehicle/${B}/dt=2026-12-01/hour=22/x.ndjson.gz` })),
    credentials,
  );
  const copyJob = await capturedRequest(s3Send(new CopyObjectCommand({ Bucket: "lake", Key: `telemetry/vehicle/${A}/x.ndjson.gz`, CopySource: `lake/jobs/${B}.json` })), credentials);

  for (const request of [other, version, copy, copyJob]) refusedWith(authorize(request), 403, "AccessDenied");
  assert.equal(stats, { vehicleRequests: 4, allowed: 0, refused: 4, unauthenticated: 0 });
});

test("a copy of its own job into its own prefix is allowed (both sides are its own)", async () => {
  const { authorize, credentials } = world();
  const copy = await capturedRequest(s3Send(new CopyObjectCommand({ Bucket: "lake", Key: `telemetry/vehicle/${A}/x.ndjson.gz`, CopySource: `lake/jobs/${A}.json` })), credentials);
  assert.is(authorize(copy), undefined);
});

test("a role that allows uploads only without a copy source (Null s3:x-amz-copy-source, as the device roles do) refuses the vehicle's CopyObject from its job or the firmware, and its UploadPartCopy; its plain upload passes (review 21, R21-02)", async () => {
  const [put, get] = POLICY.Statement;
  const { authorize, stats, credentials } = world({ ...POLICY, Statement: [{ ...put!, Condition: { Null: { "s3:x-amz-copy-source": "true" } } } as never, get!] });
  const key = `telemetry/vehicle/${A}/x.ndjson.gz`;
  const upload = await capturedRequest(s3Send(new PutObjectCommand({ Bucket: "lake", Key: key, Body: "x" })), credentials);
  const fromJob = await capturedRequest(s3Send(new CopyObjectCommand({ Bucket: "lake", Key: key, CopySource: `lake/jobs/${A}.json` })), credentials);
  const fromImage = await capturedRequest(s3Send(new CopyObjectCommand({ Bucket: "lake", Key: key, CopySource: "lake/firmware/images/ab12" })), credentials);
  const partCopy = await capturedRequest(s3Send(new UploadPartCopyCommand({ Bucket: "lake", Key: key, UploadId: "u1", PartNumber: 1, CopySource: "lake/firmware/images/ab12" })), credentials);

  assert.is(authorize(upload), undefined);
  for (const copy of [fromJob, fromImage]) assert.match(refusedWith(authorize(copy), 403, "AccessDenied").reason, `s3:PutObject on arn:aws:s3:::lake/${key} ImplicitlyDenied`);
  // Locally a multipart request is refused before any policy (stricter than AWS): the stack tests evaluate UploadPartCopy's key.
  assert.match(refusedWith(authorize(partCopy), 403, "AccessDenied").reason, "multipart upload");
  assert.equal(stats, { vehicleRequests: 4, allowed: 1, refused: 3, unauthenticated: 0 });
});

const HOSTS = ["dashboard.example.test", "dashboard.127.0.0.1.nip.io:4566", "lake.s3.amazonaws.com", "s3-control.us-east-1.amazonaws.com", "x.s3-accesspoint.us-east-1.amazonaws.com", "127.0.0.1.evil:4566", "[::1]:4566", ""];
for (const host of HOSTS) {
  test(`a vehicle request with a virtual-hosted or unexpected Host is refused: ${JSON.stringify(host)}`, async () => {
    const { authorize, credentials } = world();
    const put = await capturedRequest(s3Send(new PutObjectCommand({ Bucket: "lake", Key: `telemetry/vehicle/${A}/x.ndjson.gz`, Body: "x" })), credentials);
    const refusal = refusedWith(authorize({ ...put, headers: { ...put.headers, host } }), 403, "AccessDenied");
    assert.match(refusal.reason, /Host/);
  });
}

test("a vehicle request without a Host is refused; localhost with a port is path-style and allowed", async () => {
  const { authorize, credentials } = world();
  const put = await capturedRequest(s3Send(new PutObjectCommand({ Bucket: "lake", Key: `telemetry/vehicle/${A}/x.ndjson.gz`, Body: "x" })), credentials);
  const { host: _host, ...withoutHost } = put.headers;
  refusedWith(authorize({ ...put, headers: withoutHost }), 403, "AccessDenied");
  assert.is(authorize({ ...put, headers: { ...put.headers, host: "localhost:4566" } }), undefined);
});

test("a vehicle cannot reach the emulator's own paths, even dressed as a bucket", () => {
  const { authorize, session } = world();
  for (const url of ["/moto-api/reset", "/moto%2Dapi/data.json", "/latest/meta-data/iam/", "/favicon.ico"]) {
    const refusal = refusedWith(authorize(raw("GET", url, {}, session.accessKeyId, session.sessionToken)), 403, "AccessDenied");
    assert.match(refusal.reason, /emulator's own path/, url);
  }
});

const FORM_TYPES: Array<[string, RegExp]> = [
  ["application/x-www-form-urlencoded", /form body/],
  ["multipart/form-data; boundary=x", /form body/],
  // Python's strip() removes NEL (0x85), JavaScript's \s does not: moto would see a form.
  ["\x85application/x-www-form-urlencoded", /outside printable ASCII/],
  ["text/plain, application/x-www-form-urlencoded", /form body/],
  ["APPLICATION/X-WWW-FORM-URLENCODED", /form body/],
];
for (const [contentType, reason] of FORM_TYPES) {
  test(`a vehicle request with a form body is refused (the emulator would read parameters from it): ${JSON.stringify(contentType)}`, () => {
    const { authorize, session } = world();
    const refusal = refusedWith(
      authorize(raw("GET", `/lake/jobs/${A}.json`, { "content-type": contentType, "content-length": "12" }, session.accessKeyId, session.sessionToken)),
      403,
      "AccessDenied",
    );
    assert.match(refusal.reason, reason);
  });
}

test("a vehicle request with obs-text in any header, or an emulator control header, is refused", () => {
  const { authorize, session } = world();
  const own = (headers: Record<string, string>) => authorize(raw("GET", `/lake/jobs/${A}.json`, headers, session.accessKeyId, session.sessionToken));
  assert.is(own({ "user-agent": "aws-sdk-js/3" }), undefined);
  assert.match(refusedWith(own({ "user-agent": "aws-sdk-js/3 \u00e9" }), 403, "AccessDenied").reason, /user-agent has bytes outside printable ASCII/);
  assert.match(refusedWith(own({ "if-none-match": '"etag"\u0085' }), 403, "AccessDenied").reason, /if-none-match/);
  assert.match(refusedWith(own({ "x-moto-account-id": "111111111111" }), 403, "AccessDenied").reason, /control header x-moto-account-id/);
});

test("a presigned URL for another service than S3 is refused for a vehicle", async () => {
  const { authorize, credentials } = world();
  const url = await presignedTarget({ host: "127.0.0.1:4566", path: "/", credentials, signingDate: new Date(NOW), service: "dynamodb" });
  refusedWith(authorize({ method: "POST", url, headers: { host: "127.0.0.1:4566", "x-amz-target": "DynamoDB_20120810.Scan" } }), 403, "AccessDenied");
});

test("a vehicle's presigned S3 URL with an X-Amz-Target is refused (moto would route it to that service)", async () => {
  const { authorize, credentials } = world();
  const url = await presignedTarget({ host: "127.0.0.1:4566", path: `/lake/jobs/${A}.json`, credentials, signingDate: new Date(NOW) });
  assert.is(authorize({ method: "GET", url, headers: { host: "127.0.0.1:4566" } }), undefined);
  const refusal = refusedWith(authorize({ method: "GET", url, headers: { host: "127.0.0.1:4566", "x-amz-target": "AWSCognitoIdentityService.ListIdentityPools" } }), 403, "AccessDenied");
  assert.match(refusal.reason, /X-Amz-Target/);
});

test("a wrong, missing or repeated session token is refused; so is an expired session", async () => {
  const { authorize, credentials, later, stats } = world();
  const put = await capturedRequest(s3Send(new PutObjectCommand({ Bucket: "lake", Key: `telemetry/vehicle/${A}/x.ndjson.gz`, Body: "x" })), credentials);
  refusedWith(authorize({ ...put, headers: { ...put.headers, "x-amz-security-token": `${credentials.sessionToken.slice(0, -1)}${credentials.sessionToken.endsWith("A") ? "B" : "A"}` } }), 403, "InvalidToken");
  const { "x-amz-security-token": _token, ...noToken } = put.headers;
  refusedWith(authorize({ ...put, headers: noToken }), 403, "InvalidToken");
  refusedWith(authorize({ ...put, headers: { ...put.headers, "x-amz-security-token": `${credentials.sessionToken}, ${credentials.sessionToken}` } }), 403, "InvalidToken");
  later(900_000);
  refusedWith(authorize(put), 400, "ExpiredToken");
  assert.is(stats.unauthenticated, 0, "a live or expired session's key is known");
});

test("a vehicle's request to a JSON service is denied by its policy", async () => {
  const { authorize, credentials } = world();
  const request: CapturedRequest = await capturedRequest((config) => new DynamoDBClient(config).send(new GetItemCommand({ TableName: "t", Key: { pk: { S: "x" } } })), credentials);
  const refusal = refusedWith(authorize(request), 403, "AccessDenied");
  assert.equal(JSON.parse(refusal.body).__type, "com.amazon.coral.service#AccessDeniedException", "DynamoDB's own error shape");
});

test.run();
