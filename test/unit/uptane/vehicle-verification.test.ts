import { test } from "uvu";
import * as assert from "uvu/assert";
import { Metadata, MetadataKind, Signature, type Root, type Targets } from "@tufjs/models";
import { generateOfflineKey, signWithKeyFile, tufKeyId, type OfflineKeyFile } from "../../../uptane/keys.js";
import { ROLE, rootFromJson, RootKeyError } from "../../../uptane/metadata.js";
import {
  checkRoleSignatures,
  DUPLICATE_SIGNER,
  imageHasher,
  REFUSAL,
  verifyImageBytes,
  verifyImageDigest,
  verifyJobBundle,
  verifyPublishedTargets,
  type RefusalKind,
  type VehicleContext,
  type VehicleTrust,
} from "../../../uptane/vehicle-verification.js";
import {
  bundle,
  DAY,
  director,
  directorKey,
  directorRoot,
  directorRootKeys,
  directorTargets,
  IMAGE,
  imageRoot,
  imageRootKeys,
  imageTargets,
  NOW,
  OTHER_VIN,
  pinnedImageRoot,
  releaseKeys,
  signAll,
  trust,
  vehicle,
  VIN,
} from "./support/repositories.js";

/**
 * The Uptane threat model against the vehicle's verification: each attack, built as an attacker
 * holding what the row says, must be refused with its named kind.
 */

const [alice, bob, carol] = releaseKeys as [typeof releaseKeys[0], typeof releaseKeys[0], typeof releaseKeys[0]];
const mallory = generateOfflineKey("mallory");
const mallory2 = generateOfflineKey("mallory-2");
const stolenDirectorOnlyImage = { custom: { version: "6.6.6" }, sha256: "e".repeat(64), length: 1234 };

/** Re-signs metadata after an edit, as the holder of the given director key would. */
function edited(metadata: Metadata<Targets>, edit: (signed: Record<string, unknown>) => void, key = director): Record<string, unknown> {
  edit(metadata.signed as unknown as Record<string, unknown>);
  metadata.signatures = {};
  key.sign(metadata);
  return metadata.toJSON();
}

interface ThreatCase {
  threat: string;
  document: () => unknown;
  trust?: () => VehicleTrust;
  vehicle?: VehicleContext;
  refused: RefusalKind;
}

