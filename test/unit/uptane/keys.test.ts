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
  const identities = [raw, raw.toUpperCase(), pem].map((text) => publicKeyIdentity({ keyType: "ed25519", scheme: "ed25519", keyVal: { public: text } }));
  assert.is(new Set(identities).size, 1);
  const other = generateOfflineKey("other");
  assert.is.not(publicKeyIdentity({ keyType: "ed25519", scheme: "ed25519", keyVal: other.keyval }), identities[0]);
});

for (const [curve, scheme] of [["prime256v1", "ecdsa-sha2-nistp256"], ["secp384r1", "ecdsa-sha2-nistp384"]] as const) {
  test(`an ECDSA ${curve} key: PEM, the uncompressed and the compressed point are one holder`, () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
    const { x, y } = publicKey.export({ format: "jwk" });
    const odd = (Buffer.from(y ?? "", "base64url").at(-1) ?? 0) & 1;
    const texts = [publicKey.export({ format: "pem", type: "spki" }).toString(), `04${hex(x)}${hex(y)}`, `0${odd ? 3 : 2}${hex(x)}`];
    assert.is(new Set(texts.map((text) => publicKeyIdentity({ keyType: "ecdsa", scheme, keyVal: { public: text } }))).size, 1);
  });
}

test("R8-A: what tuf-js verifies with decides: an Ed25519 key under any scheme string, or with an extra hex digit (truncated), is the same holder", () => {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");
  const forms = [
    { keyType: "ed25519", scheme: "ed25519", keyVal: { public: raw } },
    { keyType: "ed25519", scheme: "ed25519-sha512", keyVal: { public: raw } },
    { keyType: "ed25519", scheme: "", keyVal: { public: raw } },
    { keyType: "ed25519", scheme: "ed25519", keyVal: { public: `${raw}0` } },
    { keyType: "ed25519", scheme: "ed25519", keyVal: { public: `${raw.toUpperCase()}F` } },
  ];
  const identities = forms.map(publicKeyIdentity);
  assert.is(new Set(identities).size, 1, identities.join(" | "));
  assert.match(identities[0]!, '"OKP","Ed25519"');
});

test("a key tuf-js cannot read is identified by its key type, scheme and lower-cased text", () => {
  assert.is(publicKeyIdentity({ keyType: "ed25519", scheme: "ed25519", keyVal: { public: "ABCD" } }), publicKeyIdentity({ keyType: "ed25519", scheme: "ed25519", keyVal: { public: "abcd" } }));
  assert.is.not(publicKeyIdentity({ keyType: "ed25519", scheme: "ed25519", keyVal: { public: "abcd" } }), publicKeyIdentity({ keyType: "rsa", scheme: "rsassa-pss-sha256", keyVal: { public: "abcd" } }));
});

test.run();
