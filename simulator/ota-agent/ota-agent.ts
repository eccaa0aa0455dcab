import type { S3Client } from "@aws-sdk/client-s3";
import { silentLog, type Log } from "../../lib/logger.js";
import type { OtaReport } from "../../telemetry/schema.js";
import { verifyJobBundle, type VehicleTrust } from "../../uptane/vehicle-verification.js";
import { SeededRandom } from "../random.js";
import type { VehicleAgent } from "../simulation.js";
import type { VehicleView } from "../vehicle.js";
import {
  defaultTimings,
  imageFetchWanted,
  initialMemory,
  noFaults,
  stepAgent,
  type AgentEnvironment,
  type AgentMemory,
  type AgentTimings,
  type FaultProfile,
} from "./agent-machine.js";
import { fetchImages } from "./image-fetcher.js";
import { JobDocumentFeed } from "./job-document-feed.js";

export interface OtaAgentOptions {
  /** S3 client for the vehicles' polls and image fetches, unless `s3ForVehicle` gives each vehicle its own. */
  s3: S3Client;
  /** Each vehicle's own S3 client (its own credentials), when it has one. */
  s3ForVehicle?: (vin: string) => S3Client;
  /** The data-lake bucket holding `jobs/<VIN>.json` and the images (`firmware/images/<sha256>`). */
  bucket: string;
  /** The roots every vehicle is provisioned with (director and image repository, version 1). */
  trust: VehicleTrust;
  faults?: Partial<FaultProfile>;
  timings?: Partial<AgentTimings>;
  seed?: number;
  /** Minimum simulated time between two polls of one vehicle's job document. */
  pollIntervalMs?: number;
  log?: Log;
}

/** Outcome tallies across the fleet, for progress displays and tests. */
export interface OtaAgentStats {
  reports: number;
  /** Last status reported per VIN. */
  lastStatus: Map<string, string>;
  /** Conditional GETs of job documents, and how many returned a body (new or changed). */
  documentPolls: number;
  documentFetches: number;
  /** Documents refused, by refusal kind. */
  refusals: Map<string, number>;
  /** Image fetches (one per attempt, plus retries of failed ones), those that failed, and the bytes received. */
  imageFetches: number;
  imageFetchFailures: number;
  imageBytes: number;
}

/**
 * The simulator's OTA agent plug-in: every vehicle polls its own job document (conditional GET on its
 * ETag) and runs the pure agent state machine on it, trusting only the roots it was provisioned with.
 * While downloading, it fetches the images the verified targets name with the same client (once per attempt,
 * streamed and hashed) and hands the machine what arrived, which installs only the signed bytes.
 * On success it sets the vehicle's firmware version.
 *
 * @example
 * import { pinnedTrust } from "../../uptane/vehicle-verification.js";
 * import { DEFAULT_SIMULATION, startSimulation } from "../simulation.js";
 * const agent = createOtaAgent({ s3, bucket, trust: pinnedTrust(directorRoot, imageRoot), faults: { installFailure: 0.02 } });
 * startSimulation({ ...DEFAULT_SIMULATION, bucket, s3, agent });
 */
export function createOtaAgent(options: OtaAgentOptions): VehicleAgent & { stats(): OtaAgentStats; memoryOf(vin: string): AgentMemory | undefined } {
  const log = options.log ?? silentLog;
  const feeds = new Map<S3Client, JobDocumentFeed>();
  const s3For = (vin: string): S3Client => options.s3ForVehicle?.(vin) ?? options.s3;
  const feedFor = (vin: string): JobDocumentFeed => {
    const s3 = s3For(vin);
    let feed = feeds.get(s3);
    if (!feed) {
      feed = new JobDocumentFeed({ s3, bucket: options.bucket, log });
      feeds.set(s3, feed);
    }
    return feed;
  };
  const random = new SeededRandom(options.seed ?? 7);
  const environment: AgentEnvironment = {
    verify: verifyJobBundle,
    random: () => random.next(),
    faults: { ...noFaults, ...options.faults },
    timings: { ...defaultTimings, ...options.timings },
  };
  const memories = new Map<string, AgentMemory>();
  const lastPollAt = new Map<string, number>();
  const stats: OtaAgentStats = { reports: 0, lastStatus: new Map(), documentPolls: 0, documentFetches: 0, refusals: new Map(), imageFetches: 0, imageFetchFailures: 0, imageBytes: 0 };
  const pollIntervalMs = options.pollIntervalMs ?? 0;

  return {
    async tick(vehicle: VehicleView, now: Date): Promise<OtaReport | undefined> {
      const nowMs = now.getTime();
      const feed = feedFor(vehicle.vin);
      // An offline vehicle cannot poll: it sees no new document, but an install already under way goes on.
      let document = vehicle.online ? feed.documentFor(vehicle.vin) : undefined;
      if (vehicle.online && nowMs - (lastPollAt.get(vehicle.vin) ?? Number.NEGATIVE_INFINITY) >= pollIntervalMs) {
        lastPollAt.set(vehicle.vin, nowMs);
        const polled = await feed.poll(vehicle.vin);
        stats.documentPolls++;
        if (polled.fetched) stats.documentFetches++;
        document = polled.document;
      }
      const memory = memories.get(vehicle.vin) ?? initialMemory(vehicle.firmwareVersion, options.trust);
      const facts = {
        vin: vehicle.vin,
        hardware: vehicle.hardwareId,
        firmwareVersion: vehicle.firmwareVersion,
        parked: vehicle.parked,
        stateOfCharge: vehicle.stateOfCharge,
        connectivity: vehicle.connectivity,
      };
      const wanted = vehicle.online ? imageFetchWanted(memory, facts, nowMs) : undefined;
      const fetched = wanted === undefined ? undefined : await fetchImages(s3For(vehicle.vin), options.bucket, wanted);
      if (fetched !== undefined) {
        stats.imageFetches++;
        if (fetched.ok) stats.imageBytes += fetched.received.reduce((total, digest) => total + digest.length, 0);
        else {
          stats.imageFetchFailures++;
          log.debug("image fetch failed", { vin: vehicle.vin, jobId: fetched.jobId, attempt: fetched.attempt, fetch: fetched.fetch, reason: fetched.reason });
        }
      }
      const step = stepAgent(memory, facts, nowMs, document, environment, fetched);
      memories.set(vehicle.vin, step.memory);
      if (step.memory.lastRefusal && step.memory.lastRefusal !== memory.lastRefusal) {
        const kind = step.memory.lastRefusal.kind;
        stats.refusals.set(kind, (stats.refusals.get(kind) ?? 0) + 1);
        log.debug("job document refused", { vin: vehicle.vin, ...step.memory.lastRefusal });
      }
      if (step.installedVersion) vehicle.firmwareVersion = step.installedVersion;
      if (step.report) {
        stats.reports++;
        stats.lastStatus.set(vehicle.vin, step.report.status);
        log.debug("ota report", { vin: vehicle.vin, ...step.report });
      }
      return step.report;
    },
    stats: () => stats,
    memoryOf: (vin) => memories.get(vin),
  };
}