const cases: ThreatCase[] = [
  { threat: "arbitrary software: director names an image the image repository never signed", document: () => bundle({ director: { custom: { targetVersion: "6.6.6" }, sha256: "e".repeat(64) } }), refused: REFUSAL.UnknownImage },
  {
    threat: "stolen director key alone: signs a job for its own image, image metadata signed by its own keys",
    document: () => ({ director: directorTargets({ custom: { targetVersion: "6.6.6" }, sha256: stolenDirectorOnlyImage.sha256, length: 1234 }).toJSON(), imageTargets: imageTargets({ ...stolenDirectorOnlyImage, signers: [mallory] }).toJSON() }),
    refused: REFUSAL.UnknownKey,
  },
  {
    threat: "stolen director key alone: points the genuine image name at other bytes",
    document: () => bundle({ director: { sha256: "e".repeat(64) } }),
    refused: REFUSAL.MixAndMatch,
  },
  { threat: "stolen single image key below threshold: alice alone", document: () => bundle({ image: { signers: [alice] } }), refused: REFUSAL.BelowThreshold },
  { threat: "stolen single image key below threshold: alice plus a key of the attacker's own", document: () => bundle({ image: { signers: [alice, mallory] } }), refused: REFUSAL.BelowThreshold },
  {
    threat: "stolen single image key: alice's signature plus bob's key id on a forged signature",
    document: () => {
      const image = imageTargets({ signers: [alice] });
      const forged = imageTargets({ signers: [mallory] });
      image.signatures[bob.keyid] = new Signature({ keyID: bob.keyid, sig: forged.signatures[mallory.keyid]!.sig });
      return { director: directorTargets().toJSON(), imageTargets: image.toJSON() };
    },
    refused: REFUSAL.BadSignature,
  },
  { threat: "rollback: an older version", document: () => bundle({ director: { custom: { targetVersion: "2.2.0" } }, image: { custom: { version: "2.2.0" } } }), refused: REFUSAL.Downgrade },
  { threat: "rollback: the same version again", document: () => bundle({ director: { custom: { targetVersion: "2.3.0" } }, image: { custom: { version: "2.3.0" } } }), refused: REFUSAL.Downgrade },
  { threat: "rollback: a newer version with a lower anti-rollback counter", document: () => bundle({ image: { custom: { antiRollbackCounter: 5 } } }), refused: REFUSAL.Downgrade },
  { threat: "indefinite freeze: director metadata past its expiry", document: () => bundle({ director: { expires: NOW - 1000 } }), refused: REFUSAL.Expired },
  { threat: "indefinite freeze: image metadata past its expiry", document: () => bundle({ image: { expires: NOW - 1000 } }), refused: REFUSAL.Expired },
  { threat: "freeze: image metadata older than the version already seen", document: () => bundle({ image: { version: 3 } }), trust: () => trust({ imageTargetsVersion: 4 }), refused: REFUSAL.Replay },
  { threat: "mix-and-match: director's length differs from the image repository's", document: () => bundle({ director: { length: IMAGE.length + 1 } }), refused: REFUSAL.MixAndMatch },
  { threat: "mix-and-match: a job for 2.4.0 pointing at the 2.5.0 image", document: () => bundle({ director: { custom: { targetVersion: "2.4.0" }, name: "primary-2.5.0.bin" }, image: { custom: { version: "2.5.0" } } }), refused: REFUSAL.MixAndMatch },
  { threat: "partial bundle: image repository metadata left out", document: () => ({ director: directorTargets().toJSON() }), refused: REFUSAL.PartialBundle },
  { threat: "partial bundle: root 3 without root 2", document: () => bundle({ extra: { directorRoots: [directorRoot(3).toJSON()] } }), refused: REFUSAL.PartialBundle },
  { threat: "replay of a withdrawn document (the withdrawal, version 5, was seen)", document: () => bundle({ director: { version: 4 } }), trust: () => trust({ directorVersion: 5 }), refused: REFUSAL.Replay },
  {
    threat: "forged unsigned document with a high attempt",
    document: () => {
      const forged = directorTargets({ custom: { attempt: 999 } }).toJSON();
      return { ...bundle(), director: { ...forged, signatures: [] } };
    },
    refused: REFUSAL.Unsigned,
  },
  { threat: "forged document signed by an unknown director key", document: () => bundle({ director: { key: directorKey() } }), refused: REFUSAL.UnknownKey },
  {
    threat: "tampered after signing (attempt raised, signature kept)",
    document: () => {
      const json = directorTargets().toJSON() as { signed: { targets: Record<string, { custom: { attempt: number } }> } };
      Object.values(json.signed.targets)[0]!.custom.attempt = 999;
      return { ...bundle(), director: json };
    },
    refused: REFUSAL.BadSignature,
  },
  { threat: "expiry 'never', signed", document: () => ({ ...bundle(), director: edited(directorTargets(), (signed) => (signed.expires = "never")) }), refused: REFUSAL.BadDate },
  { threat: "expiry empty, signed", document: () => ({ ...bundle(), director: edited(directorTargets(), (signed) => (signed.expires = "")) }), refused: REFUSAL.BadDate },
  { threat: "expiry without a zone, signed", document: () => ({ ...bundle(), director: edited(directorTargets(), (signed) => (signed.expires = "2099-01-01T00:00:00")) }), refused: REFUSAL.BadDate },
  { threat: "issue date that is not a date", document: () => bundle({ director: { custom: { issuedAt: "yesterday" } } }), refused: REFUSAL.BadDate },
  { threat: "issue date after the expiry", document: () => bundle({ director: { custom: { issuedAt: new Date(NOW + 10 * DAY).toISOString() } } }), refused: REFUSAL.BadDate },
  {
    threat: "junk hex: a valid signature with junk appended",
    document: () => {
      const json = directorTargets().toJSON() as { signatures: Array<{ keyid: string; sig: string }> };
      json.signatures[0]!.sig += "zz";
      return { ...bundle(), director: json };
    },
    refused: REFUSAL.Malformed,
  },
  {
    threat: "junk hex: an odd-length signature",
    document: () => {
      const json = directorTargets().toJSON() as { signatures: Array<{ keyid: string; sig: string }> };
      json.signatures[0]!.sig = json.signatures[0]!.sig.slice(0, -1);
      return { ...bundle(), director: json };
    },
    refused: REFUSAL.Malformed,
  },
  { threat: "junk sha256 in a signed director target", document: () => bundle({ director: { sha256: "not-hex" } }), refused: REFUSAL.Malformed },
  { threat: "a document for another vehicle", document: () => bundle({ director: { vin: OTHER_VIN } }), refused: REFUSAL.WrongVin },
  { threat: "an image for other hardware", document: () => bundle({ image: { custom: { hardwareIds: ["hu-2"] } } }), refused: REFUSAL.WrongHardware },
  { threat: "an ECU the vehicle does not have", document: () => bundle({ director: { custom: { ecuIdentifier: "brakes" } }, image: { custom: { ecu: "brakes" } } }), refused: REFUSAL.WrongEcu },
  { threat: "an image for one ECU sent to another", document: () => bundle({ director: { custom: { ecuIdentifier: "primary" }, name: "adas-2.4.0.bin" }, image: { custom: { ecu: "adas" } } }), vehicle: vehicle({ ecus: { primary: { hardwareId: "hu-3", version: "2.3.0", antiRollbackCounter: 6 }, adas: { hardwareId: "hu-3", version: "1.0.0", antiRollbackCounter: 0 } } }), refused: REFUSAL.WrongEcu },
  { threat: "not JSON at all", document: () => "<html>503</html>", refused: REFUSAL.Malformed },
  { threat: "the old envelope format", document: () => ({ job: { payloadType: "x", payload: "eyJ9", signatures: [] }, manifest: {} }), refused: REFUSAL.Malformed },
  { threat: "director metadata of the wrong role type", document: () => ({ ...bundle(), director: directorRoot().toJSON() }), refused: REFUSAL.Malformed },
  {
    threat: "root rotation signed by one of the two old root keys",
    document: () => bundle({ director: { key: directorKey() }, extra: { directorRoots: [directorRoot(2, directorKey(), [directorRootKeys[0]!])] .map((root) => root.toJSON()) } }),
    refused: REFUSAL.RootRotation,
  },
  {
    threat: "image root rotation by the attacker's own keys",
    document: () => bundle({ image: { signers: [mallory, mallory2] }, extra: { imageRoots: [imageRoot(2, [mallory, mallory2], [mallory, mallory2], [mallory, mallory2]).toJSON()] } }),
    refused: REFUSAL.RootRotation,
  },
];

