/**
 * End to end on the local cloud, a campaign that succeeds: operator CLI, the simulated fleet with its
 * OTA agent (2% injected install failures), telemetry processor, update manager and rollout ticker,
 * through S3, EventBridge, SQS and DynamoDB with the deployed bundles. 100 vehicles in CI; the issue's
 * 1,000 with FLEETOTA_E2E_VEHICLES=1000 (see the README for its wall time).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { JOB_STATE, OUTCOME_JOB_STATES, type TransitionRecord } from "../../../campaigns/model.js";
import { listJobs } from "../../../campaigns/read-model.js";
import { runCampaign } from "./support/campaign-run.js";
import { campaignCloudForSuite, e2eFleetSize, permissivePreconditions, progress } from "./support/local-cloud.js";
import { assertEachVehicleCountedOnce } from "./support/vehicle-outcomes.js";

const VEHICLES = e2eFleetSize(100);
const FAILURE_OR_SUCCESS = new Set<string>([JOB_STATE.Succeeded, JOB_STATE.Failed, JOB_STATE.RolledBack, JOB_STATE.TimedOut, JOB_STATE.Rejected]);

/** A job's history cut into its attempts: a retry (an outcome state back to QUEUED) starts the next. */
function attemptsOf(history: readonly TransitionRecord[]): TransitionRecord[][] {
  const attempts: TransitionRecord[][] = [[]];
  for (const record of history) {
    if (record.to === JOB_STATE.Queued && FAILURE_OR_SUCCESS.has(record.from)) attempts.push([]);
    attempts.at(-1)!.push(record);
  }
  return attempts;
}
// The update side's clock is the wall clock, the fleet's is simulated (a simulated minute takes 5–30 s of
// wall time here); a larger fleet makes a simulated minute longer, so the wall-clock limits grow with it
// (1 minute up to 200 vehicles, 5 at 1,000). Each limit stays at least twice the longest gap between two
// reports of an online vehicle (one simulated minute, see the heartbeat below).
const TIMEOUT_MINUTES = Math.max(1, Math.ceil(VEHICLES / 200));
const { workspace, cloud } = campaignCloudForSuite(test);

