/**
 * Small factories for the dashboard's inputs, and whole fixture documents built from them with the
 * publisher's own shaping code (no AWS). Deterministic: a seeded generator, times relative to `now`.
 */
import type { CompositeAlarm, MetricAlarm, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { shapeAlarms } from "../../../../../functions/dashboard-publisher/alarm-view.js";
import { shapeCampaigns, type CampaignSummaryInput } from "../../../../../functions/dashboard-publisher/campaign-view.js";
import { QUEUE_ROLE, type DashboardDocuments, type QueueRole } from "../../../../../contracts/dashboard-documents.js";
import { shapeFleet, type FleetVehicleInput } from "../../../../../functions/dashboard-publisher/fleet-view.js";
import { shapeQueues, type QueueReading } from "../../../../../functions/dashboard-publisher/queue-view.js";
import { shapeTelemetry, TELEMETRY_TRENDS, trendQueryId } from "../../../../../functions/dashboard-publisher/telemetry-view.js";

/** Mulberry32: a tiny seeded generator so fixtures are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function vin(index: number): string {
  return `WFOTA${String(index).padStart(12, "0")}`;
}

export function vehicle(overrides: Partial<FleetVehicleInput> = {}, now = new Date()): FleetVehicleInput {
  return {
    vin: vin(1),
    firmwareVersion: "2.4.1",
    stateOfCharge: 80,
    connectivity: "good",
    parked: true,
    region: "eu-central",
    latitude: 48.1,
    longitude: 11.5,
    lastSeenAt: new Date(now.getTime() - 30_000).toISOString(),
    ...overrides,
  };
}

export interface FleetMix {
  vehicles: number;
  /** Share of vehicles whose last link was offline. */
  offlineShare: number;
  /** Share not heard from for an hour. */
  silentShare: number;
  seed: number;
}

/** A fleet of `mix.vehicles` vehicles around three cities, three firmware versions, spread battery. */
export function fleet(now: Date, mix: Partial<FleetMix> = {}): FleetVehicleInput[] {
  const { vehicles, offlineShare, silentShare, seed } = { vehicles: 200, offlineShare: 0.1, silentShare: 0.05, seed: 7, ...mix };
  const random = seededRandom(seed);
  const cities = [
    { lat: 48.14, lon: 11.58, region: "eu-central" },
    { lat: 52.52, lon: 13.4, region: "eu-central" },
    { lat: 42.33, lon: -83.05, region: "us-east" },
  ];
  const versions = ["2.4.1", "2.4.1", "2.4.1", "2.3.0", "2.3.0", "2.5.0-rc.1"];
  return Array.from({ length: vehicles }, (_, index) => {
    const city = cities[index % cities.length]!;
    const roll = random();
    const silent = roll < silentShare;
    const offline = !silent && roll < silentShare + offlineShare;
    return vehicle(
      {
        vin: vin(index),
        firmwareVersion: versions[Math.floor(random() * versions.length)]!,
        stateOfCharge: Math.round(random() * 1000) / 10,
        connectivity: offline ? "offline" : random() < 0.15 ? "weak" : "good",
        parked: random() < 0.6,
        region: city.region,
        latitude: city.lat + (random() - 0.5) * 0.6,
        longitude: city.lon + (random() - 0.5) * 0.9,
        lastSeenAt: new Date(now.getTime() - (silent ? 3_600_000 : Math.floor(random() * 120_000))).toISOString(),
      },
      now,
    );
  });
}

export function campaignSummary(overrides: Partial<CampaignSummaryInput> = {}): CampaignSummaryInput {
  return {
    campaignId: "cmp-brakes-2-5-0",
    name: "Brake controller 2.5.0",
    state: "RUNNING",
    firmwareVersion: "2.5.0",
    currentWave: 2,
    totalWaves: 4,
    targeted: 100,
    jobCounts: { SUCCEEDED: 40, IN_PROGRESS: 10, QUEUED: 35, DEFERRED: 5, FAILED: 6, ROLLED_BACK: 4 },
    updatedAt: "2026-11-26T17:30:00.000Z",
    ...overrides,
  };
}

export function metricAlarm(overrides: Partial<MetricAlarm> = {}): MetricAlarm {
  return {
    AlarmName: "fleetota-dev-telemetry-queue-depth",
    AlarmDescription: "Telemetry queue backlog",
    StateValue: "OK",
    StateReason: "Threshold Crossed: 1 datapoint [3.0] was not greater than the threshold (1000.0).",
    StateUpdatedTimestamp: new Date("2026-11-26T17:00:00Z"),
    MetricName: "ApproximateNumberOfMessagesVisible",
    Threshold: 1000,
    ComparisonOperator: "GreaterThanThreshold",
    ...overrides,
  };
}

