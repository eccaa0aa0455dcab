import { SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Test } from "uvu";
import { namesFromLocalDescription } from "../../../../cli/target.js";
import { startLocalCloud, type LocalCloud } from "../../../../local/cloud.js";

/** FLEETOTA_E2E_LOG=1 prints the local cloud's warnings and errors (function output included) and each minute's progress. */
const consoleLog = {
  debug() {},
  info() {},
  warn: (message: string, ...extra: unknown[]) => console.warn("warn", message, ...extra.map((item) => JSON.stringify(item))),
  error: (message: string, ...extra: unknown[]) => console.error("error", message, ...extra.map((item) => JSON.stringify(item))),
};

let firstMinuteAt: number | undefined;
export const progress = (minute: number, campaign: { state: string; waveIndex: number; admitted: number; counts: Record<string, number> }): void => {
  firstMinuteAt ??= performance.now();
  const wallSeconds = ((performance.now() - firstMinuteAt) / 1000).toFixed(0);
  if (process.env.FLEETOTA_E2E_LOG) console.log(`minute ${minute} (+${wallSeconds} s): ${campaign.state} wave ${campaign.waveIndex + 1} admitted ${campaign.admitted} ${JSON.stringify(campaign.counts)}`);
};

/**
 * One test file's local cloud and the workspace the CLI runs in: started before the file's tests, stopped
 * after them. `cloud()` is valid inside a test.
 *
 * @example
 * const { workspace, cloud } = campaignCloudForSuite(test);
 */
export function campaignCloudForSuite(suite: Test): { workspace: string; cloud: () => LocalCloud } {
  const workspace = mkdtempSync(join(tmpdir(), "fleetota-e2e-"));
  let cloud: LocalCloud | undefined;
  suite.before(async () => {
    cloud = await startCampaignCloud(workspace);
  });
  suite.after(async () => {
    await cloud?.stop();
  });
  return { workspace, cloud: () => cloud! };
}

/**
 * A local cloud for an end-to-end campaign, its description written into the workspace for the CLI.
 * Schedules and alarms run only when the test says (lock step).
 */
async function startCampaignCloud(workspace: string): Promise<LocalCloud> {
  mkdirSync(join(workspace, ".fleetota"), { recursive: true });
  const cloud = await startLocalCloud({
    log: process.env.FLEETOTA_E2E_LOG ? consoleLog : undefined,
    runtime: true,
    stateFile: join(workspace, ".fleetota", "local.json"),
    runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0, pollWaitSeconds: 1 },
  });
  // Test speed-up: a failed message comes back after 10 s instead of 6 × the function timeout (every
  // consumer is idempotent, so only the wait changes).
  const sqs = new SQSClient(cloud.clientConfig);
  const names = namesFromLocalDescription(cloud.description);
  const telemetryQueueUrl = cloud.description.eventSourceMappings.find((mapping) => mapping.functionName.endsWith("-telemetry-processor"))?.queueUrl;
  for (const queueUrl of [names.updateQueueUrl, names.commandQueueUrl, telemetryQueueUrl]) {
    if (queueUrl) await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: "10" } }));
  }
  return cloud;
}

export const permissivePreconditions = `preconditions:
  requireParked: false
  minStateOfChargePercent: 10
  connectivity: [good, weak]
`;

/** The fleet size of an end-to-end campaign: FLEETOTA_E2E_VEHICLES when set (the 1,000), the CI default otherwise. */
export function e2eFleetSize(ciDefault: number): number {
  const requested = process.env.FLEETOTA_E2E_VEHICLES;
  if (requested === undefined || requested === "") return ciDefault;
  const vehicles = Number(requested);
  if (!Number.isInteger(vehicles) || vehicles < 10) throw new Error(`FLEETOTA_E2E_VEHICLES must be an integer of at least 10, got "${requested}"`);
  return vehicles;
}
