import { RELEASE_STATUS_COMMAND, type NeedsAHandDocument } from "../../../contracts/dashboard-documents.js";
import { campaignPageHref } from "./campaigns.js";
import { dataTable, h } from "../dom.js";
import { formatAge } from "../../../lib/age-format.js";
import { visibleText as shown } from "../../../lib/visible-text.js";
import { formatCount, humanizeState, stateToken } from "../format.js";

/**
 * What needs an operator's hand: parked (permanent) failures and dead-lettered messages, each with why
 * and the command that deals with it, and the alarms' recent state changes with their reasons.
 */
export function needsAHandSection(container: HTMLElement): { render(doc: NeedsAHandDocument, nowMs: number): void } {
  return {
    render(doc, nowMs) {
      // Documents written before the release calendar have no `expiry`.
      const expiring = doc.expiry?.warnings ?? [];
      const owing = doc.withdrawals?.campaigns ?? [];
      const held = doc.targets?.held ?? null;
      const nothing = doc.parked.items.length === 0 && doc.deadLetters.items.length === 0 && doc.alarmChanges.length === 0 && expiring.length === 0 && owing.length === 0 && !held;
      container.replaceChildren(
        ...doc.errors.map((error) => h("p", { class: "notice notice-error", role: "alert" }, `Could not read ${error}; the rest is current.`)),
        ...(nothing && doc.errors.length === 0 ? [h("p", { class: "all-clear" }, "Nothing needs a hand: no parked failures, no dead letters, no alarm changes in the last day.")] : []),
        ...documentsHeld(doc),
        ...(expiring.length === 0
          ? []
          : [
              part(
                "Release calendar",
                "expiry",
                table(
                  ["Expires", "Run"],
                  expiring.map((warning) =>
                    h(
                      "tr",
                      { "data-expiry": warning.what, class: warning.expired ? "expired" : undefined },
                      h("td", { title: warning.expires }, h("strong", null, warning.line)),
                      h("td", null, h("code", { class: "command" }, warning.remedy)),
                    ),
                  ),
                ),
                h("p", { class: "caption" }, `Fewer than 7 days left, or expired (vehicles refuse expired metadata). Read from the repositories${doc.expiry.readAt ? ` ${formatAge(doc.expiry.readAt, nowMs)}` : ""}; fleetota release status shows the whole calendar.`),
              ),
            ]),
        ...owedWithdrawals(doc),
        h(
          "div",
          { class: "grid-2" },
          part(
            "Parked failures",
            "parked",
            parkedCounts(doc, nowMs),
            doc.parked.items.length === 0
              ? h("p", { class: "empty" }, "No parked failures.")
              : table(
                  ["When", "What", "Remedy"],
                  doc.parked.items.map((item) =>
                    h(
                      "tr",
                      { "data-parked": item.id },
                      h("td", { title: item.parkedAt }, formatAge(item.parkedAt, nowMs)),
                      h(
                        "td",
                        null,
                        h("strong", null, shown(item.reason)),
                        item.count !== undefined && item.count > 1 ? ` ×${formatCount(item.count)}` : null,
                        h("small", null, `${shown(item.source)}: ${shown(item.detail)}`),
                      ),
                      h("td", null, shown(item.remedy), h("code", { class: "command" }, item.command)),
                    ),
                  ),
                ),
            doc.parked.total > doc.parked.items.length
              ? h("p", { class: "caption" }, `Newest ${formatCount(doc.parked.items.length)} of ${doc.parked.complete ? "" : "at least "}${formatCount(doc.parked.total)}; fleetota parked lists them all.`)
              : null,
          ),
          part(
            "Dead-lettered messages",
            "dead-letters",
            doc.deadLetters.items.length === 0
              ? h("p", { class: "empty" }, "The dead-letter queues are empty.")
              : table(
                  ["Queue", "Why", "Command"],
                  doc.deadLetters.items.map((item) =>
                    h(
                      "tr",
                      { "data-message": item.messageId },
                      h("td", null, item.queue, h("small", null, `received ${item.receiveCount}×`)),
                      h("td", null, h("strong", null, shown(item.kind)), h("small", null, shown(item.reason))),
                      h("td", null, h("code", { class: "command" }, item.command)),
                    ),
                  ),
                ),
            h(
              "p",
              { class: "caption" },
              doc.deadLetters.depth.map((queue) => `${queue.queue}: ${formatCount(queue.visible)} visible`).join(" · ") || "No dead-letter queue read.",
              doc.deadLetters.items.length > 0 ? " (up to 10 per queue shown, looked at without taking them)" : null,
            ),
          ),
        ),
        part(
          "Alarm changes (last 24 h)",
          "alarm-changes",
          doc.alarmChanges.length === 0
            ? h("p", { class: "empty" }, "No alarm changed state in the last day.")
            : table(
                ["When", "Alarm", "Now", "Reason"],
                doc.alarmChanges.map((change) =>
                  h(
                    "tr",
                    { "data-alarm-change": change.alarm },
                    h("td", { title: change.at }, formatAge(change.at, nowMs)),
                    h("td", null, change.alarm),
                    h("td", null, h("span", { class: `badge alarm-${stateToken(change.state)}` }, humanizeState(change.state))),
                    h("td", { class: "reason" }, change.reason),
                  ),
                ),
              ),
          h(
            "p",
            { class: "caption" },
            doc.alarmChangesSource === "alarm-history"
              ? "From CloudWatch's alarm history."
              : "Seen by the publisher each minute (this CloudWatch has no alarm history; a change undone within a minute is missed).",
          ),
        ),
      );
    },
  };
}

