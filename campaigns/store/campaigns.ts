import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { randomUUID } from "node:crypto";
import {
  CAMPAIGN_STATE,
  JOB_STATES,
  emptyJobCounts,
  emptyOutcomes,
  type Campaign,
  type CampaignDefinition,
  type CampaignState,
  type OutcomeTotals,
  type TransitionRecord,
} from "../model.js";
import type { CampaignRecords, RevisionedTransition } from "./campaign-store.js";
import { commandMarkPart } from "./commands.js";
import { CampaignExistsError, DuplicateCommandError, StaleCampaignError } from "./errors.js";
import {
  CAMPAIGNS_INDEX_PK,
  CAMPAIGN_SK,
  HISTORY_RETENTION_DAYS,
  HISTORY_SK_PREFIX,
  INDEX_NAME,
  OUTCOME_KEYS,
  campaignPk,
  countAttr,
  expiresAt,
  historySk,
  OUTCOMES_EPOCH_ATTR,
  WITHDRAWALS_OWED_ATTR,
  outcomeAttr,
  vehicleOutcomeAttr,
} from "./keys.js";
import { queryAll, stripUndefined, transact, type StateTable, type TransactPart } from "./table.js";

/** `c-20261126T173500-1a2b3c4d`: sorts by creation, unique without coordination. */
export function newCampaignId(now: string): string {
  const stamp = now.replace(/[-:]/g, "").replace(/\.\d+Z$/, "").replace(/Z$/, "");
  return `c-${stamp}-${randomUUID().slice(0, 8)}`;
}

/** A new campaign in DRAFT, as `create` stores it. */
export function draftCampaign(definition: CampaignDefinition, options: { now: string; campaignId?: string }): Campaign {
  return {
    campaignId: options.campaignId ?? newCampaignId(options.now),
    name: definition.name,
    definition,
    state: CAMPAIGN_STATE.Draft,
    waveIndex: -1,
    eligible: 0,
    admitted: 0,
    counts: emptyJobCounts(),
    outcomes: emptyOutcomes(),
    vehicleOutcomes: emptyOutcomes(),
    outcomesBaseline: emptyOutcomes(),
    outcomesEpoch: 0,
    withdrawalsOwed: 0,
    createdAt: options.now,
    updatedAt: options.now,
    revision: 0,
  };
}

/** The transition record of a campaign's creation (revision 0). */
export function creationRecord(now: string): TransitionRecord {
  return { from: "", to: CAMPAIGN_STATE.Draft, at: now, reason: "created", cause: "create" };
}

/**
 * Every campaign, oldest first: one query of the index. A standalone function, so a function that only
 * lists campaigns (ticker, processor, publisher) bundles no campaign write, and its role holds none.
 *
 * @example
 * const campaigns = await listCampaigns({ doc, table: "fleetota-dev-state" });
 */
export async function listCampaigns(db: StateTable): Promise<Campaign[]> {
  const items = await queryAll(db, {
    IndexName: INDEX_NAME,
    KeyConditionExpression: "gsi1pk = :pk",
    ExpressionAttributeValues: { ":pk": CAMPAIGNS_INDEX_PK },
  });
  return items.map(campaignFromItem);
}

/**
 * A campaign's recorded transitions, oldest first. Standalone like listCampaigns, so a reader (the
 * dashboard publisher) bundles no write.
 *
 * @example
 * const history = await listCampaignHistory({ doc, table }, "c-20261126T173500-1a2b3c4d");
 */
export async function listCampaignHistory(db: StateTable, campaignId: string): Promise<TransitionRecord[]> {
  const items = await queryAll(db, {
    KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
    ExpressionAttributeValues: { ":pk": campaignPk(campaignId), ":prefix": HISTORY_SK_PREFIX },
  });
  return items.map(transitionFromItem);
}

/**
 * The transitions recorded after `revision` (-1: all), oldest first, each with its revision (the history item's sort
 * key); read strongly consistent, so a transition written before the campaign item was read is never missing.
 *
 * @example
 * const changes = await listCampaignChanges({ doc, table }, "c-20261126T173500-1a2b3c4d", 3); // revisions 4, 5, …
 */
