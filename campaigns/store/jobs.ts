import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { CAMPAIGN_STATE, UNENDED_CAMPAIGN_STATES, owesWithdrawal, withdrawalDelta, type Job, type OutcomeTotals } from "../model.js";
import type { JobRecords } from "./campaign-store.js";
import { NotWaitingError, StaleCampaignError, StaleJobError, TargetExistsError, WaveClosedError } from "./errors.js";
import {
  CAMPAIGN_SK,
  INDEX_NAME,
  JOB_SK_PREFIX,
  OUTCOMES_EPOCH_ATTR,
  OWED_INDEX,
  WITHDRAWALS_OWED_ATTR,
  campaignPk,
  countAttr,
  jobSk,
  jobStateIndexPk,
  outcomeAttr,
  owedIndexPk,
  targetSk,
  vehicleOutcomeAttr,
} from "./keys.js";
import { STILL_WAITING, firstSightingPart } from "./targets.js";
import { conditionally, queryAll, stripUndefined, transact, type StateTable } from "./table.js";

/** Vehicle jobs: one item per vehicle and campaign, its transitions inside, on the per-state index. */
export function dynamoJobRecords(db: StateTable): JobRecords {
  const records: JobRecords = {
    async get(campaignId, vin) {
      const response = await db.doc.send(
        new GetCommand({ TableName: db.table, Key: { pk: campaignPk(campaignId), sk: jobSk(vin) }, ConsistentRead: true }),
      );
      return response.Item ? jobFromItem(response.Item) : undefined;
    },

    async list(campaignId, state) {
      const items = state
        ? await queryAll(db, {
            IndexName: INDEX_NAME,
            KeyConditionExpression: "gsi1pk = :pk",
            ExpressionAttributeValues: { ":pk": jobStateIndexPk(campaignId, state) },
          })
        : await queryAll(db, {
            KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues: { ":pk": campaignPk(campaignId), ":prefix": JOB_SK_PREFIX },
          });
      return items.map(jobFromItem);
    },

    async listOwingWithdrawal(campaignId) {
      const items = await queryAll(db, {
        IndexName: OWED_INDEX.name,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": OWED_INDEX.partitionKey },
        ExpressionAttributeValues: { ":pk": owedIndexPk(campaignId) },
      });
      // The index is eventually consistent: an entry just confirmed may still be listed.
      return items.map(jobFromItem).filter(owesWithdrawal);
    },

    async admit(job, options) {
      const pk = campaignPk(job.campaignId);
      const now = job.createdAt;
      const failed = await transact(db, {
        job: { Put: { TableName: db.table, Item: jobItem(job), ConditionExpression: "attribute_not_exists(pk)" } },
        wave: {
          Update: {
            TableName: db.table,
            Key: { pk, sk: CAMPAIGN_SK },
            UpdateExpression: `ADD admitted :one, #count :one${options.firstSighting ? ", eligible :one" : ""} SET updatedAt = :now`,
            ConditionExpression: "#state = :running AND waveIndex = :wave AND admitted < :capacity",
            ExpressionAttributeNames: { "#count": countAttr(job.state), "#state": "state" },
            ExpressionAttributeValues: { ":one": 1, ":now": now, ":running": CAMPAIGN_STATE.Running, ":wave": job.wave, ":capacity": options.capacity },
          },
        },
        target: options.firstSighting
          ? firstSightingPart(db, job.campaignId, options.firstSighting, now, { admittedAt: now })
          : {
              // Only while it still waits: forgotten (refused) since it was read, it is no longer eligible.
              Update: {
                TableName: db.table,
                Key: { pk, sk: targetSk(job.vin) },
                UpdateExpression: "SET admittedAt = :now REMOVE gsi1pk, gsi1sk",
                ConditionExpression: STILL_WAITING,
                ExpressionAttributeValues: { ":now": now },
              },
            },
      });
      if (failed.has("job")) throw new StaleJobError(job.jobId);
      if (failed.has("wave")) throw new WaveClosedError(job.campaignId);
      if (failed.has("target")) {
        throw options.firstSighting ? new TargetExistsError(job.campaignId, job.vin) : new NotWaitingError(job.campaignId, job.vin);
      }
    },

    async saveTransition(before, after, delta = {}) {
      const saved: Job = { ...after, revision: before.revision + 1 };
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
      const owed = withdrawalDelta(before, saved);
      if (owed !== 0) {
        counterNames["#owed"] = WITHDRAWALS_OWED_ATTR;
        counterValues[":owed"] = owed;
        adds.push("#owed :owed");
      }
      const counters = [
        ["o", outcomeAttr, delta.outcomes],
        ["v", vehicleOutcomeAttr, delta.vehicleOutcomes],
      ] as const;
      for (const [prefix, attr, amounts] of counters) {
        for (const [key, amount] of Object.entries(amounts ?? {})) {
          if (!amount) continue;
          counterNames[`#${prefix}_${key}`] = attr(key as keyof OutcomeTotals);
          counterValues[`:${prefix}_${key}`] = amount;
          adds.push(`#${prefix}_${key} :${prefix}_${key}`);
        }
      }
      // The baseline is a map (written whole by a resume): its members change by SET arithmetic, not ADD.
      const sets = ["updatedAt = :now"];
      for (const [key, amount] of Object.entries(delta.baseline ?? {})) {
        if (!amount) continue;
        counterNames["#baseline"] = "outcomesBaseline";
        counterNames[`#b_${key}`] = key;
        counterValues[`:b_${key}`] = amount;
        sets.push(`#baseline.#b_${key} = #baseline.#b_${key} + :b_${key}`);
      }
      // A move within IN_PROGRESS (DOWNLOADING → INSTALLING) changes no counter: one conditional Put suffices (saveFields
      // comes back here only when the job's withdrawalsOwed share changes, which `adds` then carries). A write kept for an
      // unended campaign needs the campaign item in the transaction, for its condition.
      if (adds.length === 0 && sets.length === 1 && !delta.whileNotEnded) return records.saveFields(before, after);
      const conditions: string[] = [];
      if (delta.epoch !== undefined) {
        counterNames["#epoch"] = OUTCOMES_EPOCH_ATTR;
        counterValues[":epoch"] = delta.epoch;
        conditions.push(delta.epoch === 0 ? "(attribute_not_exists(#epoch) OR #epoch = :epoch)" : "#epoch = :epoch");
      }
      if (delta.whileNotEnded) {
        // On the counters' own Update (a transaction may name an item once): no ConditionCheck part, no extra unit.
        counterNames["#state"] = "state";
        UNENDED_CAMPAIGN_STATES.forEach((state, index) => (counterValues[`:unended${index}`] = state));
        conditions.push(`#state IN (${UNENDED_CAMPAIGN_STATES.map((_, index) => `:unended${index}`).join(", ")})`);
      }
      const condition = conditions.length > 0 ? conditions.join(" AND ") : undefined;
      const failed = await transact(db, {
        job: { Put: revisionCheckedPut(db, saved, before.revision) },
        counters: {
          Update: {
            TableName: db.table,
            Key: { pk: campaignPk(before.campaignId), sk: CAMPAIGN_SK },
            UpdateExpression: `${adds.length ? `ADD ${adds.join(", ")} ` : ""}SET ${sets.join(", ")}`,
            ...(condition ? { ConditionExpression: condition } : {}),
            ExpressionAttributeNames: counterNames,
            ExpressionAttributeValues: counterValues,
          },
        },
      });
      if (failed.has("job")) throw new StaleJobError(before.jobId);
      if (failed.has("counters")) throw new StaleCampaignError(before.campaignId);
      return saved;
    },

    async saveFields(before, after) {
      // A write that changes whether the job owes a withdrawal (a confirmed one) moves its campaign's counter with it.
      if (withdrawalDelta(before, after) !== 0) return records.saveTransition(before, after);
      const saved: Job = { ...after, revision: before.revision + 1 };
      if (!(await conditionally(() => db.doc.send(new PutCommand(revisionCheckedPut(db, saved, before.revision)))))) {
        throw new StaleJobError(before.jobId);
      }
      return saved;
    },
  };
  return records;
}

