import { test } from "uvu";
import * as assert from "uvu/assert";
import { generateKeyPairSync } from "node:crypto";
import { tufKey, tufKeyId } from "../../../uptane/keys.js";
import { buildRoot, rootFromJson, RootKeyError, ThresholdError } from "../../../uptane/metadata.js";
import { DAY, NOW, pinnedDirectorRoot, pinnedImageRoot, releaseKeys } from "./support/repositories.js";

/** Roots: every key id must be its key's hash and name a distinct public key, so a threshold counts holders. */

const [alice, bob] = releaseKeys as [(typeof releaseKeys)[0], (typeof releaseKeys)[0]];
const pemOf = (namedCurve: string) => generateKeyPairSync("ec", { namedCurve }).publicKey.export({ format: "pem", type: "spki" }).toString();
const [P256_PEM, P384_PEM] = [pemOf("prime256v1"), pemOf("secp384r1")];

test("the ceremony's roots parse: each key id is its key's hash (Ed25519 offline keys, the director's ECDSA key with its KMS field)", () => {
  for (const json of [pinnedImageRoot, pinnedDirectorRoot]) {
    const root = rootFromJson(json);
    assert.ok(Object.keys(root.signed.keys).length >= 3);
  }
});

test("a root whose key id is not its key's hash is refused with RootKeyError", () => {
  const json = structuredClone(pinnedImageRoot) as { signed: { keys: Record<string, unknown>; roles: Record<string, { keyids: string[] }> } };
  const forged = "f".repeat(64);
  json.signed.keys[forged] = json.signed.keys[alice.keyid];
  delete json.signed.keys[alice.keyid];
  json.signed.roles.targets!.keyids = json.signed.roles.targets!.keyids.map((id) => (id === alice.keyid ? forged : id));
  assert.throws(() => rootFromJson(json), (error: unknown) => error instanceof RootKeyError && /is not the hash of its key/.test(error.message));
});

test("a root naming one public key under two valid hashes (PEM and hex) is refused with RootKeyError", () => {
  const json = structuredClone(pinnedImageRoot) as { signed: { keys: Record<string, unknown> } };
  const pem = `-----BEGIN PUBLIC KEY-----\n${Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(alice.keyval.public, "hex")]).toString("base64")}\n-----END PUBLIC KEY-----\n`;
  const key = { keytype: alice.keytype, scheme: alice.scheme, keyval: { public: pem } };
  const id = tufKeyId(key);
  json.signed.keys[id] = key; // a valid id: the hash of the PEM form
  assert.throws(() => rootFromJson(json), (error: unknown) => error instanceof RootKeyError && /name the same public key/.test(error.message));
});

// review8 R8-A: key entries FleetOTA never writes are refused whatever their id, before any identity is compared.
const NON_CANONICAL: Array<[string, (key: typeof alice) => Record<string, unknown>, RegExp]> = [
  ["another scheme string for an Ed25519 key (tuf-js ignores it)", (key) => ({ keytype: key.keytype, scheme: "ed25519-sha512", keyval: { ...key.keyval } }), /key type "ed25519" with scheme "ed25519-sha512"/],
  ["odd-length hex (tuf-js truncates it to the same key)", (key) => ({ keytype: key.keytype, scheme: key.scheme, keyval: { public: `${key.keyval.public}0` } }), /not lower-case hex of 64 digits/],
  ["upper-case hex", (key) => ({ keytype: key.keytype, scheme: key.scheme, keyval: { public: key.keyval.public.toUpperCase() } }), /not lower-case hex of 64 digits/],
  ["hex of the wrong length", (key) => ({ keytype: key.keytype, scheme: key.scheme, keyval: { public: `${key.keyval.public}00` } }), /not lower-case hex of 64 digits/],
  ["an unknown key type", (key) => ({ keytype: "rsa", scheme: "rsassa-pss-sha256", keyval: { ...key.keyval } }), /key type "rsa" with scheme "rsassa-pss-sha256"/],
  ["a P-256 scheme on an Ed25519 key type", (key) => ({ keytype: key.keytype, scheme: "ecdsa-sha2-nistp256", keyval: { ...key.keyval } }), /key type "ed25519" with scheme "ecdsa-sha2-nistp256"/],
  ["an extra keyval field", (key) => ({ keytype: key.keytype, scheme: key.scheme, keyval: { ...key.keyval, note: "x" } }), /keyval fields \["public","note"\]/],
  ["a PEM that is not a key", (key) => ({ keytype: key.keytype, scheme: key.scheme, keyval: { public: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" } }), /a public key tuf-js cannot read/],
  ["a P-256 PEM under the Ed25519 key type", (key) => ({ keytype: key.keytype, scheme: key.scheme, keyval: { public: P256_PEM } }), /a public key of type ec prime256v1 under key type "ed25519"/],
  ["a P-384 PEM under the P-256 scheme", () => ({ keytype: "ecdsa", scheme: "ecdsa-sha2-nistp256", keyval: { public: P384_PEM } }), /a public key of type ec secp384r1 under key type "ecdsa"/],
  ["the P-256 point at infinity (hex 00; tuf-js aborts the process reading it)", () => ({ keytype: "ecdsa", scheme: "ecdsa-sha2-nistp256", keyval: { public: "00" } }), /not lower-case hex of 66 or 130 digits/],
];

for (const [how, form, pattern] of NON_CANONICAL) {
  test(`a root naming alice's key again as ${how} (its id the hash of that entry) is refused with RootKeyError`, () => {
    const json = structuredClone(pinnedImageRoot) as { signed: { keys: Record<string, unknown> } };
    const key = form(alice);
    json.signed.keys[tufKeyId(key as never)] = key;
    assert.throws(() => rootFromJson(json), (error: unknown) => error instanceof RootKeyError && /is not a key FleetOTA writes/.test(error.message) && pattern.test(error.message));
  });
}

test("buildRoot refuses one key given twice for a role (the ceremony with alice listed twice)", () => {
  assert.throws(
    () => buildRoot({ version: 1, expires: new Date(NOW + DAY), rootKeys: [tufKey(alice), tufKey(bob)], rootThreshold: 2, targetsKeys: [tufKey(alice), tufKey(alice)], targetsThreshold: 2 }),
    (error: unknown) => error instanceof ThresholdError && /one key is given twice/.test(error.message),
  );
});

test.run();
