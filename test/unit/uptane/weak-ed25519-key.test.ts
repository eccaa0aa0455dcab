import { test } from "uvu";
import * as assert from "uvu/assert";
import { ed25519 } from "@noble/curves/ed25519.js";
import { Key, Signature } from "@tufjs/models";
import { createPublicKey } from "node:crypto";
import { KeyFileError, parseKeyFile, tufKey, tufKeyId, weakPublicKey } from "../../../uptane/keys.js";
import { buildRoot, RootKeyError, rootFromJson } from "../../../uptane/metadata.js";
import { checkRoleSignatures } from "../../../uptane/vehicle-verification.js";
import { imageRootKeys, imageTargets, releaseKeys } from "./support/repositories.js";

/**
 * R9-K1: an Ed25519 "public key" that is a small-order point (the identity 01 00…00 and the 7 others) is one for
 * which anyone signs anything: Node/OpenSSL verify the signature R = identity, S = 0 over every message. Those
 * and non-canonical encodings (y ≥ p, x = 0 with the sign bit) are refused wherever a key enters, and a signature
 * by one never counts toward a threshold.
 */
const SMALL_ORDER = {
  identity: `01${"00".repeat(31)}`,
  "order 2 (y = -1)": `ec${"ff".repeat(30)}7f`,
  "order 4 (y = 0)": "00".repeat(32),
  "order 4 (y = 0, sign bit)": `${"00".repeat(31)}80`,
  "order 8 a": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "order 8 b": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "order 8 c": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "order 8 d": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
};
const NON_CANONICAL = {
  "identity, sign bit set (x = 0)": `01${"00".repeat(30)}80`,
  "y = p + 1 (the identity's y, not reduced)": `ee${"ff".repeat(30)}7f`,
  "y = p (y = 0, not reduced)": `ed${"ff".repeat(30)}7f`,
};
/** An honest key plus the order-2 point: a second "key" for alice's secret. */
const MIXED = Buffer.from(ed25519.Point.fromHex(releaseKeys[0]!.keyval.public).add(ed25519.Point.fromHex(SMALL_ORDER["order 2 (y = -1)"])).toBytes()).toString("hex");
const WEAK: Record<string, string> = { ...SMALL_ORDER, ...NON_CANONICAL, "an honest key plus a small-order point": MIXED };
const FORGED_SIG = `01${"00".repeat(63)}`; // R = identity, S = 0

const keyFile = (name: string, hex: string) => {
  const key = { name, keytype: "ed25519" as const, scheme: "ed25519" as const, keyval: { public: hex } };
  return { ...key, keyid: tufKeyId(key) };
};

for (const [what, hex] of Object.entries(WEAK)) {
  test(`R9-K1: ${what} is refused as a key file, by buildRoot and by rootFromJson`, () => {
    const weak = keyFile("mallory", hex);
    assert.throws(() => parseKeyFile(JSON.stringify(weak), "mallory.key.pub"), (error: unknown) => error instanceof KeyFileError && /refused public key/.test(error.message));
    const spec = { version: 1, expires: new Date(Date.now() + 86_400_000), rootKeys: imageRootKeys.map(tufKey), rootThreshold: 2, targetsKeys: [releaseKeys[0]!, weak].map(tufKey), targetsThreshold: 2 };
    assert.throws(() => buildRoot(spec), (error: unknown) => error instanceof RootKeyError);
    const honest = buildRoot({ ...spec, targetsKeys: [releaseKeys[0]!, releaseKeys[1]!].map(tufKey) }).toJSON() as { signed: { keys: Record<string, unknown> } };
    honest.signed.keys[weak.keyid] = tufKey(weak).toJSON();
    assert.throws(() => rootFromJson(honest), (error: unknown) => error instanceof RootKeyError && /not a key FleetOTA writes/.test(error.message));
  });
}

