import { test } from "uvu";
import * as assert from "uvu/assert";
import { shapeTelemetry, TELEMETRY_TRENDS, trendQueries, trendQueryId } from "../../../../functions/dashboard-publisher/telemetry-view.js";
import { METRIC } from "../../../../contracts/metrics.js";

const now = new Date("2026-11-26T18:00:00.000Z");
const window = { namespace: "FleetOTA", periodSeconds: 60, from: new Date(now.getTime() - 3_600_000), to: now };
const at = (minutesBefore: number) => new Date(now.getTime() - minutesBefore * 60_000);
const indexOf = (metric: string, stat: string) => TELEMETRY_TRENDS.findIndex((trend) => trend.metric === metric && trend.stat === stat);

test("asks for every trend with a valid id, plain statistic and no dimensions", () => {
  const queries = trendQueries("FleetOTA", 60);

  assert.is(queries.length, TELEMETRY_TRENDS.length);
  for (const query of queries) {
    assert.match(query.Id ?? "", /^[a-z][A-Za-z0-9_]*$/);
    assert.ok(["Sum", "Average", "Maximum", "Minimum", "SampleCount"].includes(query.MetricStat?.Stat ?? ""));
    assert.is(query.MetricStat?.Metric?.Namespace, "FleetOTA");
    assert.is(query.MetricStat?.Metric?.Dimensions, undefined);
  }
  assert.is(new Set(queries.map((query) => query.Id)).size, queries.length);
});

test("merges pages, orders points oldest first and keeps the latest value", () => {
  const index = indexOf(METRIC.DataPoints, "Sum");
  const id = trendQueryId(index);

  const doc = shapeTelemetry(
    [
      { Id: id, Timestamps: [at(1), at(3)], Values: [30, 10] },
      { Id: id, Timestamps: [at(2)], Values: [20] },
    ],
    window,
    now,
  );

  const series = doc.series[index];
  assert.equal(series?.points.map(([, value]) => value), [10, 20, 30]);
  assert.is(series?.latest, 30);
  assert.is(series?.metric, METRIC.DataPoints);
});

test("gives an empty series, not a missing one, when CloudWatch has no datapoints", () => {
  const doc = shapeTelemetry([], window, now);

  assert.is(doc.series.length, TELEMETRY_TRENDS.length);
  assert.ok(doc.series.every((series) => series.points.length === 0 && series.latest === null));
  assert.is(doc.from, window.from.toISOString());
});

test("drops values that are not finite numbers", () => {
  const index = indexOf(METRIC.ProcessingLatency, "Average");

  const doc = shapeTelemetry([{ Id: trendQueryId(index), Timestamps: [at(2), at(1)], Values: [Number.NaN, 412.345] }], window, now);

  assert.equal(doc.series[index]?.points, [[Math.floor(at(1).getTime() / 1000), 412.35]]);
});

test.run();
