import * as assert from "uvu/assert";
import { OUTCOME_OF_STATE } from "../../../../campaigns/job-machine.js";
import type { Job } from "../../../../campaigns/model.js";
import { listJobs } from "../../../../campaigns/read-model.js";
import type { CampaignStore } from "../../../../campaigns/store/index.js";
import { OUTCOME_KEYS as KINDS } from "../../../../campaigns/store/keys.js";
const revisions = (jobs: readonly Job[]): string => jobs.map((job) => `${job.vin}@${job.revision}`).join();

/**
 * The abort criteria's counters agree with the jobs: each vehicle counted once, as its latest counted outcome
 * (`job.countedOutcome`), and a job that ended in an outcome state counts as that outcome, whatever its
 * attempts before (a vehicle failing every retry is one failure, one that failed and then succeeded one success).
 * The campaign is read between two listings of its jobs that agree (a job still moving is waited for).
 *
 * @example
 * await assertEachVehicleCountedOnce(run.store, run.campaignId);
 */
export async function assertEachVehicleCountedOnce(store: CampaignStore, campaignId: string): Promise<void> {
  for (let read = 1; ; read++) {
    const before = await listJobs(store, campaignId);
    const campaign = (await store.campaigns.get(campaignId))!;
    const jobs = await listJobs(store, campaignId);
    if (revisions(before) !== revisions(jobs) && read < 10) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      continue;
    }
    for (const kind of KINDS) {
      const vehicles = jobs.filter((job) => job.countedOutcome === kind).length;
      assert.is(campaign.vehicleOutcomes[kind], vehicles, `criteria count ${campaign.vehicleOutcomes[kind]} vehicles ${kind}, the jobs say ${vehicles}`);
    }
    for (const job of jobs) {
      const outcome = OUTCOME_OF_STATE[job.state];
      if (outcome) assert.is(job.countedOutcome, outcome, `job ${job.jobId} is ${job.state} but counts as ${job.countedOutcome}`);
    }
    const finished = KINDS.reduce((sum, kind) => sum + campaign.vehicleOutcomes[kind], 0);
    assert.ok(finished <= jobs.length, `${finished} vehicles finished of ${jobs.length} jobs`);
    return;
  }
}
