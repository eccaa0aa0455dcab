/**
 * Custom metric names. Every metric lives in one namespace (ENV.METRICS_NAMESPACE, default `FleetOTA`).
 * The functions write them once per invocation as embedded-metric-format log lines (lib/emf-metrics.ts),
 * with exactly the dimensions named here (none unless said), which alarms and the dashboard read. The
 * group before the slash is part of the name. No metric has a per-vehicle dimension.
 */
export const DEFAULT_METRICS_NAMESPACE = "FleetOTA";

export const METRIC = {
  VehiclesOnline: "FleetHealth/VehiclesOnline",
  VehiclesReporting: "FleetHealth/VehiclesReporting",
  ConnectivityRate: "FleetHealth/ConnectivityRate",
  BatteryAverage: "FleetHealth/BatteryAverage",
  DataPoints: "Telemetry/DataPoints",
  RecordsRejected: "Telemetry/RecordsRejected",
  ObjectsQuarantined: "Telemetry/ObjectsQuarantined",
  DuplicateObjects: "Telemetry/DuplicateObjects",
  /** Telemetry messages not started, or whose read was abandoned, because the invocation neared its timeout: returned to the queue, each spending a receive. */
  MessagesDeferred: "Telemetry/MessagesDeferred",
  /** Refused telemetry lines and quarantined objects, by `Reason` (a small fixed set: not-json, bad-vin, bad-gzip, too-large, …). */
  Refusals: "Telemetry/Refusals",
  /**
   * Vehicles' status reports the processor kept off the update queue (dimension Reason: unknown-campaign, other-vehicle,
   * older-attempt, too-many-jobs, too-many-reports; functions/telemetry-processor/report-screen.ts).
   */
  StatusReportsHeldBack: "Telemetry/StatusReportsHeldBack",
  ProcessingLatency: "Telemetry/ProcessingLatency",
  UpdatesInProgress: "OTAUpdates/InProgress",
  UpdatesSucceeded: "OTAUpdates/Succeeded",
  UpdatesFailed: "OTAUpdates/Failed",
  UpdatesTimedOut: "OTAUpdates/TimedOut",
  UpdatesRolledBack: "OTAUpdates/RolledBack",
  UpdateSuccessRate: "OTAUpdates/SuccessRate",
  /** Candidates not admitted because the registry does not vouch for their description (dimension Reason: unregistered, description-mismatch). */
  CandidatesRefused: "OTAUpdates/CandidatesRefused",
  /**
   * Job events the job machine refused without a report refusal to park (dimension Reason: report-on-ended-job, a vehicle's
   * report on a job it ended itself, SUCCEEDED, FAILED, ROLLED_BACK or REJECTED; report-on-canceled-job, on a job
   * canceled before it started; not-retryable, a retry of a job in a state that takes none; campaigns/update-tally.ts).
   * Each cost a job read; a flood of reports against a vehicle's ended jobs shows here.
   */
  JobEventsRefused: "OTAUpdates/JobEventsRefused",
  /** Job document withdrawals that failed (a KMS or S3 error); each is done again by the ticker until it lands. */
  WithdrawalsFailed: "OTAUpdates/WithdrawalsFailed",
  FleetSize: "FleetHealth/FleetSize",
  /**
   * Fleet-state entries dropped (dimension Reason: expired, past the retention; over-cap, the fleet state was full):
   * by the processor (a gateway's new VINs past one part's maximum) and the dashboard publisher (at compaction). It counts
   * entries: a VIN dropped, then named again by a later part of the same run, counts again.
   */
  FleetStateEntriesDropped: "FleetHealth/FleetStateEntriesDropped",
  /** Messages or objects parked as permanent failures (dimensions Source, Reason); see contracts/parked-failure.ts. */
  MessagesParked: "Reliability/MessagesParked",
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Alarms other parts find by name (`<prefix>-<suffix>`; modules/alarms.ts names every alarm so). */
export const ALARM_SUFFIX = {
  /** OTAUpdates/WithdrawalsFailed counted in five minutes: a withdrawal the ticker still owes failed. */
  WithdrawalsFailed: "withdrawals-failed",
  /** Reliability/MessagesParked (update manager, reason command-off-command-queue) counted in five minutes. */
  CommandOffCommandQueue: "command-off-command-queue",
  /** Reliability/MessagesParked (telemetry processor, reason object-unreadable) counted in five minutes. */
  ObjectUnreadable: "object-unreadable",
  /** Telemetry/StatusReportsHeldBack for the reasons no honest agent causes (other-vehicle, unknown-campaign, too-many-reports) in five minutes. */
  StatusReportsForged: "status-reports-forged",
  /** OTAUpdates/JobEventsRefused (reason report-on-ended-job) counted in five minutes. */
  ReportsOnEndedJobs: "reports-on-ended-jobs",
} as const;