for (const threat of cases) {
  test(`refused: ${threat.threat} → ${threat.refused}`, () => {
    const verdict = verifyJobBundle(threat.document(), threat.trust?.() ?? trust(), threat.vehicle ?? vehicle());
    assert.is(verdict.ok, false, "the attack must be refused");
    if (!verdict.ok) assert.is(verdict.refusal.kind, threat.refused, verdict.refusal.message);
  });
}

test("a genuine bundle (2 of 3 release keys, the director's key) installs, and the versions seen move forward", () => {
  const verdict = verifyJobBundle(bundle({ director: { version: 9 }, image: { version: 4 } }), trust(), vehicle());
  assert.ok(verdict.ok);
  if (!verdict.ok || verdict.instruction.kind !== "install") return;
  assert.is(verdict.instruction.job.jobId, `cmp-1:${VIN}`);
  assert.equal(verdict.instruction.images.map((image) => [image.ecu, image.version, image.objectKey]), [["primary", "2.4.0", `firmware/images/${IMAGE.sha256}`]]);
  assert.is(verdict.trust.directorVersion, 9);
  assert.is(verdict.trust.imageTargetsVersion, 4);
});

test("the same metadata again (a re-fetch) verifies: TUF's rollback rule refuses only a lower version than the one seen", () => {
  const first = verifyJobBundle(bundle({ director: { version: 9 }, image: { version: 4 } }), trust(), vehicle());
  assert.ok(first.ok);
  if (!first.ok) return;
  const again = verifyJobBundle(bundle({ director: { version: 9 }, image: { version: 4 } }), first.trust, vehicle());
  assert.ok(again.ok, !again.ok ? again.refusal.message : "");
  const olderDirector = verifyJobBundle(bundle({ director: { version: 8 }, image: { version: 4 } }), first.trust, vehicle());
  assert.is(!olderDirector.ok && olderDirector.refusal.kind, REFUSAL.Replay);
  const olderImage = verifyJobBundle(bundle({ director: { version: 9 }, image: { version: 3 } }), first.trust, vehicle());
  assert.is(!olderImage.ok && olderImage.refusal.kind, REFUSAL.Replay);
});

