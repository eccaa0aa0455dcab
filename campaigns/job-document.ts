import { createHash } from "node:crypto";
import { z } from "zod";
import { compareVersions } from "./model.js";
import {
  envelopeDigest,
  envelopePayload,
  signEnvelope,
  verifyEnvelopeSignature,
  type SignedEnvelope,
  type SigningKey,
} from "./signing.js";

/**
 * Firmware manifests (`firmware/<version>/manifest.json`) and the per-vehicle job documents
 * (`jobs/<VIN>.json`) the vehicles poll. Both are signed envelopes; a job document carries its release's
 * signed manifest and pins it by digest, so it cannot be replayed on another vehicle, outlive its expiry
 * or be combined with a different release.
 */

export const MANIFEST_PAYLOAD_TYPE = "application/vnd.fleetota.manifest+json";
export const JOB_PAYLOAD_TYPE = "application/vnd.fleetota.job+json";

const envelopeSchema = z.object({
  payloadType: z.string(),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })),
});

export const firmwareManifestSchema = z.object({
  version: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  /** Hardware revisions the image runs on. */
  hardware: z.array(z.string()).min(1),
  /** Monotonic per release line; a vehicle refuses any image whose counter is below the one it holds. */
  antiRollbackCounter: z.number().int().nonnegative(),
  expiresAt: z.string(),
  /** Key of the image in the data bucket, e.g. `firmware/2.4.0/image.bin`. */
  imageKey: z.string(),
});
export type FirmwareManifest = z.infer<typeof firmwareManifestSchema>;

export const jobPayloadSchema = z.object({
  jobId: z.string(),
  campaignId: z.string(),
  vin: z.string(),
  attempt: z.number().int().positive(),
  targetVersion: z.string(),
  /** SHA-256 of the signed manifest payload this job installs. */
  manifestDigest: z.string(),
  issuedAt: z.string(),
  expiresAt: z.string(),
  preconditions: z.object({
    requireParked: z.boolean(),
    minStateOfChargePercent: z.number(),
    connectivity: z.array(z.string()),
  }),
});
export type JobPayload = z.infer<typeof jobPayloadSchema>;

/** What `jobs/<VIN>.json` holds. */
export interface JobDocument {
  job: SignedEnvelope;
  manifest: SignedEnvelope;
}

export const firmwareImageKey = (version: string): string => `firmware/${version}/image.bin`;
export const firmwareManifestKey = (version: string): string => `firmware/${version}/manifest.json`;
export const jobDocumentKey = (vin: string): string => `jobs/${vin}.json`;

/**
 * Signs a firmware manifest.
 *
 * @example
 * const manifest = signManifest({ version: "2.4.0", sha256, size, hardware: ["hu-3"],
 *   antiRollbackCounter: 7, expiresAt: "2027-12-31T00:00:00Z", imageKey: firmwareImageKey("2.4.0") }, key);
 */
export function signManifest(manifest: FirmwareManifest, key: SigningKey): SignedEnvelope {
  return signEnvelope(MANIFEST_PAYLOAD_TYPE, firmwareManifestSchema.parse(manifest), key);
}

/**
 * Signs a job document bound to one vehicle, campaign, attempt, release and expiry.
 *
 * @example
 * const document = signJobDocument({ jobId, campaignId, vin, attempt: 1, targetVersion: "2.4.0",
 *   manifestDigest: envelopeDigest(manifest), issuedAt, expiresAt, preconditions }, manifest, key);
 */
export function signJobDocument(job: JobPayload, manifest: SignedEnvelope, key: SigningKey): JobDocument {
  return { job: signEnvelope(JOB_PAYLOAD_TYPE, jobPayloadSchema.parse(job), key), manifest };
}

export const REFUSAL_KIND = {
  Malformed: "MALFORMED",
  Unsigned: "UNSIGNED",
  Tampered: "TAMPERED",
  Expired: "EXPIRED",
  Downgrade: "DOWNGRADE",
  WrongVin: "WRONG_VIN",
  WrongHardware: "WRONG_HARDWARE",
  MixedRelease: "MIXED_RELEASE",
  CorruptImage: "CORRUPT_IMAGE",
} as const;
export type RefusalKind = (typeof REFUSAL_KIND)[keyof typeof REFUSAL_KIND];

export interface Refusal {
  kind: RefusalKind;
  message: string;
}

export type JobDocumentVerdict =
  | { ok: true; job: JobPayload; manifest: FirmwareManifest }
  | { ok: false; refusal: Refusal };

/** What the vehicle knows about itself when it checks a document. */
export interface VehicleTrustContext {
  vin: string;
  currentVersion: string;
  /** Anti-rollback counter of the installed image. */
  currentCounter: number;
  hardware: string;
  now: Date;
}

const refuse = (kind: RefusalKind, message: string): JobDocumentVerdict => ({ ok: false, refusal: { kind, message } });

/**
 * The vehicle-side check of a job document, in the order a careful agent applies it: shape, signatures,
 * binding of job to manifest, then the vehicle's own facts. Never throws on bad input; returns a typed
 * refusal the agent reports as REJECTED with `refusal.kind` as reason.
 *
 * @example
 * const verdict = verifyJobDocument(JSON.parse(body), trustedPublicKeyPem,
 *   { vin, currentVersion: "2.3.1", currentCounter: 6, hardware: "hu-3", now: new Date() });
 * if (!verdict.ok) report("REJECTED", verdict.refusal.kind);
 */
