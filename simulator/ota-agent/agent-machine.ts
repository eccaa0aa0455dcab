import { DEFAULT_ECU, type Preconditions } from "../../uptane/metadata.js";
import {
  REFUSAL,
  verifyImageDigest,
  type DirectorJob,
  type ImageDigest,
  type Refusal,
  type UptaneVerdict,
  type VehicleContext,
  type VehicleTrust,
  type VerifiedImage,
} from "../../uptane/vehicle-verification.js";
import { AGENT_STATUS, CONNECTIVITY_CLASS, type AgentStatus, type ConnectivityClass } from "../../contracts/update-messages.js";
import type { OtaReport } from "../../telemetry/schema.js";

/**
 * The vehicle-side OTA agent as a pure state machine: given what it remembers, the vehicle's facts,
 * the clock and (sometimes) a freshly polled job document, it decides the next step and the report
 * to put in the telemetry `ota` field. No I/O, no clock, no randomness of its own: everything is
 * injected, so every path (refusals, deferrals, faults, rollback) is unit-tested.
 *
 * Downloading fetches the images the verified targets name (`firmware/images/<sha256>`): the machine asks for
 * them (`imageFetchWanted`), an adapter does the GET with the vehicle's own credentials and hands back what
 * it received (length and SHA-256, `ImageFetchResult`), and the machine checks that against the signed length
 * and hash (`verifyImageDigest`) once the simulated transfer time has passed. Bytes other than the signed ones
 * end the attempt FAILED (CORRUPT_IMAGE) with nothing installed; a fetch that fails is tried again on a
 * transient error (up to IMAGE_FETCH_TRIES) and otherwise ends FAILED (DOWNLOAD_FAILED).
 *
 * Only a verified document changes anything: one that fails its signatures, names another VIN, is
 * older than one already seen or has expired is set aside (kept as `lastRefusal`) without a report, so a
 * forged document can neither displace the genuine job nor make the vehicle report against it. A
 * document the director did sign but whose image the vehicle refuses is reported REJECTED with the
 * refusal kind. A signed withdrawal (director metadata with no targets) drops a job not yet installing.
 *
 *   document ─verify─▶ (not authentic: ignored) | REJECTED (authentic, image refused) | withdrawn
 *            └─▶ DEFERRED ⇄ (preconditions) ─▶ DOWNLOADING ─▶ INSTALLING (inactive bank) ─▶ VERIFYING (rebooted)
 *                                     bytes ≠ signed │ / fetch failed  │ install error / battery drop     │ power loss / boot failure
 *                                                   ▼                ▼                                  ▼
 *                                                 FAILED           FAILED                        ROLLED_BACK (previous bank)
 */

export const BANK = { A: "A", B: "B" } as const;
export type Bank = (typeof BANK)[keyof typeof BANK];

/** The refusal and failure reasons the agent reports, beyond verifyJobBundle's refusal kinds. */
export const OTA_FAILURE = {
  /** The received bytes are not the signed ones (length or SHA-256). */
  CorruptDownload: "CORRUPT_IMAGE",
  /** The image could not be fetched (refused, missing, or transient errors on every try). */
  DownloadFailed: "DOWNLOAD_FAILED",
  InstallError: "INSTALL_ERROR",
  BatteryDrop: "BATTERY_DROP",
  PowerLoss: "POWER_LOSS",
  BootFailure: "BOOT_FAILURE",
  Expired: "EXPIRED",
} as const;

/** What the agent reads from the vehicle each tick. */
export interface VehicleFacts {
  vin: string;
  hardware: string;
  firmwareVersion: string;
  parked: boolean;
  stateOfCharge: number;
  connectivity: ConnectivityClass;
}

/** Probabilities (0–1) of each injected fault, drawn once per attempt at the phase it hits. */
export interface FaultProfile {
  /** A byte of the fetched image flipped in transit (caught by the hash check). */
  corruptDownload: number;
  installFailure: number;
  batteryDrop: number;
  powerLoss: number;
  bootFailure: number;
}

export const noFaults: FaultProfile = { corruptDownload: 0, installFailure: 0, batteryDrop: 0, powerLoss: 0, bootFailure: 0 };

export interface AgentTimings {
  /** Download speed in bytes per second by connectivity class (offline makes no progress). */
  bytesPerSecond: Record<ConnectivityClass, number>;
  installMs: number;
  /** Reboot into the new bank and its health check. */
  verifyMs: number;
  /** While a job is open, its current status is re-reported this often (the update manager's liveness signal). */
  heartbeatMs: number;
}

