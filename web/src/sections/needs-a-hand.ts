import type { NeedsAHandDocument } from "../../../contracts/dashboard-documents.js";
import { dataTable, h } from "../dom.js";
import { formatAge } from "../../../lib/age-format.js";
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
      const nothing = doc.parked.items.length === 0 && doc.deadLetters.items.length === 0 && doc.alarmChanges.length === 0 && expiring.length === 0;
      container.replaceChildren(
        ...doc.errors.map((error) => h("p", { class: "notice notice-error", role: "alert" }, `Could not read ${error}; the rest is current.`)),
        ...(nothing && doc.errors.length === 0 ? [h("p", { class: "all-clear" }, "Nothing needs a hand: no parked failures, no dead letters, no alarm changes in the last day.")] : []),
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
        h(
          "div",
          { class: "grid-2" },
          part(
            "Parked failures",
            "parked",
            doc.parked.items.length === 0
              ? h("p", { class: "empty" }, "No parked failures.")
              : table(
                  ["When", "What", "Remedy"],
                  doc.parked.items.map((item) =>
                    h(
                      "tr",
                      { "data-parked": item.id },
                      h("td", { title: item.parkedAt }, formatAge(item.parkedAt, nowMs)),
                      h("td", null, h("strong", null, item.reason), h("small", null, `${item.source}: ${item.detail}`)),
                      h("td", null, item.remedy, h("code", { class: "command" }, item.command)),
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
                      h("td", null, h("strong", null, item.kind), h("small", null, item.reason)),
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

function part(title: string, testId: string, ...children: Array<HTMLElement | null>): HTMLElement {
  return h("section", { class: "card", "aria-label": title, "data-testid": testId }, h("h3", null, title), ...children);
}

function table(headings: readonly string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h("div", { class: "table-wrap" }, dataTable(headings, rows));
}
