import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { Metadata, Root, Targets } from "@tufjs/models";
import type { Log } from "../lib/logger.js";
import { PARKED_REASON, PermanentFailureError } from "../lib/parked-failures.js";
import { KMS_KEY_FIELD } from "../uptane/keys.js";
import { kmsDirectorSigner, type DirectorSigner } from "../uptane/kms-director.js";
import { buildDirectorTargets, findReleaseTarget, REPOSITORY_LAYOUT, ROLE, targetsFromJson, type JobBundle } from "../uptane/metadata.js";
import { readPublished, type PublishedRepository } from "../uptane/repository-store.js";
import { REFUSAL, verifyPublishedTargets, verifyRootChain, type Refusal } from "../uptane/vehicle-verification.js";
import type { Campaign, Job } from "./model.js";

/**
 * Where job documents go: the vehicles poll `jobs/<VIN>.json`, one document slot per vehicle. The update
 * service talks to this port; tests may hand it a fake, the handlers the S3 implementation below. Every
 * write to a slot is conditional on the slot as read (S3 `If-Match` on its ETag, `If-None-Match: *` when
 * absent), so no writer ever replaces a document it did not decide on.
 */
export interface JobDocumentChannel {
  /** What the vehicle's slot holds now (a strongly consistent read). */
  read(vin: string): Promise<JobSlot>;
  /**
   * Signs and writes the job's document (director metadata) for its current attempt if the slot is still as
   * `expected` was read; SlotChangedError (nothing written) when it changed meanwhile. Returns the object key.
   */
  publish(job: Job, campaign: Campaign, at: Date, expected: JobSlot): Promise<string>;
  /**
   * Replaces the vehicle's document, while it is this job's for this attempt or an earlier one, with a signed
   * withdrawal (conditional; read again and decided again when the slot changed under it).
   */
  withdraw(job: Job): Promise<void>;
  /** True when the image repository has published the version, signed by a threshold of its keys. */
  releaseExists(version: string): Promise<boolean>;
}

/** What a vehicle's document slot holds, as read: its version tag (absent: no document at all), and whose install document it is (absent: a withdrawal). */
export interface JobSlot {
  /** The slot's object key, `jobs/<VIN>.json`. */
  readonly key: string;
  readonly etag?: string;
  readonly holder?: SlotHolder;
}

/** The job an install document was issued for (read without verifying: only to decide on the slot). */
export interface SlotHolder {
  readonly jobId: string;
  readonly campaignId: string;
  readonly attempt: number;
}

/** The slot changed between its read and a conditional write (nothing written): read it again and decide again. */
export class SlotChangedError extends Error {
  override readonly name = "SlotChangedError";
  constructor(readonly vin: string) {
    super(`the job document slot of ${vin} changed while it was being written; read it again`);
  }
}

/** How often a withdrawal reads the slot again after losing it to another writer before the message is retried. */
const MAX_WITHDRAW_TRIES = 8;

export class ReleaseNotFoundError extends Error {
  override readonly name = "ReleaseNotFoundError";
  constructor(readonly version: string, detail: string) {
    super(`firmware release ${version} is not published in the image repository (${detail}); run \`fleetota release\` and \`fleetota release sign\` first`);
  }
}

/**
 * The published image targets cannot go into a job document now, though everything else would: no document can carry
 * them until the release engineers act. Permanent for the message at hand (parked and counted, not retried into the
 * DLQ); what it would have published is published later by the tick (queued jobs without a document) or the
 * vehicle's next telemetry. A `campaign start` is refused with its message; other operator commands are deferred.
 */
export abstract class ImageTargetsUnusableError extends PermanentFailureError {}

/** The published image targets have expired (all else verifies) until `fleetota release refresh`. */
export class ImageTargetsExpiredError extends ImageTargetsUnusableError {
  override readonly name = "ImageTargetsExpiredError";
  constructor(readonly targetsVersion: number, readonly expires: string) {
    super(PARKED_REASON.ImageTargetsExpired, `image targets expired: run fleetota release refresh (image targets ${targetsVersion} expired at ${expires})`);
  }
}

/**
 * The published image targets do not verify under the newest image root: typically a release-key rotation
 * (`keys rotate-image-root --refresh-targets-next`) before `release refresh` by the new keys re-signed them; else
 * targets or a root nobody should have written. `fleetota release status` says which.
 */