export const defaultTimings: AgentTimings = {
  bytesPerSecond: { [CONNECTIVITY_CLASS.Good]: 2_500_000, [CONNECTIVITY_CLASS.Weak]: 250_000, [CONNECTIVITY_CLASS.Offline]: 0 },
  installMs: 120_000,
  verifyMs: 45_000,
  heartbeatMs: 300_000,
};

/** A job document as polled: `tag` changes whenever the object does (its ETag); `body` undefined once deleted. */
export interface PolledDocument {
  tag: string;
  body: unknown;
}

export interface AgentEnvironment {
  verify: (document: unknown, trust: VehicleTrust, vehicle: VehicleContext) => UptaneVerdict;
  /** Uniform in [0, 1). */
  random: () => number;
  faults: FaultProfile;
  timings: AgentTimings;
}

type Phase = typeof AGENT_STATUS.Deferred | typeof AGENT_STATUS.Downloading | typeof AGENT_STATUS.Installing | typeof AGENT_STATUS.Verifying;

/** The pending outcome of an attempt, drawn when the phase that would suffer it begins. */
type PlannedFault = { status: typeof AGENT_STATUS.Failed | typeof AGENT_STATUS.RolledBack; reason: string } | undefined;

/** Fetches of one attempt's images: a transient failure is tried again, this many fetches at most. */
export const IMAGE_FETCH_TRIES = 3;

/** An image to fetch and check: where it is, and the length and SHA-256 the verified metadata gives. */
export type ImageToFetch = Pick<VerifiedImage, "objectKey" | "length" | "sha256">;

/** What the machine asks an adapter to fetch, as the next fetch (`fetch`) of one job attempt's images. */
export interface ImageFetchRequest {
  jobId: string;
  attempt: number;
  /** 1 for the first fetch of the attempt, 2 for its first retry, … */
  fetch: number;
  images: ImageToFetch[];
  /** An injected fault: flip the byte at `offset` of image `image` as it arrives. */
  corruptByte?: { image: number; offset: number };
}

/** What the adapter received for a request: one digest per image, in order, or why it could not. */
export type ImageFetchResult = Pick<ImageFetchRequest, "jobId" | "attempt" | "fetch"> &
  ({ ok: true; received: ImageDigest[] } | { ok: false; reason: string; transient: boolean });

/** The download of one attempt's images: fetches made, what was received, when the next fetch may run. */
export interface ImageDownload {
  images: ImageToFetch[];
  fetches: number;
  received?: ImageDigest[];
  retryAt?: number;
  corruptByte?: ImageFetchRequest["corruptByte"];
}

export interface ActiveJob {
  job: DirectorJob;
  imageSize: number;
  download: ImageDownload;
  antiRollbackCounter: number;
  phase: Phase;
  reason?: string;
  downloadedBytes: number;
  phaseEndsAt?: number;
  fault: PlannedFault;
  lastTickAt: number;
  lastReportAt: number;
}

export interface AgentMemory {
  activeBank: Bank;
  banks: Partial<Record<Bank, string>>;
  antiRollbackCounter: number;
  /** Pinned roots (rotated as verified new roots arrive) and the metadata versions seen. */
  trust: VehicleTrust;
  job?: ActiveJob;
  /** Last sequence reported per job id: sequences never go back, across attempts too. */
  lastSequence: Record<string, number>;
  /** Highest attempt per job id the agent finished (reported a terminal status for). */
  concluded: Record<string, number>;
  /** Tag of the last document the agent took in. */
  documentTag?: string;
  /** Why the last document was refused, if it was. */
  lastRefusal?: Refusal;
}

export interface AgentStep {
  memory: AgentMemory;
  report?: OtaReport;
  /** Set when the vehicle now runs a new firmware version (after a verified reboot). */
  installedVersion?: string;
}

/**
 * What the agent remembers about a vehicle that never ran a job: the running version in bank A and the
 * roots it was provisioned with.
 *
 * @example
 * import { pinnedTrust } from "../../uptane/vehicle-verification.js";
 * const memory = initialMemory("2.3.0", pinnedTrust(directorRoot, imageRoot), 6);
 */
export function initialMemory(firmwareVersion: string, trust: VehicleTrust, antiRollbackCounter = 0): AgentMemory {
  return { activeBank: BANK.A, banks: { [BANK.A]: firmwareVersion }, antiRollbackCounter, trust, lastSequence: {}, concluded: {} };
}

