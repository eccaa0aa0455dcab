/**
 * Each benchmark records its figures here; `npm run bench` (bench/run.ts) gathers them from every
 * benchmark process into bench/results.json and prints them as one table. A figure that compares is a
 * ratio measured in the same run (these machines are noisy).
 */
import { appendFileSync } from "node:fs";

export interface BenchFigure {
  /** What was measured, e.g. "telemetry core vs bare gunzip + JSON.parse". */
  name: string;
  value: number;
  /** "ratio", "records/s", "ms", "KiB", "$/vehicle-month" … */
  unit: string;
  /** The goal it is held to, when it has one: "≥ 0.75", "≤ 0.007". */
  goal?: string;
}

/** The file bench/run.ts passes to each benchmark process (one JSON figure per line). */
export const RESULTS_FILE_VARIABLE = "FLEETOTA_BENCH_RESULTS";

/**
 * Records one figure (and prints it, so a benchmark run alone shows it too).
 *
 * @example
 * recordFigure({ name: "telemetry core vs bare limit", value: 0.71, unit: "ratio", goal: "≥ 0.75" });
 */
export function recordFigure(figure: BenchFigure): void {
  const file = process.env[RESULTS_FILE_VARIABLE];
  if (file) appendFileSync(file, `${JSON.stringify({ ...figure, bench: process.env.FLEETOTA_BENCH_NAME })}\n`);
}

/** Whether a figure meets its goal ("≥ x" or "≤ x"); undefined without one. */
export function meetsGoal(figure: BenchFigure): boolean | undefined {
  const match = /^([≥≤])\s*([\d.e+-]+)/.exec(figure.goal ?? "");
  if (!match) return undefined;
  const goal = Number(match[2]);
  return match[1] === "≥" ? figure.value >= goal : figure.value <= goal;
}
