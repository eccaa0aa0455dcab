import type { AlarmHistoryItem, MetricAlarm, CompositeAlarm } from "@aws-sdk/client-cloudwatch";
import type { Message } from "@aws-sdk/client-sqs";
import { DEAD_LETTER_QUEUE, describeDeadLetter, ERROR_KIND, ERROR_MESSAGE_ATTRIBUTE } from "../../contracts/dead-letter.js";
import {
  CAMPAIGN_ID_PATTERN,
  DASHBOARD_SCHEMA_VERSION,
  RELEASE_REFRESH_COMMAND,
  RELEASE_STATUS_COMMAND,
  withdrawalsCommand,
  QUEUE_ROLE,
  type AlarmChangeView,
  type DeadLetterView,
  type DocumentsHeldView,
  type TargetsCheckView,
  type ExpiryPublishedView,
  type ExpiryWarningView,
  type NeedsAHandDocument,
  type OwedWithdrawalView,
  type ParkedFailureView,
  type ParkedReasonView,
  type QueueRole,
} from "../../contracts/dashboard-documents.js";
import { DEFAULT_PARKED_RETENTION_DAYS, PARKED_SOURCE, type ParkedFailure } from "../../contracts/parked-failure.js";
import { messagesOf, PARKED_REASON, remedyOf } from "../../lib/parked-failures.js";
import { toAlarmState } from "./alarm-view.js";
import { owedCount, type CampaignSummaryInput } from "./campaign-view.js";
import { ALARM_SUFFIX } from "../../contracts/metrics.js";
import { EXPIRING, expiryEntry, type PublishedExpiry } from "../../uptane/calendar.js";

/** A check of the published image targets as the source returns it (the view stamps its time). */
export type TargetsCheck = Omit<TargetsCheckView, "checkedAt">;

/** What the "needs a hand" document is built from; each part may have failed on its own (`error`). */
export interface NeedsAHandInput {
  /** `complete`: false when the listing stopped (at its page budget) before the oldest days. */
  parked: { failures: readonly ParkedFailure[]; complete?: boolean } | { error: string };
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
  /** Days a parked record is kept (the stack's parkedRetentionDays); default 90. */
  parkedRetentionDays?: number;
  /**
   * The image targets checked against the newest image root this run (null: nothing published to check), or undefined
   * when not checked this run (no version changed since the previous document's check, which is kept).
   */
  targetsCheck?: { check: TargetsCheck | null } | { error: string } | undefined;
  /** Every campaign's summary (the campaigns document reads them; undefined: not read this run, none shown). */
  campaigns?: readonly CampaignSummaryInput[] | { error: string };
}

export const needsAHandDefaults = { maxParked: 25, maxAlarmChanges: 30, alarmChangeWindowMs: 24 * 3_600_000, maxOwedCampaigns: 25 } as const;

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

const PARKED_SOURCES: ReadonlySet<string> = new Set(Object.values(PARKED_SOURCE));
/** Reasons as the sources write them (PARKED_REASON, REPORT_PARKED_REASON): lower-case words joined by hyphens. */
const PARKED_REASON_WORD = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * The `fleetota parked` command that lists the failures of a source and reason. A record is read back from the bucket,
 * so like a dead letter's campaign id its fields are named in the command only when they are what the sources write (a
 * known source; a reason of lower-case words and hyphens, at most 64 characters): anything else, the filter is left
 * out, and the command still lists them.
 *
 * @example
 * parkedCommand({ source: "update-manager", reason: "other-vehicle" }); // "fleetota parked --source update-manager --reason other-vehicle"
 * parkedCommand({ source: "update-manager", reason: "x; curl … | sh" }); // "fleetota parked --source update-manager"
 */
export function parkedCommand(failure: { source: string; reason: string }): string {
  const source = PARKED_SOURCES.has(failure.source) ? ` --source ${failure.source}` : "";
  const reason = failure.reason.length <= 64 && PARKED_REASON_WORD.test(failure.reason) ? ` --reason ${failure.reason}` : "";
  return `fleetota parked${source}${reason}`;
}

