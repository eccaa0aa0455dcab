import type { S3Client } from "@aws-sdk/client-s3";
import { StandardUnit, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { METRIC } from "../../contracts/metrics.js";
import { writeEmfMetrics, type LineWriter } from "../../lib/emf-metrics.js";
import type { Log } from "../../lib/logger.js";
import { listCampaignSummaries, type CampaignSummary } from "../../campaigns/read-model.js";
import type { CampaignList } from "../../campaigns/store/index.js";
import { FLEET_STATE_DEFAULTS, readFleetSnapshot, type FleetStatePolicy, type MergedFleetState } from "../../telemetry/fleet-state.js";
import { FLEET_DROP_REASON, type FleetVehicle } from "../../telemetry/aggregate.js";
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
    withdrawalsOwed: summary.withdrawalsOwed,
    updatedAt: summary.updatedAt,
  };
}

export interface FleetReaderOptions {
  log: Log;
  /** CloudWatch namespace of the dropped-entries metric (EMF). */
  namespace: string;
  policy?: Partial<FleetStatePolicy>;
  now?: () => number;
  /** Where the EMF metric lines go (stdout on Lambda). */
  metricsOut?: LineWriter;
}

/**
 * Reads the fleet state. The publisher is the scheduled, single reader the fleet-state module asks to
 * compact its parts into the snapshot, so reads stay cheap as the fleet keeps reporting. What the
 * compaction drops (past the retention, past `maxVehicles`) is logged and counted
 * (`FleetHealth/FleetStateEntriesDropped` by Reason); a full fleet state is an error in the log, not a
 * failed run: the dashboard keeps publishing the vehicles kept.
 *
 * @example
 * const { vehicles } = await fleetReader(s3, "fleetota-dev-data-lake", { log, namespace: "FleetOTA" })();
 */
export function fleetReader(s3: S3Client, bucket: string, options: FleetReaderOptions): () => Promise<{ vehicles: Iterable<FleetVehicleInput>; writtenAt: string | null }> {
  const policy = { ...FLEET_STATE_DEFAULTS, ...options.policy };
  return async function readFleet() {
    const snapshot = await readFleetSnapshot(s3, bucket, { compact: true, now: (options.now ?? Date.now)(), ...policy });
    reportDrops(snapshot, policy, options);
    // Adapted as the view iterates, not as a second array of 100,000 objects next to the merged one.
    const vehicles = {
      *[Symbol.iterator]() {
        for (const vehicle of snapshot.vehicles) yield toFleetVehicleInput(vehicle);
      },
    };
    return { vehicles, writtenAt: snapshot.generatedAt };
  };
}

function reportDrops({ dropped, knownEvicted, vehicles }: MergedFleetState, policy: FleetStatePolicy, options: FleetReaderOptions): void {
  const data: MetricDatum[] = [];
  const count = (reason: string, value: number): MetricDatum => ({
    MetricName: METRIC.FleetStateEntriesDropped,
    Value: value,
    Unit: StandardUnit.Count,
    Dimensions: [{ Name: "Reason", Value: reason }],
  });
  if (dropped.expired > 0) {
    options.log.info("fleet state: vehicles silent past the retention dropped", { dropped: dropped.expired, retentionDays: policy.retentionMs / 86_400_000 });
    data.push(count(FLEET_DROP_REASON.Expired, dropped.expired));
  }
  if (dropped.overCap > 0) {
    options.log.error("fleet state full: entries dropped (kept first: the vehicles' own uploads, then the vehicles already in the fleet state, then the newest; so new gateway VINs are refused first)", {
      dropped: dropped.overCap,
      newRefused: dropped.overCap - knownEvicted,
      knownEvicted,
      kept: vehicles.length,
      maxVehicles: policy.maxVehicles,
      remedy: "a gateway naming invented VINs, or a fleet larger than fleetStateMaxVehicles (raise it with the publisher's memory)",
    });
    data.push(count(FLEET_DROP_REASON.OverCap, dropped.overCap));
  }
  if (data.length > 0) writeEmfMetrics(data, { namespace: options.namespace, log: options.log, write: options.metricsOut });
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
