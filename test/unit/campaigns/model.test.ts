/** The one vocabulary of job and campaign states every part derives its groups from. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  ACTIVE_CAMPAIGN_STATES,
  ACTIVE_JOB_STATES,
  CAMPAIGN_STATE,
  FAILURE_JOB_STATES,
  JOB_STATES,
  MANUALLY_RETRYABLE_JOB_STATES,
  OUTCOME_JOB_STATES,
  RETRYABLE_JOB_STATES,
  TERMINAL_CAMPAIGN_STATES,
  UNSTARTED_JOB_STATES,
  countJobsIn,
  emptyJobCounts,
} from "../../../campaigns/model.js";

const within = (part: readonly string[], whole: readonly string[]) => part.every((state) => whole.includes(state));

test("every job state is either still moving or an outcome, never both", () => {
  for (const state of JOB_STATES) {
    assert.is(Number(ACTIVE_JOB_STATES.includes(state)) + Number(OUTCOME_JOB_STATES.includes(state)), 1, state);
  }
});

test("the groups nest: unstarted ⊂ moving, retryable ⊂ manually retryable, failures ⊂ outcomes, retryable ⊂ failures", () => {
  assert.ok(within(UNSTARTED_JOB_STATES, ACTIVE_JOB_STATES));
  assert.ok(within(RETRYABLE_JOB_STATES, MANUALLY_RETRYABLE_JOB_STATES));
  assert.ok(within(FAILURE_JOB_STATES, OUTCOME_JOB_STATES));
  assert.ok(within(RETRYABLE_JOB_STATES, FAILURE_JOB_STATES));
  assert.not.ok(FAILURE_JOB_STATES.includes("CANCELED"), "a canceled job is no failure");
});

test("active and terminal campaign states do not overlap", () => {
  assert.equal(ACTIVE_CAMPAIGN_STATES, [CAMPAIGN_STATE.Running, CAMPAIGN_STATE.Paused]);
  assert.not.ok(ACTIVE_CAMPAIGN_STATES.some((state) => TERMINAL_CAMPAIGN_STATES.includes(state)));
});

test("countJobsIn sums a group's counters, missing states counting zero", () => {
  const counts = { ...emptyJobCounts(), QUEUED: 2, DEFERRED: 1, IN_PROGRESS: 4, FAILED: 3, TIMED_OUT: 1 };
  assert.is(countJobsIn(counts, ACTIVE_JOB_STATES), 7);
  assert.is(countJobsIn(counts, UNSTARTED_JOB_STATES), 3);
  assert.is(countJobsIn({ FAILED: 2 }, FAILURE_JOB_STATES), 2);
});

test.run();
