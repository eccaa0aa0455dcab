import type { AlarmHistoryItem, MetricAlarm, CompositeAlarm } from "@aws-sdk/client-cloudwatch";
import type { Message } from "@aws-sdk/client-sqs";
import { DEAD_LETTER_QUEUE, describeDeadLetter, ERROR_KIND, ERROR_MESSAGE_ATTRIBUTE } from "../../contracts/dead-letter.js";
import {
  CAMPAIGN_ID_PATTERN,
  DASHBOARD_SCHEMA_VERSION,
  QUEUE_ROLE,
  type AlarmChangeView,
  type DeadLetterView,
  type ExpiryPublishedView,
  type ExpiryWarningView,
  type NeedsAHandDocument,
  type ParkedFailureView,
  type QueueRole,
} from "../../contracts/dashboard-documents.js";
import type { ParkedFailure } from "../../contracts/parked-failure.js";
import { remedyOf } from "../../lib/parked-failures.js";
import { toAlarmState } from "./alarm-view.js";
import { EXPIRING, expiryEntry, type PublishedExpiry } from "../../uptane/calendar.js";

/** What the "needs a hand" document is built from; each part may have failed on its own (`error`). */
export interface NeedsAHandInput {
  parked: { failures: readonly ParkedFailure[] } | { error: string };
  /** Messages looked at in each DLQ (without taking them), with the queue's depth. */
  deadLetters: ReadonlyArray<{ queue: QueueRole; visible: number | null; messages: readonly Message[] } | { queue: QueueRole; error: string }>;
  alarms: { metricAlarms: readonly MetricAlarm[]; compositeAlarms: readonly CompositeAlarm[] } | { error: string };
  /** CloudWatch's alarm history (StateUpdate items), or undefined where DescribeAlarmHistory is not available (moto). */
  alarmHistory: readonly AlarmHistoryItem[] | undefined;
  /**
   * The release calendar as read this run (image targets, newest image root, newest director root), or
   * undefined when not read this run (between the trends' refreshes): the previous document's is kept.
   */
  expiry?: { published: readonly PublishedExpiry[] } | { error: string } | undefined;
}

export const needsAHandDefaults = { maxParked: 25, maxAlarmChanges: 30, alarmChangeWindowMs: 24 * 3_600_000 } as const;

/**
 * The alarms whose history can hold a state change since `since`: those whose last state update
 * (`StateUpdatedTimestamp`, from DescribeAlarms) is that recent, or unknown. An alarm last updated before
 * `since` has no change after it, so its DescribeAlarmHistory call (one CloudWatch API request per alarm
 * a minute, $0.01 per 1,000) is skipped: about 45 requests a minute fewer when nothing changes.
 *
 * @example
 * alarmsChangedSince(alarms, new Date(Date.now() - needsAHandDefaults.alarmChangeWindowMs)); // ["fleetota-dev-telemetry-dlq-depth"]
 */
export function alarmsChangedSince(alarms: ReadonlyArray<MetricAlarm | CompositeAlarm>, since: Date): string[] {
  return alarms.flatMap((alarm) => {
    if (!alarm.AlarmName) return [];
    const updated = alarm.StateUpdatedTimestamp === undefined ? Number.NaN : new Date(alarm.StateUpdatedTimestamp).getTime();
    return Number.isNaN(updated) || updated >= since.getTime() ? [alarm.AlarmName] : [];
  });
}

/**
 * The `fleetota` command for a dead-lettered message of any DLQ. The campaign id comes from the message
 * body, and a status report's is the vehicle's own text (any printable, 128 characters): it is named only
 * when it is a campaign id as the pages know one (CAMPAIGN_ID_PATTERN: one shell word, not an option), so
 * `c-1; curl … | sh` never becomes the command the page offers an operator to copy.
 */
export function deadLetterCommand(queue: QueueRole, letter: { errorKind: string; campaignId?: string | undefined }): string {
  const telemetry = queue === QUEUE_ROLE.TelemetryDeadLetter;
  const base = telemetry ? "fleetota redrive --queue telemetry" : queue === QUEUE_ROLE.CommandDeadLetter ? "fleetota redrive --queue commands" : "fleetota redrive";
  if (letter.errorKind === ERROR_KIND.InvalidJson || letter.errorKind === ERROR_KIND.InvalidMessage) {
    return `${base} --dry-run (malformed: a redrive cannot fix it; look, then fix the sender)`;
  }
  return !telemetry && letter.campaignId !== undefined && CAMPAIGN_ID_PATTERN.test(letter.campaignId) ? `${base} --campaign ${letter.campaignId}` : base;
}

