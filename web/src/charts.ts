import {
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from "chart.js";
import { formatClock } from "./format.js";

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend);
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || "system-ui, sans-serif";
Chart.defaults.color = "#4b5563";
Chart.defaults.animation = false;

export const SERIES_COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"] as const;

export interface LineSeries {
  label: string;
  /** Defaults to the palette by position. */
  color?: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/**
 * A time-series line chart on a linear x axis of epoch seconds (no date adapter needed), updated in place.
 *
 * @example
 * const chart = lineChart(canvas, "ms"); chart.update([{ label: "avg", points }], { from, to });
 */
export function lineChart(
  canvas: HTMLCanvasElement,
  yTitle: string,
  yMax?: number,
): { update(series: readonly LineSeries[], range: { from: number; to: number }): void } {
  const chart = new Chart<"line", Array<{ x: number; y: number }>>(canvas, {
    type: "line",
    data: { datasets: [] },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 2, tension: 0.2 } },
      scales: {
        x: { type: "linear", ticks: { maxTicksLimit: 6, callback: (value) => formatClock(Number(value)) }, grid: { display: false } },
        y: { beginAtZero: true, max: yMax, title: { display: true, text: yTitle }, ticks: { maxTicksLimit: 5 } },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: { callbacks: { title: (items) => (items[0] ? `${formatClock(items[0].parsed.x ?? 0)} UTC` : "") } },
      },
    },
  });
  return {
    update(series, range) {
      const xScale = chart.options.scales?.x;
      if (xScale) Object.assign(xScale, { min: range.from, max: range.to });
      chart.data.datasets = series.map(
        (entry, index): ChartDataset<"line", Array<{ x: number; y: number }>> => ({
          label: entry.label,
          data: entry.points.map(([x, y]) => ({ x, y })),
          borderColor: entry.color ?? SERIES_COLORS[index % SERIES_COLORS.length],
          backgroundColor: entry.color ?? SERIES_COLORS[index % SERIES_COLORS.length],
          // A fresh stack has a handful of points: draw them, or a lone point would be invisible.
          pointRadius: entry.points.length < 20 ? 2.5 : 0,
        }),
      );
      chart.update("none");
    },
  };
}
