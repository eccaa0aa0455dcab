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
  NeedsAHand: "needs-a-hand.json",
} as const;
export type DashboardDocumentName = (typeof DASHBOARD_DOCUMENT)[keyof typeof DASHBOARD_DOCUMENT];

/** One page document per active (or recently finished) campaign: `campaigns/<campaignId>.json`. */
export const CAMPAIGN_PAGE_PREFIX = "campaigns/";
export type CampaignPageName = `campaigns/${string}.json`;
/** Every document the page may fetch: the fixed ones and the campaign pages. */
export type DashboardDocumentKey = DashboardDocumentName | CampaignPageName;
/** Campaign ids as the store makes them (`c-20261126T173500-1a2b3c4d`); anything else gets no page. */
export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * `campaigns/<campaignId>.json` for a campaign id.
 *
 * @example
 * campaignPageName("c-20261126T173500-1a2b3c4d"); // "campaigns/c-20261126T173500-1a2b3c4d.json"
 */
export function campaignPageName(campaignId: string): CampaignPageName {
  if (!CAMPAIGN_ID_PATTERN.test(campaignId)) throw new RangeError(`not a campaign id: ${JSON.stringify(campaignId)}`);
  return `${CAMPAIGN_PAGE_PREFIX}${campaignId}.json`;
}

/**
 * The command for a campaign's owed withdrawals: `fleetota campaign show <id>` (its `withdrawals owed` line), the id
 * named only when it is one plain word (CAMPAIGN_ID_PATTERN, as for a dead letter's); else `fleetota campaign list`.
 *
 * @example
 * withdrawalsCommand("c-20261126T173500-1a2b3c4d"); // "fleetota campaign show c-20261126T173500-1a2b3c4d"
 */
export function withdrawalsCommand(campaignId: string): string {
  return CAMPAIGN_ID_PATTERN.test(campaignId) ? `fleetota campaign show ${campaignId}` : "fleetota campaign list";
}

export const DEFAULT_DASHBOARD_DATA_PREFIX = "data/";

