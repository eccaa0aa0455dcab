/**
 * What CloudWatch Logs does with a Lambda's log lines on AWS and moto does not: a line that is a JSON
 * object with a top-level `_aws` member is an embedded-metric-format (EMF) document, and the metrics it
 * declares are extracted and published to CloudWatch, without any request of the function's.
 *
 * Validated as the EMF specification says (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
 * CloudWatch_Embedded_Metric_Format_Specification.html). A document that breaks a rule is not extracted
 * at all (here: no metric of it, even from a valid directive beside the broken one); the line stays an
 * ordinary log line, and AWS counts it in `AWS/Logs` `EMFValidationErrors` (dimension `LogGroupName`),
 * which the local runtime publishes as well. A line that is not a JSON object is an ordinary log line.
 * Stricter than AWS in one place: a dimension whose value is missing or empty fails the document (AWS
 * was seen to publish the metric without its dimensions instead, which no alarm here would read).
 */
import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum, type StandardUnit } from "@aws-sdk/client-cloudwatch";
import type { Log } from "../../lib/logger.js";
import type { OutputStream } from "./lambda/sandbox.js";

/** The EMF specification's limits, and PutMetricData's where EMF defers to it. */
export const EMF_LIMITS = {
  metricsPerDirective: 100,
  valuesPerMetric: 100,
  dimensionsPerSet: 30,
  nameLength: 255,
  namespaceLength: 255,
  dimensionValueLength: 1024,
  /** CloudWatch keeps no metric older than two weeks or more than two hours ahead. */
  maxAgeMs: 14 * 24 * 3_600_000,
  maxAheadMs: 2 * 3_600_000,
} as const;