export function compositeAlarm(overrides: Partial<CompositeAlarm> = {}): CompositeAlarm {
  return { AlarmName: "fleetota-dev-pipeline-health", StateValue: "OK", StateReason: "", ...overrides };
}

export function queueReading(role: QueueRole, visible: number, overrides: Partial<QueueReading> = {}): QueueReading {
  return {
    role,
    url: `http://127.0.0.1:5000/123456789012/fleetota-dev-${role}`,
    attributes: {
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: "2",
      ApproximateNumberOfMessagesDelayed: "0",
    },
    oldestAgeSeconds: visible > 0 ? 95 : null,
    ...overrides,
  };
}

/** GetMetricData-shaped results: one point per minute for every trend, a gentle wave plus noise. */
export function metricResults(now: Date, minutes = 60, seed = 3): MetricDataResult[] {
  const random = seededRandom(seed);
  return TELEMETRY_TRENDS.map((trend, index) => {
    const base = trend.unit === "percent" ? 85 : trend.unit === "ms" ? 400 : 1000 / (index + 1);
    const timestamps: Date[] = [];
    const values: number[] = [];
    for (let minute = minutes; minute >= 1; minute -= 1) {
      timestamps.push(new Date(Math.floor(now.getTime() / 60_000) * 60_000 - minute * 60_000));
      values.push(Math.max(0, base * (1 + 0.15 * Math.sin(minute / 6)) + (random() - 0.5) * base * 0.1));
    }
    return { Id: trendQueryId(index), Label: trend.label, Timestamps: timestamps, Values: values, StatusCode: "Complete" };
  });
}

export interface FixtureOptions {
  vehicles: number;
  alarmFiring: boolean;
  deadLettered: number;
}

/** Every dashboard document, shaped by the publisher's pure modules from the factories above. */
export function dashboardDocuments(now: Date, options: Partial<FixtureOptions> = {}): DashboardDocuments {
  const { vehicles, alarmFiring, deadLettered } = { vehicles: 200, alarmFiring: true, deadLettered: 3, ...options };
  const window = { namespace: "FleetOTA", periodSeconds: 60, from: new Date(now.getTime() - 3 * 3_600_000), to: now };
  return {
    "fleet.json": shapeFleet({ vehicles: fleet(now, { vehicles }), writtenAt: new Date(now.getTime() - 20_000).toISOString() }, now),
    "telemetry.json": shapeTelemetry(metricResults(now), window, now),
    "campaigns.json": shapeCampaigns(
      [
        campaignSummary(),
        campaignSummary({
          campaignId: "cmp-infotainment-7-1",
          name: "Infotainment 7.1",
          state: "PAUSED",
          stateReason: "paused: TIMED_OUT 3.3 % reached the 3 % threshold after 60 outcomes",
          firmwareVersion: "7.1.0",
          currentWave: 3,
          totalWaves: 3,
          targeted: 80,
          jobCounts: { SUCCEEDED: 57, FAILED: 1, TIMED_OUT: 2 },
          updatedAt: "2026-11-26T15:00:00.000Z",
        }),
      ],
      now,
    ),
    "alarms.json": shapeAlarms(
      [
        metricAlarm(),
        metricAlarm({
          AlarmName: "fleetota-dev-telemetry-dlq-not-empty",
          AlarmDescription: "Telemetry dead-letter queue holds messages",
          StateValue: alarmFiring ? "ALARM" : "OK",
          StateReason: alarmFiring ? "Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0)." : "",
          Threshold: 0,
        }),
        metricAlarm({ AlarmName: "fleetota-dev-update-failure-rate", StateValue: "INSUFFICIENT_DATA", StateReason: "Unchecked: Initial alarm creation" }),
      ],
      [],
      now,
    ),
    "queues.json": shapeQueues(
      [
        queueReading(QUEUE_ROLE.Telemetry, 12),
        queueReading(QUEUE_ROLE.TelemetryDeadLetter, deadLettered),
        queueReading(QUEUE_ROLE.Update, 0),
        queueReading(QUEUE_ROLE.UpdateDeadLetter, 0),
      ],
      now,
    ),
  };
}
