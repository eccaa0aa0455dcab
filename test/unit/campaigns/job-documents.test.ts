/**
 * Which job holds its vehicle's document slot against other campaigns (campaigns/job-documents.ts holdsVehicle):
 * pure, from the job, its campaign and the time.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { holdsVehicle } from "../../../campaigns/job-documents.js";
import type { CampaignState, Job } from "../../../campaigns/model.js";
import { T0, campaign, job, minutesAfter } from "./support/factories.js";

const installing = (overrides: Partial<Job> = {}): Job =>
  job({ state: "IN_PROGRESS", substate: "INSTALLING", inProgressSince: T0.toISOString(), lastProgressAt: T0.toISOString(), ...overrides });
const failedWithRetry = job({ state: "FAILED", nextRetryAt: minutesAfter(5).toISOString() });
const of = (state: CampaignState) => campaign({ state }, { inProgressTimeoutMinutes: 30, maxInProgressMinutes: 120 });

const cases: [string, Job, CampaignState, number, boolean][] = [
  ["a rolling campaign's job installing", installing(), "RUNNING", 10, true],
  ["a rolling campaign's failed job with a retry ahead", failedWithRetry, "RUNNING", 10, true],
  ["a paused campaign's failed job with a retry ahead", failedWithRetry, "PAUSED", 10, true],
  ["a rolling campaign's failed job, retries used up", job({ state: "FAILED" }), "RUNNING", 10, false],
  ["a canceled campaign's job still installing (reported 10 min ago)", installing(), "CANCELED", 10, true],
  ["an aborted campaign's job still installing, reporting", installing({ lastProgressAt: minutesAfter(100).toISOString() }), "ABORTED", 110, true],
  ["a canceled campaign's job silent past its timeout", installing(), "CANCELED", 31, false],
  ["an aborted campaign's job reporting but past maxInProgressMinutes", installing({ lastProgressAt: minutesAfter(119).toISOString() }), "ABORTED", 120, false],
  ["a canceled campaign's failed job with a stray retry (a report racing the cancel)", failedWithRetry, "CANCELED", 10, false],
  ["a completed campaign's timed-out job with a stray retry", job({ state: "TIMED_OUT", nextRetryAt: minutesAfter(5).toISOString() }), "COMPLETED", 10, false],
];

for (const [name, holder, state, minutes, holds] of cases) {
  test(`${name}: ${holds ? "holds" : "does not hold"} the vehicle`, () => {
    assert.is(holdsVehicle(holder, of(state), minutesAfter(minutes)), holds);
  });
}

test("a job whose campaign is gone holds nothing", () => {
  assert.is(holdsVehicle(installing(), undefined, minutesAfter(1)), false);
});

test.run();
