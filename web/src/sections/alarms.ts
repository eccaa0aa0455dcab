import { ALARM_STATE, type AlarmsDocument } from "../../../functions/dashboard-publisher/documents.js";
import { h } from "../dom.js";
import { formatAge, humanizeState, stateToken } from "../format.js";

/** Alarms: a count per state and a table, ALARM rows first and marked as such. */
export function alarmsSection(container: HTMLElement): { render(doc: AlarmsDocument, nowMs: number): void } {
  return {
    render(doc, nowMs) {
      const counts = h(
        "p",
        { class: "alarm-counts" },
        ...[ALARM_STATE.Alarm, ALARM_STATE.InsufficientData, ALARM_STATE.Ok].map((state) =>
          h("span", { class: `badge alarm-${stateToken(state)}`, "data-count-state": state }, `${doc.counts[state]} ${humanizeState(state)}`),
        ),
      );
      if (doc.alarms.length === 0) {
        container.replaceChildren(h("p", { class: "empty" }, "No alarms are defined for this stack."));
        return;
      }
      container.replaceChildren(
        counts,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "alarms" },
            h("thead", null, h("tr", null, ...["State", "Alarm", "Reason", "Since"].map((label) => h("th", { scope: "col" }, label)))),
            h(
              "tbody",
              null,
              ...doc.alarms.map((alarm) =>
                h(
                  "tr",
                  { class: `alarm-row-${stateToken(alarm.state)}`, "data-alarm": alarm.name },
                  h("td", null, h("span", { class: `badge alarm-${stateToken(alarm.state)}` }, humanizeState(alarm.state))),
                  h("th", { scope: "row" }, alarm.name, alarm.description ? h("small", null, alarm.description) : null),
                  h("td", { class: "reason" }, alarm.reason || "—"),
                  h("td", null, alarm.updatedAt ? formatAge(alarm.updatedAt, nowMs) : "—"),
                ),
              ),
            ),
          ),
        ),
      );
    },
  };
}