test("R9-K1: honest keys are still accepted (key file, buildRoot, rootFromJson)", () => {
  for (const key of releaseKeys) parseKeyFile(JSON.stringify(key), `${key.name}.key`);
  const root = buildRoot({ version: 1, expires: new Date(Date.now() + 86_400_000), rootKeys: imageRootKeys.map(tufKey), rootThreshold: 2, targetsKeys: releaseKeys.map(tufKey), targetsThreshold: 2 });
  rootFromJson(root.toJSON());
});

test("R9-K1: a root object naming two small-order keys (not read by rootFromJson) does not meet threshold 2 with forged signatures", () => {
  const root = buildRoot({ version: 1, expires: new Date(Date.now() + 86_400_000), rootKeys: imageRootKeys.map(tufKey), rootThreshold: 2, targetsKeys: [releaseKeys[0]!, releaseKeys[1]!].map(tufKey), targetsThreshold: 2 });
  const weak = [keyFile("mallory", SMALL_ORDER.identity), keyFile("trudy", SMALL_ORDER["order 2 (y = -1)"])];
  for (const key of weak) {
    root.signed.keys[key.keyid] = new Key({ keyID: key.keyid, keyType: key.keytype, scheme: key.scheme, keyVal: key.keyval });
    root.signed.roles.targets!.keyIDs.push(key.keyid);
  }
  const targets = imageTargets({ signers: [] });
  for (const key of weak) targets.signatures[key.keyid] = new Signature({ keyID: key.keyid, sig: FORGED_SIG });
  const { valid, ignored, threshold } = checkRoleSignatures(root, "targets", targets);
  assert.is(threshold, 2);
  assert.equal(valid, [], "no forged signature counts");
  assert.equal(ignored.map((each) => each.reason).filter((reason) => /weak Ed25519/.test(reason)).length, 2);
});

test("R9-K1: with an honest key, a signature whose R is a small-order point (S = 0 or S = 1) does not verify (Node verifies cofactorless, RFC 8032)", () => {
  const root = buildRoot({ version: 1, expires: new Date(Date.now() + 86_400_000), rootKeys: imageRootKeys.map(tufKey), rootThreshold: 2, targetsKeys: [releaseKeys[0]!].map(tufKey), targetsThreshold: 1 });
  for (const r of Object.values(SMALL_ORDER)) {
    for (const s of [`00${"00".repeat(31)}`, `01${"00".repeat(31)}`]) {
      const targets = imageTargets({ signers: [] });
      targets.signatures[releaseKeys[0]!.keyid] = new Signature({ keyID: releaseKeys[0]!.keyid, sig: r + s });
      assert.equal(checkRoleSignatures(root, "targets", targets).valid, [], `R = ${r.slice(0, 8)}…, S = ${s.slice(0, 2)}…`);
    }
  }
});

test("R9-K1: the verdict is remembered per key, never across keys: asked again, in any order and past the memory's bound, weak keys are still refused and honest ones accepted", () => {
  const ed25519Key = (hex: string) => createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(hex, "hex").toString("base64url") }, format: "jwk" });
  const honest = releaseKeys.map((key) => key.keyval.public);
  const weak = Object.values(WEAK).filter((hex) => !Object.values(NON_CANONICAL).includes(hex)); // Node reads these as keys
  const expect = () => {
    for (const hex of honest) assert.is(weakPublicKey(ed25519Key(hex)), undefined, `honest ${hex.slice(0, 8)}…`);
    for (const hex of weak) assert.type(weakPublicKey(ed25519Key(hex)), "string", `weak ${hex.slice(0, 8)}…`);
  };
  expect();
  expect(); // remembered
  // More honest keys than the memory holds: the first verdicts are forgotten and computed again.
  for (let index = 0; index < 1100; index++) assert.is(weakPublicKey(createPublicKey(ed25519KeyFromSeed(index))), undefined);
  expect();
});

/** A random-looking honest Ed25519 public key (a·B) for a seed. */
function ed25519KeyFromSeed(seed: number) {
  const secret = Buffer.alloc(32);
  secret.writeUInt32BE(seed + 1);
  return { key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(ed25519.getPublicKey(secret)).toString("base64url") }, format: "jwk" as const };
}

test.run();
