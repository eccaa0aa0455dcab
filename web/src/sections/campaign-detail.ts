import type { CampaignPageDocument, CampaignWaveView, ReasonCount } from "../../../contracts/dashboard-documents.js";
import { lineChart } from "../charts.js";
import { bar, dataTable as table, h } from "../dom.js";
import { formatAge, formatDuration } from "../../../lib/age-format.js";
import { visibleText as shown } from "../../../lib/visible-text.js";
import { formatCount, humanizeState, notAdmittedLabel, stateToken } from "../format.js";
import { campaignCard } from "./campaigns.js";

/** Job states drawn over time, in the colours of the bar's legend (styles.css `.job-*`). */
const SERIES_SHOWN = [
  { state: "SUCCEEDED", color: "#16a34a" },
  { state: "IN_PROGRESS", color: "#3b82f6" },
  { state: "QUEUED", color: "#64748b" },
  { state: "DEFERRED", color: "#f59e0b" },
  { state: "FAILED", color: "#dc2626" },
  { state: "TIMED_OUT", color: "#ea580c" },
  { state: "ROLLED_BACK", color: "#9333ea" },
  { state: "REJECTED", color: "#7f1d1d" },
  { state: "WAITING", color: "#cbd5e1" },
] as const;

/** One campaign, every part of its page; re-rendered when a newer document arrives. */
export function campaignSection(container: HTMLElement): { render(doc: CampaignPageDocument, nowMs: number): void } {
  const summary = h("div", { class: "campaign-summary" });
  const waves = h("div", { class: "waves", "data-testid": "waves" });
  const canvas = h("canvas", { role: "img", "aria-label": "Vehicle jobs by state over time" });
  const seriesCaption = h("p", { class: "caption" });
  const failures = h("div", { class: "table-wrap", "data-testid": "failure-reasons" });
  const deferrals = h("div", { class: "table-wrap", "data-testid": "deferral-reasons" });
  const reasonCaption = h("p", { class: "caption" });
  const retries = h("dl", { class: "tiles", "data-testid": "retries" });
  const criteria = h("div", { class: "table-wrap", "data-testid": "abort-criteria" });
  const history = h("div", { class: "table-wrap", "data-testid": "history" });
  container.replaceChildren(
    summary,
    card("Waves", waves),
    card("Jobs by state over time", h("div", { class: "chart chart-tall" }, canvas), seriesCaption),
    h("div", { class: "grid-2" }, card("Top failure reasons", failures), card("Top deferral reasons", deferrals)),
    reasonCaption,
    card("Retries and timeouts", retries),
    card("Abort criteria", criteria),
    card("State history", history),
  );
  const chart = lineChart(canvas, "jobs");

  return {
    render(doc, nowMs) {
      const title = document.getElementById("campaign-title");
      if (title) title.textContent = doc.campaign.name;
      document.title = `FleetOTA · ${doc.campaign.name}`;
      summary.replaceChildren(
        campaignCard(doc.campaign, nowMs, "div"),
        ...(doc.description ? [h("p", { class: "campaign-description" }, shown(doc.description))] : []),
        h(
          "p",
          { class: "caption" },
          `${doc.campaign.campaignId} · created ${formatAge(doc.createdAt, nowMs)}`,
          doc.startedAt ? ` · started ${formatAge(doc.startedAt, nowMs)}` : " · not started",
          doc.finishedAt ? ` · finished ${formatAge(doc.finishedAt, nowMs)}` : null,
        ),
      );
      waves.replaceChildren(waveTimeline(doc, nowMs));

      const { states, points } = doc.jobSeries;
      const series = SERIES_SHOWN.map(({ state, color }) => {
        const index = states.indexOf(state) + 1;
        const label = state === "WAITING" ? notAdmittedLabel(doc.campaign.state) : humanizeState(state);
        return { label, color, points: points.map((point) => [point[0] ?? 0, index > 0 ? (point[index] ?? 0) : 0] as const) };
      }).filter((entry) => anyAboveZero(entry.points));
      const from = points[0]?.[0] ?? nowMs / 1000 - 60;
      chart.update(series, { from, to: Math.max(from + 60, points.at(-1)?.[0] ?? nowMs / 1000) });
      seriesCaption.textContent = points.length > 1 ? `${points.length} points, one per publisher run (older ones thinned). Times in UTC.` : "One point so far: the line grows with each publisher run.";

      failures.replaceChildren(reasonTable(doc.failureReasons, "No failed, timed-out, rolled-back or rejected jobs."));
      deferrals.replaceChildren(reasonTable(doc.deferralReasons, "No deferred jobs."));
      reasonCaption.textContent =
        doc.reasonSample.read < doc.reasonSample.of
          ? `Reasons counted over ${formatCount(doc.reasonSample.read)} of ${formatCount(doc.reasonSample.of)} failed and deferred jobs (a bounded read per state).`
          : `Reasons counted over all ${formatCount(doc.reasonSample.of)} failed and deferred jobs.`;

      const r = doc.retries;
      const t = doc.timeouts;
      retries.replaceChildren(
        tile("Retried", formatCount(r.retried), `up to ${r.max} per job, backoff ${formatDuration(r.backoffBaseSeconds)}–${formatDuration(r.backoffCapSeconds)}`),
        tile("Waiting to retry", formatCount(r.waiting), `${formatCount(r.exhausted)} with no retry left`),
        tile("Timed out", formatCount(t.current), `${formatCount(t.total)} timeouts in all attempts`),
        tile("Time limits", `${t.inProgressTimeoutMinutes} min`, `silent in progress; ${formatDuration(t.maxInProgressMinutes * 60)} to finish, ${formatDuration(t.startTimeoutMinutes * 60)} to start`),
      );

      criteria.replaceChildren(
        doc.abortCriteria.length === 0
          ? h("p", { class: "empty" }, "This campaign has no abort criteria.")
          : table(
              ["Failure kind", "Action", "Now", "Threshold", "Sample", "Standing"],
              doc.abortCriteria.map((criterion) =>
                h(
                  "tr",
                  { "data-criterion": `${criterion.failureKind}-${criterion.action}`, class: criterion.crossed ? "row-attention" : undefined },
                  h("th", { scope: "row" }, humanizeState(criterion.failureKind)),
                  h("td", null, criterion.action.toLowerCase()),
                  h(
                    "td",
                    { class: "num", "data-field": "current" },
                    bar(criterion.currentPercent / Math.max(criterion.thresholdPercent, 1e-9), criterion.crossed ? "bar-bad" : "bar-firmware", `${criterion.currentPercent} % of ${criterion.thresholdPercent} %`),
                    `${criterion.currentPercent} %`,
                  ),
                  h("td", { class: "num", "data-field": "threshold" }, `${criterion.thresholdPercent} %`),
                  h("td", { class: "num" }, `${formatCount(criterion.failures)} of ${formatCount(criterion.finished)} (min ${formatCount(criterion.minimumSample)})`),
                  h("td", { "data-field": "standing" }, criterion.crossed ? "crossed" : criterion.armed ? "armed" : "waiting for the minimum sample"),
                ),
              ),
            ),
      );

      history.replaceChildren(
        doc.history.length === 0
          ? h("p", { class: "empty" }, "No state changes yet.")
          : table(
              ["When", "Change", "Reason", "By"],
              doc.history.map((entry) =>
                h(
                  "tr",
                  null,
                  h("td", { title: entry.at }, `${entry.at.slice(0, 16).replace("T", " ")} UTC`),
                  h("td", null, entry.from === entry.to ? humanizeState(entry.to) : `${humanizeState(entry.from)} → ${humanizeState(entry.to)}`),
                  h("td", { class: "reason" }, shown(entry.reason)),
                  h("td", null, entry.cause),
                ),
              ),
            ),
        ...(doc.historyOmitted > 0 ? [h("p", { class: "caption" }, `${formatCount(doc.historyOmitted)} older changes not shown.`)] : []),
      );
    },
  };
}

