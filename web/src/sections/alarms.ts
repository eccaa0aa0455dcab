import { ALARM_STATE, type AlarmsDocument, type AlarmView } from "../../../contracts/dashboard-documents.js";
import { h } from "../dom.js";
import { formatAge } from "../../../lib/age-format.js";
import { humanizeState, stateToken } from "../format.js";

/**
 * Alarms: a count per state, the alarms in ALARM in a table of their own, and the quiet ones (OK,
 * insufficient data) folded away below so a stack with many alarms still shows what fires at a glance.
 */
export function alarmsSection(container: HTMLElement): { render(doc: AlarmsDocument, nowMs: number): void } {
  return {
    render(doc, nowMs) {
      if (doc.alarms.length === 0) {
        container.replaceChildren(h("p", { class: "empty" }, "No alarms are defined for this stack."));
        return;
      }
      const firing = doc.alarms.filter((alarm) => alarm.state === ALARM_STATE.Alarm);
      const quiet = doc.alarms.filter((alarm) => alarm.state !== ALARM_STATE.Alarm);
      container.replaceChildren(
        h(
          "p",
          { class: "alarm-counts" },
          ...[ALARM_STATE.Alarm, ALARM_STATE.InsufficientData, ALARM_STATE.Ok].map((state) =>
            h("span", { class: `badge alarm-${stateToken(state)}`, "data-count-state": state }, `${doc.counts[state]} ${humanizeState(state)}`),
          ),
        ),
        firing.length ? alarmTable(firing, nowMs, "alarms") : h("p", { class: "all-clear" }, "No alarm is firing."),
      );
      if (quiet.length > 0) {
        const summary = `${quiet.length} ${quiet.length === 1 ? "alarm" : "alarms"} not firing`;
        container.append(h("details", { class: "quiet-alarms" }, h("summary", null, summary), alarmTable(quiet, nowMs, "alarms alarms-quiet")));
      }
    },
  };
}

function alarmTable(alarms: readonly AlarmView[], nowMs: number, className: string): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: className },
      h("thead", null, h("tr", null, ...["State", "Alarm", "Reason", "Since"].map((label) => h("th", { scope: "col" }, label)))),
      h(
        "tbody",
        null,
        ...alarms.map((alarm) =>
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
  );
}