/** The Put of a job's new version, conditional on the stored one still being `expected`. */
function revisionCheckedPut(db: StateTable, saved: Job, expected: number) {
  return {
    TableName: db.table,
    Item: jobItem(saved),
    ConditionExpression: "#revision = :expected",
    ExpressionAttributeNames: { "#revision": "revision" },
    ExpressionAttributeValues: { ":expected": expected },
  };
}

/**
 * A job's item: on the per-state index always, on the sparse `owed` index only while it owes its withdrawal.
 *
 * @example
 * await doc.send(new PutCommand({ TableName: table, Item: jobItem(job) }));
 */
export function jobItem(job: Job): Record<string, unknown> {
  const owed = owesWithdrawal(job);
  return stripUndefined({
    pk: campaignPk(job.campaignId),
    sk: jobSk(job.vin),
    gsi1pk: jobStateIndexPk(job.campaignId, job.state),
    gsi1sk: `${job.updatedAt}#${job.vin}`,
    [OWED_INDEX.partitionKey]: owed ? owedIndexPk(job.campaignId) : undefined,
    [OWED_INDEX.sortKey]: owed ? job.vin : undefined,
    type: "job",
    ...job,
  });
}

function jobFromItem(item: Record<string, unknown>): Job {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, [OWED_INDEX.partitionKey]: _op, [OWED_INDEX.sortKey]: _os, type: _t, ...job } = item;
  return job as unknown as Job;
}