/** Parked failures by source and reason, largest first (by the messages they stand for). */
export function parkedByReason(failures: readonly ParkedFailure[], retentionDays: number): ParkedReasonView[] {
  const groups = new Map<string, ParkedReasonView>();
  for (const failure of failures) {
    const key = `${failure.source}\u0000${failure.reason}`;
    const messages = messagesOf(failure);
    const last = failure.lastParkedAt ?? failure.parkedAt;
    const group = groups.get(key);
    if (!group) {
      groups.set(key, {
        source: failure.source,
        reason: failure.reason,
        records: 1,
        messages,
        newestAt: last,
        oldestAt: failure.parkedAt,
        oldestExpiresAt: "",
        remedy: remedyOf(failure),
        command: parkedCommand(failure),
      });
      continue;
    }
    group.records += 1;
    group.messages += messages;
    if (last > group.newestAt) group.newestAt = last;
    if (failure.parkedAt < group.oldestAt) group.oldestAt = failure.parkedAt;
  }
  return [...groups.values()]
    .map((group) => ({ ...group, oldestExpiresAt: expiresAt(group.oldestAt, retentionDays) }))
    .sort((a, b) => b.messages - a.messages || b.records - a.records || a.reason.localeCompare(b.reason) || a.source.localeCompare(b.source));
}


/** When a record parked at `parkedAt` expires: S3 expires objects `days` after creation, at the next midnight UTC. */
function expiresAt(parkedAt: string, days: number): string {
  const at = Date.parse(parkedAt);
  if (!Number.isFinite(at)) return "";
  const day = 86_400_000;
  return new Date(Math.ceil((at + days * day) / day) * day).toISOString();
}

/**
 * Campaigns whose canceled or timed-out jobs' install documents are not yet confirmed withdrawn: most owed
 * first, with the withdrawals-failed alarm's state (found among the alarms read by its suffix).
 */