export class ImageTargetsUnverifiableError extends ImageTargetsUnusableError {
  override readonly name = "ImageTargetsUnverifiableError";
  constructor(readonly targetsVersion: number, readonly imageRootVersion: number | undefined, readonly refusal: Refusal) {
    super(
      PARKED_REASON.ImageTargetsUnverifiable,
      `image targets unverifiable: run fleetota release status (image targets ${targetsVersion} do not verify under image root ${imageRootVersion ?? "(none)"}: ${refusal.kind}: ${refusal.message})`,
    );
  }
}

export class DirectorRootError extends Error {
  override readonly name = "DirectorRootError";
}

export interface S3JobDocumentChannelOptions {
  s3: S3Client;
  kms: KMSClient;
  bucket: string;
  log: Log;
  /** How long the published roots and image targets are reused before they are read again. */
  refreshMs?: number;
  /** Director metadata versions: milliseconds, kept strictly increasing within a container. */
  clock?: () => number;
  /** How long a signed withdrawal stays valid. */
  withdrawalTtlHours?: number;
}

const defaults = { refreshMs: 60_000, withdrawalTtlHours: 24 * 30 } as const;

/**
 * The S3 channel. Each document is director targets metadata for one VIN, signed by the director key
 * the newest director root names (a KMS key: one Sign request per document), bundled with the image
 * repository's newest targets (checked against its root chain first) and both roots chains after 1.
 *
 * @example
 * const documents = s3JobDocumentChannel({ s3, kms, bucket, log });
 */