function deadLetterView(queue: QueueRole, message: Message): DeadLetterView {
  const telemetry = queue === QUEUE_ROLE.TelemetryDeadLetter;
  const letter = describeDeadLetter(message, telemetry ? DEAD_LETTER_QUEUE.Telemetry : queue === QUEUE_ROLE.CommandDeadLetter ? DEAD_LETTER_QUEUE.Commands : DEAD_LETTER_QUEUE.Updates);
  const recorded = message.MessageAttributes?.[ERROR_MESSAGE_ATTRIBUTE]?.StringValue;
  const telemetryReason = letter.object !== undefined && recorded === undefined
    ? `${letter.object}: the telemetry processor failed on it maxReceiveCount times (a transient failure; a redrive retries it)`
    : letter.error;
  return {
    queue,
    messageId: letter.messageId,
    kind: letter.errorKind,
    reason: telemetry ? telemetryReason : letter.error,
    receiveCount: letter.receiveCount,
    campaignId: telemetry ? null : letter.campaignId ?? null,
    command: deadLetterCommand(queue, letter),
  };
}

/** A StateUpdate history item as a change; undefined when its data cannot be read. */
function historyChange(item: AlarmHistoryItem): AlarmChangeView | undefined {
  if (!item.AlarmName || !item.Timestamp) return undefined;
  try {
    const data = JSON.parse(item.HistoryData ?? "{}") as { newState?: { stateValue?: string; stateReason?: string } };
    return {
      alarm: item.AlarmName,
      at: new Date(item.Timestamp).toISOString(),
      state: toAlarmState(data.newState?.stateValue),
      reason: data.newState?.stateReason ?? item.HistorySummary ?? "",
    };
  } catch {
    return { alarm: item.AlarmName, at: new Date(item.Timestamp).toISOString(), state: toAlarmState(undefined), reason: item.HistorySummary ?? "" };
  }
}

/**
 * Alarm state changes of the last day, newest first. With CloudWatch's history that is the history;
 * without it (moto has no DescribeAlarmHistory) each alarm's current state since its last update is a
 * change, carried from run to run in the previous document, so the page still shows the recent ones.
 */
export function alarmChanges(
  input: Pick<NeedsAHandInput, "alarms" | "alarmHistory">,
  previous: NeedsAHandDocument | undefined,
  now: Date,
): { changes: AlarmChangeView[]; source: NeedsAHandDocument["alarmChangesSource"] } {
  const since = now.getTime() - needsAHandDefaults.alarmChangeWindowMs;
  const recent = (change: AlarmChangeView) => Date.parse(change.at) >= since;
  let changes: AlarmChangeView[];
  let source: NeedsAHandDocument["alarmChangesSource"];
  if (input.alarmHistory) {
    source = "alarm-history";
    changes = input.alarmHistory.map(historyChange).filter((change): change is AlarmChangeView => change !== undefined);
  } else {
    source = "observed";
    const observed = "error" in input.alarms
      ? []
      : [...input.alarms.metricAlarms, ...input.alarms.compositeAlarms].flatMap((alarm): AlarmChangeView[] =>
          alarm.AlarmName && alarm.StateUpdatedTimestamp
            ? [{ alarm: alarm.AlarmName, at: new Date(alarm.StateUpdatedTimestamp).toISOString(), state: toAlarmState(alarm.StateValue), reason: alarm.StateReason ?? "" }]
            : [],
        );
    const carried = previous?.alarmChangesSource === "observed" ? previous.alarmChanges : [];
    const byKey = new Map<string, AlarmChangeView>();
    for (const change of [...carried, ...observed]) byKey.set(`${change.alarm}\u0000${change.at}`, change);
    changes = [...byKey.values()];
  }
  return {
    changes: changes
      .filter(recent)
      .sort((a, b) => b.at.localeCompare(a.at) || a.alarm.localeCompare(b.alarm))
      .slice(0, needsAHandDefaults.maxAlarmChanges),
    source,
  };
}

/**
 * What needs an operator's hand: the newest parked failures with their remedy and command, the
 * messages in the DLQs with why they are there and the command for each, and recent alarm changes.
 *
 * @example
 * const doc = shapeNeedsAHand(input, previous, new Date());
 * doc.deadLetters.items[0].command; // "fleetota redrive --campaign c-…"
 */
