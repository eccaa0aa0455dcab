import { DASHBOARD_SCHEMA_VERSION, QUEUE_ROLE, type QueueRole, type QueuesDocument, type QueueView } from "../../contracts/dashboard-documents.js";

/** What was read about one queue: its SQS attributes and the age of its oldest message, or why not. */
export interface QueueReading {
  role: QueueRole;
  url: string;
  attributes?: Readonly<Record<string, string>>;
  oldestAgeSeconds?: number | null;
  error?: string;
}

export const DEAD_LETTER_ROLES: ReadonlySet<QueueRole> = new Set([QUEUE_ROLE.TelemetryDeadLetter, QUEUE_ROLE.UpdateDeadLetter, QUEUE_ROLE.CommandDeadLetter]);

/** The SQS attributes the queue view reads; ask GetQueueAttributes for exactly these. */
export const QUEUE_ATTRIBUTES = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
] as const;

/**
 * Shapes queue readings for the page: depth, in flight, delayed, oldest age; a queue that could not
 * be read keeps its row with the error, so a broken queue is visible rather than missing.
 *
 * @example
 * shapeQueues([{ role: "telemetry-dlq", url, attributes: { ApproximateNumberOfMessages: "3" } }], new Date());
 */
export function shapeQueues(readings: readonly QueueReading[], now: Date): QueuesDocument {
  return {
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    queues: readings.map((reading): QueueView => ({
      role: reading.role,
      name: queueNameFromUrl(reading.url),
      deadLetter: DEAD_LETTER_ROLES.has(reading.role),
      visible: attributeCount(reading.attributes, "ApproximateNumberOfMessages"),
      inFlight: attributeCount(reading.attributes, "ApproximateNumberOfMessagesNotVisible"),
      delayed: attributeCount(reading.attributes, "ApproximateNumberOfMessagesDelayed"),
      oldestAgeSeconds: reading.oldestAgeSeconds ?? null,
      error: reading.error ?? null,
    })),
  };
}

/** `https://sqs.eu-west-1.amazonaws.com/123456789012/fleetota-dev-telemetry` → `fleetota-dev-telemetry`. */
export function queueNameFromUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1) || url;
}

function attributeCount(attributes: Readonly<Record<string, string>> | undefined, name: string): number | null {
  const raw = attributes?.[name];
  if (raw === undefined) return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}