/** CloudWatch's units (MetricDatum `Unit`); EMF's `Unit` defaults to `None`. */
const UNITS = new Set<string>([
  "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
  "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
  "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
  "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]);

export const EMF_VERDICT = { NotEmf: "not-emf", Metrics: "metrics", Invalid: "invalid" } as const;

/** The metrics of one valid document, by namespace. */
export interface EmfMetrics {
  namespace: string;
  data: MetricDatum[];
}

export type EmfExtraction =
  | { verdict: typeof EMF_VERDICT.NotEmf }
  | { verdict: typeof EMF_VERDICT.Metrics; metrics: EmfMetrics[] }
  | { verdict: typeof EMF_VERDICT.Invalid; reason: string };

/** One rule of the specification broken; the message names it. */
export class EmfValidationError extends Error {
  override readonly name = "EmfValidationError";
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const isName = (value: unknown, max: number): value is string => typeof value === "string" && value.length >= 1 && value.length <= max;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new EmfValidationError(message);
}

/** A metric target's values: a finite number, or an array of 1 to 100 of them (as Values/Counts). */
function valuesOf(name: string, target: unknown): Pick<MetricDatum, "Value" | "Values" | "Counts"> {
  if (typeof target === "number" && Number.isFinite(target)) return { Value: target };
  check(Array.isArray(target), `metric "${name}" has no numeric member at the root`);
  check(target.length >= 1 && target.length <= EMF_LIMITS.valuesPerMetric, `metric "${name}" has ${target.length} values (1 to ${EMF_LIMITS.valuesPerMetric})`);
  const counts = new Map<number, number>();
  for (const value of target) {
    check(typeof value === "number" && Number.isFinite(value), `metric "${name}" has a value that is not a number`);
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return { Values: [...counts.keys()], Counts: [...counts.values()] };
}

/** A dimension set's dimensions, read from the root's string members. */
function dimensionsOf(root: Json, set: unknown): Array<{ Name: string; Value: string }> {
  check(Array.isArray(set), "a dimension set is not an array");
  check(set.length <= EMF_LIMITS.dimensionsPerSet, `a dimension set has ${set.length} keys (at most ${EMF_LIMITS.dimensionsPerSet})`);
  return set.map((key: unknown) => {
    check(isName(key, EMF_LIMITS.nameLength), "a dimension key is not a name");
    const value = root[key];
    check(isName(value, EMF_LIMITS.dimensionValueLength), `dimension "${key}" has no string value at the root`);
    return { Name: key, Value: value };
  });
}

function directiveMetrics(root: Json, directive: unknown, timestamp: Date): EmfMetrics {
  check(isObject(directive), "a metric directive is not an object");
  const { Namespace, Dimensions, Metrics } = directive;
  check(isName(Namespace, EMF_LIMITS.namespaceLength), "a directive's Namespace is not a name");
  check(!Namespace.startsWith("AWS/"), `namespace "${Namespace}" is reserved for AWS`);
  check(Array.isArray(Dimensions) && Dimensions.length >= 1, "a directive's Dimensions is not a non-empty array of dimension sets");
  check(Array.isArray(Metrics) && Metrics.length <= EMF_LIMITS.metricsPerDirective, `a directive's Metrics is not an array of at most ${EMF_LIMITS.metricsPerDirective}`);
  const dimensionSets = Dimensions.map((set) => dimensionsOf(root, set));
  const data: MetricDatum[] = [];
  for (const definition of Metrics) {
    check(isObject(definition) && isName(definition.Name, EMF_LIMITS.nameLength), "a metric definition has no Name");
    const { Name, Unit = "None", StorageResolution } = definition;
    check(typeof Unit === "string" && UNITS.has(Unit), `metric "${Name}" has an unknown Unit`);
    check(StorageResolution === undefined || StorageResolution === 1 || StorageResolution === 60, `metric "${Name}" has a StorageResolution other than 1 or 60`);
    const values = valuesOf(Name, root[Name]);
    for (const dimensions of dimensionSets) {
      data.push({
        MetricName: Name,
        Unit: Unit as StandardUnit,
        Timestamp: timestamp,
        ...(dimensions.length > 0 ? { Dimensions: dimensions } : {}),
        ...(StorageResolution === 1 ? { StorageResolution: 1 } : {}),
        ...values,
      });
    }
  }
  return { namespace: Namespace, data };
}

/**
 * Reads one log line as CloudWatch Logs would: not EMF, EMF with its metrics (by namespace, one datum
 * per metric and dimension set), or EMF that breaks the specification (nothing extracted, with why).
 *
 * @example
 * extractEmf('{"_aws":{"Timestamp":1764633600000,"CloudWatchMetrics":[{"Namespace":"FleetOTA","Dimensions":[[]],"Metrics":[{"Name":"Telemetry/DataPoints","Unit":"Count"}]}]},"Telemetry/DataPoints":5}', Date.now());
 * // { verdict: "metrics", metrics: [{ namespace: "FleetOTA", data: [{ MetricName: "Telemetry/DataPoints", Unit: "Count", Value: 5, … }] }] }
 */
export function extractEmf(line: string, nowMs: number): EmfExtraction {
  const text = line.trim();
  // Cheap refusal of ordinary lines; a key may also be spelt with escapes ("\u005faws"), which JSON reads as `_aws`.
  if (!text.startsWith("{") || (!text.includes("_aws") && !text.includes("\\u"))) return { verdict: EMF_VERDICT.NotEmf };
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return { verdict: EMF_VERDICT.NotEmf };
  }
  if (!isObject(root) || !Object.hasOwn(root, "_aws")) return { verdict: EMF_VERDICT.NotEmf };
  try {
    const metadata = root._aws;
    check(isObject(metadata), "_aws is not an object");
    const { Timestamp, CloudWatchMetrics } = metadata;
    check(typeof Timestamp === "number" && Number.isInteger(Timestamp), "_aws.Timestamp is not a whole number of milliseconds");
    check(Timestamp >= nowMs - EMF_LIMITS.maxAgeMs && Timestamp <= nowMs + EMF_LIMITS.maxAheadMs, "_aws.Timestamp is more than two weeks old or two hours ahead");
    check(Array.isArray(CloudWatchMetrics), "_aws.CloudWatchMetrics is not an array");
    const timestamp = new Date(Timestamp);
    return { verdict: EMF_VERDICT.Metrics, metrics: CloudWatchMetrics.map((directive) => directiveMetrics(root as Json, directive, timestamp)) };
  } catch (error) {
    if (error instanceof EmfValidationError) return { verdict: EMF_VERDICT.Invalid, reason: error.message };
    throw error;
  }
}

/** What the extraction did with one function's output. */
export interface EmfCounters {
  /** Valid EMF documents extracted. */
  documents: number;
  /** Their size as CloudWatch Logs counts a log event's: UTF-8 bytes + LOG_EVENT_OVERHEAD_BYTES. */
  bytes: number;
  /** Documents refused by validation (`AWS/Logs` `EMFValidationErrors`). */
  invalid: number;
}

/** What CloudWatch Logs adds to each event's UTF-8 bytes when it sizes a batch of events (PutLogEvents). */
export const LOG_EVENT_OVERHEAD_BYTES = 26;

/** PutMetricData takes at most 1,000 datums a request. */
const PUT_CHUNK = 1_000;

export interface EmfExtractorOptions {
  /** Signed as the emulation of AWS's own work: CloudWatch Logs publishes these, not the function. */
  cloudwatch: CloudWatchClient;
  log: Log;
  now?: () => number;
}

/**
 * Turns the functions' EMF log lines into metrics in the emulator, as CloudWatch Logs does on AWS. Each
 * line is read as it arrives; publishing is asynchronous, and `settled()` waits for what is under way
 * (the runtime counts it as busy until then).
 *
 * @example
 * const emf = new EmfExtractor({ cloudwatch, log });
 * emf.offer("fleetota-dev-telemetry-processor", "stdout", line);
 * await emf.settled();
 */
export class EmfExtractor {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly byFunction = new Map<string, EmfCounters>();

  constructor(private readonly options: EmfExtractorOptions) {}

  /** Reads one output line of a function (both streams go to its log group on AWS). */
  offer(functionName: string, _stream: OutputStream, line: string): void {
    const extraction = extractEmf(line, (this.options.now ?? Date.now)());
    if (extraction.verdict === EMF_VERDICT.NotEmf) return;
    const counters = this.countersOf(functionName);
    if (extraction.verdict === EMF_VERDICT.Invalid) {
      counters.invalid++;
      this.options.log.warn(`[${functionName}] EMF document not extracted: ${extraction.reason}`);
      this.track(this.put("AWS/Logs", [{ MetricName: "EMFValidationErrors", Dimensions: [{ Name: "LogGroupName", Value: `/aws/lambda/${functionName}` }], Value: 1, Unit: "Count", Timestamp: new Date() }]));
      return;
    }
    counters.documents++;
    counters.bytes += Buffer.byteLength(line) + LOG_EVENT_OVERHEAD_BYTES;
    for (const { namespace, data } of extraction.metrics) this.track(this.put(namespace, data));
  }

  /** Publishes under way. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Resolves once every publish under way (and any started meanwhile) has finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  counters(): Record<string, EmfCounters> {
    return Object.fromEntries([...this.byFunction].map(([name, counters]) => [name, { ...counters }]));
  }

  private countersOf(functionName: string): EmfCounters {
    let counters = this.byFunction.get(functionName);
    if (!counters) this.byFunction.set(functionName, (counters = { documents: 0, bytes: 0, invalid: 0 }));
    return counters;
  }

  private async put(namespace: string, data: MetricDatum[]): Promise<void> {
    for (let start = 0; start < data.length; start += PUT_CHUNK) {
      await this.options.cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(start, start + PUT_CHUNK) }));
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: Error) => this.options.log.warn(`EMF metrics not published: ${error.message}`)).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
