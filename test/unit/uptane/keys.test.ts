import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { canonicalize } from "@tufjs/canonical-json";
import { Key, Metadata, MetadataKind, Signature, Targets } from "@tufjs/models";
import { generateOfflineKey, publicKeyIdentity, readPublicKey, tufKeyId } from "../../../uptane/keys.js";

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

// A published Ed25519 key (tuf-js's repository_data/empty_target_repo/metadata/1.root.json, its snapshot key).
const PUBLISHED_KEY = "a7aad2445194325175dd4d5b727298788ef33ef87d8c7d7301439bb56cf76404";

test("key ids are pinned: TUF's SHA-256 over the key's canonical JSON, as other implementations compute it", () => {
  // Python's json.dumps(key, sort_keys=True, separators=(",", ":")) over this ASCII key, hashed with hashlib.
  assert.is(tufKeyId({ keytype: "ed25519", scheme: "ed25519", keyval: { public: PUBLISHED_KEY } }), "ae45961c264501d2e581a044d5101e09f7f164e9c58d614e14491a2028146d4f");
  // The id that fixture publishes for the same key, written (by python-tuf) with the legacy keyid_hash_algorithms field.
  const legacy = { keytype: "ed25519", scheme: "ed25519", keyid_hash_algorithms: ["sha256", "sha512"], keyval: { public: PUBLISHED_KEY } };
  assert.is(createHash("sha256").update(canonicalize(legacy)).digest("hex"), "2675485630597b75268b74f7d8d015c7d053922750b8dc4d59c65d4a6b56f980");
  // Field order does not matter, and a fresh key's id is the hash of exactly this text.
  assert.is(tufKeyId({ keyval: { public: PUBLISHED_KEY }, scheme: "ed25519", keytype: "ed25519" }), "ae45961c264501d2e581a044d5101e09f7f164e9c58d614e14491a2028146d4f");
  const fresh = generateOfflineKey("fresh");
  assert.is(fresh.keyid, createHash("sha256").update(`{"keytype":"ed25519","keyval":{"public":"${fresh.keyval.public}"},"scheme":"ed25519"}`).digest("hex"));
});

test("R8-A without tuf-js internals: any key entry tuf-js verifies a holder's signature with is that holder (same publicKeyIdentity)", () => {
  const targets = new Metadata(new Targets({ version: 1, specVersion: "1.0.31", expires: "2030-01-01T00:00:00Z" }));
  const signedBy = (privateKey: KeyObject, keyID: string) => {
    const copy = Metadata.fromJSON(MetadataKind.Targets, structuredClone(targets.toJSON()) as never);
    const algorithm = privateKey.asymmetricKeyType === "ed25519" ? null : privateKey.asymmetricKeyDetails?.namedCurve === "secp384r1" ? "sha384" : "sha256";
    copy.signatures[keyID] = new Signature({ keyID, sig: sign(algorithm, Buffer.from(canonicalize(copy.signed.toJSON())), privateKey).toString("hex") });
    return copy;
  };
  const holders = [generateKeyPairSync("ed25519"), generateKeyPairSync("ec", { namedCurve: "prime256v1" }), generateKeyPairSync("ec", { namedCurve: "secp384r1" })];
  const texts = (publicKey: KeyObject): string[] => {
    const { x, y } = publicKey.export({ format: "jwk" });
    const hex = (part?: string) => Buffer.from(part ?? "", "base64url").toString("hex");
    const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
    if (y === undefined) return [pem, hex(x), hex(x).toUpperCase(), `${hex(x)}0`, `${hex(x)}F`];
    const odd = (Buffer.from(y, "base64url").at(-1) ?? 0) & 1;
    return [pem, `04${hex(x)}${hex(y)}`, `04${hex(x)}${hex(y)}`.toUpperCase(), `0${odd ? 3 : 2}${hex(x)}`, `0${odd ? 7 : 6}${hex(x)}${hex(y)}`];
  };
  const keyTypes = ["ed25519", "ecdsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "rsa"];
  const schemes = ["ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "rsassa-pss-sha256", "other"];
  let verified = 0;
  for (const { publicKey, privateKey } of holders) {
    const identity = publicKeyIdentity({ keyType: "any", scheme: "any", keyVal: { public: publicKey.export({ format: "pem", type: "spki" }).toString() } });
    for (const keyType of keyTypes) {
      for (const scheme of schemes) {
        for (const text of texts(publicKey)) {
          const key = new Key({ keyID: "k", keyType, scheme, keyVal: { public: text } });
          try {
            key.verifySignature(signedBy(privateKey, "k"));
          } catch {
            continue; // tuf-js does not verify with this entry
          }
          verified += 1;
          assert.ok(readPublicKey(key), `${keyType} ${scheme} ${text.slice(0, 20)} read`);
          assert.is(publicKeyIdentity(key), identity, `${keyType} ${scheme} ${text.slice(0, 20)}`);
        }
      }
    }
  }
  assert.ok(verified >= 20, `${verified} entries verified`);
});

test.run();
