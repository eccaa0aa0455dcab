import type { MetricDataQuery, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { METRIC, type MetricName } from "../../contracts/metrics.js";
import { DASHBOARD_SCHEMA_VERSION, type TelemetryDocument, type TelemetrySeries } from "../../contracts/dashboard-documents.js";

/**
 * The trends the dashboard draws. Plain statistics only: CloudWatch has percentiles and metric math,
 * but the local emulator has neither, and the page must look the same on both.
 */
export const TELEMETRY_TRENDS = [
  { metric: METRIC.DataPoints, stat: "Sum", label: "Data points", unit: "count" },
  { metric: METRIC.RecordsRejected, stat: "Sum", label: "Records rejected", unit: "count" },
  { metric: METRIC.ObjectsQuarantined, stat: "Sum", label: "Objects quarantined", unit: "count" },
  { metric: METRIC.ProcessingLatency, stat: "Average", label: "Processing latency (avg)", unit: "ms" },
  { metric: METRIC.ProcessingLatency, stat: "Maximum", label: "Processing latency (max)", unit: "ms" },
  { metric: METRIC.ConnectivityRate, stat: "Average", label: "Connectivity", unit: "percent" },
  // Published per processed batch, so the largest batch of the period, not a fleet-wide count.
  { metric: METRIC.VehiclesOnline, stat: "Maximum", label: "Online (largest batch)", unit: "count" },
  { metric: METRIC.VehiclesReporting, stat: "Maximum", label: "Reporting (largest batch)", unit: "count" },
  { metric: METRIC.BatteryAverage, stat: "Average", label: "Average battery", unit: "percent" },
  { metric: METRIC.UpdatesSucceeded, stat: "Sum", label: "Updates succeeded", unit: "count" },
  { metric: METRIC.UpdatesFailed, stat: "Sum", label: "Updates failed", unit: "count" },
  { metric: METRIC.UpdatesRolledBack, stat: "Sum", label: "Updates rolled back", unit: "count" },
  { metric: METRIC.UpdatesTimedOut, stat: "Sum", label: "Updates timed out", unit: "count" },
  { metric: METRIC.UpdatesInProgress, stat: "Sum", label: "Updates started", unit: "count" },
] as const satisfies ReadonlyArray<{ metric: MetricName; stat: string; label: string; unit: string }>;

export interface TelemetryWindow {
  namespace: string;
  periodSeconds: number;
  from: Date;
  to: Date;
}

export const telemetryWindowDefaults = { lookbackMs: 3 * 60 * 60_000, periodSeconds: 60 } as const;

/** Query id for the trend at `index`; GetMetricData ids must start with a lower-case letter. */
export function trendQueryId(index: number): string {
  return `t${index}`;
}

/**
 * One GetMetricData query per trend, without dimensions (FleetOTA publishes its metrics without any).
 *
 * @example
 * import { GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
 * await cloudWatch.send(new GetMetricDataCommand({ MetricDataQueries: trendQueries("FleetOTA", 60), StartTime: from, EndTime: to }));
 */
export function trendQueries(namespace: string, periodSeconds: number): MetricDataQuery[] {
  return TELEMETRY_TRENDS.map((trend, index) => ({
    Id: trendQueryId(index),
    Label: trend.label,
    ReturnData: true,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: trend.metric },
      Period: periodSeconds,
      Stat: trend.stat,
    },
  }));
}

/**
 * Turns GetMetricData results (possibly from several pages, in any order) into the telemetry
 * document: one series per trend, oldest point first, with its latest value.
 *
 * @example
 * shapeTelemetry(pages.flatMap((page) => page.MetricDataResults ?? []), trendWindow, new Date());
 */
export function shapeTelemetry(results: readonly MetricDataResult[], window: TelemetryWindow, now: Date): TelemetryDocument {
  const pointsById = new Map<string, Map<number, number>>();
  for (const result of results) {
    if (!result.Id) continue;
    const points = pointsById.get(result.Id) ?? new Map<number, number>();
    const timestamps = result.Timestamps ?? [];
    const values = result.Values ?? [];
    timestamps.forEach((timestamp, index) => {
      const value = values[index];
      if (value === undefined || !Number.isFinite(value)) return;
      points.set(Math.floor(new Date(timestamp).getTime() / 1000), round(value));
    });
    pointsById.set(result.Id, points);
  }
  const series: TelemetrySeries[] = TELEMETRY_TRENDS.map((trend, index) => {
    const points = [...(pointsById.get(trendQueryId(index)) ?? new Map<number, number>())].sort((a, b) => a[0] - b[0]);
    return {
      metric: trend.metric,
      stat: trend.stat,
      label: trend.label,
      unit: trend.unit,
      points,
      latest: points.length ? points[points.length - 1]![1] : null,
    };
  });
  return {
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    namespace: window.namespace,
    periodSeconds: window.periodSeconds,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    series,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
