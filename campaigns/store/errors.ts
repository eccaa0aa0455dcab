/**
 * What a store write reports when it cannot be applied. Every one of them is a decision the caller makes
 * (re-read and decide again, skip, or count as done); none is a fault of the store.
 */

/** The job write lost a race (another writer changed the job first); re-read and decide again. */
export class StaleJobError extends Error {
  override readonly name = "StaleJobError";
  constructor(readonly jobId: string) {
    super(`job ${jobId} changed concurrently`);
  }
}

/** The campaign record changed (state or wave) since it was read; re-read and decide again. */
export class StaleCampaignError extends Error {
  override readonly name = "StaleCampaignError";
  constructor(readonly campaignId: string) {
    super(`campaign ${campaignId} changed concurrently`);
  }
}

/** Admission refused: the campaign is not RUNNING in that wave any more, or the wave is full. */
export class WaveClosedError extends Error {
  override readonly name = "WaveClosedError";
  constructor(readonly campaignId: string) {
    super(`campaign ${campaignId} is not admitting vehicles (wave full, moved on, or not running)`);
  }
}

/** The vehicle's eligibility was already recorded (it waited for a wave); admit it as a waiting vehicle. */
export class TargetExistsError extends Error {
  override readonly name = "TargetExistsError";
  constructor(readonly campaignId: string, readonly vin: string) {
    super(`vehicle ${vin} is already eligible for campaign ${campaignId}`);
  }
}

/**
 * Admission of a waiting vehicle refused: it is not waiting any more (forgotten as refused since it was read, or
 * never recorded); nothing written. Seen again, it is a first sighting.
 */
export class NotWaitingError extends Error {
  override readonly name = "NotWaitingError";
  constructor(readonly campaignId: string, readonly vin: string) {
    super(`vehicle ${vin} is not waiting for campaign ${campaignId}`);
  }
}

export class CampaignExistsError extends Error {
  override readonly name = "CampaignExistsError";
  constructor(readonly campaignId: string) {
    super(`campaign ${campaignId} already exists`);
  }
}

export class CampaignNotFoundError extends Error {
  override readonly name = "CampaignNotFoundError";
  constructor(readonly campaignId: string) {
    super(`campaign ${campaignId} does not exist`);
  }
}

/** The command's idempotency key was already processed. */
export class DuplicateCommandError extends Error {
  override readonly name = "DuplicateCommandError";
  constructor(readonly idempotencyKey: string) {
    super(`command ${idempotencyKey} was already processed`);
  }
}