export async function listCampaignChanges(db: StateTable, campaignId: string, revision: number): Promise<RevisionedTransition[]> {
  const items = await queryAll(db, {
    KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
    ExpressionAttributeValues: { ":pk": campaignPk(campaignId), ":from": historySk(Math.max(0, revision + 1)), ":to": `${HISTORY_SK_PREFIX}~` },
    ConsistentRead: true,
  });
  return items.map((item) => ({ ...transitionFromItem(item), revision: Number(String(item.sk).slice(HISTORY_SK_PREFIX.length)) }));
}

function transitionFromItem(item: Record<string, unknown>): TransitionRecord {
  return {
    from: item.from as string,
    to: item.to as string,
    at: item.at as string,
    reason: item.reason as string,
    cause: item.cause as string,
  };
}

/** Campaign items (one per campaign, counters as flat attributes) and their transition items. */
export function dynamoCampaignRecords(db: StateTable): CampaignRecords {
  return {
    async create(definition, options) {
      const campaign = draftCampaign(definition, options);
      const failed = await transact(db, {
        campaign: { Put: { TableName: db.table, Item: campaignItem(campaign), ConditionExpression: "attribute_not_exists(pk)" } },
        history: historyPart(db, campaign.campaignId, 0, creationRecord(options.now)),
      });
      if (failed.has("campaign")) throw new CampaignExistsError(campaign.campaignId);
      return campaign;
    },

    async get(campaignId) {
      const response = await db.doc.send(
        new GetCommand({ TableName: db.table, Key: { pk: campaignPk(campaignId), sk: CAMPAIGN_SK }, ConsistentRead: true }),
      );
      return response.Item ? campaignFromItem(response.Item) : undefined;
    },

    list: () => listCampaigns(db),

    async saveChange(before, after, record, options = {}) {
      const revision = before.revision + 1;
      const failed = await transact(db, {
        campaign: campaignChangePart(db, before, after, revision),
        history: historyPart(db, before.campaignId, revision, record),
        command: options.commandKey ? commandMarkPart(db, options.commandKey, record.at) : undefined,
      });
      if (failed.has("command")) throw new DuplicateCommandError(options.commandKey!);
      if (failed.has("campaign")) throw new StaleCampaignError(before.campaignId);
      return { ...after, revision };
    },

    history: (campaignId) => listCampaignHistory(db, campaignId),
    changesSince: (campaignId, revision) => listCampaignChanges(db, campaignId, revision),
  };
}

/**
 * The conditional update of a campaign's state, wave and baseline (not its counters) from `before` to `after`. A new
 * `outcomesEpoch` (a resume) also requires the per-vehicle counters to be as read: a job outcome counted in the old
 * epoch after the read would be missing from the baseline that replaces them. A completion requires `eligible` and
 * `admitted` as read: a vehicle admitted, recorded waiting or forgotten since the read was not judged by it.
 */
