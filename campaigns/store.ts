import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";
import type { VehicleSnapshot } from "../contracts/update-messages.js";
import {
  CAMPAIGN_STATE,
  JOB_STATES,
  emptyJobCounts,
  emptyOutcomes,
  type Campaign,
  type CampaignDefinition,
  type CampaignState,
  type Job,
  type JobCounts,
  type JobState,
  type OutcomeTotals,
  type TransitionRecord,
} from "./model.js";

/**
 * The campaigns' persistence in the single state table (ENV.STATE_TABLE). Item layout:
 *
 * | item                | pk                       | sk                        | gsi1pk                      | gsi1sk                 |
 * |---------------------|--------------------------|---------------------------|-----------------------------|------------------------|
 * | campaign            | `CAMPAIGN#<id>`          | `META`                    | `CAMPAIGNS`                 | `<createdAt>#<id>`     |
 * | campaign transition | `CAMPAIGN#<id>`          | `HIST#<revision:8>`       |                             |                        |
 * | vehicle job         | `CAMPAIGN#<id>`          | `JOB#<VIN>`               | `JOBS#<id>#<state>`         | `<updatedAt>#<VIN>`    |
 * | eligible vehicle    | `CAMPAIGN#<id>`          | `TARGET#<VIN>`            | `WAITING#<id>` while waiting| `<seenAt>#<VIN>`       |
 * | processed command   | `COMMAND#<idempotencyKey>` | `MARK`                  |                             |                        |
 *
 * A job keeps its own transitions in its item (`history`, bounded), so a transition is one job write plus
 * one counter update — two items per transaction, and no item per transition to store and pay for.
 * Campaign counters are flat attributes (`count_<STATE>`, `outcome_<kind>`, `eligible`, `admitted`) changed
 * with ADD in the same transaction as the job write, so they never drift from the jobs. Job writes are
 * conditional on the job's `revision` (optimistic concurrency); campaign-state writes on the campaign's.
 * Campaign transition and command items carry `expiresAt` (TTL) so they do not accumulate forever.
 */

export const HISTORY_RETENTION_DAYS = 180;
export const COMMAND_MARK_RETENTION_DAYS = 14;

export const campaignPk = (campaignId: string): string => `CAMPAIGN#${campaignId}`;
export const CAMPAIGN_SK = "META";
export const CAMPAIGNS_INDEX_PK = "CAMPAIGNS";
export const jobSk = (vin: string): string => `JOB#${vin}`;
export const jobStateIndexPk = (campaignId: string, state: JobState): string => `JOBS#${campaignId}#${state}`;
export const targetSk = (vin: string): string => `TARGET#${vin}`;
export const waitingIndexPk = (campaignId: string): string => `WAITING#${campaignId}`;
const pad = (revision: number): string => String(revision).padStart(8, "0");
const countAttr = (state: JobState): string => `count_${state}`;
const OUTCOME_KEYS = ["succeeded", "failed", "timedOut", "rolledBack", "rejected"] as const;
const outcomeAttr = (key: keyof OutcomeTotals): string => `outcome_${key}`;

const epochSeconds = (iso: string, plusDays: number): number => Math.floor(Date.parse(iso) / 1000) + plusDays * 86_400;

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

function stripUndefined<T extends Record<string, unknown>>(item: T): T {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined)) as T;
}

function cancellationCodes(error: unknown): string[] | undefined {
  if ((error as { name?: string }).name !== "TransactionCanceledException") return undefined;
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? "None");
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string }).name === "ConditionalCheckFailedException";
}

// ── campaign items ──────────────────────────────────────────────────────────────────────────────────

function campaignItem(campaign: Campaign): Record<string, unknown> {
  const counters = Object.fromEntries(JOB_STATES.map((state) => [countAttr(state), campaign.counts[state]]));
  const outcomes = Object.fromEntries(OUTCOME_KEYS.map((key) => [outcomeAttr(key), campaign.outcomes[key]]));
  return stripUndefined({
    pk: campaignPk(campaign.campaignId),
    sk: CAMPAIGN_SK,
    gsi1pk: CAMPAIGNS_INDEX_PK,
    gsi1sk: `${campaign.createdAt}#${campaign.campaignId}`,
    type: "campaign",
    campaignId: campaign.campaignId,
    name: campaign.name,
    definition: campaign.definition,
    state: campaign.state,
    stateReason: campaign.stateReason,
    waveIndex: campaign.waveIndex,
    waveOpenedAt: campaign.waveOpenedAt,
    eligible: campaign.eligible,
    admitted: campaign.admitted,
    ...counters,
    ...outcomes,
    outcomesBaseline: campaign.outcomesBaseline,
    createdAt: campaign.createdAt,
    updatedAt: campaign.updatedAt,
    startedAt: campaign.startedAt,
    finishedAt: campaign.finishedAt,
    revision: campaign.revision,
  });
}

