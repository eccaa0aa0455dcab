/**
 * Small factories for the dashboard's inputs, and whole fixture documents built from them with the
 * publisher's own shaping code (no AWS). Deterministic: a seeded generator, times relative to `now`.
 */
import type { CompositeAlarm, MetricAlarm, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { decideCampaignCommand, decideRollout } from "../../../../../campaigns/campaign-machine.js";
import { emptyJobCounts, emptyOutcomes, type Campaign, type JobCounts, type JobState, type TransitionRecord } from "../../../../../campaigns/model.js";
import type { CampaignPageDocument } from "../../../../../contracts/dashboard-documents.js";
import { shapeAlarms } from "../../../../../functions/dashboard-publisher/alarm-view.js";
import {
  campaignPageDefaults,
  SAMPLED_JOB_STATES,
  shapeCampaignPage,
  type CampaignPageInput,
} from "../../../../../functions/dashboard-publisher/campaign-page-view.js";
import { campaign as campaignRecord } from "../../../campaigns/support/factories.js";
import { shapeCampaigns, type CampaignSummaryInput } from "../../../../../functions/dashboard-publisher/campaign-view.js";
import { QUEUE_ROLE, type DashboardDocuments, type QueueRole } from "../../../../../contracts/dashboard-documents.js";
import { shapeFleet, type FleetVehicleInput } from "../../../../../functions/dashboard-publisher/fleet-view.js";
import { shapeNeedsAHand, type NeedsAHandInput } from "../../../../../functions/dashboard-publisher/needs-a-hand-view.js";
import type { ParkedFailure } from "../../../../../contracts/parked-failure.js";
import type { Message } from "@aws-sdk/client-sqs";
import { shapeQueues, type QueueReading } from "../../../../../functions/dashboard-publisher/queue-view.js";
import { shapeTelemetry, TELEMETRY_TRENDS, trendQueryId } from "../../../../../functions/dashboard-publisher/telemetry-view.js";

import { seededRandom } from "../../../lib/support/seeded-random.js";

export { seededRandom };

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

export function parkedFailure(overrides: Partial<ParkedFailure> = {}, now = new Date()): ParkedFailure {
  return {
    id: "4f1d2c3b4a5968778695a4b3c2d1e0f1",
    source: "telemetry-processor",
    reason: "object-missing",
    detail: "s3://fleetota-dev-data/telemetry/vehicle/1HGCM82633A004352/2026/11/26/1700.ndjson.gz no longer exists",
    parkedAt: new Date(now.getTime() - 5 * 60_000).toISOString(),
    message: "{}",
    ...overrides,
  };
}

/** A message as ReceiveMessage returns it from a DLQ. */
export function deadLetterMessage(body: unknown, overrides: Partial<Message> = {}): Message {
  return {
    MessageId: "6c1b0e5e-0d7a-4f7e-9a55-1a1d3d0f2f10",
    ReceiptHandle: "handle",
    Body: typeof body === "string" ? body : JSON.stringify(body),
    Attributes: { ApproximateReceiveCount: "6" },
    ...overrides,
  };
}

/** What the "needs a hand" view reads: two parked failures, one message in each DLQ, the given alarms. */
export function needsAHandInput(now: Date, alarms: NeedsAHandInput["alarms"]): NeedsAHandInput {
  return {
    parked: {
      failures: [
        parkedFailure({}, now),
        parkedFailure(
          {
            id: "9a8b7c6d5e4f30211203f4e5d6c7b8a9",
            source: "update-manager",
            reason: "invalid-update-message",
            detail: "status report: sequence: expected number, received string",
            parkedAt: new Date(now.getTime() - 2 * 60_000).toISOString(),
          },
          now,
        ),
      ],
    },
    deadLetters: [
      {
        queue: QUEUE_ROLE.TelemetryDeadLetter,
        visible: 1,
        messages: [deadLetterMessage({ "detail-type": "Object Created", detail: { bucket: { name: "fleetota-dev-data" }, object: { key: "telemetry/vehicle/1HGCM82633A004352/a.ndjson.gz", etag: "9b2cf535f27731c974343645a3985328" } } })],
      },
      {
        queue: QUEUE_ROLE.UpdateDeadLetter,
        visible: 1,
        messages: [
          deadLetterMessage(
            { kind: "status-report", campaignId: "c-20261126T140000-1a2b3c4d", idempotencyKey: "k-1" },
            { MessageId: "0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b", MessageAttributes: { errorKind: { DataType: "String", StringValue: "processing-failed" }, errorMessage: { DataType: "String", StringValue: "ProvisionedThroughputExceededException after 5 tries" } } },
          ),
        ],
      },
    ],
    alarms,
    alarmHistory: undefined,
  };
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
    "needs-a-hand.json": shapeNeedsAHand(
      needsAHandInput(now, {
        metricAlarms: [
          metricAlarm({
            AlarmName: "fleetota-dev-telemetry-dlq-not-empty",
            StateValue: alarmFiring ? "ALARM" : "OK",
            StateReason: "Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).",
            StateUpdatedTimestamp: new Date(now.getTime() - 4 * 60_000),
          }),
        ],
        compositeAlarms: [],
      }),
      undefined,
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

const FAILURE_REASONS: Partial<Record<JobState, readonly string[]>> = {
  FAILED: ["install failed: E_FLASH_VERIFY (checksum mismatch after write)", "download failed: connection reset after 3 tries", "install failed: E_NO_SPACE"],
  TIMED_OUT: ["no progress report for 30 min while IN_PROGRESS", "never started: deferred: not parked", "never started: the vehicle never picked it up"],
  ROLLED_BACK: ["boot check failed after install: brake ECU self-test timeout; previous slot restored"],
  REJECTED: ["director metadata expired", "image hash does not match the image repository"],
  DEFERRED: ["not parked", "not parked; state of charge 12% below 30%", "connectivity weak", "state of charge 21% below 30%", "outside maintenance window 01:00–05:00 UTC"],
};

/**
 * A campaign of `vehicles` eligible vehicles in its third of four waves, with a history made by the real
 * campaign machine (start, a pause and resume, waves opened by the ticker) and a bounded sample of job
 * reasons as the publisher reads it. Deterministic.
 *
 * @example
 * const input = campaignPageInput(new Date(), 100_000); // what campaign-page-reader.ts returns for it
 */
export function campaignPageInput(now: Date, vehicles = 1_000, sampleLimit = campaignPageDefaults.reasonSampleLimit): CampaignPageInput {
  const started = new Date(now.getTime() - 4 * 3_600_000);
  let current: Campaign = campaignRecord(
    { campaignId: "c-20261126T140000-1a2b3c4d", name: "Brake controller 2.5.0", createdAt: new Date(started.getTime() - 600_000).toISOString() },
    {
      name: "Brake controller 2.5.0",
      description: "Brake ECU firmware with the revised ABS calibration",
      targetVersion: "2.5.0",
      waves: [
        { percent: 1, soakMinutes: 30, successThresholdPercent: 95 },
        { percent: 10, soakMinutes: 60, successThresholdPercent: 95 },
        { percent: 50, soakMinutes: 60, successThresholdPercent: 97 },
        { percent: 100 },
      ],
      abortCriteria: [
        { failureKind: "ANY", thresholdPercent: 10, minimumSample: 50, action: "PAUSE" },
        { failureKind: "ROLLED_BACK", thresholdPercent: 2, minimumSample: 200, action: "ABORT" },
      ],
      retries: { max: 3, backoffBaseSeconds: 60, backoffCapSeconds: 3600 },
    },
  );
  const history: TransitionRecord[] = [];
  const apply = (decision: ReturnType<typeof decideRollout>) => {
    if (decision.kind !== "applied") throw new Error(`fixture campaign did not move: ${decision.kind} ${decision.reason}`);
    current = decision.campaign;
    history.push(decision.record);
  };
  apply(decideCampaignCommand(current, "start", { at: started, cause: "start by ops@example.com" }));
  const shares = [0.01, 0.1, 0.5];
  shares.forEach((share, index) => {
    const admitted = Math.ceil(vehicles * share);
    const counts = { ...emptyJobCounts(), SUCCEEDED: Math.ceil(admitted * 0.975), FAILED: Math.floor(admitted * 0.025) };
    const outcomes = { ...emptyOutcomes(), succeeded: counts.SUCCEEDED, failed: counts.FAILED };
    current = { ...current, eligible: vehicles, admitted, counts, outcomes, vehicleOutcomes: outcomes };
    if (index === 1) {
      apply(decideCampaignCommand(current, "pause", { at: new Date(started.getTime() + 80 * 60_000), cause: "pause by ops@example.com", reason: "checking the ABS calibration report" }));
      apply(decideCampaignCommand(current, "resume", { at: new Date(started.getTime() + 95 * 60_000), cause: "resume by ops@example.com" }));
    }
    if (index < shares.length - 1) apply(decideRollout(current, { at: new Date(started.getTime() + (index + 1) * 70 * 60_000 + 40 * 60_000 * index), pendingRetries: 0, waitingAdmissible: 0, cutShort: false }));
  });
  const admitted = Math.ceil(vehicles * 0.5);
  const share = (value: number) => Math.round(admitted * value);
  const counts: JobCounts = {
    ...emptyJobCounts(),
    SUCCEEDED: share(0.86),
    IN_PROGRESS: share(0.042),
    QUEUED: share(0.03),
    DEFERRED: share(0.052),
    FAILED: share(0.0084),
    TIMED_OUT: share(0.0046),
    ROLLED_BACK: share(0.0018),
    REJECTED: share(0.0002),
  };
  counts.SUCCEEDED += admitted - Object.values(counts).reduce((sum, count) => sum + count, 0);
  current = {
    ...current,
    eligible: vehicles,
    admitted,
    counts,
    outcomes: { succeeded: counts.SUCCEEDED, failed: counts.FAILED + share(0.006), timedOut: counts.TIMED_OUT + share(0.003), rolledBack: counts.ROLLED_BACK, rejected: counts.REJECTED },
    // Each vehicle once, as its latest outcome: those that failed and are queued again for a retry still count as failed.
    vehicleOutcomes: { succeeded: counts.SUCCEEDED, failed: counts.FAILED + share(0.004), timedOut: counts.TIMED_OUT + share(0.002), rolledBack: counts.ROLLED_BACK, rejected: counts.REJECTED },
  };
  const random = seededRandom(11);
  const jobSamples = SAMPLED_JOB_STATES.flatMap((state) =>
    Array.from({ length: Math.min(counts[state], sampleLimit) }, () => {
      const reasons = FAILURE_REASONS[state] ?? ["(none)"];
      const retryable = state === "FAILED" || state === "TIMED_OUT";
      return {
        state,
        stateReason: reasons[Math.floor(random() * reasons.length)]!,
        ...(retryable && random() < 0.6 ? { nextRetryAt: new Date(now.getTime() + Math.floor(random() * 3_600_000)).toISOString() } : {}),
      };
    }),
  );
  return { campaign: current, history, jobSamples };
}

/**
 * The page document of `campaignPageInput(now, vehicles)` after `runs` publisher runs a minute apart
 * (the job-state series full), as the publisher writes it.
 */
export function campaignPageDocument(now: Date, vehicles = 1_000, runs = 240): CampaignPageDocument {
  const input = campaignPageInput(now, vehicles);
  let doc: CampaignPageDocument | undefined;
  for (let run = runs - 1; run >= 0; run--) {
    const at = new Date(now.getTime() - run * 60_000);
    const progress = 1 - run / runs;
    const counts = Object.fromEntries(
      Object.entries(input.campaign.counts).map(([state, count]) => [state, state === "SUCCEEDED" ? Math.round(count * progress) : count]),
    ) as JobCounts;
    doc = shapeCampaignPage({ ...input, campaign: { ...input.campaign, counts } }, doc, at);
  }
  return shapeCampaignPage(input, doc, now);
}
