/**
 * Published firmware is written once, on the local cloud with the stack's own bucket policy applied (moto + serve.py,
 * which evaluates the write-once Deny's If-None-Match condition per request). Against an operator's credentials
 * (anyone who may write firmware/): a PutObject over a published image or metadata version without
 * `If-None-Match: *` is denied, with it it fails 412, and the project's writer (`publishOnce`) says so; a delete marker
 * over a published image is denied. GET keeps serving the published bytes. And a key squatted before the release
 * (other bytes created under the image's content address) makes the release refuse, naming it, instead of
 * publishing targets every vehicle would fail on; the same bytes already there (a re-release) are fine. Nor can an
 * administrator who may bypass governance retention delete a published version (the bucket policy denies the bypass).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { LOCAL_CREDENTIALS } from "../../../local/apply/context.js";
import { startLocalCloud, type LocalCloud } from "../../../local/cloud.js";
import { stageRelease, type ReleaseStatus } from "../../../uptane/image-repository.js";
import { readKeyFile } from "../../../uptane/key-files.js";
import { DEFAULT_ECU, REPOSITORY_LAYOUT } from "../../../uptane/metadata.js";
import { publishOnce, readJson, readObject } from "../../../uptane/repository-store.js";
import { campaignWorld, releaseFirmware, signRelease, type CampaignWorld } from "../campaigns/support/world.js";

let cloud: LocalCloud;
let world: CampaignWorld;
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
const PUBLISHED = Buffer.from("image of 2.4.0"); // what releaseFirmware publishes for 2.4.0
const imageKey = REPOSITORY_LAYOUT.image(sha256(PUBLISHED));

/** The HTTP status and error name of an S3 call as the operator (200 when it succeeds). */
async function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "200",
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => `${error.$metadata?.httpStatusCode} ${error.name}`,
  );
}

const put = (Key: string, Body: string, IfNoneMatch?: "*") => outcome(world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key, Body, ...(IfNoneMatch ? { IfNoneMatch } : {}) })));
const versionsOf = async (key: string) => (await world.s3.send(new ListObjectVersionsCommand({ Bucket: world.bucket, Prefix: key }))).Versions ?? [];

function release(version: string, image: Buffer, signer: string): Promise<ReleaseStatus> {
  return stageRelease(world.s3, world.bucket, {
    image,
    custom: { version, ecu: DEFAULT_ECU, hardwareIds: ["hu-3"], antiRollbackCounter: 7 },
    expires: new Date(Date.now() + 30 * 86_400_000),
    key: readKeyFile(world.local.keyFile(signer)),
  });
}

test.before(async () => {
  cloud = await startLocalCloud({ runtime: false, stateFile: false });
  world = await campaignWorld(cloud);
  await releaseFirmware(world, "2.4.0");
});

test.after(async () => {
  await cloud?.stop();
});

test("a published image cannot be overwritten or hidden: an unconditional PUT and a delete marker are denied, a conditional PUT fails 412, publishOnce says it is published; GET serves the published bytes", async () => {
  assert.equal(await readObject(world.s3, world.bucket, imageKey), PUBLISHED);

  assert.is(await put(imageKey, "other bytes"), "403 AccessDenied");
  assert.is(await put(imageKey, "other bytes", "*"), "412 PreconditionFailed");
  await publishOnce(world.s3, world.bucket, imageKey, Buffer.from("other bytes"), "application/octet-stream").then(
    () => assert.unreachable("publishOnce wrote over a published image"),
    (error: Error) => {
      assert.is(error.name, "AlreadyPublishedError");
      assert.is(error.message, `${imageKey} is already published and is never overwritten`);
    },
  );
  assert.is(await outcome(world.s3.send(new DeleteObjectCommand({ Bucket: world.bucket, Key: imageKey }))), "403 AccessDenied");

  assert.equal(await readObject(world.s3, world.bucket, imageKey), PUBLISHED, "GET still serves the published bytes");
  assert.is((await versionsOf(imageKey)).length, 1, "no other version was written");
});

