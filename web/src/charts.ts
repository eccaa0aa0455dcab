import {
  BubbleController,
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

Chart.register(LineController, LineElement, PointElement, LinearScale, BubbleController, Tooltip, Legend);
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || "system-ui, sans-serif";
Chart.defaults.color = "#4b5563";
Chart.defaults.animation = false;

export const SERIES_COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"] as const;

export interface LineSeries {
  label: string;
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
          borderColor: SERIES_COLORS[index % SERIES_COLORS.length],
          backgroundColor: SERIES_COLORS[index % SERIES_COLORS.length],
          // A fresh stack has a handful of points: draw them, or a lone point would be invisible.
          pointRadius: entry.points.length < 20 ? 2.5 : 0,
        }),
      );
      chart.update("none");
    },
  };
}

export interface Bubble {
  x: number;
  y: number;
  r: number;
  color: string;
  label: string;
}

/** A scatter of sized points (the fleet's position grid), longitude on x, latitude on y. */
export function bubbleChart(canvas: HTMLCanvasElement): { update(bubbles: readonly Bubble[]): void } {
  let labels: string[] = [];
  const chart = new Chart<"bubble", Array<{ x: number; y: number; r: number }>>(canvas, {
    type: "bubble",
    data: { datasets: [{ label: "vehicles", data: [], backgroundColor: [], borderWidth: 0 }] },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      scales: {
        x: { type: "linear", title: { display: true, text: "longitude" }, ticks: { maxTicksLimit: 6 } },
        y: { type: "linear", title: { display: true, text: "latitude" }, ticks: { maxTicksLimit: 6 } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => labels[item.dataIndex] ?? "" } },
      },
    },
  });
  return {
    update(bubbles) {
      // With parsing off, Chart.js takes data as sorted by x and reads the x range from its ends.
      const sorted = [...bubbles].sort((a, b) => a.x - b.x);
      labels = sorted.map((bubble) => bubble.label);
      const dataset = chart.data.datasets[0]!;
      dataset.data = sorted.map(({ x, y, r }) => ({ x, y, r }));
      dataset.backgroundColor = sorted.map((bubble) => bubble.color);
      chart.update("none");
    },
  };
}
