import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { S3Client } from "@aws-sdk/client-s3";
import { KMSClient } from "@aws-sdk/client-kms";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { runCli } from "../../../../cli/main.js";
import type { CliIo } from "../../../../cli/output.js";
import { namesFromLocalDescription, type StackNames } from "../../../../cli/target.js";
import type { Campaign } from "../../../../campaigns/model.js";
import { dynamoCampaignStore, type CampaignStore } from "../../../../campaigns/store/index.js";
import type { LocalCloud } from "../../../../local/cloud.js";
import { provisionLocalTrust } from "../../../../local/trust.js";
import { silentLog } from "../../../../lib/logger.js";
import { VEHICLE_MODELS } from "../../../../simulator/catalog.js";
import { createOtaAgent, type OtaAgentStats } from "../../../../simulator/ota-agent/ota-agent.js";
import type { AgentTimings, FaultProfile } from "../../../../simulator/ota-agent/agent-machine.js";
import { startSimulation, type SimulationSummary, type VehicleAgent } from "../../../../simulator/simulation.js";
import { UPLOAD_MODE } from "../../../../simulator/batch.js";
import type { VehicleIdentities } from "../../../../simulator/vehicle-identities.js";
import { provisionLocalFleet } from "../../../../local/identity/simulated-fleet.js";
import type { VehicleView } from "../../../../simulator/vehicle.js";

/**
 * Drives one campaign end to end on a running local cloud, in lock step: each simulated minute the
 * fleet (with the OTA agent) uploads its telemetry, then the pipeline is let run until idle and the
 * rollout ticker fires, before the next minute. Simulated time ends at the wall clock, so records
 * and job documents are never "from the future".
 */

export interface CampaignRunOptions {
  cloud: LocalCloud;
  workspace: string;
  vehicles: number;
  seed: number;
  targetVersion: string;
  faults: Partial<FaultProfile>;
  agentTimings?: Partial<AgentTimings>;
  /** The campaign definition written to a YAML file, without name and targetVersion. */
  definition: string;
  /** Simulated minutes at most. */
  maxMinutes: number;
  /** Ends the run early; checked after every settled minute. */
  done: (campaign: Campaign) => boolean;
  /** Minutes to keep running after `done` (in-flight jobs finish). */
  extraMinutes?: number;
  /**
   * Wall-clock minutes to keep ticking after the simulated fleet stopped without `done`: the vehicles
   * are silent from then on, so what is still open can only time out (the campaign's limits are wall clock).
   */
  drainMinutes?: number;
  /** Called (and awaited) after every settled minute: progress output, a minute's alarm evaluation. */
  onMinute?: (minute: number, campaign: Campaign) => void | Promise<void>;
}

export interface CampaignRunResult {
  campaignId: string;
  /** Requests the vehicles made to the IoT credentials provider. */
  credentialFetches: number;
  campaign: Campaign;
  simulation: SimulationSummary;
  agent: OtaAgentStats;
  fleet: readonly VehicleView[];
  minutes: number;
  wallMs: number;
  names: StackNames;
  store: CampaignStore;
}

const DRAIN_TICK_MS = 10_000;

/** How long one simulated minute may take to flow through; admitting a whole fleet's first sighting takes longest. */
const settleTimeoutMs = (vehicles: number): number => 120_000 + vehicles * 150;

function capturingIo(): CliIo & { out: string; err: string } {
  const io = { out: "", err: "", interactive: false, stdout: (text: string) => void (io.out += text), stderr: (text: string) => void (io.err += text) };
  return io;
}

/** Runs the operator CLI in the workspace (whose .fleetota/local.json points at the cloud) and parses its JSON. */
export async function fleetota(workspace: string, ...args: string[]): Promise<any> {
  const io = capturingIo();
  const code = await runCli(["--json", ...args], { io, cwd: workspace, env: {} });
  if (code !== 0) throw new Error(`fleetota ${args.join(" ")} failed: ${io.err}`);
  return JSON.parse(io.out);
}

export const ALL_HARDWARE = [...new Set(VEHICLE_MODELS.flatMap((model) => model.hardwareIds))];

