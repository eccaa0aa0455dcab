import type { TelemetryDocument, TelemetrySeries } from "../../../contracts/dashboard-documents.js";
import { METRIC, type MetricName } from "../../../contracts/metrics.js";
import { lineChart } from "../charts.js";
import { h } from "../dom.js";
import { formatDuration } from "../../../lib/age-format.js";
import { formatMetric } from "../format.js";

interface Panel {
  title: string;
  axis: string;
  /** Fixed top of the y axis, for percentages. */
  max?: number;
  series: ReadonlyArray<{ metric: MetricName; stat: string }>;
}

/** Which trends share a chart; the first series of a panel is its headline number. */
const PANELS: readonly Panel[] = [
  { title: "Data points", axis: "per period", series: [{ metric: METRIC.DataPoints, stat: "Sum" }, { metric: METRIC.RecordsRejected, stat: "Sum" }] },
  {
    title: "Processing latency",
    axis: "ms",
    series: [{ metric: METRIC.ProcessingLatency, stat: "Average" }, { metric: METRIC.ProcessingLatency, stat: "Maximum" }],
  },
  { title: "Connectivity", axis: "% of fleet", max: 100, series: [{ metric: METRIC.ConnectivityRate, stat: "Average" }] },
  {
    title: "Vehicles per batch",
    axis: "vehicles",
    series: [{ metric: METRIC.VehiclesOnline, stat: "Maximum" }, { metric: METRIC.VehiclesReporting, stat: "Maximum" }],
  },
  { title: "Battery", axis: "% charge", max: 100, series: [{ metric: METRIC.BatteryAverage, stat: "Average" }] },
  {
    title: "OTA outcomes",
    axis: "per period",
    series: [
      { metric: METRIC.UpdatesSucceeded, stat: "Sum" },
      { metric: METRIC.UpdatesFailed, stat: "Sum" },
      { metric: METRIC.UpdatesRolledBack, stat: "Sum" },
      { metric: METRIC.UpdatesTimedOut, stat: "Sum" },
    ],
  },
];

/** Telemetry trends: one small line chart per panel, with the latest value as its headline. */
export function telemetrySection(container: HTMLElement): { render(doc: TelemetryDocument): void } {
  const caption = h("p", { class: "caption" });
  const cards = PANELS.map((panel) => {
    const headline = h("p", { class: "headline" });
    const note = h("p", { class: "caption" });
    const canvas = h("canvas", { role: "img", "aria-label": `${panel.title} over time` });
    const card = h("figure", { class: "card trend", "data-panel": panel.title }, h("figcaption", null, panel.title), headline, h("div", { class: "chart" }, canvas), note);
    return { panel, headline, note, chart: lineChart(canvas, panel.axis, panel.max), card };
  });
  container.replaceChildren(caption, h("div", { class: "grid-trends" }, ...cards.map((card) => card.card)));

  return {
    render(doc) {
      const refreshed = doc.refreshEverySeconds !== undefined && doc.refreshEverySeconds > 60 ? ` Read from CloudWatch every ${formatDuration(doc.refreshEverySeconds)}, last at ${doc.generatedAt.slice(11, 16)} UTC.` : "";
      caption.textContent = `Last ${formatDuration((Date.parse(doc.to) - Date.parse(doc.from)) / 1000)}, one point per ${formatDuration(doc.periodSeconds)}, CloudWatch namespace ${doc.namespace}. Times in UTC.${refreshed}`;
      for (const { panel, headline, note, chart } of cards) {
        const series = panel.series
          .map((wanted) => doc.series.find((entry) => entry.metric === wanted.metric && entry.stat === wanted.stat))
          .filter((entry): entry is TelemetrySeries => entry !== undefined);
        const lead = series[0];
        headline.textContent = lead ? formatMetric(lead.latest, lead.unit) : "—";
        headline.title = lead ? `latest ${lead.label}` : "";
        chart.update(
          series.map((entry) => ({ label: entry.label, points: entry.points })),
          { from: Date.parse(doc.from) / 1000, to: Date.parse(doc.to) / 1000 },
        );
        note.textContent = series.some((entry) => entry.points.length > 0) ? "" : "No datapoints in this window.";
      }
    },
  };
}