test("any two of the three release keys meet the threshold (bob and carol)", () => {
  assert.ok(verifyJobBundle(bundle({ image: { signers: [bob, carol] } }), trust(), vehicle()).ok);
});

test("a signed withdrawal drops the job; the withdrawn document replayed afterwards is refused as REPLAY", () => {
  const withdrawal = verifyJobBundle({ director: directorTargets({ version: 5, withdrawn: true }).toJSON() }, trust({ directorVersion: 4 }), vehicle());
  assert.ok(withdrawal.ok);
  if (!withdrawal.ok) return;
  assert.equal(withdrawal.instruction, { kind: "withdrawn" });
  const replay = verifyJobBundle(bundle({ director: { version: 4 } }), withdrawal.trust, vehicle());
  assert.is(!replay.ok && replay.refusal.kind, REFUSAL.Replay);
});

test("director-key rotation: root 2 (signed by both root keys) names a new key; it installs, and the rotated-out key is refused", () => {
  const next = directorKey();
  const rotated = verifyJobBundle(bundle({ director: { key: next }, extra: { directorRoots: [directorRoot(2, next).toJSON()] } }), trust(), vehicle());
  assert.ok(rotated.ok, !rotated.ok ? rotated.refusal.message : "");
  if (!rotated.ok) return;
  assert.is((rotated.trust.directorRoot as { signed: { version: number } }).signed.version, 2);
  const old = verifyJobBundle(bundle({ director: { version: 2 } }), rotated.trust, vehicle());
  assert.is(!old.ok && old.refusal.kind, REFUSAL.UnknownKey);
});