/** Turns a stored campaign item back into a Campaign. */
export function campaignFromItem(item: Record<string, unknown>): Campaign {
  const counts = emptyJobCounts();
  for (const state of JOB_STATES) counts[state] = Number(item[countAttr(state)] ?? 0);
  const outcomes = emptyOutcomes();
  for (const key of OUTCOME_KEYS) outcomes[key] = Number(item[outcomeAttr(key)] ?? 0);
  return stripUndefined({
    campaignId: item.campaignId as string,
    name: item.name as string,
    definition: item.definition as CampaignDefinition,
    state: item.state as CampaignState,
    stateReason: item.stateReason as string | undefined,
    waveIndex: Number(item.waveIndex ?? -1),
    waveOpenedAt: item.waveOpenedAt as string | undefined,
    eligible: Number(item.eligible ?? 0),
    admitted: Number(item.admitted ?? 0),
    counts,
    outcomes,
    outcomesBaseline: (item.outcomesBaseline as OutcomeTotals | undefined) ?? emptyOutcomes(),
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    startedAt: item.startedAt as string | undefined,
    finishedAt: item.finishedAt as string | undefined,
    revision: Number(item.revision ?? 0),
  });
}

/**
 * Stores a new campaign in DRAFT. The id defaults to a sortable, unique one.
 *
 * @example
 * const campaign = await createCampaign(doc, table, parseCampaignDefinition(input), { now: new Date().toISOString() });
 */
export async function createCampaign(
  doc: DynamoDBDocumentClient,
  table: string,
  definition: CampaignDefinition,
  options: { now: string; campaignId?: string },
): Promise<Campaign> {
  const campaignId = options.campaignId ?? newCampaignId(options.now);
  const campaign: Campaign = {
    campaignId,
    name: definition.name,
    definition,
    state: CAMPAIGN_STATE.Draft,
    waveIndex: -1,
    eligible: 0,
    admitted: 0,
    counts: emptyJobCounts(),
    outcomes: emptyOutcomes(),
    outcomesBaseline: emptyOutcomes(),
    createdAt: options.now,
    updatedAt: options.now,
    revision: 0,
  };
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: campaignItem(campaign), ConditionExpression: "attribute_not_exists(pk)" } },
          {
            Put: {
              TableName: table,
              Item: historyItem(campaignPk(campaignId), `HIST#${pad(0)}`, {
                from: "",
                to: CAMPAIGN_STATE.Draft,
                at: options.now,
                reason: "created",
                cause: "create",
              }),
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (cancellationCodes(error)?.[0] === "ConditionalCheckFailed") throw new CampaignExistsError(campaignId);
    throw error;
  }
  return campaign;
}

/** `c-20261126T173500-1a2b3c4d`: sorts by creation, unique without coordination. */
export function newCampaignId(now: string): string {
  const stamp = now.replace(/[-:]/g, "").replace(/\.\d+Z$/, "").replace(/Z$/, "");
  return `c-${stamp}-${randomUUID().slice(0, 8)}`;
}

/**
 * Reads one campaign (strongly consistent).
 *
 * @example
 * const campaign = await getCampaign(doc, table, "c-20261126T173500-1a2b3c4d");
 */
export async function getCampaign(doc: DynamoDBDocumentClient, table: string, campaignId: string): Promise<Campaign | undefined> {
  const response = await doc.send(
    new GetCommand({ TableName: table, Key: { pk: campaignPk(campaignId), sk: CAMPAIGN_SK }, ConsistentRead: true }),
  );
  return response.Item ? campaignFromItem(response.Item) : undefined;
}

/**
 * Every campaign, oldest first (the GSI partition `CAMPAIGNS`).
 *
 * @example
 * const running = (await listCampaigns(doc, table)).filter((c) => c.state === "RUNNING");
 */
