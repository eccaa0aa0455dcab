import type { S3Client } from "@aws-sdk/client-s3";
import { listCampaignSummaries, type CampaignSummary } from "../../campaigns/read-model.js";
import type { CampaignList } from "../../campaigns/store/index.js";
import { readFleetSnapshot } from "../../telemetry/fleet-state.js";
import type { FleetVehicle } from "../../telemetry/aggregate.js";
import type { CampaignSummaryInput } from "./campaign-view.js";
import type { FleetVehicleInput } from "./fleet-view.js";

/**
 * Adapters from the other modules' read models to the dashboard's input shapes: the fleet state the
 * telemetry processor keeps and the campaign summaries of the campaigns read model.
 */

/** One vehicle of the telemetry processor's fleet state, as the fleet view reads it. */
export function toFleetVehicleInput(vehicle: FleetVehicle): FleetVehicleInput {
  return {
    vin: vehicle.vin,
    firmwareVersion: vehicle.firmwareVersion,
    stateOfCharge: vehicle.stateOfCharge,
    connectivity: vehicle.connectivity,
    parked: vehicle.parked,
    region: vehicle.region,
    latitude: vehicle.lat,
    longitude: vehicle.lon,
    lastSeenAt: vehicle.lastSeen,
  };
}

/** One campaign of the read model, as the campaign view reads it; `eligible` is what it targets. */
export function toCampaignSummaryInput(summary: CampaignSummary): CampaignSummaryInput {
  return {
    campaignId: summary.campaignId,
    name: summary.name,
    state: summary.state,
    stateReason: summary.stateReason ?? null,
    firmwareVersion: summary.targetVersion,
    currentWave: summary.wave.index,
    totalWaves: summary.wave.total,
    targeted: summary.eligible,
    jobCounts: summary.counts,
    updatedAt: summary.updatedAt,
  };
}

/**
 * Reads the fleet state. The publisher is the scheduled, single reader the fleet-state module asks to
 * compact its parts into the snapshot, so reads stay cheap as the fleet keeps reporting.
 *
 * @example
 * const { vehicles } = await fleetReader(s3, "fleetota-dev-data-lake")();
 */
export function fleetReader(s3: S3Client, bucket: string): () => Promise<{ vehicles: Iterable<FleetVehicleInput>; writtenAt: string | null }> {
  return async function readFleet() {
    const snapshot = await readFleetSnapshot(s3, bucket, { compact: true });
    return { vehicles: snapshot.vehicles.map(toFleetVehicleInput), writtenAt: snapshot.generatedAt };
  };
}

/**
 * Reads every campaign's summary from the state table.
 *
 * @example
 * import { dynamoCampaignList } from "../../campaigns/store/index.js";
 * const campaigns = await campaignReader({ campaigns: dynamoCampaignList({ doc, table: "fleetota-dev-state" }) })();
 */
export function campaignReader(store: { readonly campaigns: CampaignList }): () => Promise<CampaignSummaryInput[]> {
  return async function readCampaigns() {
    return (await listCampaignSummaries(store)).map(toCampaignSummaryInput);
  };
}
