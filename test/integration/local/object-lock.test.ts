/**
 * Object Lock on the emulator, as AWS enforces it (serve.py over moto, which authorized PUT ?retention and
 * ?legal-hold as s3:PutObject and replaced a version's retention whatever it held): a PutObjectRetention is judged as
 * s3:PutObjectRetention (without s3:if-none-match), a PutObjectLegalHold as s3:PutObjectLegalHold; an unexpired
 * governance retention is shortened, removed or changed only with the bypass the policy allows, a compliance one only
 * extended; the lake's hold bounds apply; lock fields AWS refuses are a 400, not a version moto cannot read back.
 * R11-02 (review 11): on the old serve.py a published image lost its retention, was deleted and created again.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  S3Client,
  type ObjectLockRetention,
} from "@aws-sdk/client-s3";
import { LOCAL_CREDENTIALS } from "../../../local/apply/context.js";
import { startEmulator, type Emulator } from "../../../local/emulator.js";
import { writeOnceStatements } from "../../../modules/data-lake-storage.js";

let emulator: Emulator;
let s3: S3Client;
const LAKE = "lake"; // the stack's write-once statements, as the local target applies them (no administrators)
const PLAIN = "plain"; // no bucket policy: Object Lock alone decides
const DAY_MS = 86_400_000;
const after = (ms: number) => new Date(Date.now() + ms);

/** 200, or the HTTP status and error name an SDK call failed with. */
const status = (call: Promise<unknown>) =>
  call.then(
    () => 200,
    (error: { $metadata?: { httpStatusCode?: number }; name?: string }) => `${error.$metadata?.httpStatusCode} ${error.name}`,
  );

/** Sets request headers the SDK input cannot (If-None-Match on a PutObjectRetention, a lock header in another form). */
function withHeaders<T extends { middlewareStack: { add: (...args: never[]) => void } }>(command: T, headers: Record<string, string>): T {
  (command.middlewareStack.add as (middleware: unknown, options: unknown) => void)(
    (next: (args: { request: { headers: Record<string, string> } }) => unknown) => (args: { request: { headers: Record<string, string> } }) => {
      Object.assign(args.request.headers, headers);
      return next(args);
    },
    { step: "build", name: "extraHeaders" },
  );
  return command;
}

const publish = async (Bucket: string, Key: string, Body = "signed image") =>
  (await s3.send(new PutObjectCommand({ Bucket, Key, Body, IfNoneMatch: "*", ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: after(365 * DAY_MS) }))).VersionId!;
const retain = (Bucket: string, Key: string, VersionId: string, Retention: ObjectLockRetention, extra: { bypass?: boolean; ifNoneMatch?: boolean } = {}) =>
  status(
    s3.send(
      withHeaders(new PutObjectRetentionCommand({ Bucket, Key, VersionId, Retention, ...(extra.bypass ? { BypassGovernanceRetention: true } : {}) }), extra.ifNoneMatch ? { "if-none-match": "*" } : {}),
    ),
  );
const deleteVersion = (Bucket: string, Key: string, VersionId: string) => status(s3.send(new DeleteObjectCommand({ Bucket, Key, VersionId })));
const read = async (Bucket: string, Key: string) => (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString();

test.before(async () => {
  emulator = await startEmulator();
  s3 = new S3Client({ endpoint: emulator.endpoint, region: "eu-central-1", credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
  for (const Bucket of [LAKE, PLAIN]) await s3.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true, CreateBucketConfiguration: { LocationConstraint: "eu-central-1" } }));
  await s3.send(new PutBucketPolicyCommand({ Bucket: LAKE, Policy: JSON.stringify({ Version: "2012-10-17", Statement: writeOnceStatements(`arn:aws:s3:::${LAKE}`) }) }));
});

test.after(async () => {
  s3?.destroy();
  await emulator?.stop();
});