/**
 * Advances the agent by one tick.
 *
 * @example
 * const step = stepAgent(memory, vehicleFacts, Date.now(), polledDocument, environment);
 * if (step.report) record.ota = step.report;
 */
export function stepAgent(
  memory: AgentMemory,
  vehicle: VehicleFacts,
  now: number,
  document: PolledDocument | undefined,
  environment: AgentEnvironment,
  fetched?: ImageFetchResult,
): AgentStep {
  const state: AgentMemory = { ...memory, banks: { ...memory.banks }, lastSequence: { ...memory.lastSequence }, concluded: { ...memory.concluded } };
  if (document !== undefined && document.tag !== state.documentTag) {
    const taken = takeDocument(state, vehicle, now, document, environment);
    if (taken) return taken;
  }
  if (state.job === undefined) return { memory: state };
  return advanceJob(state, { ...state.job, download: { ...state.job.download } }, vehicle, now, environment, fetched);
}

/**
 * The image fetch the agent wants now, if any: while downloading, until the images were received, once a
 * failed fetch's retry is due, and only with a link (offline, the fetch waits). Its result goes to the next
 * `stepAgent` as `fetched`.
 *
 * @example
 * import { fetchImages } from "./image-fetcher.js";
 * const wanted = imageFetchWanted(memory, facts, now);
 * const fetched = wanted ? await fetchImages(vehicleS3, bucket, wanted) : undefined;
 * const step = stepAgent(memory, facts, now, polledDocument, environment, fetched);
 */
export function imageFetchWanted(memory: AgentMemory, vehicle: Pick<VehicleFacts, "connectivity">, now: number): ImageFetchRequest | undefined {
  const job = memory.job;
  if (job === undefined || job.phase !== AGENT_STATUS.Downloading || job.download.received !== undefined) return undefined;
  if (vehicle.connectivity === CONNECTIVITY_CLASS.Offline || now < (job.download.retryAt ?? now)) return undefined;
  return {
    jobId: job.job.jobId,
    attempt: job.job.attempt,
    fetch: job.download.fetches + 1,
    images: job.download.images,
    ...(job.download.corruptByte === undefined ? {} : { corruptByte: job.download.corruptByte }),
  };
}

/** Takes in a new or changed document; returns a finished step when the document itself decides the tick. */
function takeDocument(state: AgentMemory, vehicle: VehicleFacts, now: number, document: PolledDocument, environment: AgentEnvironment): AgentStep | undefined {
  const busy = state.job !== undefined && (state.job.phase === AGENT_STATUS.Installing || state.job.phase === AGENT_STATUS.Verifying);
  if (busy) return undefined; // an install is never interrupted; the document is read again after it
  state.documentTag = document.tag;
  if (document.body === undefined) return undefined; // gone: nothing changes (a withdrawal is a signed document)
  const verdict = environment.verify(document.body, state.trust, {
    vin: vehicle.vin,
    ecus: { [DEFAULT_ECU]: { hardwareId: vehicle.hardware, version: vehicle.firmwareVersion, antiRollbackCounter: state.antiRollbackCounter } },
    now: new Date(now),
  });
  if (verdict.trust) state.trust = verdict.trust;
  if (verdict.ok) {
    state.lastRefusal = undefined;
    if (verdict.instruction.kind === "withdrawn") {
      state.job = undefined; // withdrawn (canceled) before anything was installed
      return { memory: state };
    }
    const { job, images } = verdict.instruction;
    if ((state.concluded[job.jobId] ?? 0) >= job.attempt) return { memory: state };
    if (state.job?.job.jobId === job.jobId && state.job.job.attempt === job.attempt) return undefined;
    const primary = images.find((image) => image.ecu === DEFAULT_ECU) ?? images[0]!;
    state.job = {
      job,
      imageSize: images.reduce((total, image) => total + image.length, 0),
      download: { images: images.map(({ objectKey, length, sha256 }) => ({ objectKey, length, sha256 })), fetches: 0 },
      antiRollbackCounter: primary.antiRollbackCounter,
      phase: AGENT_STATUS.Deferred,
      downloadedBytes: 0,
      fault: undefined,
      lastTickAt: now,
      lastReportAt: Number.NEGATIVE_INFINITY,
    };
    return undefined;
  }
  state.lastRefusal = verdict.refusal;
  if (verdict.job === undefined) return { memory: state }; // not authentic: nothing to report against, nothing changes
  const identity = identityOf(verdict.job);
  if ((state.concluded[identity.jobId] ?? 0) >= identity.attempt) return { memory: state };
  if (identity.targetVersion === vehicle.firmwareVersion && verdict.refusal.kind === REFUSAL.Downgrade) {
    // Already installed (an earlier success report was lost): confirm rather than refuse.
    return conclude(state, identity, AGENT_STATUS.Succeeded, undefined);
  }
  return conclude(state, identity, AGENT_STATUS.Rejected, `${verdict.refusal.kind}: ${verdict.refusal.message}`);
}