test("an administrator holding s3:BypassGovernanceRetention cannot remove a published image or metadata version either (the bucket policy denies the bypass there): GET keeps serving the published bytes", async () => {
  for (const key of [imageKey, REPOSITORY_LAYOUT.imageTargets(1), REPOSITORY_LAYOUT.imageRoot(1), REPOSITORY_LAYOUT.directorRoot(1)]) {
    const before = await readObject(world.s3, world.bucket, key);
    const [published] = await versionsOf(key);
    const bypassing = { Bucket: world.bucket, Key: key, VersionId: published!.VersionId, BypassGovernanceRetention: true };

    assert.is(await outcome(world.s3.send(new DeleteObjectCommand(bypassing))), "403 AccessDenied", key);
    const batch = await world.s3.send(new DeleteObjectsCommand({ Bucket: world.bucket, BypassGovernanceRetention: true, Delete: { Objects: [{ Key: key, VersionId: published!.VersionId }] } }));
    assert.equal(batch.Errors?.map((error) => error.Code), ["AccessDenied"], `${key} in a DeleteObjects`);
    const shorten = new PutObjectRetentionCommand({ ...bypassing, Retention: { Mode: "GOVERNANCE", RetainUntilDate: new Date(Date.now() + 60_000) } });
    assert.is(await outcome(world.s3.send(shorten)), "403 AccessDenied", `${key}: retention shortened`);
    assert.is(await put(key, "other bytes", "*"), "412 PreconditionFailed", `${key}: still there, nothing to create`);
    assert.equal(await readObject(world.s3, world.bucket, key), before, key);
    assert.is((await versionsOf(key)).length, 1, `${key}: no other version`);
  }
});

test("published metadata versions (image targets and root, director root) take no unconditional PUT either; staged releases and job documents are rewritten as before", async () => {
  for (const key of [REPOSITORY_LAYOUT.imageTargets(1), REPOSITORY_LAYOUT.imageRoot(1), REPOSITORY_LAYOUT.directorRoot(1)]) {
    const before = await readJson(world.s3, world.bucket, key);
    assert.is(await put(key, "{}"), "403 AccessDenied", key);
    assert.is(await put(key, "{}", "*"), "412 PreconditionFailed", key);
    assert.equal(await readJson(world.s3, world.bucket, key), before, key);
  }
  assert.is(await put(REPOSITORY_LAYOUT.stagedTargets(9), "{}"), "200");
  assert.is(await put(REPOSITORY_LAYOUT.stagedTargets(9), "{}"), "200", "staged files are rewritten in place");
  assert.is(await outcome(world.s3.send(new DeleteObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.stagedTargets(9) }))), "200");
  assert.is(await put(REPOSITORY_LAYOUT.jobDocument("1HGCM82633A004352"), "{}"), "200");
});

test("R9-B2: only If-None-Match: * creates: a PUT whose If-None-Match is an ETag, and a CopyObject onto a published image or metadata version (with If-None-Match: *, an ETag or none), are denied; GET serves the published bytes", async () => {
  const ETAG = '"0123456789abcdef0123456789abcdef"';
  assert.is(await put(REPOSITORY_LAYOUT.stagedImage("ee".repeat(32)), "other bytes"), "200");
  const CopySource = `${world.bucket}/${REPOSITORY_LAYOUT.stagedImage("ee".repeat(32))}`;
  for (const key of [imageKey, REPOSITORY_LAYOUT.imageTargets(1), REPOSITORY_LAYOUT.imageRoot(1), REPOSITORY_LAYOUT.directorRoot(1)]) {
    const before = await readObject(world.s3, world.bucket, key);
    assert.is(await outcome(world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: "other bytes", IfNoneMatch: ETAG }))), "403 AccessDenied", `${key}: PUT If-None-Match <etag>`);
    for (const IfNoneMatch of ["*", ETAG, undefined]) {
      const copy = new CopyObjectCommand({ Bucket: world.bucket, Key: key, CopySource, ...(IfNoneMatch ? { IfNoneMatch } : {}) });
      assert.is(await outcome(world.s3.send(copy)), "403 AccessDenied", `${key}: COPY If-None-Match ${IfNoneMatch ?? "(none)"}`);
    }
    assert.equal(await readObject(world.s3, world.bucket, key), before, key);
    assert.is((await versionsOf(key)).length, 1, `${key}: no other version`);
  }
  const fresh = REPOSITORY_LAYOUT.image("dd".repeat(32));
  assert.is(await outcome(world.s3.send(new CopyObjectCommand({ Bucket: world.bucket, Key: fresh, CopySource, IfNoneMatch: "*" }))), "403 AccessDenied", "nor creates one by copy");
  assert.is(await outcome(world.s3.send(new CopyObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.stagedTargets(8), CopySource }))), "200", "copies elsewhere are untouched");
});