export async function listCampaigns(doc: DynamoDBDocumentClient, table: string): Promise<Campaign[]> {
  const items = await queryAll(doc, {
    TableName: table,
    IndexName: "gsi1",
    KeyConditionExpression: "gsi1pk = :pk",
    ExpressionAttributeValues: { ":pk": CAMPAIGNS_INDEX_PK },
  });
  return items.map(campaignFromItem);
}

/**
 * Writes a campaign-level change (state, wave, baseline) if nobody changed the campaign since it was read,
 * with its transition record. When `commandKey` is given, the command is marked processed in the same
 * transaction (DuplicateCommandError if it already was).
 *
 * @example
 * await saveCampaignChange(doc, table, before, { ...before, state: "PAUSED" }, record, { commandKey });
 */
export async function saveCampaignChange(
  doc: DynamoDBDocumentClient,
  table: string,
  before: Campaign,
  after: Campaign,
  record: TransitionRecord,
  options: { commandKey?: string } = {},
): Promise<Campaign> {
  const revision = before.revision + 1;
  const names: Record<string, string> = {
    "#state": "state",
    "#revision": "revision",
    "#updatedAt": "updatedAt",
    "#waveIndex": "waveIndex",
    "#baseline": "outcomesBaseline",
  };
  const values: Record<string, unknown> = {
    ":state": after.state,
    ":revision": revision,
    ":expected": before.revision,
    ":updatedAt": after.updatedAt,
    ":waveIndex": after.waveIndex,
    ":baseline": after.outcomesBaseline,
  };
  const sets = ["#state = :state", "#revision = :revision", "#updatedAt = :updatedAt", "#waveIndex = :waveIndex", "#baseline = :baseline"];
  const removes: string[] = [];
  for (const field of ["stateReason", "waveOpenedAt", "startedAt", "finishedAt"] as const) {
    names[`#${field}`] = field;
    if (after[field] === undefined) removes.push(`#${field}`);
    else {
      sets.push(`#${field} = :${field}`);
      values[`:${field}`] = after[field];
    }
  }
  const transactItems: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]> = [
    {
      Update: {
        TableName: table,
        Key: { pk: campaignPk(before.campaignId), sk: CAMPAIGN_SK },
        UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
        ConditionExpression: "#revision = :expected",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
    { Put: { TableName: table, Item: historyItem(campaignPk(before.campaignId), `HIST#${pad(revision)}`, record) } },
  ];
  if (options.commandKey) transactItems.push(commandMarkPut(table, options.commandKey, record.at));
  try {
    await doc.send(new TransactWriteCommand({ TransactItems: transactItems }));
  } catch (error) {
    const codes = cancellationCodes(error);
    if (codes?.[2] === "ConditionalCheckFailed") throw new DuplicateCommandError(options.commandKey!);
    if (codes?.[0] === "ConditionalCheckFailed") throw new StaleCampaignError(before.campaignId);
    throw error;
  }
  return { ...after, revision };
}

/**
 * Marks a command processed on its own (for commands that changed no campaign state, e.g. a refused one).
 * Returns false when it had already been marked.
 */
export async function markCommandProcessed(doc: DynamoDBDocumentClient, table: string, commandKey: string, now: string): Promise<boolean> {
  try {
    await doc.send(new PutCommand(commandMarkPut(table, commandKey, now).Put));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** True when the command's idempotency key was already processed. */
export async function isCommandProcessed(doc: DynamoDBDocumentClient, table: string, commandKey: string): Promise<boolean> {
  const response = await doc.send(
    new GetCommand({ TableName: table, Key: { pk: `COMMAND#${commandKey}`, sk: "MARK" }, ConsistentRead: true }),
  );
  return response.Item !== undefined;
}

function commandMarkPut(table: string, commandKey: string, now: string) {
  return {
    Put: {
      TableName: table,
      Item: { pk: `COMMAND#${commandKey}`, sk: "MARK", type: "command", processedAt: now, expiresAt: epochSeconds(now, COMMAND_MARK_RETENTION_DAYS) },
      ConditionExpression: "attribute_not_exists(pk)",
    },
  };
}

function historyItem(pk: string, sk: string, record: TransitionRecord): Record<string, unknown> {
  return stripUndefined({ pk, sk, type: "transition", ...record, expiresAt: epochSeconds(record.at, HISTORY_RETENTION_DAYS) });
}

/**
 * A campaign's or a job's recorded transitions, oldest first.
 *
 * @example
 * const history = await listTransitions(doc, table, campaignId);          // the campaign's
 * const jobHistory = await listTransitions(doc, table, campaignId, vin);  // one job's
 */
export async function listTransitions(
  doc: DynamoDBDocumentClient,
  table: string,
  campaignId: string,
  vin?: string,
): Promise<TransitionRecord[]> {
  if (vin) return (await getJob(doc, table, campaignId, vin))?.history ?? [];
  const items = await queryAll(doc, {
    TableName: table,
    KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
    ExpressionAttributeValues: { ":pk": campaignPk(campaignId), ":prefix": "HIST#" },
  });
  return items.map((item) => ({
    from: item.from as string,
    to: item.to as string,
    at: item.at as string,
    reason: item.reason as string,
    cause: item.cause as string,
  }));
}

// ── job items ───────────────────────────────────────────────────────────────────────────────────────

function jobItem(job: Job): Record<string, unknown> {
  return stripUndefined({
    pk: campaignPk(job.campaignId),
    sk: jobSk(job.vin),
    gsi1pk: jobStateIndexPk(job.campaignId, job.state),
    gsi1sk: `${job.updatedAt}#${job.vin}`,
    type: "job",
    ...job,
  });
}

/** Turns a stored job item back into a Job. */
export function jobFromItem(item: Record<string, unknown>): Job {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, type: _t, ...job } = item;
  return job as unknown as Job;
}

/**
 * Reads one vehicle's job in a campaign (strongly consistent).
 *
 * @example
 * const job = await getJob(doc, table, campaignId, "1HGCM82633A004352");
 */
export async function getJob(doc: DynamoDBDocumentClient, table: string, campaignId: string, vin: string): Promise<Job | undefined> {
  const response = await doc.send(
    new GetCommand({ TableName: table, Key: { pk: campaignPk(campaignId), sk: jobSk(vin) }, ConsistentRead: true }),
  );
  return response.Item ? jobFromItem(response.Item) : undefined;
}

/** What a job transition changes in the campaign's counters. */
export interface CounterDelta {
  /** Outcome totals to add (cumulative, for abort criteria and metrics). */
  outcomes?: Partial<OutcomeTotals>;
}

/**
 * The Put that records a vehicle the first time the campaign sees it (its target item), failing if it
 * was recorded before; `standing` says whether it was admitted at once or waits (on the waiting index).
 */
function firstSightingPut(
  table: string,
  campaignId: string,
  vehicle: VehicleSnapshot,
  now: string,
  standing: { admittedAt: string } | { gsi1pk: string; gsi1sk: string },
) {
  return {
    TableName: table,
    Item: { pk: campaignPk(campaignId), sk: targetSk(vehicle.vin), type: "target", vehicle, seenAt: now, ...standing },
    ConditionExpression: "attribute_not_exists(pk)",
  };
}

/**
 * Admits a vehicle: creates its job and counts it against the open wave, atomically. The campaign must
 * still be RUNNING in `wave` with `admitted < capacity`, else WaveClosedError; an existing job makes
 * it a StaleJobError (somebody admitted it first: re-read). With `firstSighting`, the vehicle's
 * eligibility is recorded in the same transaction (one transaction for a vehicle admitted when first
 * seen); TargetExistsError if it had been recorded already.
 *
 * @example
 * await admitJob(doc, table, job, { capacity: 10, firstSighting: snapshot, now }); // job.history holds its first transition
 */
export async function admitJob(
  doc: DynamoDBDocumentClient,
  table: string,
  job: Job,
  options: { capacity: number; firstSighting?: VehicleSnapshot },
): Promise<void> {
  const pk = campaignPk(job.campaignId);
  const now = job.createdAt;
  const targetWrite = options.firstSighting
    ? {
        Put: firstSightingPut(table, job.campaignId, options.firstSighting, now, { admittedAt: now }),
      }
    : {
        Update: {
          TableName: table,
          Key: { pk, sk: targetSk(job.vin) },
          UpdateExpression: "SET admittedAt = :now REMOVE gsi1pk, gsi1sk",
          ExpressionAttributeValues: { ":now": now },
        },
      };
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: jobItem(job), ConditionExpression: "attribute_not_exists(pk)" } },
          {
            Update: {
              TableName: table,
              Key: { pk, sk: CAMPAIGN_SK },
              UpdateExpression: `ADD admitted :one, #count :one${options.firstSighting ? ", eligible :one" : ""} SET updatedAt = :now`,
              ConditionExpression: "#state = :running AND waveIndex = :wave AND admitted < :capacity",
              ExpressionAttributeNames: { "#count": countAttr(job.state), "#state": "state" },
              ExpressionAttributeValues: {
                ":one": 1,
                ":now": now,
                ":running": CAMPAIGN_STATE.Running,
                ":wave": job.wave,
                ":capacity": options.capacity,
              },
            },
          },
          targetWrite,
        ],
      }),
    );
  } catch (error) {
    const codes = cancellationCodes(error);
    if (codes?.[0] === "ConditionalCheckFailed") throw new StaleJobError(job.jobId);
    if (codes?.[1] === "ConditionalCheckFailed") throw new WaveClosedError(job.campaignId);
    if (codes?.[2] === "ConditionalCheckFailed") throw new TargetExistsError(job.campaignId, job.vin);
    throw error;
  }
}

