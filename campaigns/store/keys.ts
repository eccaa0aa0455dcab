import type { JobState, OutcomeTotals } from "../model.js";

/**
 * The campaigns' item layout in the single state table (ENV.STATE_TABLE):
 *
 * | item                | pk                         | sk                  | gsi1pk                       | gsi1sk              |
 * |---------------------|----------------------------|---------------------|------------------------------|---------------------|
 * | campaign            | `CAMPAIGN#<id>`            | `META`              | `CAMPAIGNS`                  | `<createdAt>#<id>`  |
 * | campaign transition | `CAMPAIGN#<id>`            | `HIST#<revision:8>` |                              |                     |
 * | vehicle job         | `CAMPAIGN#<id>`            | `JOB#<VIN>`         | `JOBS#<id>#<state>`          | `<updatedAt>#<VIN>` |
 *   (and, only while it owes its withdrawal, `owedpk` = `OWED#<id>` and `owedsk` = `<VIN>`: the sparse index `owed`)
 * | eligible vehicle    | `CAMPAIGN#<id>`            | `TARGET#<VIN>`      | `WAITING#<id>` while waiting | `<seenAt>#<VIN>`    |
 *   (a waiting vehicle refused at admission keeps its item as `refusedAt`, off the index and out of `eligible`)
 * | processed command   | `COMMAND#<idempotencyKey>` | `MARK`              |                              |                     |
 *
 * A job keeps its own transitions in its item (`history`, bounded), so a transition is one job write plus
 * one counter update — two items per transaction, and no item per transition to store and pay for.
 * Campaign counters are flat attributes (`count_<STATE>`, `outcome_<kind>`, `vehicle_<kind>`, `eligible`, `admitted`, `withdrawalsOwed`) changed
 * with ADD in the same transaction as the job write, so they never drift from the jobs. Job writes are
 * conditional on the job's `revision` (optimistic concurrency); campaign-state writes on the campaign's. A job write
 * that keeps a retry is also conditional on the campaign's `state` not being an ended one, on that same counter Update
 * (a transaction names an item once: no ConditionCheck part, no extra unit).
 * Campaign transition and command items carry `expiresAt` (TTL) so they do not accumulate forever.
 * The second GSI, `owed`, holds only the jobs that owe their withdrawal (model.ts `owesWithdrawal`): every job write
 * is a whole Put, which sets its keys while the job owes and leaves them out once its withdrawal is confirmed, so a
 * campaign's ticker reads just those jobs, however many ended jobs it has.
 */

export const HISTORY_RETENTION_DAYS = 180;
export const COMMAND_MARK_RETENTION_DAYS = 14;

/** Partition-key prefixes of the campaign items; the stack's IAM conditions (dynamodb:LeadingKeys) use them too. */
export const CAMPAIGN_PK_PREFIX = "CAMPAIGN#";
export const COMMAND_PK_PREFIX = "COMMAND#";
export const campaignPk = (campaignId: string): string => `${CAMPAIGN_PK_PREFIX}${campaignId}`;
export const CAMPAIGN_SK = "META";
export const CAMPAIGNS_INDEX_PK = "CAMPAIGNS";
export const historySk = (revision: number): string => `HIST#${String(revision).padStart(8, "0")}`;
export const HISTORY_SK_PREFIX = "HIST#";
export const jobSk = (vin: string): string => `JOB#${vin}`;
export const JOB_SK_PREFIX = "JOB#";
export const jobStateIndexPk = (campaignId: string, state: JobState): string => `JOBS#${campaignId}#${state}`;
export const targetSk = (vin: string): string => `TARGET#${vin}`;
export const waitingIndexPk = (campaignId: string): string => `WAITING#${campaignId}`;
export const commandKey = (idempotencyKey: string): { pk: string; sk: string } => ({ pk: `${COMMAND_PK_PREFIX}${idempotencyKey}`, sk: "MARK" });
export const INDEX_NAME = "gsi1";
/** The sparse GSI of jobs owing their withdrawal (projection ALL), and its key attributes. */
export const OWED_INDEX = { name: "owed", partitionKey: "owedpk", sortKey: "owedsk" } as const;
export const owedIndexPk = (campaignId: string): string => `OWED#${campaignId}`;

/** The campaign item's per-state job counter attribute. */
export const countAttr = (state: JobState): string => `count_${state}`;
export const OUTCOME_KEYS = ["succeeded", "failed", "timedOut", "rolledBack", "rejected"] as const satisfies ReadonlyArray<keyof OutcomeTotals>;
/** The campaign item's cumulative outcome attribute (one per attempt). */
export const outcomeAttr = (key: keyof OutcomeTotals): string => `outcome_${key}`;
/** The campaign item's per-vehicle outcome attribute (each vehicle once, the criteria's base). */
export const vehicleOutcomeAttr = (key: keyof OutcomeTotals): string => `vehicle_${key}`;
export const OUTCOMES_EPOCH_ATTR = "outcomesEpoch";
/** The campaign item's count of jobs that owe a withdrawal (model.ts `owesWithdrawal`), moved with each job write. */
export const WITHDRAWALS_OWED_ATTR = "withdrawalsOwed";

/** The TTL (`expiresAt`, epoch seconds) of an item written at `iso` and kept `days`. */
export const expiresAt = (iso: string, days: number): number => Math.floor(Date.parse(iso) / 1000) + days * 86_400;