test("a stolen director key that fast-forwards the version freezes the vehicle only until the director key is rotated (TUF 5.3.11)", () => {
  // The thief signs a withdrawal with the highest version there is: every genuine document after it is "older".
  const frozen = verifyJobBundle({ director: directorTargets({ version: Number.MAX_SAFE_INTEGER, withdrawn: true }).toJSON() }, trust(), vehicle());
  assert.ok(frozen.ok);
  if (!frozen.ok) return;
  const genuine = verifyJobBundle(bundle({ director: { version: NOW } }), frozen.trust, vehicle());
  assert.is(!genuine.ok && genuine.refusal.kind, REFUSAL.Replay, "without a rotation the freeze holds");

  // The operators rotate the director key (root 2, signed by both root keys): the new key's documents are taken again.
  const next = directorKey();
  const directorRoots = [directorRoot(2, next).toJSON()];
  const recovered = verifyJobBundle(bundle({ director: { key: next, version: NOW }, extra: { directorRoots } }), frozen.trust, vehicle());
  assert.ok(recovered.ok, !recovered.ok ? recovered.refusal.message : "");
  if (!recovered.ok) return;
  assert.is(recovered.trust.directorVersion, NOW);
  // From there the rollback rule holds again, and the stolen key counts for nothing.
  const replay = verifyJobBundle(bundle({ director: { key: next, version: NOW - 1 }, extra: { directorRoots } }), recovered.trust, vehicle());
  assert.is(!replay.ok && replay.refusal.kind, REFUSAL.Replay);
  const stolen = verifyJobBundle(bundle({ director: { version: Number.MAX_SAFE_INTEGER } }), recovered.trust, vehicle());
  assert.is(!stolen.ok && stolen.refusal.kind, REFUSAL.UnknownKey);
  // A new root that keeps the same director key resets nothing: a replay stays a replay.
  const sameKeyRoot = verifyJobBundle(bundle({ director: { version: 8 }, extra: { directorRoots: [directorRoot(2).toJSON()] } }), trust({ directorVersion: 9 }), vehicle());
  assert.is(!sameKeyRoot.ok && sameKeyRoot.refusal.kind, REFUSAL.Replay);
});

test("release keys that fast-forward the image targets version freeze releases only until the image root rotates them out", () => {
  const frozen = verifyJobBundle(bundle({ image: { version: Number.MAX_SAFE_INTEGER } }), trust(), vehicle());
  assert.ok(frozen.ok);
  if (!frozen.ok) return;
  assert.is((() => { const next = verifyJobBundle(bundle({ director: { version: 2 }, image: { version: 5 } }), frozen.trust, vehicle()); return !next.ok && next.refusal.kind; })(), REFUSAL.Replay);
  const dave = generateOfflineKey("dave");
  const erin = generateOfflineKey("erin");
  const imageRoots = [imageRoot(2, imageRootKeys, [alice, dave, erin]).toJSON()];
  const recovered = verifyJobBundle(bundle({ director: { version: 2 }, image: { version: 5, signers: [dave, erin] }, extra: { imageRoots } }), frozen.trust, vehicle());
  assert.ok(recovered.ok, !recovered.ok ? recovered.refusal.message : "");
  if (recovered.ok) assert.is(recovered.trust.imageTargetsVersion, 5);
});

test("image root rotation: carol replaced by dave; a release signed by alice and dave installs, carol's no longer counts", () => {
  const dave = generateOfflineKey("dave");
  const root2 = imageRoot(2, imageRootKeys, [alice, bob, dave]).toJSON();
  const rotated = verifyJobBundle(bundle({ image: { signers: [alice, dave] }, extra: { imageRoots: [root2] } }), trust(), vehicle());
  assert.ok(rotated.ok, !rotated.ok ? rotated.refusal.message : "");
  if (!rotated.ok) return;
  const withCarol = verifyJobBundle(bundle({ image: { signers: [alice, carol] } }), rotated.trust, vehicle());
  assert.is(!withCarol.ok && withCarol.refusal.kind, REFUSAL.BelowThreshold);
});

test("an authentic director document refused for its image still names its job (so the vehicle can report against it)", () => {
  const verdict = verifyJobBundle(bundle({ image: { signers: [alice] } }), trust(), vehicle());
  assert.is(verdict.ok, false);
  if (verdict.ok) return;
  assert.is(verdict.job?.jobId, `cmp-1:${VIN}`);
  const forged = verifyJobBundle({ ...bundle(), director: { ...(directorTargets().toJSON() as object), signatures: [] } }, trust(), vehicle());
  assert.is(!forged.ok && forged.job, undefined, "an unsigned document names no job");
});