/**
 * Writes a job transition (its record already appended to `after.history`) if the job is still at
 * `before.revision`, moving the campaign's counters in the same transaction. StaleJobError when it
 * lost a race.
 *
 * @example
 * await saveJobTransition(doc, table, before, after, { outcomes: { failed: 1 } });
 */
export async function saveJobTransition(
  doc: DynamoDBDocumentClient,
  table: string,
  before: Job,
  after: Job,
  delta: CounterDelta = {},
): Promise<Job> {
  const saved: Job = { ...after, revision: before.revision + 1 };
  const pk = campaignPk(before.campaignId);
  const counterNames: Record<string, string> = {};
  const counterValues: Record<string, unknown> = { ":now": saved.updatedAt };
  const adds: string[] = [];
  if (before.state !== saved.state) {
    counterNames["#from"] = countAttr(before.state);
    counterNames["#to"] = countAttr(saved.state);
    counterValues[":minus"] = -1;
    counterValues[":plus"] = 1;
    adds.push("#from :minus", "#to :plus");
  }
  for (const [key, amount] of Object.entries(delta.outcomes ?? {})) {
    if (!amount) continue;
    counterNames[`#o_${key}`] = outcomeAttr(key as keyof OutcomeTotals);
    counterValues[`:o_${key}`] = amount;
    adds.push(`#o_${key} :o_${key}`);
  }
  // A move within IN_PROGRESS (DOWNLOADING → INSTALLING) changes no counter: one conditional Put suffices.
  if (adds.length === 0) return saveJobFields(doc, table, before, after);
  const transactItems: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]> = [
    {
      Put: {
        TableName: table,
        Item: jobItem(saved),
        ConditionExpression: "#revision = :expected",
        ExpressionAttributeNames: { "#revision": "revision" },
        ExpressionAttributeValues: { ":expected": before.revision },
      },
    },
    {
      Update: {
        TableName: table,
        Key: { pk, sk: CAMPAIGN_SK },
        UpdateExpression: `ADD ${adds.join(", ")} SET updatedAt = :now`,
        ExpressionAttributeNames: counterNames,
        ExpressionAttributeValues: counterValues,
      },
    },
  ];
  try {
    await doc.send(new TransactWriteCommand({ TransactItems: transactItems }));
  } catch (error) {
    if (cancellationCodes(error)?.[0] === "ConditionalCheckFailed") throw new StaleJobError(before.jobId);
    throw error;
  }
  return saved;
}