test("other bytes created first under a release's image key: publishing refuses, naming the key and both digests, and publishes no targets; once an administrator deletes that version, signing again publishes", async () => {
  const image = Buffer.from("image of 2.5.0");
  const key = REPOSITORY_LAYOUT.image(sha256(image));
  assert.is(await put(key, "squatter", "*"), "200", "create-if-absent is what the policy allows a writer of firmware/");

  await release("2.5.0", image, "alice");
  const refused = await signRelease(world, "2.5.0", "bob", image).then(
    () => undefined,
    (error: Error) => error,
  );

  assert.is(refused?.name, "ReleaseError");
  assert.match(refused!.message, `${key} already exists and serves other bytes (sha256 ${sha256("squatter").slice(0, 16)}…, 8 bytes), not the image of 2.5.0 (sha256 ${sha256(image).slice(0, 16)}…, ${image.byteLength} bytes); not publishing targets 2`);
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(2)), undefined, "no targets name the squatted key");
  assert.ok(await readObject(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedImage(sha256(image))), "the staged image is kept for the next try");

  const [squatter] = await versionsOf(key);
  assert.is(await outcome(world.s3.send(new DeleteObjectCommand({ Bucket: world.bucket, Key: key, VersionId: squatter!.VersionId }))), "200", "a named, unlocked version can be deleted");
  const published = await signRelease(world, "2.5.0", "bob", image);

  assert.is(published.published, true);
  assert.equal(await readObject(world.s3, world.bucket, key), image);
  const locked = await world.s3.send(new HeadObjectCommand({ Bucket: world.bucket, Key: key }));
  assert.is(locked.ObjectLockMode, "GOVERNANCE", "published with retention");
});

test("a release whose image bytes are already published (the same content address) publishes: the image is not written again", async () => {
  await release("2.4.1", PUBLISHED, "alice");
  const status = await signRelease(world, "2.4.1", "bob", PUBLISHED);

  assert.is(status.published, true);
  assert.is(status.imageKey, imageKey);
  assert.is((await versionsOf(imageKey)).length, 1);
  assert.equal(await readObject(world.s3, world.bucket, imageKey), PUBLISHED);
});