export function s3JobDocumentChannel(options: S3JobDocumentChannelOptions): JobDocumentChannel & { readonly kmsRequests: () => { Sign: number; GetPublicKey: number } } {
  const { s3, bucket } = options;
  const settings = { ...defaults, ...options };
  const clock = options.clock ?? Date.now;
  const signers = new Map<string, DirectorSigner>();
  let cached: { at: number; repository: PublishedRepository } | undefined;
  let lastVersion = 0;

  /** The published repository, its image targets verified; `withdrawal`: any targets do, under a root chain that verifies (a withdrawal carries none). */
  async function readRepository(fresh = false, withdrawal = false): Promise<PublishedRepository> {
    const targetsValid = (repository: PublishedRepository) => !repository.imageTargets || Date.parse(repository.imageTargets.signed.expires) > clock();
    // A cached copy is reused only while its image targets are still valid: never bundled past their expiry.
    if (!fresh && cached && clock() - cached.at < settings.refreshMs && targetsValid(cached.repository)) return cached.repository;
    const repository = await readPublished(s3, bucket, { imageTargetsVersion: cached?.repository.imageTargets?.signed.version });
    if (repository.imageTargets) {
      const [roots, targets, now] = [repository.imageRoots.map((root) => root.toJSON()), repository.imageTargets.toJSON(), new Date(clock())];
      const refusal = verifyPublishedTargets(roots, targets, now);
      if (refusal) {
        const version = repository.imageTargets.signed.version;
        const unverifiable = refusal.kind !== REFUSAL.Expired ? refusal : verifyPublishedTargets(roots, targets, now, { targetsMayBeExpired: true });
        // A withdrawal carries no targets, only the root chain: it goes out while that chain verifies.
        if (withdrawal && verifyRootChain(roots, now) === undefined) return repository;
        if (unverifiable) throw new ImageTargetsUnverifiableError(version, repository.imageRoots.at(-1)?.signed.version, unverifiable);
        throw new ImageTargetsExpiredError(version, repository.imageTargets.signed.expires);
      }
    }
    cached = { at: clock(), repository };
    return repository;
  }

  function signerFor(directorRoots: Array<Metadata<Root>>): DirectorSigner {
    const root = directorRoots[directorRoots.length - 1];
    if (!root) throw new DirectorRootError("no director root is published; run `fleetota keys ceremony` first");
    const keyId = root.signed.roles[ROLE.Targets]?.keyIDs[0];
    const kmsKeyId = keyId === undefined ? undefined : root.signed.keys[keyId]?.unrecognizedFields?.[KMS_KEY_FIELD];
    if (typeof kmsKeyId !== "string") throw new DirectorRootError(`director root ${root.signed.version} names no KMS key for the targets role`);
    let signer = signers.get(kmsKeyId);
    if (!signer) {
      signer = kmsDirectorSigner(options.kms, kmsKeyId);
      signers.set(kmsKeyId, signer);
    }
    return signer;
  }

  function nextVersion(): number {
    lastVersion = Math.max(clock(), lastVersion + 1);
    return lastVersion;
  }

  async function read(vin: string): Promise<JobSlot> {
    const key = REPOSITORY_LAYOUT.jobDocument(vin);
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const holder = holderOf(await response.Body!.transformToString("utf8"));
      return { key, ...(response.ETag === undefined ? {} : { etag: response.ETag }), ...(holder ? { holder } : {}) };
    } catch (error) {
      if (["NoSuchKey", "NotFound"].includes((error as Error).name)) return { key };
      throw error;
    }
  }

  /** Writes the signed document if the slot is still `expected` (a 412, or a 404/409 of a slot gone or being written, is SlotChangedError). */
  async function write(vin: string, director: Metadata<Targets>, repository: PublishedRepository, expected: JobSlot): Promise<string> {
    await signerFor(repository.directorRoots).sign(director);
    const bundle: JobBundle = {
      director: director.toJSON(),
      ...(repository.imageTargets && Object.keys(director.signed.targets).length > 0 ? { imageTargets: repository.imageTargets.toJSON() } : {}),
      directorRoots: repository.directorRoots.slice(1).map((root) => root.toJSON()),
      imageRoots: repository.imageRoots.slice(1).map((root) => root.toJSON()),
    };
    const objectKey = REPOSITORY_LAYOUT.jobDocument(vin);
    const condition = expected.etag === undefined ? { IfNoneMatch: "*" } : { IfMatch: expected.etag };
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: JSON.stringify(bundle), ContentType: "application/json", ...condition }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409 || (status === 404 && expected.etag !== undefined)) throw new SlotChangedError(vin);
      throw error;
    }
    return objectKey;
  }

  return {
    kmsRequests: () => {
      const total = { Sign: 0, GetPublicKey: 0 };
      for (const signer of signers.values()) {
        total.Sign += signer.requests.Sign;
        total.GetPublicKey += signer.requests.GetPublicKey;
      }
      return total;
    },

    read,

    async publish(job, campaign, at, expected) {
      const repository = await readRepository();
      const release = repository.imageTargets ? findReleaseTarget(repository.imageTargets, job.targetVersion) : undefined;
      if (!release) throw new ReleaseNotFoundError(job.targetVersion, "no image target with that version");
      const director = buildDirectorTargets({
        vin: job.vin,
        version: nextVersion(),
        expires: new Date(at.getTime() + campaign.definition.documentTtlHours * 3_600_000),
        target: {
          name: release.name,
          length: release.length,
          sha256: release.sha256,
          custom: {
            ecuIdentifier: release.custom.ecu,
            jobId: job.jobId,
            campaignId: job.campaignId,
            attempt: job.attempt,
            targetVersion: job.targetVersion,
            issuedAt: at.toISOString(),
            preconditions: campaign.definition.preconditions,
          },
        },
      });
      return write(job.vin, director, repository, expected);
    },

    async withdraw(job) {
      for (let tries = 0; tries < MAX_WITHDRAW_TRIES; tries++) {
        const slot = await read(job.vin);
        // Another job's document (another campaign's), or a later attempt's, is not this job's to take back.
        if (slot.holder?.jobId !== job.jobId || slot.holder.attempt > job.attempt) return;
        const director = buildDirectorTargets({ vin: job.vin, version: nextVersion(), expires: new Date(clock() + settings.withdrawalTtlHours * 3_600_000) });
        try {
          await write(job.vin, director, await readRepository(false, true), slot);
        } catch (error) {
          if (error instanceof SlotChangedError) continue;
          throw error;
        }
        options.log.debug("job document withdrawn (signed)", { jobId: job.jobId, attempt: slot.holder.attempt, key: REPOSITORY_LAYOUT.jobDocument(job.vin) });
        return;
      }
      throw new SlotChangedError(job.vin);
    },

    async releaseExists(version) {
      const repository = await readRepository(true);
      return repository.imageTargets !== undefined && findReleaseTarget(repository.imageTargets, version) !== undefined;
    },
  };
}

/** The job an install document was issued for (read without verifying: only to decide on the slot); undefined for a withdrawal or an unreadable document. */
function holderOf(text: string): SlotHolder | undefined {
  try {
    const bundle = JSON.parse(text) as JobBundle;
    const target = Object.values(targetsFromJson(bundle.director).signed.targets)[0];
    const { jobId, campaignId, attempt } = (target?.custom ?? {}) as { jobId?: unknown; campaignId?: unknown; attempt?: unknown };
    return typeof jobId === "string" && typeof campaignId === "string" && typeof attempt === "number" ? { jobId, campaignId, attempt } : undefined;
  } catch {
    return undefined;
  }
}