test("R11-02: a published image's governance retention is not shortened or emptied without the bypass (If-None-Match: * or not), so the version is neither deleted nor replaced", async () => {
  const image = `firmware/images/${"ab".repeat(32)}`;
  const published = await publish(LAKE, image);
  for (const ifNoneMatch of [true, false]) {
    assert.is(await retain(LAKE, image, published, { Mode: "GOVERNANCE", RetainUntilDate: after(1_000) }, { ifNoneMatch }), "403 AccessDenied", `shortened to a second (If-None-Match ${ifNoneMatch})`);
    assert.is(await retain(LAKE, image, published, {}, { ifNoneMatch }), "403 AccessDenied", `emptied (If-None-Match ${ifNoneMatch})`);
    assert.is(await retain(LAKE, image, published, { Mode: "GOVERNANCE", RetainUntilDate: after(1_000) }, { ifNoneMatch, bypass: true }), "403 AccessDenied", "the bypass is denied there");
  }
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.is(await deleteVersion(LAKE, image, published), "403 AccessDenied", "still retained");
  assert.is(await status(s3.send(new PutObjectCommand({ Bucket: LAKE, Key: image, Body: "attacker bytes", IfNoneMatch: "*" }))), "412 PreconditionFailed");
  assert.is(await read(LAKE, image), "signed image");
  const kept = await s3.send(new HeadObjectCommand({ Bucket: LAKE, Key: image, VersionId: published })); // moto has no GetObjectRetention
  assert.is(kept.ObjectLockMode, "GOVERNANCE");
  assert.ok(kept.ObjectLockRetainUntilDate!.getTime() > Date.now() + 364 * DAY_MS, "the year is kept");

  const metadata = "firmware/metadata/targets/3.targets.json";
  const v3 = await publish(LAKE, metadata, "signed targets 3");
  assert.is(await retain(LAKE, metadata, v3, {}, { ifNoneMatch: true }), "403 AccessDenied", "published metadata: retention emptied");
  assert.is(await deleteVersion(LAKE, metadata, v3), "403 AccessDenied");
  assert.is(await retain(LAKE, metadata, v3, { Mode: "GOVERNANCE", RetainUntilDate: after(366 * DAY_MS) }), 200, "an extension within the bound needs no bypass, as on AWS");
});

test("Object Lock as AWS enforces it where no policy speaks: governance shortened, emptied or made compliance only with the bypass; compliance only extended; an expired retention changes freely", async () => {
  const governed = await publish(PLAIN, "governed");
  assert.is(await retain(PLAIN, "governed", governed, { Mode: "GOVERNANCE", RetainUntilDate: after(2 * DAY_MS) }), "403 AccessDenied", "shortened");
  assert.is(await retain(PLAIN, "governed", governed, {}), "403 AccessDenied", "emptied");
  assert.is(await retain(PLAIN, "governed", governed, { Mode: "COMPLIANCE", RetainUntilDate: after(400 * DAY_MS) }), "403 AccessDenied", "mode changed");
  assert.is(await retain(PLAIN, "governed", governed, { Mode: "GOVERNANCE", RetainUntilDate: after(400 * DAY_MS) }), 200, "extended");
  assert.is(await retain(PLAIN, "governed", governed, { Mode: "GOVERNANCE", RetainUntilDate: after(1_000) }, { bypass: true }), 200, "shortened with the bypass");
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.is(await retain(PLAIN, "governed", governed, {}), 200, "expired: removed freely");
  assert.is(await deleteVersion(PLAIN, "governed", governed), 200);

  const complied = (await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: "complied", Body: "x", ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: after(DAY_MS) }))).VersionId!;
  assert.is(await retain(PLAIN, "complied", complied, { Mode: "COMPLIANCE", RetainUntilDate: after(1_000) }, { bypass: true }), "403 AccessDenied", "compliance shortened, even with the bypass");
  assert.is(await retain(PLAIN, "complied", complied, { Mode: "GOVERNANCE", RetainUntilDate: after(2 * DAY_MS) }, { bypass: true }), "403 AccessDenied", "compliance made governance");
  assert.is(await retain(PLAIN, "complied", complied, {}, { bypass: true }), "403 AccessDenied", "compliance emptied");
  assert.is(await retain(PLAIN, "complied", complied, { Mode: "COMPLIANCE", RetainUntilDate: after(2 * DAY_MS) }), 200, "compliance extended");
});