export function verifyJobDocument(document: unknown, publicKeyPem: string, vehicle: VehicleTrustContext): JobDocumentVerdict {
  const shape = z.object({ job: envelopeSchema, manifest: envelopeSchema }).safeParse(document);
  if (!shape.success) return refuse(REFUSAL_KIND.Malformed, "not a job document (expected { job, manifest } envelopes)");
  const { job: jobEnvelope, manifest: manifestEnvelope } = shape.data;

  if (jobEnvelope.signatures.length === 0 || manifestEnvelope.signatures.length === 0) {
    return refuse(REFUSAL_KIND.Unsigned, "job document or manifest carries no signature");
  }
  if (jobEnvelope.payloadType !== JOB_PAYLOAD_TYPE || manifestEnvelope.payloadType !== MANIFEST_PAYLOAD_TYPE) {
    return refuse(REFUSAL_KIND.Tampered, "unexpected payload type");
  }
  if (!verifyEnvelopeSignature(jobEnvelope, publicKeyPem)) return refuse(REFUSAL_KIND.Tampered, "job signature does not verify");
  if (!verifyEnvelopeSignature(manifestEnvelope, publicKeyPem)) return refuse(REFUSAL_KIND.Tampered, "manifest signature does not verify");

  const job = jobPayloadSchema.safeParse(safeJson(() => envelopePayload(jobEnvelope)));
  const manifest = firmwareManifestSchema.safeParse(safeJson(() => envelopePayload(manifestEnvelope)));
  if (!job.success || !manifest.success) return refuse(REFUSAL_KIND.Malformed, "signed payload has an unexpected shape");

  if (job.data.manifestDigest !== envelopeDigest(manifestEnvelope) || job.data.targetVersion !== manifest.data.version) {
    return refuse(REFUSAL_KIND.MixedRelease, `job for ${job.data.targetVersion} does not belong with manifest ${manifest.data.version}`);
  }
  if (job.data.vin !== vehicle.vin) return refuse(REFUSAL_KIND.WrongVin, `job is bound to ${job.data.vin}, not ${vehicle.vin}`);
  const now = vehicle.now.getTime();
  if (Date.parse(job.data.expiresAt) <= now) return refuse(REFUSAL_KIND.Expired, `job expired at ${job.data.expiresAt}`);
  if (Date.parse(manifest.data.expiresAt) <= now) return refuse(REFUSAL_KIND.Expired, `manifest expired at ${manifest.data.expiresAt}`);
  if (!manifest.data.hardware.includes(vehicle.hardware)) {
    return refuse(REFUSAL_KIND.WrongHardware, `image is for ${manifest.data.hardware.join(", ")}, vehicle has ${vehicle.hardware}`);
  }
  if (manifest.data.antiRollbackCounter < vehicle.currentCounter) {
    return refuse(REFUSAL_KIND.Downgrade, `anti-rollback counter ${manifest.data.antiRollbackCounter} is below installed ${vehicle.currentCounter}`);
  }
  if (!isNewer(manifest.data.version, vehicle.currentVersion)) {
    return refuse(REFUSAL_KIND.Downgrade, `${manifest.data.version} is not newer than installed ${vehicle.currentVersion}`);
  }
  return { ok: true, job: job.data, manifest: manifest.data };
}

function isNewer(candidate: string, installed: string): boolean {
  try {
    return compareVersions(candidate, installed) > 0;
  } catch {
    return false;
  }
}

function safeJson(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * Checks downloaded image bytes against the manifest (size and SHA-256).
 *
 * @example
 * const refusal = verifyFirmwareImage(bytes, verdict.manifest); // undefined when intact
 */
export function verifyFirmwareImage(image: Uint8Array, manifest: FirmwareManifest): Refusal | undefined {
  if (image.byteLength !== manifest.size) {
    return { kind: REFUSAL_KIND.CorruptImage, message: `image is ${image.byteLength} bytes, manifest says ${manifest.size}` };
  }
  const digest = createHash("sha256").update(image).digest("hex");
  if (digest !== manifest.sha256) return { kind: REFUSAL_KIND.CorruptImage, message: "image SHA-256 does not match the manifest" };
  return undefined;
}

/**
 * Reads a manifest envelope's payload after checking its signature (the update manager uses this when it
 * loads a release, so it never dispatches an unsigned or foreign manifest).
 *
 * @example
 * const manifest = openManifest(envelope, key.publicKeyPem);
 */
export function openManifest(envelope: SignedEnvelope, publicKeyPem: string): FirmwareManifest {
  if (envelope.payloadType !== MANIFEST_PAYLOAD_TYPE || !verifyEnvelopeSignature(envelope, publicKeyPem)) {
    throw new ManifestSignatureError("manifest is not signed by the fleet key");
  }
  return firmwareManifestSchema.parse(envelopePayload(envelope));
}

export class ManifestSignatureError extends Error {
  override readonly name = "ManifestSignatureError";
}
