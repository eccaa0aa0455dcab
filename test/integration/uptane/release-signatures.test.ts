/**
 * `release` / `release sign` on the local cloud (real S3 in moto) against someone who can write firmware/staged/:
 * a staged signature counts only if it verifies over the staged targets by a release key of the image root.
 * Forged signatures carrying a genuine release key id (junk bytes, or a genuine signature over other content)
 * publish nothing, are named in the result and dropped from the staged file; a genuine second signature publishes
 * targets that verify as the update manager and vehicles check them.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { startLocalCloud, type LocalCloud } from "../../../local/cloud.js";
import { dropStagedRelease, signStagedRelease, stageRelease, type ReleaseStatus } from "../../../uptane/image-repository.js";
import { readKeyFile } from "../../../uptane/key-files.js";
import { generateOfflineKey, signWithKeyFile } from "../../../uptane/keys.js";
import { DEFAULT_ECU, REPOSITORY_LAYOUT, targetsFromJson } from "../../../uptane/metadata.js";
import { readChain, readJson } from "../../../uptane/repository-store.js";
import { verifyPublishedTargets } from "../../../uptane/vehicle-verification.js";
import { campaignWorld, type CampaignWorld } from "../campaigns/support/world.js";

let cloud: LocalCloud;
let world: CampaignWorld;
const key = (name: string) => readKeyFile(world.local.keyFile(name));
const sign = (name: string) => signStagedRelease(world.s3, world.bucket, { version: "2.4.0", key: key(name) });

async function staged() {
  return targetsFromJson(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(1)));
}

/** What an attacker with write access to firmware/staged/ does: rewrites the staged targets' signatures. */
async function forgeSignature(keyid: string, sig: string): Promise<void> {
  const json = (await staged()).toJSON() as { signatures: { keyid: string; sig: string }[] };
  json.signatures = [...json.signatures.filter((each) => each.keyid !== keyid), { keyid, sig }];
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.stagedTargets(1), Body: JSON.stringify(json) }));
}

async function nothingPublished(): Promise<void> {
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(1)), undefined, "no image targets published");
}

function ignoredNames(status: ReleaseStatus, keyid: string): void {
  assert.is(status.ignored.length, 1, status.ignored.join("; "));
  assert.match(status.ignored[0]!, `key ${keyid.slice(0, 8)}…: its signature does not verify`);
}

test.before(async () => {
  cloud = await startLocalCloud({ runtime: false, stateFile: false });
  world = await campaignWorld(cloud);
});

test.after(async () => {
  await cloud?.stop();
});

test("alice stages 2.4.0: 1 of 2, nothing published", async () => {
  const status = await stageRelease(world.s3, world.bucket, {
    image: Buffer.from("image of 2.4.0"),
    custom: { version: "2.4.0", ecu: DEFAULT_ECU, hardwareIds: ["hu-3"], antiRollbackCounter: 7 },
    expires: new Date(Date.now() + 30 * 86_400_000),
    key: key("alice"),
  });
  assert.equal([status.published, status.signedBy, status.threshold, status.ignored], [false, [key("alice").keyid], 2, []]);
  await nothingPublished();
});

test("alice's staged signature replaced by junk bytes under her key id: bob's signature does not publish, the junk one is named and dropped", async () => {
  const alice = key("alice").keyid;
  await forgeSignature(alice, "5a".repeat(64));
  const status = await sign("bob");

  assert.is(status.published, false);
  assert.equal(status.signedBy, [key("bob").keyid]);
  ignoredNames(status, alice);
  await nothingPublished();
  assert.equal(Object.keys((await staged()).signatures), [key("bob").keyid], "the junk signature is gone from the staged file");
});

test("a genuine signature by alice over other content (a later expiry), put under her key id: still not published, named", async () => {
  const alice = key("alice").keyid;
  const json = (await staged()).toJSON() as { signed: { expires: string } };
  json.signed.expires = "2036-01-01T00:00:00Z";
  const other = targetsFromJson(json);
  signWithKeyFile(other, key("alice"));
  await forgeSignature(alice, other.signatures[alice]!.sig);
  const status = await sign("bob"); // bob signing again (his signature replaced by an identical one)

  assert.is(status.published, false);
  assert.equal(status.signedBy, [key("bob").keyid]);
  ignoredNames(status, alice);
  await nothingPublished();
});

test("a genuine second signature (carol's) publishes: the targets verify as vehicles check them and carry only verified signatures", async () => {
  const status = await sign("carol");
  const roots = await readChain(world.s3, world.bucket, REPOSITORY_LAYOUT.imageRoot);
  const published = await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(1));

  assert.equal([status.published, status.signedBy.length, status.ignored], [true, 2, []]);
  assert.ok(published !== undefined, "image targets 1 published");
  assert.is(verifyPublishedTargets(roots, published, new Date()), undefined);
  assert.equal(Object.keys(targetsFromJson(published).signatures).sort(), [key("bob").keyid, key("carol").keyid].sort());
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(1)), undefined, "the staged targets are gone");
});

const stage = (version: string, name = "alice") =>
  stageRelease(world.s3, world.bucket, {
    image: Buffer.from(`image of ${version}`),
    custom: { version, ecu: DEFAULT_ECU, hardwareIds: ["hu-3"], antiRollbackCounter: 8 },
    expires: new Date(Date.now() + 30 * 86_400_000),
    key: key(name),
  });

async function refusedWith(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await run().then(
    () => assert.unreachable(`expected a refusal matching ${String(pattern)}`),
    (error: Error) => assert.match(error.message, pattern),
  );
}

test("a target added to a staged release by a firmware/staged/ writer: the next signer refuses to sign it, nothing published", async () => {
  await stage("2.5.0");
  const json = (await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(2))) as { signed: { targets: Record<string, unknown> } };
  json.signed.targets["primary-6.6.6.bin"] = { length: 1234, hashes: { sha256: "e".repeat(64) }, custom: { version: "6.6.6", ecu: DEFAULT_ECU, hardwareIds: ["hu-3"], antiRollbackCounter: 99 } };
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.stagedTargets(2), Body: JSON.stringify(json) }));

  await refusedWith(() => signStagedRelease(world.s3, world.bucket, { version: "2.5.0", key: key("bob") }), /staged targets 2 carry primary-6\.6\.6\.bin besides the published targets and 2\.5\.0; not signing/);
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(2)), undefined);
  await dropStagedRelease(world.s3, world.bucket);
});

test("targets written under firmware/metadata/ without the release keys: a release refuses to build on them (nor are they re-signed)", async () => {
  const forged = targetsFromJson(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(1)));
  (forged.signed as { version: number }).version = 2;
  forged.signatures = {};
  signWithKeyFile(forged, generateOfflineKey("mallory"));
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.imageTargets(2), Body: JSON.stringify(forged.toJSON()), IfNoneMatch: "*" })); // a next version: the write-once policy lets anyone create it

  await refusedWith(() => stage("2.6.0"), /published image targets 2 do not verify \(UNKNOWN_KEY: .*\); not building a release on them/);
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(3)), undefined, "nothing staged");
});

test.run();