/**
 * Records a job fact that is not a state transition (e.g. the document was published), conditional on
 * the revision like any job write.
 */
export async function saveJobFields(doc: DynamoDBDocumentClient, table: string, before: Job, after: Job): Promise<Job> {
  const saved: Job = { ...after, revision: before.revision + 1 };
  try {
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: jobItem(saved),
        ConditionExpression: "#revision = :expected",
        ExpressionAttributeNames: { "#revision": "revision" },
        ExpressionAttributeValues: { ":expected": before.revision },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new StaleJobError(before.jobId);
    throw error;
  }
  return saved;
}

/**
 * A campaign's jobs, all or those in one state (via the GSI, eventually consistent).
 *
 * @example
 * const failed = await queryJobs(doc, table, campaignId, "FAILED");
 */
export async function queryJobs(doc: DynamoDBDocumentClient, table: string, campaignId: string, state?: JobState): Promise<Job[]> {
  const items = state
    ? await queryAll(doc, {
        TableName: table,
        IndexName: "gsi1",
        KeyConditionExpression: "gsi1pk = :pk",
        ExpressionAttributeValues: { ":pk": jobStateIndexPk(campaignId, state) },
      })
    : await queryAll(doc, {
        TableName: table,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": campaignPk(campaignId), ":prefix": "JOB#" },
      });
  return items.map(jobFromItem);
}

