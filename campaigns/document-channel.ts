import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { Log } from "../lib/logger.js";
import { firmwareManifestKey, jobDocumentKey, openManifest, signJobDocument, type JobPayload } from "./job-document.js";
import type { Campaign, Job } from "./model.js";
import { envelopeDigest, envelopePayload, loadSigningKey, type SignedEnvelope, type SigningKey } from "./signing.js";

/**
 * Where job documents go: the vehicles poll `jobs/<VIN>.json`. The update service talks to this port;
 * tests may hand it a recording fake, the handlers the S3 implementation below.
 */
export interface JobDocumentChannel {
  /** Signs and writes the job's document for its current attempt; returns the object key. */
  publish(job: Job, campaign: Campaign, at: Date): Promise<string>;
  /** Removes the vehicle's document if it still belongs to this job. */
  withdraw(job: Job): Promise<void>;
  /** True when a release manifest signed by the fleet key exists for the version. */
  releaseExists(version: string): Promise<boolean>;
}

export class ReleaseNotFoundError extends Error {
  override readonly name = "ReleaseNotFoundError";
  constructor(readonly version: string, readonly key: string) {
    super(`firmware release ${version} has no manifest at ${key}; run \`fleetota release\` first`);
  }
}

export interface S3JobDocumentChannelOptions {
  s3: S3Client;
  ssm: SSMClient;
  bucket: string;
  signingKeyParameter: string;
  log: Log;
}

const isMissingObject = (error: unknown): boolean => ["NoSuchKey", "NotFound"].includes((error as Error).name);

/**
 * The S3 channel: signs with the Ed25519 key from SSM (read once per container) and the release's signed
 * manifest from `firmware/<version>/manifest.json` (checked against the same key, cached per version).
 *
 * @example
 * const documents = s3JobDocumentChannel({ s3: new S3Client({}), ssm: new SSMClient({}), bucket,
 *   signingKeyParameter: requireEnv(ENV.SIGNING_KEY_PARAMETER), log });
 */
export function s3JobDocumentChannel(options: S3JobDocumentChannelOptions): JobDocumentChannel {
  const { s3, bucket } = options;
  let signingKey: Promise<SigningKey> | undefined;
  const manifests = new Map<string, SignedEnvelope>();

  function key(): Promise<SigningKey> {
    signingKey ??= loadSigningKey(options.ssm, options.signingKeyParameter).catch((error: unknown) => {
      signingKey = undefined;
      throw error;
    });
    return signingKey;
  }

  async function readJson(objectKey: string): Promise<unknown> {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
    return JSON.parse(await response.Body!.transformToString());
  }

  async function manifestFor(version: string): Promise<SignedEnvelope> {
    const cached = manifests.get(version);
    if (cached) return cached;
    const objectKey = firmwareManifestKey(version);
    let envelope: SignedEnvelope;
    try {
      envelope = (await readJson(objectKey)) as SignedEnvelope;
    } catch (error) {
      if (isMissingObject(error)) throw new ReleaseNotFoundError(version, objectKey);
      throw error;
    }
    openManifest(envelope, (await key()).publicKeyPem);
    manifests.set(version, envelope);
    return envelope;
  }

  return {
    async publish(job, campaign, at) {
      const manifest = await manifestFor(job.targetVersion);
      const ttlMs = campaign.definition.documentTtlHours * 3_600_000;
      const payload: JobPayload = {
        jobId: job.jobId,
        campaignId: job.campaignId,
        vin: job.vin,
        attempt: job.attempt,
        targetVersion: job.targetVersion,
        manifestDigest: envelopeDigest(manifest),
        issuedAt: at.toISOString(),
        expiresAt: new Date(at.getTime() + ttlMs).toISOString(),
        preconditions: campaign.definition.preconditions,
      };
      const document = signJobDocument(payload, manifest, await key());
      const objectKey = jobDocumentKey(job.vin);
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: JSON.stringify(document), ContentType: "application/json" }),
      );
      return objectKey;
    },

    async withdraw(job) {
      const objectKey = jobDocumentKey(job.vin);
      try {
        const document = (await readJson(objectKey)) as { job?: SignedEnvelope };
        const payload = document.job ? (envelopePayload(document.job) as Partial<JobPayload>) : undefined;
        if (payload?.jobId !== job.jobId) return;
      } catch (error) {
        if (isMissingObject(error)) return;
        throw error;
      }
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey }));
      options.log.debug("job document withdrawn", { jobId: job.jobId, key: objectKey });
    },

    async releaseExists(version) {
      try {
        await manifestFor(version);
        return true;
      } catch (error) {
        if (error instanceof ReleaseNotFoundError) return false;
        throw error;
      }
    },
  };
}