export async function runCampaign(options: CampaignRunOptions): Promise<CampaignRunResult> {
  const { cloud, workspace } = options;
  const names = namesFromLocalDescription(cloud.description);
  const runtime = cloud.runtime!;
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig), { marshallOptions: { removeUndefinedValues: true } });
  const store = dynamoCampaignStore({ doc, table: names.stateTable });
  const tickerRule = cloud.description.schedules.find((schedule) => schedule.ruleName.endsWith("-rollout-ticker-schedule"))!.ruleName;
  const settleMs = settleTimeoutMs(options.vehicles);

  const s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
  // The key ceremony (development keys in the workspace), then a release signed by two of the three release keys.
  const local = await provisionLocalTrust({ s3, kms: new KMSClient(cloud.clientConfig), bucket: names.dataBucket, directorKeyId: names.directorKeyId, keysDir: join(workspace, "keys"), log: silentLog });
  const imagePath = join(workspace, `firmware-${options.targetVersion}.bin`);
  writeFileSync(imagePath, randomBytes(64 * 1024));
  await fleetota(workspace, "release", imagePath, "--version", options.targetVersion, "--hardware", ALL_HARDWARE.join(","), "--anti-rollback", "1", "--key", local.keyFile("alice"));
  await fleetota(workspace, "release", "sign", options.targetVersion, "--key", local.keyFile("carol"), "--image", imagePath, "--hardware", ALL_HARDWARE.join(","), "--anti-rollback", "1");
  mkdirSync(join(workspace, "campaigns"), { recursive: true });
  const campaignFile = join(workspace, "campaigns", `to-${options.targetVersion}.yaml`);
  writeFileSync(campaignFile, `name: e2e to ${options.targetVersion}\ntargetVersion: ${options.targetVersion}\n${options.definition}`);
  const created = await fleetota(workspace, "campaign", "create", campaignFile, "--start");
  const campaignId: string = created.campaignId;
  await runtime.waitForIdle(settleMs);

  const agent = createOtaAgent({
    s3,
    // Each vehicle polls its own job document with its own credentials (conditional GET, no listing).
    s3ForVehicle: (vin) => identities?.s3For(vin) ?? s3,
    bucket: names.dataBucket,
    trust: local.trust,
    faults: options.faults,
    timings: options.agentTimings,
    seed: options.seed,
  });

  let minutes = 0;
  let extraLeft: number | undefined;
  let lastInstant: number | undefined;
  const readCampaign = async (): Promise<Campaign> => (await store.campaigns.get(campaignId))!;
  /** Fires the rollout ticker, lets what it queued flow through, and reads the campaign. */
  const tickAndRead = async (): Promise<Campaign> => {
    await runtime.fireSchedule(tickerRule);
    await runtime.waitForIdle(settleMs);
    return readCampaign();
  };
  let campaign = await readCampaign();
  let stopRequested = false;
  const simulationRef: { stop?: () => Promise<SimulationSummary> } = {};

  /** Before the first vehicle of each simulated minute: let the last minute's telemetry flow through, then tick. */
  async function settleMinute(): Promise<void> {
    await runtime.waitForIdle(settleMs);
    campaign = await tickAndRead();
    minutes++;
    await options.onMinute?.(minutes, campaign);
    if (extraLeft === undefined && options.done(campaign)) extraLeft = options.extraMinutes ?? 0;
    if (extraLeft !== undefined && extraLeft-- <= 0 && !stopRequested) {
      stopRequested = true;
      void simulationRef.stop?.();
    }
  }

  const lockstepAgent: VehicleAgent = {
    async tick(vehicle, now) {
      if (now.getTime() !== lastInstant) {
        lastInstant = now.getTime();
        await settleMinute();
      }
      return agent.tick(vehicle, now);
    },
  };

  let identities: VehicleIdentities | undefined;
  const started = performance.now();
  const simulation = startSimulation({
    vehicles: options.vehicles,
    intervalMs: 60_000,
    batches: options.maxMinutes,
    realtime: false,
    seed: options.seed,
    batchSize: 1000,
    bucket: names.dataBucket,
    s3,
    // Every vehicle on its own identity: registered in IoT, its own credentials, its own objects.
    uploadMode: UPLOAD_MODE.PerVehicle,
    prepare: async (fleet) => void (identities = await provisionLocalFleet(cloud, fleet.vehicles)),
    vehicleS3: (vin) => identities!.s3For(vin),
    agent: lockstepAgent,
  });
  simulationRef.stop = simulation.stop;
  const summary = await simulation.done;
  await runtime.waitForIdle(settleMs);
  campaign = await readCampaign();
  const drainUntil = performance.now() + (options.drainMinutes ?? 0) * 60_000;
  while (!options.done(campaign) && performance.now() < drainUntil) {
    await sleep(DRAIN_TICK_MS);
    campaign = await tickAndRead();
    await options.onMinute?.(minutes, campaign);
  }
  identities?.destroy();
  return {
    campaignId,
    campaign,
    credentialFetches: identities?.stats.fetches ?? 0,
    simulation: summary,
    agent: agent.stats(),
    fleet: simulation.fleet.vehicles,
    minutes,
    wallMs: performance.now() - started,
    names,
    store,
  };
}