function anyAboveZero(points: ReadonlyArray<readonly [number, number]>): boolean {
  return points.some(([, value]) => value > 0);
}

function card(title: string, ...children: HTMLElement[]): HTMLElement {
  return h("section", { class: "card", "aria-label": title }, h("h2", null, title), ...children);
}

function tile(label: string, value: string, detail: string): HTMLElement {
  return h("div", { class: "tile", "data-tile": label }, h("dt", null, label), h("dd", { class: "tile-value" }, value), h("dd", { class: "tile-detail" }, detail));
}


function reasonTable(reasons: readonly ReasonCount[], empty: string): HTMLElement {
  if (reasons.length === 0) return h("p", { class: "empty" }, empty);
  return table(
    ["State", "Reason", "Jobs"],
    reasons.map((reason) =>
      h(
        "tr",
        { "data-state": reason.state },
        h("td", null, h("span", { class: `swatch job-${stateToken(reason.state)}`, "aria-hidden": "true" }), humanizeState(reason.state)),
        h("td", { class: "reason" }, shown(reason.reason)),
        h("td", { class: "num" }, formatCount(reason.count)),
      ),
    ),
  );
}

/**
 * The waves on one time axis from the campaign's start to now (or its end): each opened wave a bar from
 * its opening to the next one's (the soak shaded), with its gate's success share against the threshold.
 */