/** Job documents that wait for the release engineers: the published image targets do not verify, or expired. */
function documentsHeld(doc: NeedsAHandDocument): HTMLElement[] {
  const held = doc.targets?.held;
  if (!held) return [];
  const unverifiable = held.cause === "image-targets-unverifiable";
  return [
    h(
      "section",
      { class: "card card-alert", role: "alert", "aria-label": "Job documents wait", "data-testid": "documents-held", "data-cause": held.cause },
      h("h3", null, unverifiable ? "Job documents wait: the image targets do not verify" : "Job documents wait: the image targets expired"),
      h("p", null, h("strong", null, shown(held.line))),
      h("code", { class: "command", "data-field": "command" }, held.command),
      held.command === RELEASE_STATUS_COMMAND ? null : h("code", { class: "command", "data-field": "status-command" }, RELEASE_STATUS_COMMAND),
      h(
        "p",
        { class: "caption" },
        unverifiable
          ? held.command === RELEASE_STATUS_COMMAND
            ? "The newest image root does not name these targets for a refresh: fleetota release status says why; find out who published them."
            : "After a release-key rotation, each of a threshold of the new release keys runs it with their own key."
          : "A threshold of release engineers each runs it with their own key.",
        ` ${formatCount(held.parkedMessages)} held back among the parked records read (${held.cause}). Nothing to resend afterwards: the next tick publishes the queued jobs' documents and vehicles' next telemetry re-sends candidates.`,
      ),
    ),
  ];
}

/** Campaigns whose jobs that will not run still have install documents out: how many, and the command per campaign. */
function owedWithdrawals(doc: NeedsAHandDocument): HTMLElement[] {
  const withdrawals = doc.withdrawals;
  if (!withdrawals || withdrawals.campaigns.length === 0) return [];
  const alarm = withdrawals.alarm;
  return [part(
    "Owed withdrawals",
    "withdrawals",
    table(
      ["Campaign", "Documents to withdraw", "Run"],
      withdrawals.campaigns.map((entry) =>
        h(
          "tr",
          { "data-owed-campaign": shown(entry.campaignId) },
          h("td", null, h("a", { href: campaignPageHref(entry.campaignId) }, shown(entry.name)), h("small", null, `${shown(entry.campaignId)} · ${humanizeState(entry.state)}`)),
          h("td", { class: "num", "data-field": "owed" }, formatCount(entry.owed)),
          h("td", null, h("code", { class: "command" }, entry.command)),
        ),
      ),
    ),
    h(
      "p",
      { class: "caption" },
      `${formatCount(withdrawals.total)} install ${withdrawals.total === 1 ? "document" : "documents"} of canceled or timed-out jobs still readable by their vehicles`,
      withdrawals.omitted > 0 ? ` (${formatCount(withdrawals.omitted)} more campaigns not listed)` : "",
      ". The ticker withdraws each again every minute and confirms it 20 minutes after its job's last write; nothing to run while the count goes down. ",
      alarm
        ? alarm.state === "ALARM"
          ? h("strong", { "data-field": "withdrawals-alarm" }, `${alarm.name} is in ALARM: withdrawals are failing (KMS throttling, S3 errors); the update manager's "job document withdrawal failed" log lines say why.`)
          : h("span", { "data-field": "withdrawals-alarm" }, `${alarm.name}: ${humanizeState(alarm.state)}.`)
        : null,
    ),
  )];
}

/**
 * Parked failures counted by source and reason over the records read (the newest days, a bounded listing), each
 * with the messages it stands for, when the oldest read expires, and the `fleetota parked` command listing them.
 */
function parkedCounts(doc: NeedsAHandDocument, nowMs: number): HTMLElement | null {
  // Documents written before the counts carry `byReason` entries without a command.
  const reasons = doc.parked.byReason.filter((entry) => typeof entry.command === "string");
  if (reasons.length === 0) return null;
  const retention = doc.parked.retentionDays;
  return h(
    "div",
    { class: "parked-counts", "data-testid": "parked-counts" },
    table(
      ["Reason", "Messages", "Newest", "Oldest expires", "List them"],
      reasons.map((entry) =>
        h(
          "tr",
          { "data-parked-reason": `${shown(entry.source)}/${shown(entry.reason)}` },
          h("td", null, h("strong", null, shown(entry.reason)), h("small", null, shown(entry.source))),
          h("td", { class: "num", "data-field": "messages" }, formatCount(entry.messages), entry.records === entry.messages ? null : h("small", null, `${formatCount(entry.records)} records`)),
          h("td", { title: entry.newestAt }, formatAge(entry.newestAt, nowMs)),
          h("td", { title: entry.oldestExpiresAt, "data-field": "expires" }, expiresIn(entry.oldestExpiresAt, nowMs)),
          h("td", null, h("code", { class: "command" }, entry.command)),
        ),
      ),
    ),
    h(
      "p",
      { class: "caption" },
      `${doc.parked.complete ? "Every" : "The newest"} parked record${doc.parked.complete ? "" : "s"} read (${formatCount(doc.parked.total)}), by reason. `,
      `Nothing retries them; each record expires ${retention === undefined ? "" : `${retention} days `}after it was parked, acted on or not (stack prop parkedRetentionDays).`,
    ),
  );
}

function expiresIn(iso: string, nowMs: number): string {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return "—";
  const days = Math.floor((at - nowMs) / 86_400_000);
  return days < 1 ? "within a day" : `in ${days} day${days === 1 ? "" : "s"}`;
}

function part(title: string, testId: string, ...children: Array<HTMLElement | null>): HTMLElement {
  return h("section", { class: "card", "aria-label": title, "data-testid": testId }, h("h3", null, title), ...children);
}

function table(headings: readonly string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h("div", { class: "table-wrap" }, dataTable(headings, rows));
}
