import type { S3Client } from "@aws-sdk/client-s3";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { verifyJobDocument } from "../../campaigns/job-document.js";
import { loadSigningKey } from "../../campaigns/signing.js";
import { silentLog, type Log } from "../../lib/logger.js";
import type { OtaReport } from "../../telemetry/schema.js";
import { SeededRandom } from "../random.js";
import type { VehicleAgent } from "../simulation.js";
import type { VehicleView } from "../vehicle.js";
import {
  defaultTimings,
  initialMemory,
  noFaults,
  stepAgent,
  type AgentEnvironment,
  type AgentMemory,
  type AgentTimings,
  type FaultProfile,
} from "./agent-machine.js";
import { JobDocumentFeed } from "./job-document-feed.js";

export interface OtaAgentOptions {
  s3: S3Client;
  /** The data-lake bucket holding `jobs/<VIN>.json`. */
  bucket: string;
  /** The fleet's Ed25519 public key (PEM) every vehicle trusts. */
  publicKeyPem: string;
  faults?: Partial<FaultProfile>;
  timings?: Partial<AgentTimings>;
  seed?: number;
  /** Minimum simulated time between two polls of the job documents. */
  pollIntervalMs?: number;
  log?: Log;
}

/** Outcome tallies across the fleet, for progress displays and tests. */
export interface OtaAgentStats {
  reports: number;
  /** Last status reported per VIN. */
  lastStatus: Map<string, string>;
  documentListCalls: number;
  documentFetches: number;
}

/**
 * The simulator's OTA agent plug-in: every vehicle runs the pure agent state machine against the
 * job documents polled (for the whole fleet at once) from the data bucket. On success it sets the
 * vehicle's firmware version.
 *
 * @example
 * const agent = createOtaAgent({ s3, bucket, publicKeyPem, faults: { installFailure: 0.02 } });
 * startSimulation({ ...DEFAULT_SIMULATION, bucket, s3, agent });
 */
export function createOtaAgent(options: OtaAgentOptions): VehicleAgent & { stats(): OtaAgentStats } {
  const log = options.log ?? silentLog;
  const feed = new JobDocumentFeed({ s3: options.s3, bucket: options.bucket, log });
  const random = new SeededRandom(options.seed ?? 7);
  const environment: AgentEnvironment = {
    verify: (document, vehicle) => verifyJobDocument(document, options.publicKeyPem, vehicle),
    random: () => random.next(),
    faults: { ...noFaults, ...options.faults },
    timings: { ...defaultTimings, ...options.timings },
  };
  const memories = new Map<string, AgentMemory>();
  const stats: OtaAgentStats = { reports: 0, lastStatus: new Map(), documentListCalls: 0, documentFetches: 0 };
  const pollIntervalMs = options.pollIntervalMs ?? 0;
  let lastPollAt = Number.NEGATIVE_INFINITY;
  let polling: Promise<void> | undefined;

  /** One feed refresh per simulated instant, shared by every vehicle ticking at it. */
  async function pollOnce(nowMs: number): Promise<void> {
    if (nowMs === lastPollAt || nowMs - lastPollAt < pollIntervalMs) return polling;
    lastPollAt = nowMs;
    polling = feed.refresh().then(
      (refreshed) => {
        stats.documentListCalls += refreshed.listCalls;
        stats.documentFetches += refreshed.fetched;
      },
      (error: unknown) => log.warn("job document poll failed", { error: (error as Error).message }),
    );
    return polling;
  }

  return {
    async tick(vehicle: VehicleView, now: Date): Promise<OtaReport | undefined> {
      const nowMs = now.getTime();
      await pollOnce(nowMs);
      const memory = memories.get(vehicle.vin) ?? initialMemory(vehicle.firmwareVersion);
      const facts = {
        vin: vehicle.vin,
        hardware: vehicle.hardwareId,
        firmwareVersion: vehicle.firmwareVersion,
        parked: vehicle.parked,
        stateOfCharge: vehicle.stateOfCharge,
        connectivity: vehicle.connectivity,
      };
      // An offline vehicle cannot poll: it sees no new document, but an install already under way goes on.
      const document = vehicle.online ? feed.documentFor(vehicle.vin) : undefined;
      const step = stepAgent(memory, facts, nowMs, document, environment);
      memories.set(vehicle.vin, step.memory);
      if (step.installedVersion) vehicle.firmwareVersion = step.installedVersion;
      if (step.report) {
        stats.reports++;
        stats.lastStatus.set(vehicle.vin, step.report.status);
        log.debug("ota report", { vin: vehicle.vin, ...step.report });
      }
      return step.report;
    },
    stats: () => stats,
  };
}

/**
 * The public key vehicles trust, derived from the fleet signing key in SSM (local cloud and tests:
 * a real vehicle is provisioned with the public key at the factory).
 *
 * @example
 * const publicKeyPem = await fleetPublicKey(ssm, "/fleetota-dev/signing-key");
 */
export async function fleetPublicKey(ssm: SSMClient, parameterName: string): Promise<string> {
  return (await loadSigningKey(ssm, parameterName)).publicKeyPem;
}