export function owedWithdrawals(
  campaigns: readonly CampaignSummaryInput[],
  alarms: NeedsAHandInput["alarms"],
): NonNullable<NeedsAHandDocument["withdrawals"]> {
  const owing: OwedWithdrawalView[] = campaigns
    .map((campaign) => ({ campaign, owed: owedCount(campaign.withdrawalsOwed) }))
    .filter(({ owed }) => owed > 0)
    .sort((a, b) => b.owed - a.owed || a.campaign.campaignId.localeCompare(b.campaign.campaignId))
    .map(({ campaign, owed }) => ({
      campaignId: campaign.campaignId,
      name: campaign.name || campaign.campaignId,
      state: campaign.state.toUpperCase(),
      owed,
      command: withdrawalsCommand(campaign.campaignId),
    }));
  const alarm = "error" in alarms ? undefined : alarms.metricAlarms.find((entry) => entry.AlarmName?.endsWith(`-${ALARM_SUFFIX.WithdrawalsFailed}`));
  return {
    campaigns: owing.slice(0, needsAHandDefaults.maxOwedCampaigns),
    total: owing.reduce((sum, entry) => sum + entry.owed, 0),
    omitted: Math.max(0, owing.length - needsAHandDefaults.maxOwedCampaigns),
    alarm: alarm?.AlarmName ? { name: alarm.AlarmName, state: toAlarmState(alarm.StateValue) } : null,
  };
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
  const retentionDays = input.parkedRetentionDays ?? DEFAULT_PARKED_RETENTION_DAYS;
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
      command: parkedCommand(failure),
      ...(messagesOf(failure) > 1 ? { count: messagesOf(failure) } : {}),
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
  if (input.campaigns !== undefined && "error" in input.campaigns) errors.push(`campaigns: ${input.campaigns.error}`);
  const byReason = parkedByReason(failures, retentionDays);
  const targets = targetsPart(input.targetsCheck, previous, expiry.warnings, byReason, now, errors);
  const withdrawals = input.campaigns === undefined || "error" in input.campaigns ? undefined : owedWithdrawals(input.campaigns, input.alarms);
  return {
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    parked: {
      items: parkedItems,
      total: failures.length,
      messages: failures.reduce((sum, failure) => sum + messagesOf(failure), 0),
      complete: failures.length < needsAHandListLimit && !("complete" in input.parked && input.parked.complete === false),
      byReason,
      retentionDays,
    },
    deadLetters: { items, depth },
    alarmChanges: changes,
    alarmChangesSource: source,
    expiry,
    ...(withdrawals === undefined ? {} : { withdrawals }),
    targets,
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

const MAX_REFUSAL_CHARS = 300;

/** A targets check as the document keeps it: whole versions, a boolean, bounded text; anything else (a previous document's) is dropped. */
function targetsCheckView(check: Partial<Record<keyof TargetsCheckView, unknown>> | null | undefined, checkedAt: unknown): TargetsCheckView | null {
  if (!check) return null;
  const version = (value: unknown) => (typeof value === "number" && Number.isSafeInteger(value) && value >= 1 ? value : undefined);
  const targetsVersion = version(check.targetsVersion);
  const imageRootVersion = version(check.imageRootVersion);
  if (targetsVersion === undefined || imageRootVersion === undefined || typeof check.verifies !== "boolean" || typeof checkedAt !== "string") return null;
  const text = (value: unknown) => (typeof value === "string" ? value.slice(0, MAX_REFUSAL_CHARS) : null);
  return {
    targetsVersion,
    imageRootVersion,
    verifies: check.verifies,
    kind: check.verifies ? null : text(check.kind),
    message: check.verifies ? null : text(check.message),
    refreshAllowed: !check.verifies && check.refreshAllowed === true,
    checkedAt,
  };
}

/**
 * Whether job documents wait for the release engineers: the last check says the published image targets do not verify
 * under the newest image root (after a release-key rotation, until `release refresh` by the new keys), or the calendar
 * says they expired. The check is this run's when it was done, else the previous document's; `parkedMessages` counts the
 * documents held back among the parked records read.
 */
export function targetsPart(
  input: NeedsAHandInput["targetsCheck"],
  previous: NeedsAHandDocument | undefined,
  warnings: readonly ExpiryWarningView[],
  byReason: readonly ParkedReasonView[],
  now: Date,
  errors: string[],
): NonNullable<NeedsAHandDocument["targets"]> {
  let check = targetsCheckView(previous?.targets?.check, previous?.targets?.check?.checkedAt);
  if (input !== undefined && "error" in input) errors.push(`image targets check: ${input.error}`);
  else if (input !== undefined) check = targetsCheckView(input.check, now.toISOString());
  const parked = (reason: string) => byReason.filter((entry) => entry.reason === reason).reduce((sum, entry) => sum + entry.messages, 0);
  const expired = warnings.find((warning) => warning.what === EXPIRING.ImageTargets && warning.expired);
  let held: DocumentsHeldView | null = null;
  if (check && !check.verifies) {
    held = {
      cause: PARKED_REASON.ImageTargetsUnverifiable,
      line: `image targets ${check.targetsVersion} do not verify under image root ${check.imageRootVersion}${check.kind ? ` (${check.kind}${check.message ? `: ${check.message}` : ""})` : ""}: the update manager publishes no job document, vehicles refuse them`,
      command: check.refreshAllowed ? RELEASE_REFRESH_COMMAND : RELEASE_STATUS_COMMAND,
      parkedMessages: parked(PARKED_REASON.ImageTargetsUnverifiable),
    };
  } else if (expired) {
    held = {
      cause: PARKED_REASON.ImageTargetsExpired,
      line: `image targets ${expired.version} expired${expired.expires === "unreadable" ? "" : ` at ${expired.expires}`}: the update manager publishes no job document, vehicles refuse them`,
      command: RELEASE_REFRESH_COMMAND,
      parkedMessages: parked(PARKED_REASON.ImageTargetsExpired),
    };
  }
  return { check, held };
}

/** How many parked failures the publisher reads at most per run (newest first); more are counted as "at least". */
export const needsAHandListLimit = 200;