test("the downloaded image must match the verified length and hash", () => {
  const bytes = Buffer.from("image 2.4.0");
  assert.is(verifyImageBytes(bytes, { length: bytes.length, sha256: IMAGE.sha256 }), undefined);
  assert.is(verifyImageBytes(Buffer.from("image 2.4.1"), { length: bytes.length, sha256: IMAGE.sha256 })?.kind, REFUSAL.CorruptImage);
  assert.is(verifyImageBytes(bytes, { length: bytes.length + 1, sha256: IMAGE.sha256 })?.kind, REFUSAL.CorruptImage);
});

test("image bytes hashed as they arrive, chunk by chunk, give the digest of the whole; a digest is checked like the bytes", () => {
  const bytes = Buffer.from("image 2.4.0");
  const hasher = imageHasher();
  for (let start = 0; start < bytes.length; start += 3) hasher.update(bytes.subarray(start, start + 3));
  const digest = hasher.digest();
  assert.equal(digest, { length: bytes.length, sha256: IMAGE.sha256 });
  assert.is(verifyImageDigest(digest, { length: bytes.length, sha256: IMAGE.sha256 }), undefined);
  assert.equal(verifyImageDigest({ ...digest, length: bytes.length + 1 }, { length: bytes.length, sha256: IMAGE.sha256 }), {
    kind: REFUSAL.CorruptImage,
    message: `image is longer than the ${bytes.length} bytes the metadata says`,
  });
  assert.is(verifyImageDigest({ ...digest, sha256: "0".repeat(64) }, { length: bytes.length, sha256: IMAGE.sha256 })?.kind, REFUSAL.CorruptImage);
});

test("release keys can also sign a second time without counting twice", () => {
  const image = imageTargets({ signers: [alice] });
  signWithKeyFile(image, alice);
  const verdict = verifyJobBundle({ director: directorTargets().toJSON(), imageTargets: image.toJSON() }, trust(), vehicle());
  assert.is(!verdict.ok && verdict.refusal.kind, REFUSAL.BelowThreshold);
});

// One key named twice in a root (review6 F4): a mis-built root, signed by the genuine root keys, lists alice's key
// under a second id, with the release threshold 2. Two ways to name it twice: an id that is not its hash, and
// the hash of another encoding of the same key (upper-case hex), which a key-id check alone lets through.
const ALIASES: Array<[string, (key: OfflineKeyFile) => { id: string; json: Record<string, unknown> }]> = [
  ["an id that is not the key's hash", (key) => ({ id: "c".repeat(64), json: { keytype: key.keytype, scheme: key.scheme, keyval: { ...key.keyval } } })],
  [
    "the hash of the same key in upper-case hex",
    (key) => {
      const json = { keytype: key.keytype, scheme: key.scheme, keyval: { public: key.keyval.public.toUpperCase() } };
      return { id: tufKeyId(json), json };
    },
  ],
  // review8 R8-A: tuf-js reads an Ed25519 key by its key type (any scheme string) and truncates odd-length hex.
  [
    "the hash of the same key under another scheme string, which tuf-js ignores for ed25519",
    (key) => {
      const json = { keytype: key.keytype, scheme: "ed25519-sha512", keyval: { ...key.keyval } };
      return { id: tufKeyId(json), json };
    },
  ],
  [
    "the hash of the same key with one more hex digit (odd length, truncated by tuf-js)",
    (key) => {
      const json = { keytype: key.keytype, scheme: key.scheme, keyval: { public: `${key.keyval.public}0` } };
      return { id: tufKeyId(json), json };
    },
  ],
];

/** A root object parsed by the library alone (no key-id check): what a root built without rootFromJson is. */
const libraryRoot = (json: unknown): Metadata<Root> => Metadata.fromJSON(MetadataKind.Root, json as never);

/** Root JSON naming `key` for `role` under its id and an alias, threshold 2, signed by both image root keys. */
function rootNamingTwice(key: OfflineKeyFile, role: string, alias: { id: string; json: Record<string, unknown> }, version = 1): Record<string, unknown> {
  const json = imageRoot(version).toJSON() as { signed: { keys: Record<string, unknown>; roles: Record<string, { keyids: string[]; threshold: number }> } };
  json.signed.keys[alias.id] = alias.json;
  json.signed.roles[role] = { keyids: [key.keyid, alias.id], threshold: 2 };
  const root = libraryRoot(json);
  root.signatures = {};
  return signAll(root, imageRootKeys).toJSON();
}