function campaignChangePart(db: StateTable, before: Campaign, after: Campaign, revision: number): TransactPart {
  const names: Record<string, string> = {
    "#state": "state",
    "#revision": "revision",
    "#updatedAt": "updatedAt",
    "#waveIndex": "waveIndex",
    "#baseline": "outcomesBaseline",
    "#epoch": OUTCOMES_EPOCH_ATTR,
  };
  const values: Record<string, unknown> = {
    ":state": after.state,
    ":revision": revision,
    ":expected": before.revision,
    ":updatedAt": after.updatedAt,
    ":waveIndex": after.waveIndex,
    ":baseline": after.outcomesBaseline,
    ":epoch": after.outcomesEpoch,
  };
  const sets = ["#state = :state", "#revision = :revision", "#updatedAt = :updatedAt", "#waveIndex = :waveIndex", "#baseline = :baseline", "#epoch = :epoch"];
  const conditions = ["#revision = :expected"];
  if (after.outcomesEpoch !== before.outcomesEpoch) {
    for (const key of OUTCOME_KEYS) {
      names[`#v_${key}`] = vehicleOutcomeAttr(key);
      values[`:v_${key}`] = before.vehicleOutcomes[key];
      conditions.push(before.vehicleOutcomes[key] === 0 ? `(attribute_not_exists(#v_${key}) OR #v_${key} = :v_${key})` : `#v_${key} = :v_${key}`);
    }
  }
  if (after.state === CAMPAIGN_STATE.Completed && before.state !== CAMPAIGN_STATE.Completed) {
    Object.assign(names, { "#eligible": "eligible", "#admitted": "admitted" });
    Object.assign(values, { ":eligible": before.eligible, ":admitted": before.admitted });
    conditions.push("#eligible = :eligible", "#admitted = :admitted");
  }
  const removes: string[] = [];
  for (const field of ["stateReason", "waveOpenedAt", "startedAt", "finishedAt"] as const) {
    names[`#${field}`] = field;
    if (after[field] === undefined) removes.push(`#${field}`);
    else {
      sets.push(`#${field} = :${field}`);
      values[`:${field}`] = after[field];
    }
  }
  if (after.retryFailedRequest !== undefined) {
    // Only a newer retry-failed replaces it; never removed.
    names["#retryFailedRequest"] = "retryFailedRequest";
    values[":retryFailedRequest"] = after.retryFailedRequest;
    sets.push("#retryFailedRequest = :retryFailedRequest");
  }
  if (after.retriesDroppedAt !== undefined) {
    // Set once, in a campaign that ended for good; never removed.
    names["#retriesDroppedAt"] = "retriesDroppedAt";
    values[":retriesDroppedAt"] = after.retriesDroppedAt;
    sets.push("#retriesDroppedAt = :retriesDroppedAt");
  }
  return {
    Update: {
      TableName: db.table,
      Key: { pk: campaignPk(before.campaignId), sk: CAMPAIGN_SK },
      UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
      ConditionExpression: conditions.join(" AND "),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

function historyPart(db: StateTable, campaignId: string, revision: number, record: TransitionRecord): TransactPart {
  const item = stripUndefined({
    pk: campaignPk(campaignId),
    sk: historySk(revision),
    type: "transition",
    ...record,
    expiresAt: expiresAt(record.at, HISTORY_RETENTION_DAYS),
  });
  return { Put: { TableName: db.table, Item: item } };
}

function campaignItem(campaign: Campaign): Record<string, unknown> {
  const counters = Object.fromEntries(JOB_STATES.map((state) => [countAttr(state), campaign.counts[state]]));
  const outcomes = Object.fromEntries(OUTCOME_KEYS.map((key) => [outcomeAttr(key), campaign.outcomes[key]]));
  const vehicleOutcomes = Object.fromEntries(OUTCOME_KEYS.map((key) => [vehicleOutcomeAttr(key), campaign.vehicleOutcomes[key]]));
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
    ...vehicleOutcomes,
    outcomesBaseline: campaign.outcomesBaseline,
    [OUTCOMES_EPOCH_ATTR]: campaign.outcomesEpoch,
    [WITHDRAWALS_OWED_ATTR]: campaign.withdrawalsOwed,
    createdAt: campaign.createdAt,
    updatedAt: campaign.updatedAt,
    startedAt: campaign.startedAt,
    finishedAt: campaign.finishedAt,
    retryFailedRequest: campaign.retryFailedRequest,
    retriesDroppedAt: campaign.retriesDroppedAt,
    revision: campaign.revision,
  });
}

function campaignFromItem(item: Record<string, unknown>): Campaign {
  const counts = emptyJobCounts();
  for (const state of JOB_STATES) counts[state] = Number(item[countAttr(state)] ?? 0);
  const outcomes = emptyOutcomes();
  const vehicleOutcomes = emptyOutcomes();
  for (const key of OUTCOME_KEYS) {
    outcomes[key] = Number(item[outcomeAttr(key)] ?? 0);
    vehicleOutcomes[key] = Number(item[vehicleOutcomeAttr(key)] ?? 0);
  }
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
    vehicleOutcomes,
    outcomesBaseline: { ...emptyOutcomes(), ...(item.outcomesBaseline as Partial<OutcomeTotals> | undefined) },
    outcomesEpoch: Number(item[OUTCOMES_EPOCH_ATTR] ?? 0),
    withdrawalsOwed: Number(item[WITHDRAWALS_OWED_ATTR] ?? 0),
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    startedAt: item.startedAt as string | undefined,
    finishedAt: item.finishedAt as string | undefined,
    retryFailedRequest: item.retryFailedRequest as Campaign["retryFailedRequest"],
    retriesDroppedAt: item.retriesDroppedAt as string | undefined,
    revision: Number(item.revision ?? 0),
  });
}
