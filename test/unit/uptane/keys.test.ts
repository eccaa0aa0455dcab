import { test } from "uvu";
import * as assert from "uvu/assert";
import { generateKeyPairSync } from "node:crypto";
import { generateOfflineKey, publicKeyIdentity } from "../../../uptane/keys.js";

/** publicKeyIdentity: one answer per public key, whatever its encoding (what a threshold counts). */

const hex = (base64url: string | undefined) => Buffer.from(base64url ?? "", "base64url").toString("hex");

test("an Ed25519 key: lower- and upper-case hex and PEM are one holder; another key is another", () => {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");
  const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
  const identities = [raw, raw.toUpperCase(), pem].map((text) => publicKeyIdentity({ scheme: "ed25519", keyVal: { public: text } }));
  assert.is(new Set(identities).size, 1);
  const other = generateOfflineKey("other");
  assert.is.not(publicKeyIdentity({ scheme: "ed25519", keyVal: other.keyval }), identities[0]);
});

for (const [curve, scheme] of [["prime256v1", "ecdsa-sha2-nistp256"], ["secp384r1", "ecdsa-sha2-nistp384"]] as const) {
  test(`an ECDSA ${curve} key: PEM, the uncompressed and the compressed point are one holder`, () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
    const { x, y } = publicKey.export({ format: "jwk" });
    const odd = (Buffer.from(y ?? "", "base64url").at(-1) ?? 0) & 1;
    const texts = [publicKey.export({ format: "pem", type: "spki" }).toString(), `04${hex(x)}${hex(y)}`, `0${odd ? 3 : 2}${hex(x)}`];
    assert.is(new Set(texts.map((text) => publicKeyIdentity({ scheme, keyVal: { public: text } }))).size, 1);
  });
}

test("a key Node cannot read is identified by its scheme and lower-cased text", () => {
  assert.is(publicKeyIdentity({ scheme: "ed25519", keyVal: { public: "ABCD" } }), publicKeyIdentity({ scheme: "ed25519", keyVal: { public: "abcd" } }));
  assert.is.not(publicKeyIdentity({ scheme: "ed25519", keyVal: { public: "abcd" } }), publicKeyIdentity({ scheme: "rsassa-pss-sha256", keyVal: { public: "abcd" } }));
});

test.run();