/** `metadata` with `key`'s signature also under the alias id. */
function signedTwice<T extends Metadata<Root | Targets>>(metadata: T, key: OfflineKeyFile, aliasId: string): T {
  signWithKeyFile(metadata, key);
  metadata.signatures[aliasId] = new Signature({ keyID: aliasId, sig: metadata.signatures[key.keyid]!.sig });
  return metadata;
}

for (const [how, aliasOf] of ALIASES) {
  test(`one key named twice in a root (${how}): refused at parse, and counted once by checkRoleSignatures`, () => {
    const alias = aliasOf(alice);
    const rootJson = rootNamingTwice(alice, ROLE.Targets, alias);
    assert.throws(() => rootFromJson(rootJson), (error: unknown) => error instanceof RootKeyError);

    // The counting alone, given such a root object (built without rootFromJson): alice's two signatures count once.
    const root = libraryRoot(rootJson);
    const image = signedTwice(imageTargets({ signers: [] }), alice, alias.id);
    const counted = checkRoleSignatures(root, ROLE.Targets, image);
    assert.equal(counted.valid, [alice.keyid]);
    assert.equal(counted.ignored.map((each) => [each.keyID, each.kind]), [[alias.id, DUPLICATE_SIGNER]]);
    assert.ok(counted.valid.length < counted.threshold, "one signer stays below the threshold of 2");

    // Every place that checks a threshold parses its roots with rootFromJson: the vehicle (pinned root, rotations)
    // and the update manager / release CLI (verifyPublishedTargets).
    const directorJson = directorTargets().toJSON();
    const pinned = verifyJobBundle({ director: directorJson, imageTargets: image.toJSON() }, trust({ imageRoot: rootJson }), vehicle());
    assert.is(!pinned.ok && pinned.refusal.kind, REFUSAL.Malformed, "a pinned root naming one key twice");
    const rotated = verifyJobBundle({ director: directorJson, imageTargets: image.toJSON(), imageRoots: [rootNamingTwice(alice, ROLE.Targets, alias, 2)] }, trust(), vehicle());
    assert.is(!rotated.ok && rotated.refusal.kind, REFUSAL.Malformed, "a rotation to a root naming one key twice");
    assert.is(verifyPublishedTargets([rootJson], image.toJSON(), new Date(NOW))?.kind, REFUSAL.Malformed);
  });
}

test("a root key named twice counts once towards a root rotation's threshold", () => {
  const [rootKey] = imageRootKeys as [OfflineKeyFile];
  const alias = ALIASES[1]![1](rootKey);
  const root = libraryRoot(rootNamingTwice(rootKey, ROLE.Root, alias));
  const next = signedTwice(imageRoot(2, imageRootKeys, releaseKeys, []), rootKey, alias.id);
  const counted = checkRoleSignatures(root, ROLE.Root, next);
  assert.equal([counted.valid, counted.threshold], [[rootKey.keyid], 2]);
});

test("the same signature under both ids with a root naming the key once: the unknown id does not count", () => {
  const image = signedTwice(imageTargets({ signers: [] }), alice, ALIASES[1]![1](alice).id);
  const counted = checkRoleSignatures(rootFromJson(pinnedImageRoot), ROLE.Targets, image);
  assert.equal(counted.valid, [alice.keyid]);
  assert.equal(counted.ignored.map((each) => each.kind), [REFUSAL.UnknownKey]);
  const verdict = verifyJobBundle({ director: directorTargets().toJSON(), imageTargets: image.toJSON() }, trust(), vehicle());
  assert.is(!verdict.ok && verdict.refusal.kind, REFUSAL.BelowThreshold);
});

test.run();