test("R10-B3: a firmware/ writer cannot lock a junk next metadata version, or any object, in compliance mode or past a published version's retention; governance for a year is what publishing writes", async () => {
  const junk = REPOSITORY_LAYOUT.imageTargets(9);
  const until = (days: number) => new Date(Date.now() + days * 86_400_000);
  const create = (Key: string, mode: "COMPLIANCE" | "GOVERNANCE", days: number) =>
    outcome(world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key, Body: "not metadata", IfNoneMatch: "*", ObjectLockMode: mode, ObjectLockRetainUntilDate: until(days), ChecksumAlgorithm: "SHA256" })));
  assert.is(await create(junk, "COMPLIANCE", 1), "403 AccessDenied", "compliance mode, a day");
  assert.is(await create(junk, "GOVERNANCE", 36_500), "403 AccessDenied", "governance for a century");
  assert.is(await create(REPOSITORY_LAYOUT.stagedTargets(9), "COMPLIANCE", 1), "403 AccessDenied", "compliance mode outside the write-once keys");
  assert.equal(await versionsOf(junk), [], "nothing was created");

  const staged = REPOSITORY_LAYOUT.stagedTargets(10);
  assert.is(await put(staged, "staged"), "200");
  const lock = (mode: "COMPLIANCE" | "GOVERNANCE", days: number) => outcome(world.s3.send(new PutObjectRetentionCommand({ Bucket: world.bucket, Key: staged, Retention: { Mode: mode, RetainUntilDate: until(days) } })));
  assert.is(await lock("COMPLIANCE", 1), "403 AccessDenied", "PutObjectRetention to compliance mode");
  assert.is(await lock("GOVERNANCE", 400), "403 AccessDenied", "PutObjectRetention past a published version's");
  assert.is(await lock("GOVERNANCE", 30), "200", "a governance retention within the bound");

  assert.is(await create(junk, "GOVERNANCE", 365), "200", "what publishOnce writes is allowed");
  const [locked] = await versionsOf(junk);
  const removed = await outcome(world.s3.send(new DeleteObjectCommand({ Bucket: world.bucket, Key: junk, VersionId: locked!.VersionId })));
  assert.is.not(removed, "200", "governance retention holds (on AWS the deploy role and root may bypass it; locally nobody is named)");
});

test("R11-02: a published image or metadata version keeps its retention: PutObjectRetention emptying or shortening it without the bypass is refused (with If-None-Match: * too), as is a legal hold the operator puts on it; the version is neither deleted nor replaced", async () => {
  for (const key of [imageKey, REPOSITORY_LAYOUT.imageRoot(1), REPOSITORY_LAYOUT.imageTargets(1), REPOSITORY_LAYOUT.directorRoot(1)]) {
    const before = await readObject(world.s3, world.bucket, key);
    const [published] = await versionsOf(key);
    const version = { Bucket: world.bucket, Key: key, VersionId: published!.VersionId };
    for (const Retention of [{}, { Mode: "GOVERNANCE" as const, RetainUntilDate: new Date(Date.now() + 1_000) }]) {
      assert.is(await outcome(world.s3.send(withIfNoneMatch(new PutObjectRetentionCommand({ ...version, Retention })))), "403 AccessDenied", `${key}: ${JSON.stringify(Retention)}, If-None-Match: *`);
      assert.is(await outcome(world.s3.send(new PutObjectRetentionCommand({ ...version, Retention }))), "403 AccessDenied", `${key}: ${JSON.stringify(Retention)}`);
    }
    assert.is(await outcome(world.s3.send(withIfNoneMatch(new PutObjectLegalHoldCommand({ ...version, LegalHold: { Status: "ON" } })))), "403 AccessDenied", `${key}: legal hold`);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.is(await outcome(world.s3.send(new DeleteObjectCommand(version))), "403 AccessDenied", `${key}: still retained`);
    assert.is(await put(key, "attacker bytes", "*"), "412 PreconditionFailed", `${key}: nothing to create`);
    assert.equal(await readObject(world.s3, world.bucket, key), before, key);
  }
});

/** Sends `If-None-Match: *` on a request whose SDK input has no such field (UploadPart, CreateMultipartUpload). */
function withIfNoneMatch<T extends { middlewareStack: { add: (...args: never[]) => void } }>(command: T): T {
  (command.middlewareStack.add as (middleware: unknown, options: unknown) => void)(
    (next: (args: { request: { headers: Record<string, string> } }) => unknown) => (args: { request: { headers: Record<string, string> } }) => {
      args.request.headers["if-none-match"] = "*";
      return next(args);
    },
    { step: "build", name: "ifNoneMatchStar" },
  );
  return command;
}

