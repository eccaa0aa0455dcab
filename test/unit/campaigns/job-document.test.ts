import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  REFUSAL_KIND,
  firmwareImageKey,
  signJobDocument,
  signManifest,
  verifyFirmwareImage,
  verifyJobDocument,
  type FirmwareManifest,
  type JobDocument,
  type JobPayload,
  type VehicleTrustContext,
} from "../../../campaigns/job-document.js";
import { envelopeDigest, generateSigningKey, type SigningKey } from "../../../campaigns/signing.js";

const NOW = new Date("2026-11-26T18:00:00Z");
const fleetKey = generateSigningKey();
const image = Buffer.from("firmware image 2.4.0");

function manifestFor(overrides: Partial<FirmwareManifest> = {}): FirmwareManifest {
  return {
    version: "2.4.0",
    sha256: createHash("sha256").update(image).digest("hex"),
    size: image.byteLength,
    hardware: ["hu-3", "hu-4"],
    antiRollbackCounter: 7,
    expiresAt: "2027-06-01T00:00:00Z",
    imageKey: firmwareImageKey("2.4.0"),
    ...overrides,
  };
}

function documentFor(options: { job?: Partial<JobPayload>; manifest?: Partial<FirmwareManifest>; key?: SigningKey } = {}): JobDocument {
  const key = options.key ?? fleetKey;
  const manifest = signManifest(manifestFor(options.manifest), key);
  const job: JobPayload = {
    jobId: "c-1:1HGCM82633A004352",
    campaignId: "c-1",
    vin: "1HGCM82633A004352",
    attempt: 1,
    targetVersion: options.manifest?.version ?? "2.4.0",
    manifestDigest: envelopeDigest(manifest),
    issuedAt: "2026-11-26T17:00:00Z",
    expiresAt: "2026-11-29T17:00:00Z",
    preconditions: { requireParked: true, minStateOfChargePercent: 30, connectivity: ["good"] },
    ...options.job,
  };
  return signJobDocument(job, manifest, key);
}

function vehicle(overrides: Partial<VehicleTrustContext> = {}): VehicleTrustContext {
  return { vin: "1HGCM82633A004352", currentVersion: "2.3.1", currentCounter: 6, hardware: "hu-3", now: NOW, ...overrides };
}

function refusalOf(document: unknown, context = vehicle()): string | undefined {
  const verdict = verifyJobDocument(document, fleetKey.publicKeyPem, context);
  return verdict.ok ? undefined : verdict.refusal.kind;
}

test("a well-formed document for this vehicle is accepted with its manifest", () => {
  const verdict = verifyJobDocument(documentFor(), fleetKey.publicKeyPem, vehicle());
  assert.ok(verdict.ok);
  if (verdict.ok) {
    assert.is(verdict.job.vin, "1HGCM82633A004352");
    assert.is(verdict.manifest.version, "2.4.0");
  }
});

const refusals: Array<[string, () => unknown, VehicleTrustContext, string]> = [
  ["not a document at all", () => ({ hello: "world" }), vehicle(), REFUSAL_KIND.Malformed],
  ["signatures stripped", () => { const d = documentFor(); d.job.signatures = []; return d; }, vehicle(), REFUSAL_KIND.Unsigned],
  ["job payload edited after signing", () => {
    const d = documentFor();
    const payload = JSON.parse(Buffer.from(d.job.payload, "base64").toString());
    payload.vin = "1M8GDM9AXKP042788";
    d.job.payload = Buffer.from(JSON.stringify(payload)).toString("base64");
    return d;
  }, vehicle({ vin: "1M8GDM9AXKP042788" }), REFUSAL_KIND.Tampered],
  ["signed by another key", () => documentFor({ key: generateSigningKey() }), vehicle(), REFUSAL_KIND.Tampered],
  ["manifest of another release swapped in", () => {
    const d = documentFor();
    d.manifest = documentFor({ manifest: { version: "2.5.0" } }).manifest;
    return d;
  }, vehicle(), REFUSAL_KIND.MixedRelease],
  ["job for another vehicle", () => documentFor(), vehicle({ vin: "1M8GDM9AXKP042788" }), REFUSAL_KIND.WrongVin],
  ["job expired", () => documentFor({ job: { expiresAt: "2026-11-26T17:59:59Z" } }), vehicle(), REFUSAL_KIND.Expired],
  ["manifest expired", () => documentFor({ manifest: { expiresAt: "2026-11-01T00:00:00Z" } }), vehicle(), REFUSAL_KIND.Expired],
  ["other hardware", () => documentFor(), vehicle({ hardware: "hu-2" }), REFUSAL_KIND.WrongHardware],
  ["older version than installed", () => documentFor(), vehicle({ currentVersion: "2.5.0" }), REFUSAL_KIND.Downgrade],
  ["same version as installed", () => documentFor(), vehicle({ currentVersion: "2.4.0" }), REFUSAL_KIND.Downgrade],
  ["anti-rollback counter below installed", () => documentFor(), vehicle({ currentCounter: 8 }), REFUSAL_KIND.Downgrade],
];

for (const [name, make, context, expected] of refusals) {
  test(`refused: ${name} → ${expected}`, () => {
    assert.is(refusalOf(make(), context), expected);
  });
}

test("the image check accepts the released bytes and refuses a corrupt download", () => {
  const manifest = manifestFor();
  const corrupt = Buffer.from(image);
  corrupt[0] = corrupt[0]! ^ 0xff;
  assert.is(verifyFirmwareImage(image, manifest), undefined);
  assert.is(verifyFirmwareImage(corrupt, manifest)?.kind, REFUSAL_KIND.CorruptImage);
  assert.is(verifyFirmwareImage(image.subarray(1), manifest)?.kind, REFUSAL_KIND.CorruptImage);
});

test.run();
