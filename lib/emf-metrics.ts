import type { Dimension, MetricDatum } from "@aws-sdk/client-cloudwatch";
import { MetricResolution, Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Log } from "./logger.js";

/**
 * CloudWatch's embedded metric format (EMF): a function writes its metrics as one structured log line per
 * dimension set, and CloudWatch Logs turns the line into metrics. No PutMetricData request (priced as log
 * ingestion instead), no CloudWatch client, no `cloudwatch:PutMetricData` grant. Powertools Metrics
 * renders and checks each document (names, units, timestamps); this module only decides what goes into
 * which document.
 *
 * Dimensions are exactly the datum's: Powertools adds a `service` dimension to every metric by default,
 * and an alarm or a dashboard query on a metric without dimensions would never see a metric carrying one
 * (CloudWatch matches dimension sets exactly), so the default is cleared and a metric without dimensions
 * is written with one empty dimension set (`"Dimensions": [[]]`, what the EMF specification allows;
 * an empty list of sets is refused by its schema).
 */

/**
 * Values of one metric in one document. EMF allows 100; Powertools writes a document to stdout by itself
 * when a metric reaches 100 values, so one fewer keeps every document on the writer given here.
 */
export const EMF_VALUES_PER_DOCUMENT = 99;

/** One EMF document, as Powertools serializes it. */
export type EmfDocument = ReturnType<Metrics["serializeMetrics"]>;

/** A datum's values one by one: `Value`, or `Values` repeated by their `Counts` (EMF has no counts). */
function valuesOf(datum: MetricDatum): number[] {
  if (datum.Values && datum.Values.length > 0) {
    return datum.Values.flatMap((value, index) => Array.from({ length: datum.Counts?.[index] ?? 1 }, () => value));
  }
  return datum.Value === undefined ? [] : [datum.Value];
}

/** Groups datums by their dimension set (names and values, in the datum's order), keeping first-seen order. */
function byDimensionSet(data: readonly MetricDatum[]): Array<{ dimensions: Dimension[]; data: MetricDatum[] }> {
  const groups = new Map<string, { dimensions: Dimension[]; data: MetricDatum[] }>();
  for (const datum of data) {
    const dimensions = datum.Dimensions ?? [];
    const key = JSON.stringify(dimensions.map(({ Name, Value }) => [Name, Value]));
    const group = groups.get(key) ?? { dimensions, data: [] };
    group.data.push(datum);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * The EMF documents for PutMetricData-style datums: one per dimension set (and per 99 values of a
 * metric), each with the namespace given, the datums' own dimensions and nothing else, their units,
 * and the first datum's timestamp (the datums of one invocation share theirs).
 *
 * @example
 * emfDocuments([{ MetricName: "Telemetry/DataPoints", Value: 500, Unit: "Count" }], "FleetOTA", log);
 * // [{ _aws: { Timestamp: …, CloudWatchMetrics: [{ Namespace: "FleetOTA", Dimensions: [[]], Metrics: [{ Name: "Telemetry/DataPoints", Unit: "Count" }] }] }, "Telemetry/DataPoints": 500 }]
 */
export function emfDocuments(data: readonly MetricDatum[], namespace: string, log: Log): EmfDocument[] {
  const documents: EmfDocument[] = [];
  for (const group of byDimensionSet(data)) {
    const series = group.data.map((datum) => ({ datum, values: valuesOf(datum) }));
    const rounds = Math.max(...series.map(({ values }) => Math.ceil(values.length / EMF_VALUES_PER_DOCUMENT)));
    for (let round = 0; round < rounds; round++) {
      const metrics = new Metrics({ namespace, logger: log });
      metrics.clearDefaultDimensions();
      metrics.addDimensions(Object.fromEntries(group.dimensions.map(({ Name, Value }) => [Name ?? "", Value ?? ""])));
      const timestamp = group.data[0]?.Timestamp;
      if (timestamp) metrics.setTimestamp(timestamp);
      for (const { datum, values } of series) {
        const resolution = datum.StorageResolution === 1 ? MetricResolution.High : MetricResolution.Standard;
        const slice = values.slice(round * EMF_VALUES_PER_DOCUMENT, (round + 1) * EMF_VALUES_PER_DOCUMENT);
        for (const value of slice) metrics.addMetric(datum.MetricName ?? "", (datum.Unit ?? MetricUnit.NoUnit) as (typeof MetricUnit)[keyof typeof MetricUnit], value, resolution);
      }
      if (metrics.hasStoredMetrics()) documents.push(metrics.serializeMetrics());
    }
  }
  return documents;
}

/** Where EMF lines go: standard output, which Lambda sends to the function's log group. */
export type LineWriter = (line: string) => void;

/**
 * Straight to `process.stdout`, never through `console.log`: with the JSON log format the stack sets
 * (modules/bundled-function.ts), Lambda's Node runtime wraps what `console` writes into a JSON record of
 * its own, where the document would be a string and no metric would be extracted (AWS's own EMF library
 * lost metrics that way before 4.1.1). Powertools Metrics writes the same way.
 */
const toStdout: LineWriter = (line) => void process.stdout.write(`${line}\n`);

/**
 * Writes the datums as EMF log lines (one JSON document a line); returns the bytes written. Nothing is
 * written for no datums.
 *
 * @example
 * writeEmfMetrics(aggregate.metricData(now), { namespace: "FleetOTA", log });
 */
export function writeEmfMetrics(data: readonly MetricDatum[], options: { namespace: string; log: Log; write?: LineWriter }): number {
  const write = options.write ?? toStdout;
  let bytes = 0;
  for (const document of emfDocuments(data, options.namespace, options.log)) {
    const line = JSON.stringify(document);
    bytes += Buffer.byteLength(line) + 1;
    write(line);
  }
  return bytes;
}