function advanceJob(state: AgentMemory, job: ActiveJob, vehicle: VehicleFacts, now: number, environment: AgentEnvironment, fetched: ImageFetchResult | undefined): AgentStep {
  const elapsedMs = Math.max(0, now - job.lastTickAt);
  job.lastTickAt = now;
  state.job = job;
  const before = { phase: job.phase, reason: job.reason };
  switch (job.phase) {
    case AGENT_STATUS.Deferred: {
      if (Date.parse(job.job.expiresAt) <= now) {
        return conclude(state, identityOf(job.job), AGENT_STATUS.Rejected, `${OTA_FAILURE.Expired}: job expired at ${job.job.expiresAt} before it could start`);
      }
      const unmet = unmetPrecondition(job.job.preconditions, vehicle);
      if (unmet !== undefined) {
        job.reason = unmet;
        break;
      }
      job.phase = AGENT_STATUS.Downloading;
      job.reason = undefined;
      job.fault = undefined;
      const { random, faults } = environment;
      if (random() < faults.corruptDownload) job.download.corruptByte = { image: 0, offset: Math.floor(random() * (job.download.images[0]?.length ?? 0)) };
      break;
    }
    case AGENT_STATUS.Downloading: {
      const failure = takeFetched(job, fetched, now);
      if (failure !== undefined) return conclude(state, identityOf(job.job), AGENT_STATUS.Failed, failure);
      job.downloadedBytes += (environment.timings.bytesPerSecond[vehicle.connectivity] * elapsedMs) / 1000;
      if (job.downloadedBytes < job.imageSize || job.download.received === undefined) break;
      const corrupt = firstCorruptImage(job.download);
      if (corrupt !== undefined) return conclude(state, identityOf(job.job), AGENT_STATUS.Failed, `${OTA_FAILURE.CorruptDownload}: ${corrupt}; nothing installed`);
      job.phase = AGENT_STATUS.Installing;
      job.phaseEndsAt = now + environment.timings.installMs;
      job.fault = drawInstallFault(environment);
      break;
    }
    case AGENT_STATUS.Installing: {
      if (now < (job.phaseEndsAt ?? now)) break;
      if (job.fault) return conclude(state, identityOf(job.job), job.fault.status, job.fault.reason);
      // The image is in the inactive bank: switch to it and reboot.
      const target = otherBank(state.activeBank);
      state.banks[target] = job.job.targetVersion;
      state.activeBank = target;
      job.phase = AGENT_STATUS.Verifying;
      job.phaseEndsAt = now + environment.timings.verifyMs;
      job.fault = drawBootFault(environment);
      break;
    }
    case AGENT_STATUS.Verifying: {
      if (now < (job.phaseEndsAt ?? now)) break;
      if (job.fault) {
        state.activeBank = otherBank(state.activeBank); // boot the previous bank again
        return conclude(state, identityOf(job.job), job.fault.status, job.fault.reason);
      }
      state.antiRollbackCounter = Math.max(state.antiRollbackCounter, job.antiRollbackCounter);
      const step = conclude(state, identityOf(job.job), AGENT_STATUS.Succeeded, undefined);
      return { ...step, installedVersion: job.job.targetVersion };
    }
  }
  const changed = before.phase !== job.phase || before.reason !== job.reason;
  if (changed || now - job.lastReportAt >= environment.timings.heartbeatMs) {
    job.lastReportAt = now;
    return { memory: state, report: report(state, identityOf(job.job), job.phase, job.reason) };
  }
  return { memory: state };
}

/**
 * Takes a fetch result for the download under way (others are stale: another attempt, an earlier fetch).
 * Returns the FAILED reason when the fetch failed for good.
 */
