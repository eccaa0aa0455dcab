/**
 * The JSON documents the dashboard publisher writes under the dashboard bucket's data prefix and the
 * web app reads. This file is the contract between the two sides: the web bundle imports these types,
 * so a renamed field breaks the build, not the page. Every document carries `schemaVersion` and
 * `generatedAt` (ISO 8601); the page shows its age from `generatedAt`.
 */
export const DASHBOARD_SCHEMA_VERSION = 1;

/** Object names under the data prefix (`data/` by default). */
export const DASHBOARD_DOCUMENT = {
  Fleet: "fleet.json",
  Telemetry: "telemetry.json",
  Campaigns: "campaigns.json",
  Alarms: "alarms.json",
  Queues: "queues.json",
} as const;
export type DashboardDocumentName = (typeof DASHBOARD_DOCUMENT)[keyof typeof DASHBOARD_DOCUMENT];

export const DEFAULT_DASHBOARD_DATA_PREFIX = "data/";

interface DocumentHeader {
  schemaVersion: typeof DASHBOARD_SCHEMA_VERSION;
  generatedAt: string;
}

export interface CountByLabel {
  label: string;
  vehicles: number;
}

/** One cell of the position grid: its vehicles' mean latitude and longitude, vehicles, of which online. */
export type PositionCell = [lat: number, lon: number, vehicles: number, online: number];

export interface AttentionVehicle {
  vin: string;
  reason: string;
  firmwareVersion: string;
  stateOfCharge: number | null;
  lastSeenAt: string;
}

export interface FleetDocument extends DocumentHeader {
  /** When the fleet state the publisher read was last written by the telemetry processor. */
  snapshotAt: string | null;
  totals: {
    vehicles: number;
    online: number;
    offline: number;
    /** Online but with a weak link (counted in `online` too). */
    weakSignal: number;
    parked: number;
    /** Not heard from within the online window, whatever their last connectivity said. */
    silent: number;
  };
  /** Most common versions first; the tail past the cap is folded into one "other" entry. */
  firmware: CountByLabel[];
  /** Fixed bands from empty to full; vehicles without a reading are in "unknown". */
  battery: CountByLabel[];
  regions: CountByLabel[];
  positions: {
    rows: number;
    cols: number;
    bounds: { minLat: number; maxLat: number; minLon: number; maxLon: number } | null;
    cells: PositionCell[];
  };
  /** A bounded list of vehicles worth a look (offline longest, emptiest battery first). */
  attention: AttentionVehicle[];
}

/** A time series as compact `[epochSeconds, value]` pairs, oldest first. */
export interface TelemetrySeries {
  metric: string;
  stat: string;
  label: string;
  unit: string;
  points: Array<[t: number, v: number]>;
  latest: number | null;
}

export interface TelemetryDocument extends DocumentHeader {
  namespace: string;
  periodSeconds: number;
  from: string;
  to: string;
  series: TelemetrySeries[];
}

export interface CampaignJobCount {
  state: string;
  count: number;
}

export interface CampaignView {
  campaignId: string;
  name: string;
  state: string;
  /** Why the campaign is in its state, when the campaign says (e.g. why it paused or aborted). */
  stateReason: string | null;
  firmwareVersion: string;
  wave: { current: number; total: number } | null;
  targeted: number;
  /** Every job state with a count, in the lifecycle order the page draws its bars in. */
  jobs: CampaignJobCount[];
  succeeded: number;
  failed: number;
  /** Jobs in a final state (succeeded, failed, rolled back, cancelled …) over targeted, 0–100. */
  percentComplete: number;
  updatedAt: string | null;
}

export interface CampaignsDocument extends DocumentHeader {
  campaigns: CampaignView[];
  /** Campaigns beyond the cap are counted, not listed. */
  omitted: number;
}

export const ALARM_STATE = { Alarm: "ALARM", Ok: "OK", InsufficientData: "INSUFFICIENT_DATA" } as const;
export type AlarmState = (typeof ALARM_STATE)[keyof typeof ALARM_STATE];

export interface AlarmView {
  name: string;
  state: AlarmState;
  reason: string;
  updatedAt: string | null;
  description: string;
  metric: string | null;
  threshold: number | null;
  comparison: string | null;
}

export interface AlarmsDocument extends DocumentHeader {
  counts: Record<AlarmState, number>;
  /** ALARM first, then INSUFFICIENT_DATA, then OK; by name within a state. */
  alarms: AlarmView[];
}

export const QUEUE_ROLE = {
  Telemetry: "telemetry",
  TelemetryDeadLetter: "telemetry-dlq",
  Update: "update",
  UpdateDeadLetter: "update-dlq",
} as const;
export type QueueRole = (typeof QUEUE_ROLE)[keyof typeof QUEUE_ROLE];

export interface QueueView {
  role: QueueRole;
  name: string;
  deadLetter: boolean;
  visible: number | null;
  inFlight: number | null;
  delayed: number | null;
  /** From CloudWatch `AWS/SQS ApproximateAgeOfOldestMessage`; null when no datapoint is there. */
  oldestAgeSeconds: number | null;
  error: string | null;
}

export interface QueuesDocument extends DocumentHeader {
  queues: QueueView[];
}

export interface DashboardDocuments {
  [DASHBOARD_DOCUMENT.Fleet]: FleetDocument;
  [DASHBOARD_DOCUMENT.Telemetry]: TelemetryDocument;
  [DASHBOARD_DOCUMENT.Campaigns]: CampaignsDocument;
  [DASHBOARD_DOCUMENT.Alarms]: AlarmsDocument;
  [DASHBOARD_DOCUMENT.Queues]: QueuesDocument;
}
