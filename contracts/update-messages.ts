import { z } from "zod";

/**
 * Messages on the update-job queue, consumed by the update manager. Producers: the telemetry
 * processor (candidates, status reports), the operator CLI and the rollout ticker (commands).
 * Every message carries a business `idempotencyKey`; consumers dedupe on it, never on the SQS id.
 */
export const UPDATE_MESSAGE_KIND = {
  Candidate: "candidate",
  StatusReport: "status-report",
  Command: "command",
} as const;

/** States a vehicle's OTA agent reports in its telemetry (`ota.status`). */
export const AGENT_STATUS = {
  Deferred: "DEFERRED",
  Downloading: "DOWNLOADING",
  Installing: "INSTALLING",
  Verifying: "VERIFYING",
  Succeeded: "SUCCEEDED",
  Failed: "FAILED",
  RolledBack: "ROLLED_BACK",
  Rejected: "REJECTED",
} as const;
export type AgentStatus = (typeof AGENT_STATUS)[keyof typeof AGENT_STATUS];

export const CONNECTIVITY_CLASS = { Good: "good", Weak: "weak", Offline: "offline" } as const;
export type ConnectivityClass = (typeof CONNECTIVITY_CLASS)[keyof typeof CONNECTIVITY_CLASS];

const vinSchema = z.string().length(17);

/** What the update side needs to know of a vehicle to target it and check its preconditions. */
export const vehicleSnapshotSchema = z.object({
  vin: vinSchema,
  make: z.string(),
  model: z.string(),
  modelYear: z.number().int(),
  region: z.string(),
  hardware: z.string(),
  firmwareVersion: z.string(),
  parked: z.boolean(),
  stateOfCharge: z.number().min(0).max(100),
  connectivity: z.enum([CONNECTIVITY_CLASS.Good, CONNECTIVITY_CLASS.Weak, CONNECTIVITY_CLASS.Offline]),
  observedAt: z.string(),
});
export type VehicleSnapshot = z.infer<typeof vehicleSnapshotSchema>;

export const candidateMessageSchema = z.object({
  kind: z.literal(UPDATE_MESSAGE_KIND.Candidate),
  idempotencyKey: z.string(),
  vehicle: vehicleSnapshotSchema,
});

/**
 * A vehicle's OTA status report, handed over by the telemetry processor only from an object the vehicle
 * itself uploaded (`telemetry/vehicle/<VIN>/…`, contracts/telemetry-keys.ts) and only for its own VIN.
 */
export const statusReportMessageSchema = z.object({
  kind: z.literal(UPDATE_MESSAGE_KIND.StatusReport),
  idempotencyKey: z.string(),
  /** The uploader's VIN, bound by the processor from the object key (never the record body's claim). */
  vin: vinSchema,
  campaignId: z.string(),
  jobId: z.string(),
  /** The job attempt the report is about (the job document's `attempt`). */
  attempt: z.number().int().positive(),
  /** Monotonic per attempt: a report whose sequence is not above the last one applied in it changes nothing. */
  sequence: z.number().int().nonnegative(),
  status: z.enum(Object.values(AGENT_STATUS) as [AgentStatus, ...AgentStatus[]]),
  reason: z.string().optional(),
  /** The firmware the vehicle runs as it reports (the record's `firmware.version`). */
  firmwareVersion: z.string(),
  reportedAt: z.string(),
});

export const OPERATOR_COMMAND = {
  Start: "start",
  Pause: "pause",
  Resume: "resume",
  Cancel: "cancel",
  RetryFailed: "retry-failed",
  Tick: "tick",
} as const;
export type OperatorCommand = (typeof OPERATOR_COMMAND)[keyof typeof OPERATOR_COMMAND];

export const commandMessageSchema = z.object({
  kind: z.literal(UPDATE_MESSAGE_KIND.Command),
  idempotencyKey: z.string(),
  command: z.enum(Object.values(OPERATOR_COMMAND) as [OperatorCommand, ...OperatorCommand[]]),
  campaignId: z.string(),
  requestedBy: z.string(),
  /** The sender's clock; judges staleness only when `expectedRevision` is absent (see campaigns/command-staleness.ts). */
  requestedAt: z.string(),
  /**
   * The campaign revision the sender read before sending (the CLI always sets it): a command is refused as stale when
   * the campaign changed state after that revision (a redriven resume must not undo a later pause).
   */
  expectedRevision: z.number().int().nonnegative().optional(),
  reason: z.string().optional(),
});

export const updateMessageSchema = z.discriminatedUnion("kind", [
  candidateMessageSchema,
  statusReportMessageSchema,
  commandMessageSchema,
]);
export type UpdateMessage = z.infer<typeof updateMessageSchema>;
export type CandidateMessage = z.infer<typeof candidateMessageSchema>;
export type StatusReportMessage = z.infer<typeof statusReportMessageSchema>;
export type CommandMessage = z.infer<typeof commandMessageSchema>;