function takeFetched(job: ActiveJob, fetched: ImageFetchResult | undefined, now: number): string | undefined {
  const download = job.download;
  if (fetched === undefined || download.received !== undefined) return undefined;
  if (fetched.jobId !== job.job.jobId || fetched.attempt !== job.job.attempt || fetched.fetch !== download.fetches + 1) return undefined;
  download.fetches = fetched.fetch;
  if (fetched.ok) {
    download.received = fetched.received;
    return undefined;
  }
  if (fetched.transient && download.fetches < IMAGE_FETCH_TRIES) {
    download.retryAt = now + 1; // the next tick
    return undefined;
  }
  return `${OTA_FAILURE.DownloadFailed}: ${fetched.reason} (fetch ${download.fetches} of at most ${IMAGE_FETCH_TRIES}); nothing installed`;
}

/** Why the first received image that is not the signed one is refused, or undefined when all are intact. */
function firstCorruptImage(download: ImageDownload): string | undefined {
  for (const [index, image] of download.images.entries()) {
    const received = download.received?.[index];
    const refusal = received === undefined ? { message: "not received" } : verifyImageDigest(received, image);
    if (refusal !== undefined) return `${image.objectKey}: ${refusal.message}`;
  }
  return undefined;
}

function drawInstallFault(environment: AgentEnvironment): PlannedFault {
  const { faults, random } = environment;
  if (random() < faults.installFailure) return { status: AGENT_STATUS.Failed, reason: `${OTA_FAILURE.InstallError}: writing the inactive bank failed; active bank untouched` };
  if (random() < faults.batteryDrop) return { status: AGENT_STATUS.Failed, reason: `${OTA_FAILURE.BatteryDrop}: state of charge fell below the install minimum; install aborted` };
  return undefined;
}

function drawBootFault(environment: AgentEnvironment): PlannedFault {
  const { faults, random } = environment;
  if (random() < faults.powerLoss) return { status: AGENT_STATUS.RolledBack, reason: `${OTA_FAILURE.PowerLoss}: power lost while booting the new bank; rolled back to the previous bank` };
  if (random() < faults.bootFailure) return { status: AGENT_STATUS.RolledBack, reason: `${OTA_FAILURE.BootFailure}: new bank failed its health check; rolled back to the previous bank` };
  return undefined;
}

/**
 * Which precondition the vehicle misses, as the DEFERRED reason, or undefined when all hold.
 *
 * @example
 * unmetPrecondition({ requireParked: true, minStateOfChargePercent: 30, connectivity: ["good"] }, facts); // "NOT_PARKED"
 */
export function unmetPrecondition(preconditions: Preconditions, vehicle: VehicleFacts): string | undefined {
  if (preconditions.requireParked && !vehicle.parked) return "NOT_PARKED: vehicle is moving";
  if (vehicle.stateOfCharge < preconditions.minStateOfChargePercent) {
    return `LOW_BATTERY: state of charge ${Math.round(vehicle.stateOfCharge)}% is below ${preconditions.minStateOfChargePercent}%`;
  }
  if (!preconditions.connectivity.includes(vehicle.connectivity)) return `CONNECTIVITY: ${vehicle.connectivity} link, needs ${preconditions.connectivity.join(" or ")}`;
  return undefined;
}

interface JobIdentity {
  jobId: string;
  campaignId: string;
  attempt: number;
  targetVersion: string;
}

function identityOf(job: DirectorJob): JobIdentity {
  return { jobId: job.jobId, campaignId: job.campaignId, attempt: job.attempt, targetVersion: job.targetVersion };
}

function conclude(state: AgentMemory, identity: JobIdentity, status: AgentStatus, reason: string | undefined): AgentStep {
  state.concluded[identity.jobId] = Math.max(state.concluded[identity.jobId] ?? 0, identity.attempt);
  if (state.job?.job.jobId === identity.jobId) state.job = undefined;
  return { memory: state, report: report(state, identity, status, reason) };
}

function report(state: AgentMemory, identity: JobIdentity, status: AgentStatus, reason: string | undefined): OtaReport {
  const sequence = (state.lastSequence[identity.jobId] ?? 0) + 1;
  state.lastSequence[identity.jobId] = sequence;
  return {
    jobId: identity.jobId,
    campaignId: identity.campaignId,
    attempt: identity.attempt,
    sequence,
    status,
    ...(reason === undefined ? {} : { reason: reason.slice(0, 500) }),
    targetVersion: identity.targetVersion,
  };
}

function otherBank(bank: Bank): Bank {
  return bank === BANK.A ? BANK.B : BANK.A;
}