test("R10-B2: a multipart upload onto a published image or metadata version is refused (CreateMultipartUpload with or without If-None-Match: *), and an upload begun elsewhere cannot be completed or fed there; GET serves the published bytes", async () => {
  const Bucket = world.bucket;
  const elsewhere = REPOSITORY_LAYOUT.stagedImage("ab".repeat(32));
  const { UploadId } = await world.s3.send(new CreateMultipartUploadCommand({ Bucket, Key: elsewhere }));
  for (const key of [imageKey, REPOSITORY_LAYOUT.imageTargets(1), REPOSITORY_LAYOUT.directorRoot(1), REPOSITORY_LAYOUT.image("ef".repeat(32))]) {
    const before = await readObject(world.s3, world.bucket, key);
    assert.is(await outcome(world.s3.send(new CreateMultipartUploadCommand({ Bucket, Key: key }))), "403 AccessDenied", `${key}: CreateMultipartUpload`);
    assert.is(await outcome(world.s3.send(withIfNoneMatch(new CreateMultipartUploadCommand({ Bucket, Key: key })))), "403 AccessDenied", `${key}: CreateMultipartUpload, If-None-Match: *`);
    const part = withIfNoneMatch(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: 1, Body: "OTHER BYTES" }));
    assert.is(await outcome(world.s3.send(part)), "404 NoSuchUpload", `${key}: a part of another key's upload`);
    const complete = new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, IfNoneMatch: "*", MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0"' }] } });
    assert.is(await outcome(world.s3.send(complete)), "404 NoSuchUpload", `${key}: completing another key's upload`);
    assert.equal(await readObject(world.s3, world.bucket, key), before, key);
    assert.is((await versionsOf(key)).length, before === undefined ? 0 : 1, `${key}: no other version`);
  }
  await world.s3.send(new AbortMultipartUploadCommand({ Bucket, Key: elsewhere, UploadId }));
});

test("R10-B2: a multipart upload elsewhere (a staged image) still works: created, a part uploaded, completed", async () => {
  const Bucket = world.bucket;
  const Key = REPOSITORY_LAYOUT.stagedImage("cd".repeat(32));
  const { UploadId } = await world.s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  const { ETag } = await world.s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: "STAGED BYTES" }));
  await world.s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
  assert.equal(await readObject(world.s3, world.bucket, Key), Buffer.from("STAGED BYTES"));
});

test("R10-B2: an HTML-form POST upload (signed as the operator) over a published image, or creating a write-once key, is refused; one elsewhere is stored", async () => {
  const endpoint = await world.s3.config.endpoint!();
  const formPost = async (key: string, bytes: string) => {
    const form = new FormData();
    form.append("key", key);
    form.append("file", new Blob([bytes]), "image.bin");
    const authorization = `AWS4-HMAC-SHA256 Credential=${LOCAL_CREDENTIALS.accessKeyId}/20261202/${await world.s3.config.region()}/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;
    const response = await fetch(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}/${world.bucket}`, { method: "POST", body: form, headers: { authorization } });
    const code = /<Code>(\w+)<\/Code>/.exec(await response.text())?.[1];
    return code ? `${response.status} ${code}` : String(response.status);
  };
  for (const key of [imageKey, REPOSITORY_LAYOUT.imageTargets(1), REPOSITORY_LAYOUT.image("fa".repeat(32))]) {
    const before = await readObject(world.s3, world.bucket, key);
    assert.is(await formPost(key, "OTHER BYTES via POST"), "403 AccessDenied", key);
    assert.equal(await readObject(world.s3, world.bucket, key), before, key);
  }
  const staged = REPOSITORY_LAYOUT.stagedImage("fb".repeat(32));
  assert.is(await formPost(staged, "posted"), "204", "outside the write-once keys a form POST stores as before");
  assert.equal(await readObject(world.s3, world.bucket, staged), Buffer.from("posted"));
});

test.run();
