import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { VehicleSnapshot } from "../../contracts/update-messages.js";
import type { TargetRecords } from "./campaign-store.js";
import { CAMPAIGN_SK, INDEX_NAME, campaignPk, targetSk, waitingIndexPk } from "./keys.js";
import { conditionally, queryAll, transact, type StateTable, type TransactPart } from "./table.js";

/** The condition on a target item that it still waits (on the waiting index: neither admitted nor forgotten). */
export const STILL_WAITING = "attribute_exists(gsi1pk)";

/** Eligible vehicles: one target item per vehicle a campaign has seen, on the waiting index while it waits. */
export function dynamoTargetRecords(db: StateTable): TargetRecords {
  return {
    async isKnown(campaignId, vin) {
      const response = await db.doc.send(
        new GetCommand({ TableName: db.table, Key: { pk: campaignPk(campaignId), sk: targetSk(vin) }, ProjectionExpression: "sk, refusedAt", ConsistentRead: true }),
      );
      return response.Item !== undefined && response.Item.refusedAt === undefined;
    },

    async recordFirstSighting(campaignId, vehicle, now) {
      const failed = await transact(db, {
        target: firstSightingPart(db, campaignId, vehicle, now, { gsi1pk: waitingIndexPk(campaignId), gsi1sk: `${now}#${vehicle.vin}` }),
        eligible: {
          Update: {
            TableName: db.table,
            Key: { pk: campaignPk(campaignId), sk: CAMPAIGN_SK },
            UpdateExpression: "ADD eligible :one",
            ExpressionAttributeValues: { ":one": 1 },
          },
        },
      });
      return !failed.has("target");
    },

    async refreshWaiting(campaignId, vehicle, now) {
      await conditionally(() =>
        db.doc.send(
          new UpdateCommand({
            TableName: db.table,
            Key: { pk: campaignPk(campaignId), sk: targetSk(vehicle.vin) },
            UpdateExpression: "SET vehicle = :vehicle, seenAt = :now",
            ConditionExpression: `${STILL_WAITING} AND seenAt < :now`,
            ExpressionAttributeValues: { ":vehicle": vehicle, ":now": now },
          }),
        ),
      );
    },

    async listWaiting(campaignId, limit) {
      const items = await queryAll(
        db,
        { IndexName: INDEX_NAME, KeyConditionExpression: "gsi1pk = :pk", ExpressionAttributeValues: { ":pk": waitingIndexPk(campaignId) } },
        limit,
      );
      return items.map((item) => item.vehicle as VehicleSnapshot);
    },

    async forgetWaiting(campaignId, vin, now) {
      // Kept as a refused record, off the waiting index (the update manager deletes no item); a first sighting overwrites it.
      const pk = campaignPk(campaignId);
      const failed = await transact(db, {
        target: {
          Update: {
            TableName: db.table,
            Key: { pk, sk: targetSk(vin) },
            UpdateExpression: "SET refusedAt = :now REMOVE gsi1pk, gsi1sk",
            ConditionExpression: STILL_WAITING,
            ExpressionAttributeValues: { ":now": now },
          },
        },
        eligible: {
          Update: { TableName: db.table, Key: { pk, sk: CAMPAIGN_SK }, UpdateExpression: "ADD eligible :minus", ExpressionAttributeValues: { ":minus": -1 } },
        },
      });
      return !failed.has("target");
    },
  };
}

/**
 * The Put that records a vehicle the first time the campaign sees it (its target item), failing if it
 * was recorded before, unless as refused (forgetWaiting: then it starts over); `standing` says whether it was admitted at once or waits (on the waiting index).
 */
export function firstSightingPart(
  db: StateTable,
  campaignId: string,
  vehicle: VehicleSnapshot,
  now: string,
  standing: { admittedAt: string } | { gsi1pk: string; gsi1sk: string },
): TransactPart {
  return {
    Put: {
      TableName: db.table,
      Item: { pk: campaignPk(campaignId), sk: targetSk(vehicle.vin), type: "target", vehicle, seenAt: now, ...standing },
      ConditionExpression: "attribute_not_exists(pk) OR attribute_exists(refusedAt)",
    },
  };
}
