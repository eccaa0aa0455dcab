import { test } from "uvu";
import * as assert from "uvu/assert";
import { orderedJobCounts, shapeCampaigns } from "../../../../functions/dashboard-publisher/campaign-view.js";
import { campaignSummary } from "./support/factories.js";

const now = new Date("2026-11-26T18:00:00.000Z");

test("orders job states along the job lifecycle, unknown ones last, zero counts dropped", () => {
  const jobs = orderedJobCounts({ FAILED: 2, MYSTERY: 1, queued: 3, SUCCEEDED: 4, IN_PROGRESS: 0 });

  assert.equal(jobs.map((job) => job.state), ["QUEUED", "SUCCEEDED", "FAILED", "MYSTERY"]);
});

test("computes succeeded, failed (all failure kinds) and percent complete", () => {
  const summary = campaignSummary({
    targeted: 200,
    jobCounts: { SUCCEEDED: 100, FAILED: 10, TIMED_OUT: 5, ROLLED_BACK: 3, REJECTED: 2, IN_PROGRESS: 30, QUEUED: 50 },
  });

  const [view] = shapeCampaigns([summary], now).campaigns;

  assert.is(view?.succeeded, 100);
  assert.is(view?.failed, 20);
  assert.is(view?.percentComplete, 60);
  assert.equal(view?.wave, { current: 2, total: 4 });
});

test("never reports fewer targeted vehicles than jobs it counts", () => {
  const [view] = shapeCampaigns([campaignSummary({ targeted: undefined, jobCounts: { SUCCEEDED: 3, QUEUED: 1 } })], now).campaigns;

  assert.is(view?.targeted, 4);
  assert.is(view?.percentComplete, 75);
});

test("lists running and paused campaigns first and counts those past the cap", () => {
  const summaries = [
    campaignSummary({ campaignId: "done", state: "COMPLETED", updatedAt: "2026-11-26T17:59:00Z" }),
    campaignSummary({ campaignId: "paused", state: "PAUSED", updatedAt: "2026-11-26T10:00:00Z" }),
    campaignSummary({ campaignId: "old", state: "CANCELED", updatedAt: "2026-11-20T10:00:00Z" }),
  ];

  const doc = shapeCampaigns(summaries, now, { maxCampaigns: 2 });

  assert.equal(doc.campaigns.map((campaign) => campaign.campaignId), ["paused", "done"]);
  assert.is(doc.omitted, 1);
});

test.run();