test("R11-01 locally: a legal hold is placed by nobody (no administrators locally), with the object or later; OFF passes; an event hold is refused however it is sent", async () => {
  const staged = "firmware/staged/targets/4.targets.json";
  const image = `firmware/images/${"cd".repeat(32)}`;
  const published = await publish(LAKE, image);
  const create = (Key: string, input: Record<string, unknown>) => status(s3.send(new PutObjectCommand({ Bucket: LAKE, Key, Body: "junk", IfNoneMatch: "*", ...input })));
  assert.is(await create("firmware/metadata/targets/8.targets.json", { ObjectLockLegalHoldStatus: "ON" }), "403 AccessDenied", "a junk next version under a legal hold");
  assert.is(await create(staged, { ObjectLockLegalHoldStatus: "ON" }), "403 AccessDenied", "a legal hold anywhere");
  for (const IfNoneMatch of ["*", undefined]) {
    const hold = withHeaders(new PutObjectLegalHoldCommand({ Bucket: LAKE, Key: image, VersionId: published, LegalHold: { Status: "ON" } }), IfNoneMatch ? { "if-none-match": IfNoneMatch } : {});
    assert.is(await status(s3.send(hold)), "403 AccessDenied", `a legal hold put on a published version later (If-None-Match ${IfNoneMatch})`);
  }
  assert.is(await status(s3.send(new PutObjectLegalHoldCommand({ Bucket: LAKE, Key: image, VersionId: published, LegalHold: { Status: "OFF" } }))), 200, "lifting one");
  assert.is(await create(staged, { ObjectLockLegalHoldStatus: "OFF" }), 200);

  const next = "firmware/metadata/root/3.root.json";
  assert.is(await create(next, { ObjectLockEventHold: "ON", ObjectLockEventHoldDurationDays: 36_500 }), "403 AccessDenied", "an event hold of a century");
  assert.is(await create(next, { ObjectLockEventHold: "ON", ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: after(30 * DAY_MS) }), "403 AccessDenied", "with a governance retention");
  assert.is(await create(next, { ObjectLockEventHoldDurationYears: 100 }), "403 AccessDenied", "a duration alone, in years");
  const later = { EventHold: "ON", EventHoldDuration: { Years: 100 } } as ObjectLockRetention;
  assert.is(await retain(LAKE, image, published, later), "403 AccessDenied", "an event hold put on a published version later");
  assert.is(await retain(LAKE, staged, (await s3.send(new PutObjectCommand({ Bucket: LAKE, Key: staged, Body: "s" }))).VersionId!, later), "403 AccessDenied", "anywhere");
});

test("lock fields AWS refuses are a 400 (moto stored them, then failed 500 on every delete of that version, or locked nothing): a date without a time zone or unreadable, a lower-case mode, a mode without a date; an ISO date with an offset is read", async () => {
  const create = (Key: string, headers: Record<string, string>) =>
    status(s3.send(withHeaders(new PutObjectCommand({ Bucket: PLAIN, Key, Body: "x", ChecksumAlgorithm: "SHA256" }), headers)));
  const year = after(365 * DAY_MS).toISOString().slice(0, 19);
  assert.is(await create("naive", { "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": year }), "400 InvalidArgument", "no time zone");
  assert.is(await create("garbage", { "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "next year" }), "400 InvalidArgument", "not a date");
  assert.is(await create("lower", { "x-amz-object-lock-mode": "compliance", "x-amz-object-lock-retain-until-date": `${year}Z` }), "400 InvalidArgument", "lower-case mode");
  assert.is(await create("modeOnly", { "x-amz-object-lock-mode": "GOVERNANCE" }), "400 InvalidArgument", "a mode without a date");
  assert.is(await create("holdOn", { "x-amz-object-lock-legal-hold": "on" }), "400 InvalidArgument", "a hold status other than ON / OFF");

  const offset = (await s3.send(withHeaders(new PutObjectCommand({ Bucket: PLAIN, Key: "offset", Body: "x", ChecksumAlgorithm: "SHA256" }), { "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": `${year}+00:00` }))).VersionId!;
  assert.is(await deleteVersion(PLAIN, "offset", offset), "403 AccessDenied", "retained (moto: 500 on every delete)");
  const head = await s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: "offset", VersionId: offset }));
  assert.is(head.ObjectLockRetainUntilDate?.toISOString().slice(0, 19), year);

  const version = (await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: "body", Body: "x" }))).VersionId!;
  const retainXml = (xml: string) => {
    const command = new PutObjectRetentionCommand({ Bucket: PLAIN, Key: "body", VersionId: version, Retention: {} });
    (command.middlewareStack.add as (middleware: unknown, options: unknown) => void)(
      (next: (args: { request: { body: unknown } }) => unknown) => (args: { request: { body: unknown } }) => {
        args.request.body = `<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${xml}</Retention>`;
        return next(args);
      },
      { step: "build", priority: "high", name: "retentionXml" },
    );
    return status(s3.send(command));
  };
  assert.is(await retainXml(`<Mode>compliance</Mode><RetainUntilDate>${year}Z</RetainUntilDate>`), "400 MalformedXML", "PutObjectRetention: lower-case mode");
  assert.is(await retainXml(`<Mode>GOVERNANCE</Mode><RetainUntilDate>${year}</RetainUntilDate>`), "400 MalformedXML", "PutObjectRetention: no time zone");
  assert.is(await retainXml("<Mode>GOVERNANCE</Mode>"), "400 MalformedXML", "PutObjectRetention: a mode without a date");
  assert.is(await retainXml(`<Mode>GOVERNANCE</Mode><RetainUntilDate>${year}+01:00</RetainUntilDate>`), 200, "an offset is a time zone");
  assert.is(await deleteVersion(PLAIN, "body", version), "403 AccessDenied", "retained");
});

test.run();