function waveTimeline(doc: CampaignPageDocument, nowMs: number): HTMLElement {
  const start = Date.parse(doc.startedAt ?? doc.createdAt);
  const end = doc.finishedAt ? Date.parse(doc.finishedAt) : nowMs;
  const span = Math.max(60_000, end - start);
  const at = (ms: number) => Math.max(0, Math.min(1, (ms - start) / span));
  return h(
    "ol",
    { class: "wave-list" },
    ...doc.waves.map((wave, index) => {
      const next = doc.waves[index + 1];
      const track = h("span", { class: "wave-track", role: "img", "aria-label": waveLabel(wave) });
      if (wave.openedAt) {
        const opened = Date.parse(wave.openedAt);
        const closed = next?.openedAt ? Date.parse(next.openedAt) : end;
        const run = h("span", { class: `wave-run wave-${wave.status}` });
        run.style.left = `${at(opened) * 100}%`;
        run.style.width = `${Math.max(0.5, (at(closed) - at(opened)) * 100)}%`;
        const soak = h("span", { class: "wave-soak" });
        soak.style.left = `${at(opened) * 100}%`;
        soak.style.width = `${Math.max(0, (at(Math.min(closed, Date.parse(wave.soakEndsAt ?? wave.openedAt))) - at(opened)) * 100)}%`;
        track.append(run, soak);
      }
      return h(
        "li",
        { class: `wave wave-${wave.status}`, "data-wave": wave.number },
        h("span", { class: "wave-name" }, `Wave ${wave.number}`, h("small", null, wave.size)),
        track,
        h("span", { class: "wave-gate" }, gateText(wave), h("small", null, openedText(wave, nowMs))),
      );
    }),
  );
}

function waveLabel(wave: CampaignWaveView): string {
  if (!wave.openedAt) return `wave ${wave.number} not opened yet`;
  return `wave ${wave.number} opened ${wave.openedAt.slice(11, 16)} UTC, soak ${wave.soakMinutes} min`;
}

function gateText(wave: CampaignWaveView): string {
  if (wave.status === "pending") return `gate ${wave.successThresholdPercent} %`;
  const share = wave.gateSuccessPercent === null ? "—" : `${wave.gateSuccessPercent} %`;
  return `${share} succeeded (gate ${wave.successThresholdPercent} %)`;
}

function openedText(wave: CampaignWaveView, nowMs: number): string {
  if (wave.status === "pending" || !wave.openedAt) return "not opened";
  const soakLeft = wave.soakEndsAt ? (Date.parse(wave.soakEndsAt) - nowMs) / 1000 : 0;
  const soak = wave.status === "open" && soakLeft > 0 ? `, soaking ${formatDuration(soakLeft)} more` : `, soak ${wave.soakMinutes} min`;
  return `opened ${formatAge(wave.openedAt, nowMs)}${soak}`;
}