export function shapeNeedsAHand(input: NeedsAHandInput, previous: NeedsAHandDocument | undefined, now: Date): NeedsAHandDocument {
  const errors: string[] = [];
  const failures = "error" in input.parked ? (errors.push(`parked failures: ${input.parked.error}`), []) : input.parked.failures;
  const byReason = new Map<string, number>();
  for (const failure of failures) byReason.set(failure.reason, (byReason.get(failure.reason) ?? 0) + 1);
  const parkedItems: ParkedFailureView[] = [...failures]
    .sort((a, b) => b.parkedAt.localeCompare(a.parkedAt))
    .slice(0, needsAHandDefaults.maxParked)
    .map((failure) => ({
      id: failure.id,
      source: failure.source,
      reason: failure.reason,
      detail: failure.detail,
      parkedAt: failure.parkedAt,
      remedy: remedyOf(failure),
      command: `fleetota parked --source ${failure.source} --reason ${failure.reason}`,
    }));
  const items: DeadLetterView[] = [];
  const depth: NeedsAHandDocument["deadLetters"]["depth"] = [];
  for (const queue of input.deadLetters) {
    if ("error" in queue) {
      errors.push(`${queue.queue}: ${queue.error}`);
      continue;
    }
    depth.push({ queue: queue.queue, visible: queue.visible, command: deadLetterCommand(queue.queue, { errorKind: ERROR_KIND.ProcessingFailed }) });
    items.push(...queue.messages.map((message) => deadLetterView(queue.queue, message)));
  }
  if ("error" in input.alarms) errors.push(`alarms: ${input.alarms.error}`);
  const { changes, source } = alarmChanges(input, previous, now);
  const expiry = expiryPart(input.expiry, previous, now, errors);
  return {
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    parked: {
      items: parkedItems,
      total: failures.length,
      complete: failures.length < needsAHandListLimit,
      byReason: [...byReason].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    },
    deadLetters: { items, depth },
    alarmChanges: changes,
    alarmChangesSource: source,
    expiry,
    errors,
  };
}

const EXPIRING_VALUES: ReadonlySet<string> = new Set(Object.values(EXPIRING));

/**
 * A published file as the document keeps it: a known kind, a whole version, the date re-written by
 * Date (an unreadable one kept as "unreadable", which counts as expired). Nothing else of the metadata,
 * or of a previous document, reaches the page.
 */
function publishedView(published: { what?: unknown; version?: unknown; expires?: unknown }): ExpiryPublishedView | undefined {
  if (typeof published.what !== "string" || !EXPIRING_VALUES.has(published.what)) return undefined;
  if (typeof published.version !== "number" || !Number.isSafeInteger(published.version) || published.version < 1) return undefined;
  const at = typeof published.expires === "string" ? Date.parse(published.expires) : Number.NaN;
  return { what: published.what as ExpiryPublishedView["what"], version: published.version, expires: Number.isFinite(at) ? new Date(at).toISOString() : "unreadable" };
}

/**
 * The calendar's warnings at `now` (expiryEntry, the one `fleetota release status` uses): each published
 * file with fewer than EXPIRY_WARNING_DAYS left or expired, soonest first, with its line and remedy.
 *
 * @example
 * expiryWarnings([{ what: "image targets", version: 4, expires: "2026-12-05T00:00:00.000Z" }], now)[0].line; // "image targets 4 expire in 2 days (2026-12-05T00:00:00.000Z)"
 */
export function expiryWarnings(published: readonly ExpiryPublishedView[], now: Date): ExpiryWarningView[] {
  return published
    .map((view) => expiryEntry(view, now))
    .filter((entry) => entry.warning)
    .sort((a, b) => a.daysLeft - b.daysLeft)
    .map((entry) => {
      const verb = entry.what === EXPIRING.ImageTargets ? "expire" : "expires";
      const days = Number.isFinite(entry.daysLeft) ? entry.daysLeft : -1;
      const line = entry.expired
        ? `${entry.what} ${entry.version} EXPIRED${entry.expires === "unreadable" ? " (unreadable date)" : ` at ${entry.expires}`}: vehicles refuse it`
        : `${entry.what} ${entry.version} ${verb} in ${days} day${days === 1 ? "" : "s"} (${entry.expires})`;
      return { what: entry.what, version: entry.version, expires: entry.expires, daysLeft: days, expired: entry.expired, line, remedy: entry.remedy };
    });
}

function expiryPart(input: NeedsAHandInput["expiry"], previous: NeedsAHandDocument | undefined, now: Date, errors: string[]): NeedsAHandDocument["expiry"] {
  const carried: { readAt: string | null; published: ReadonlyArray<{ what?: unknown; version?: unknown; expires?: unknown }> } = { readAt: previous?.expiry?.readAt ?? null, published: previous?.expiry?.published ?? [] };
  let current = carried;
  if (input !== undefined && "error" in input) errors.push(`release calendar: ${input.error}`);
  else if (input !== undefined) current = { readAt: now.toISOString(), published: [...input.published] };
  const published = current.published.map(publishedView).filter((view): view is ExpiryPublishedView => view !== undefined);
  return { readAt: current.readAt, published, warnings: expiryWarnings(published, now) };
}

/** How many parked failures the publisher reads at most per run (newest first); more are counted as "at least". */
export const needsAHandListLimit = 200;
