import type { VehicleSnapshot } from "../../contracts/update-messages.js";
import type { Campaign, CampaignDefinition, Job, JobState, OutcomeTotals, TransitionRecord } from "../model.js";

/**
 * The campaign store: what the update service, the ticker, the read model and the CLI may ask of the
 * campaigns' persistence, by concern. Made once (`dynamoCampaignStore` on the state table,
 * `memoryCampaignStore` for fast tests) and passed in. Every write is conditional: a lost race is a
 * typed error (errors.ts) the caller decides on, never a silent overwrite.
 */
export interface CampaignStore {
  readonly campaigns: CampaignRecords;
  readonly jobs: JobRecords;
  readonly targets: TargetRecords;
  readonly commands: CommandRecords;
}

export interface CampaignRecords {
  /** Stores a new campaign in DRAFT (id defaults to a sortable unique one); CampaignExistsError if the id is taken. */
  create(definition: CampaignDefinition, options: { now: string; campaignId?: string }): Promise<Campaign>;
  /** One campaign (strongly consistent). */
  get(campaignId: string): Promise<Campaign | undefined>;
  /** Every campaign, oldest first. */
  list(): Promise<Campaign[]>;
  /**
   * Writes a campaign-level change (state, wave, baseline) if nobody changed the campaign since `before`
   * was read (else StaleCampaignError), with its transition record. A change of `outcomesEpoch` (a resume taking
   * the baseline) also requires `vehicleOutcomes` to be as read, so the baseline is exactly the counters it replaces; a
   * completion requires `eligible` and `admitted` as read (no vehicle admitted, recorded or forgotten since). With `commandKey`, the command is marked
   * processed in the same transaction (DuplicateCommandError if it already was).
   */
  saveChange(before: Campaign, after: Campaign, record: TransitionRecord, options?: { commandKey?: string }): Promise<Campaign>;
  /** The campaign's recorded transitions, oldest first (a job's are in `job.history`). */
  history(campaignId: string): Promise<TransitionRecord[]>;
  /** The transitions recorded after `revision` (-1: all), oldest first, each with its revision (strongly consistent). */
  changesSince(campaignId: string, revision: number): Promise<RevisionedTransition[]>;
}

/** A recorded campaign transition with the campaign revision it was written at. */
export interface RevisionedTransition extends TransitionRecord {
  revision: number;
}

/** What a job transition changes in the campaign's counters besides the per-state counts. */
export interface CounterDelta {
  /** Outcome totals to add, one per attempt (the campaign page's retry and timeout figures). */
  outcomes?: Partial<OutcomeTotals>;
  /** Per-vehicle outcomes to add (a vehicle's new outcome +1, its former one -1): the abort criteria's base. */
  vehicleOutcomes?: Partial<OutcomeTotals>;
  /** To add to the criteria's baseline (a vehicle counted before the last resume changed its outcome). */
  baseline?: Partial<OutcomeTotals>;
  /**
   * The campaign's `outcomesEpoch` the delta was computed for: with it, the counters change only while the campaign
   * is still at that epoch (else StaleCampaignError, nothing written), so a resume in between is never miscounted.
   */
  epoch?: number;
  /**
   * The job written keeps (or sets) a retry or its TIMED_OUT document (model.ts `keptForUnendedCampaign`), or takes its
   * retry (a new attempt), which only a campaign that has not ended allows: written only while the campaign is in an unended state (not CANCELED, ABORTED
   * or COMPLETED, nor gone), in the same transaction as the job (else StaleCampaignError, nothing written), so a
   * campaign that ended after the caller read it never gets one; the caller re-reads and writes the job as the ended
   * campaign wants it. Costs nothing: the condition rides on the campaign update the transaction holds anyway.
   */
  whileNotEnded?: boolean;
}

export interface AdmitOptions {
  /** The open wave's capacity; the admission fails with WaveClosedError when `admitted` reached it. */
  capacity: number;
  /** The vehicle seen for the first time: its eligibility is recorded in the same transaction. */
  firstSighting?: VehicleSnapshot;
}

export interface JobRecords {
  /** One vehicle's job in a campaign (strongly consistent). */
  get(campaignId: string, vin: string): Promise<Job | undefined>;
  /** A campaign's jobs, all or those in one state (eventually consistent). */
  list(campaignId: string, state?: JobState): Promise<Job[]>;
  /**
   * A campaign's jobs that owe their withdrawal (model.ts `owesWithdrawal`), read off a sparse index that holds only
   * those (eventually consistent: a job that just began to owe may be missing for a moment).
   */
  listOwingWithdrawal(campaignId: string): Promise<Job[]>;
  /**
   * Creates the job and counts it against the open wave, atomically. WaveClosedError when the campaign is
   * not RUNNING in `job.wave` with room; StaleJobError when the job exists (admitted by someone else);
   * TargetExistsError when `firstSighting` is given but the vehicle was recorded before; NotWaitingError when it is
   * not given and the vehicle is not waiting (forgotten since it was read, or never recorded). Nothing written then.
   */
  admit(job: Job, options: AdmitOptions): Promise<void>;
  /**
   * Writes a transition (its record already in `after.history`) if the job is still at `before.revision`
   * (else StaleJobError) and, with `delta.epoch`, the campaign still at that `outcomesEpoch`, with
   * `delta.whileNotEnded`, the campaign not ended (else StaleCampaignError), moving the campaign's counters with it,
   * all or nothing. Returns the job as stored.
   */
  saveTransition(before: Job, after: Job, delta?: CounterDelta): Promise<Job>;
  /** Records a job fact that is not a transition (e.g. its document was published), conditional on the revision. */
  saveFields(before: Job, after: Job): Promise<Job>;
}

export interface TargetRecords {
  /** Whether the campaign has seen the vehicle before (it waits for a wave, or was admitted). */
  isKnown(campaignId: string, vin: string): Promise<boolean>;
  /** Remembers a vehicle first seen matching the campaign, waiting, counted once in `eligible`; false when recorded before. */
  recordFirstSighting(campaignId: string, vehicle: VehicleSnapshot, now: string): Promise<boolean>;
  /** Keeps the latest snapshot of a vehicle still waiting, only forwards in time (a no-op otherwise). */
  refreshWaiting(campaignId: string, vehicle: VehicleSnapshot, now: string): Promise<void>;
  /** Vehicles waiting for room in a wave, oldest sighting first, with their last snapshot. */
  listWaiting(campaignId: string, limit: number): Promise<VehicleSnapshot[]>;
  /**
   * Forgets a vehicle still waiting (refused at admission): off the waiting list and out of `eligible`, in one
   * transaction, as if never seen (its next sighting is a first sighting again). False, changing nothing, when it
   * is not waiting (admitted meanwhile, forgotten already, or never recorded).
   */
  forgetWaiting(campaignId: string, vin: string, now: string): Promise<boolean>;
}

export interface CommandRecords {
  /** True when the command's idempotency key was already processed. */
  isProcessed(idempotencyKey: string): Promise<boolean>;
}