// ── eligible vehicles ───────────────────────────────────────────────────────────────────────────────

/**
 * Whether the campaign has seen the vehicle before (it waits for a wave, or was admitted).
 *
 * @example
 * if (!(await isKnownVehicle(doc, table, campaignId, vin))) await recordFirstSighting(doc, table, campaignId, snapshot, now);
 */
export async function isKnownVehicle(doc: DynamoDBDocumentClient, table: string, campaignId: string, vin: string): Promise<boolean> {
  const response = await doc.send(
    new GetCommand({ TableName: table, Key: { pk: campaignPk(campaignId), sk: targetSk(vin) }, ProjectionExpression: "sk", ConsistentRead: true }),
  );
  return response.Item !== undefined;
}

/**
 * Remembers a vehicle first seen matching the campaign: it waits for a wave, counted once in `eligible`.
 * Returns false when a concurrent delivery of the same sighting recorded it first.
 *
 * @example
 * const recorded = await recordFirstSighting(doc, table, campaignId, snapshot, now);
 */
export async function recordFirstSighting(
  doc: DynamoDBDocumentClient,
  table: string,
  campaignId: string,
  vehicle: VehicleSnapshot,
  now: string,
): Promise<boolean> {
  const pk = campaignPk(campaignId);
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: firstSightingPut(table, campaignId, vehicle, now, { gsi1pk: waitingIndexPk(campaignId), gsi1sk: `${now}#${vehicle.vin}` }),
          },
          {
            Update: {
              TableName: table,
              Key: { pk, sk: CAMPAIGN_SK },
              UpdateExpression: "ADD eligible :one",
              ExpressionAttributeValues: { ":one": 1 },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (cancellationCodes(error)?.[0] === "ConditionalCheckFailed") return false;
    throw error;
  }
}

/**
 * Keeps the latest snapshot of a vehicle seen before, only while it still waits for a wave and only
 * forwards in time (one conditional write; a no-op for an admitted vehicle or an older sighting).
 *
 * @example
 * await refreshWaitingVehicle(doc, table, campaignId, snapshot, now);
 */
export async function refreshWaitingVehicle(
  doc: DynamoDBDocumentClient,
  table: string,
  campaignId: string,
  vehicle: VehicleSnapshot,
  now: string,
): Promise<void> {
  try {
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: campaignPk(campaignId), sk: targetSk(vehicle.vin) },
        UpdateExpression: "SET vehicle = :vehicle, seenAt = :now",
        ConditionExpression: "attribute_exists(gsi1pk) AND seenAt < :now",
        ExpressionAttributeValues: { ":vehicle": vehicle, ":now": now },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Vehicles that match a campaign and wait for room in a wave, oldest first, with their last snapshot.
 *
 * @example
 * const waiting = await listWaitingVehicles(doc, table, campaignId, 100);
 */
export async function listWaitingVehicles(
  doc: DynamoDBDocumentClient,
  table: string,
  campaignId: string,
  limit: number,
): Promise<VehicleSnapshot[]> {
  const items = await queryAll(
    doc,
    {
      TableName: table,
      IndexName: "gsi1",
      KeyConditionExpression: "gsi1pk = :pk",
      ExpressionAttributeValues: { ":pk": waitingIndexPk(campaignId) },
    },
    limit,
  );
  return items.map((item) => item.vehicle as VehicleSnapshot);
}

async function queryAll(
  doc: DynamoDBDocumentClient,
  input: ConstructorParameters<typeof QueryCommand>[0],
  limit = Number.POSITIVE_INFINITY,
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const response = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(response.Items ?? []));
    startKey = response.LastEvaluatedKey;
  } while (startKey && items.length < limit);
  return items.slice(0, limit);
}

/** Job counts by state for a campaign, as stored. */
export type { JobCounts };