test("with 2% injected failures a campaign completes with every admitted vehicle SUCCEEDED or accounted for", async () => {
  const run = await runCampaign({
    cloud: cloud(),
    workspace,
    vehicles: VEHICLES,
    seed: 202,
    targetVersion: "2.5.0",
    faults: { installFailure: 0.02 },
    // A heartbeat every simulated minute keeps online vehicles inside the (wall clock) in-progress
    // timeout; a vehicle parked in a dead zone goes silent and is TIMED_OUT, as on the road. A failed or
    // timed-out job is retried once; a vehicle that stays offline through its retry is TIMED_OUT unstarted
    // after the start timeout, so it cannot hold the campaign open. Install and reboot check take a
    // simulated minute each (one agent tick apiece: downloading, installing, verifying, then the outcome).
    agentTimings: { heartbeatMs: 60_000, installMs: 60_000, verifyMs: 30_000 },
    definition: `waves:
  - { percent: 10, soakMinutes: 0, successThresholdPercent: 80 }
  - { percent: 100, soakMinutes: 0, successThresholdPercent: 80 }
abortCriteria:
  - { failureKind: ANY, thresholdPercent: 25, minimumSample: 10, action: PAUSE }
retries: { max: 1, backoffBaseSeconds: 1, backoffCapSeconds: 2 }
inProgressTimeoutMinutes: ${TIMEOUT_MINUTES}
startTimeoutMinutes: ${TIMEOUT_MINUTES}
${permissivePreconditions}`,
    maxMinutes: 60,
    // A vehicle still offline when the simulation ends can only time out: an in-progress or start
    // timeout, the retry's backoff, then a start timeout for the retry.
    drainMinutes: TIMEOUT_MINUTES * 3,
    done: (campaign) => campaign.state === "COMPLETED" || campaign.state === "PAUSED" || campaign.state === "ABORTED",
    onMinute: progress,
  });

  const jobs = await listJobs(run.store, run.campaignId);
  const byVin = new Map(jobs.map((job) => [job.vin, job]));
  const succeeded = jobs.filter((job) => job.state === JOB_STATE.Succeeded);
  const unsuccessful = jobs.filter((job) => job.state !== JOB_STATE.Succeeded);
  const updatedVehicles = run.fleet.filter((vehicle) => vehicle.firmwareVersion === "2.5.0");

  console.log(
    `2% run: ${run.minutes} simulated minutes in ${(run.wallMs / 1000).toFixed(0)} s; ${run.campaign.state}; ${jobs.length} jobs, ` +
      `${succeeded.length} succeeded (${jobs.filter((job) => job.attempt > 1).length} jobs retried), ${unsuccessful.length} not (${unsuccessful.map((job) => `${job.state}: ${job.stateReason}`).join(" | ")})`,
  );
  const frontDoor = cloud().identity.frontDoor;
  console.log(`identity: ${run.credentialFetches} credentials requests, ${frontDoor.allowed} vehicle requests allowed by the front door, ${frontDoor.refused} refused`);
  assert.is(frontDoor.refused, 0, "a genuine vehicle request was refused");
  assert.ok(run.credentialFetches >= jobs.length, "an admitted vehicle uploaded without credentials of its own");
  assert.is(run.campaign.state, "COMPLETED", run.campaign.stateReason);
  assert.ok(jobs.length >= VEHICLES * 0.9, `only ${jobs.length} of ${VEHICLES} vehicles admitted`);
  assert.ok(jobs.every((job) => OUTCOME_JOB_STATES.includes(job.state)), "a job is still moving");
  assert.ok(unsuccessful.every((job) => (job.stateReason ?? "").length > 0), "an unsuccessful job without a reason");
  assert.ok(succeeded.length >= jobs.length * 0.9, `${succeeded.length} of ${jobs.length} succeeded`);
  assert.ok(succeeded.every((job) => run.fleet.find((vehicle) => vehicle.vin === job.vin)?.firmwareVersion === "2.5.0"), "a SUCCEEDED job whose vehicle does not run the target");
  // A vehicle may finish while silent (offline) after its job timed out: it runs the target, its job says TIMED_OUT.
  assert.ok(updatedVehicles.every((vehicle) => [JOB_STATE.Succeeded, JOB_STATE.TimedOut].includes(byVin.get(vehicle.vin)?.state as "SUCCEEDED")));
  const counted = Object.values(run.campaign.counts).reduce((sum, count) => sum + count, 0);
  assert.is(counted, jobs.length, "campaign counters agree with the jobs");
  // With one retry allowed, a job can only end FAILED or TIMED_OUT on its second attempt.
  const retriable = jobs.filter((job) => job.state === JOB_STATE.Failed || job.state === JOB_STATE.TimedOut);
  assert.ok(retriable.every((job) => job.attempt === 2 && job.nextRetryAt === undefined), "a failed job that was not retried");
  // `outcomes` (the campaign page's retry and timeout figures) count each attempt once, as what it finally was (a timeout repeated in an attempt adds none, a
  // late final report replaces its attempt's timeout): one per attempt whose history enters an outcome state.
  const outcomes = Object.values(run.campaign.outcomes).reduce((sum, count) => sum + count, 0);
  const attemptsWithAnOutcome = jobs
    .flatMap((job) => attemptsOf(job.history))
    .filter((attempt) => attempt.some((record) => FAILURE_OR_SUCCESS.has(record.to))).length;
  assert.is(outcomes, attemptsWithAnOutcome, "campaign outcome totals agree with the jobs' histories");
  // The abort criteria count vehicles, not attempts: each job once, as its latest counted outcome (a vehicle that
  // failed and then succeeded on its retry is one success), so here each job counts as the outcome state it ended in.
  await assertEachVehicleCountedOnce(run.store, run.campaignId);
});

test.run();