interface DocumentHeader {
  schemaVersion: typeof DASHBOARD_SCHEMA_VERSION;
  generatedAt: string;
  /**
   * How often the publisher rewrites the document, in seconds, when not every run (a minute): the page
   * judges its age against it. Set on `telemetry.json` (the stack's `dashboardTrendsEveryMinutes`).
   */
  refreshEverySeconds?: number;
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
  /**
   * Install documents of its canceled or timed-out jobs the ticker still has to take back: a vehicle may
   * read them until then. The ticker withdraws them again each minute; 0 once confirmed (absent in older documents).
   */
  withdrawalsOwed?: number;
  updatedAt: string | null;
  /** True when the publisher writes `campaigns/<campaignId>.json` for it (active, or finished recently). */
  hasPage?: boolean;
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
  Command: "command",
  CommandDeadLetter: "command-dlq",
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

/** One wave on the campaign's time line. */
export interface CampaignWaveView {
  /** 1-based, as people count waves. */
  number: number;
  /** `10 %` or `500 vehicles`, cumulative. */
  size: string;
  soakMinutes: number;
  successThresholdPercent: number;
  /** `pending`: not opened; `open`: the current wave; `passed`: the next one opened after it. */
  status: "pending" | "open" | "passed";
  openedAt: string | null;
  /** When the soak ends (open wave) or ended (passed wave). */
  soakEndsAt: string | null;
  /** Success share at the gate: measured live for the open wave, as recorded when the next one opened for a passed one. */
  gateSuccessPercent: number | null;
}

/** A count of jobs by reason, within one state (or `DEFERRED` for deferral reasons). */
export interface ReasonCount {
  state: string;
  reason: string;
  count: number;
}

export interface AbortCriterionView {
  failureKind: string;
  action: string;
  thresholdPercent: number;
  minimumSample: number;
  /** Vehicles failed with this kind and vehicles with an outcome since the last resume (each once, by its latest counted attempt), and their share in percent. */
  failures: number;
  finished: number;
  currentPercent: number;
  /** Whether the minimum sample is reached, so the criterion can trigger. */
  armed: boolean;
  crossed: boolean;
}

export interface CampaignTransitionView {
  at: string;
  from: string;
  to: string;
  reason: string;
  cause: string;
}

export interface CampaignPageDocument extends DocumentHeader {
  campaign: CampaignView;
  description: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  waves: CampaignWaveView[];
  /**
   * Job counts over time, one point per publisher run (thinned as it grows): `states` names the
   * columns after the time (epoch seconds), e.g. `[1764610000, 12, 3, 40, …]`.
   */
  jobSeries: { states: string[]; points: number[][] };
  /** Top failure reasons (FAILED, TIMED_OUT, ROLLED_BACK, REJECTED) and deferral reasons, largest first. */
  failureReasons: ReasonCount[];
  deferralReasons: ReasonCount[];
  /** Reasons are counted over at most a bounded number of jobs per state: `read` of `of` jobs. */
  reasonSample: { read: number; of: number };
  retries: {
    max: number;
    backoffBaseSeconds: number;
    backoffCapSeconds: number;
    /** Failed or timed-out attempts sent back to QUEUED so far (cumulative outcomes minus jobs still failed). */
    retried: number;
    /** FAILED / TIMED_OUT jobs (among those read) waiting for their next attempt, and with none left. */
    waiting: number;
    exhausted: number;
  };
  timeouts: {
    /** Cumulative TIMED_OUT outcomes (every attempt) and jobs TIMED_OUT now. */
    total: number;
    current: number;
    inProgressTimeoutMinutes: number;
    maxInProgressMinutes: number;
    startTimeoutMinutes: number;
  };
  abortCriteria: AbortCriterionView[];
  /** Newest first, at most a bounded number; older ones counted in `historyOmitted`. */
  history: CampaignTransitionView[];
  historyOmitted: number;
}

export interface ParkedFailureView {
  id: string;
  source: string;
  reason: string;
  detail: string;
  parkedAt: string;
  /** What deals with it (lib/parked-failures.ts remedyOf), and the `fleetota` command that shows it whole. */
  remedy: string;
  command: string;
  /** The messages the record stands for (a vehicle's reports that can never apply are counted on one record a day). */
  count?: number;
}

/** The parked failures read of one source and reason: how many, how recent, when the oldest expires, what deals with them. */
export interface ParkedReasonView {
  source: string;
  reason: string;
  /** Records read, and the messages they stand for (a counted record stands for its `count`). */
  records: number;
  messages: number;
  newestAt: string;
  oldestAt: string;
  /** When the oldest record read expires (`retentionDays` after it was parked): the evidence is gone then. */
  oldestExpiresAt: string;
  remedy: string;
  /** `fleetota parked` filtered to them: a filter is named only when it is one of the known words (never free text). */
  command: string;
}

export interface DeadLetterView {
  queue: QueueRole;
  messageId: string;
  /** What went wrong, from the message's error attributes or diagnosed from its body. */
  kind: string;
  reason: string;
  receiveCount: number;
  campaignId: string | null;
  command: string;
}

export interface AlarmChangeView {
  alarm: string;
  at: string;
  /** The state it changed to, and CloudWatch's reason. */
  state: AlarmState;
  reason: string;
}

/** One published metadata file on the release calendar: which, its version, when it expires (ISO 8601, as re-written by the publisher). */
export interface ExpiryPublishedView {
  what: "image targets" | "image root" | "director root";
  version: number;
  expires: string;
}

/** A calendar entry that needs a hand: the line to show and what renews it. */
export interface ExpiryWarningView extends ExpiryPublishedView {
  /** Whole days left (rounded down); negative once expired. */
  daysLeft: number;
  expired: boolean;
  line: string;
  /** The command to run, or for the image root (no command) what to do. */
  remedy: string;
}

/**
 * The publisher's last check of the published image targets against the newest image root (their signatures, as the
 * update manager checks them; their expiry is the calendar's): done when either version changes, carried between.
 */
export interface TargetsCheckView {
  targetsVersion: number;
  imageRootVersion: number;
  verifies: boolean;
  /** When they do not verify: the refusal's kind and message, and whether the newest image root names them for a refresh. */
  kind: string | null;
  message: string | null;
  refreshAllowed: boolean;
  checkedAt: string;
}

/** What re-signs published image targets (a threshold of release engineers, each with their own key), and what says why they do not verify. */
export const RELEASE_REFRESH_COMMAND = "fleetota release refresh --key <release key>";
export const RELEASE_STATUS_COMMAND = "fleetota release status";

/** Job documents the update manager publishes none of until the release engineers act: why, and what to run. */
export interface DocumentsHeldView {
  cause: "image-targets-unverifiable" | "image-targets-expired";
  line: string;
  /** What re-signs the targets (`fleetota release refresh --key <release key>`), or `fleetota release status` when no refresh is allowed. */
  command: string;
  /** The messages parked for it (image-targets-unverifiable, image-targets-expired) among the parked records read. */
  parkedMessages: number;
}

/** A campaign that still owes withdrawals: install documents of jobs that will not run, still readable by their vehicles. */
export interface OwedWithdrawalView {
  campaignId: string;
  name: string;
  state: string;
  owed: number;
  /** `fleetota campaign show <id>` (it prints the count), or `fleetota campaign list` for an id that is not one plain word. */
  command: string;
}

export interface NeedsAHandDocument extends DocumentHeader {
  parked: {
    /** The newest parked failures, at most a bounded number. */
    items: ParkedFailureView[];
    /** Parked records read (the listing may stop early for a very large backlog; see `complete`). */
    total: number;
    /**
     * The messages those records stand for (a counted record stands for its `count`: a vehicle's reports that can never
     * apply, one record a day). What the status line counts. Absent in older documents.
     */
    messages?: number;
    complete: boolean;
    /** Largest first (by messages). */
    byReason: ParkedReasonView[];
    /** Days a parked record is kept (the stack's parkedRetentionDays): it expires then, acted on or not. */
    retentionDays?: number;
  };
  deadLetters: {
    /** Messages looked at (up to 10 per DLQ, without taking them), with the DLQ depths. */
    items: DeadLetterView[];
    depth: Array<{ queue: QueueRole; visible: number | null; command: string }>;
  };
  /** Alarm state changes in the last day, newest first; `source` says where they came from. */
  alarmChanges: AlarmChangeView[];
  alarmChangesSource: "alarm-history" | "observed";
  /**
   * The release calendar (uptane/calendar.ts): the published image targets, newest image root and newest
   * director root as last read (`readAt`, at the trends' refresh runs; carried between them), and a warning
   * for each with fewer than 7 days left or expired, days counted at `generatedAt`.
   */
  expiry: {
    readAt: string | null;
    published: ExpiryPublishedView[];
    warnings: ExpiryWarningView[];
  };
  /**
   * Campaigns owing withdrawals (`withdrawalsOwed` > 0), most owed first, at most a bounded number (`omitted` more), and
   * the state of the `<prefix>-withdrawals-failed` alarm (null when not found). Absent in older documents.
   */
  withdrawals?: {
    campaigns: OwedWithdrawalView[];
    total: number;
    omitted: number;
    alarm: { name: string; state: AlarmState } | null;
  };
  /**
   * Whether job documents wait for a `release refresh`: the published image targets do not verify under the newest
   * image root, or have expired (`held`, null when neither); `check` is the last signature check. Absent in older documents.
   */
  targets?: { check: TargetsCheckView | null; held: DocumentsHeldView | null };
  /** What could not be read this run (the rest is still shown). */
  errors: string[];
}

export interface DashboardDocuments {
  [DASHBOARD_DOCUMENT.Fleet]: FleetDocument;
  [DASHBOARD_DOCUMENT.Telemetry]: TelemetryDocument;
  [DASHBOARD_DOCUMENT.Campaigns]: CampaignsDocument;
  [DASHBOARD_DOCUMENT.Alarms]: AlarmsDocument;
  [DASHBOARD_DOCUMENT.Queues]: QueuesDocument;
  [DASHBOARD_DOCUMENT.NeedsAHand]: NeedsAHandDocument;
}

/** The document type behind a key: a campaign page, or one of the fixed documents. */
export type DocumentFor<Key extends DashboardDocumentKey> = Key extends DashboardDocumentName ? DashboardDocuments[Key] : CampaignPageDocument;
