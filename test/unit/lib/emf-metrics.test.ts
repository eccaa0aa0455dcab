import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { METRIC } from "../../../contracts/metrics.js";
import { PARKED_SOURCE } from "../../../contracts/parked-failure.js";
import { EMF_VALUES_PER_DOCUMENT, emfDocuments, writeEmfMetrics } from "../../../lib/emf-metrics.js";
import { ParkedTally, PARKED_REASON } from "../../../lib/parked-failures.js";
import { EMF_VERDICT, extractEmf } from "../../../local/runtime/emf-extraction.js";
import { InvocationAggregate } from "../../../telemetry/aggregate.js";

const at = new Date();
const warnings: unknown[][] = [];
const log = { debug() {}, info() {}, warn: (...args: unknown[]) => void warnings.push(args), error: (...args: unknown[]) => void warnings.push(args) };
const count = (MetricName: string, Value: number, extra: Partial<MetricDatum> = {}): MetricDatum => ({ MetricName, Value, Unit: "Count", Timestamp: at, ...extra });

/** What CloudWatch Logs extracts from the lines, as PutMetricData datums. */
function extracted(lines: string[]): MetricDatum[] {
  return lines.flatMap((line) => {
    const extraction = extractEmf(line, Date.now());
    if (extraction.verdict !== EMF_VERDICT.Metrics) throw new Error(`not extracted: ${JSON.stringify(extraction)}`);
    return extraction.metrics.flatMap(({ namespace, data }) => data.map((datum) => ({ namespace, ...datum })));
  });
}

const emf = suite("emf-metrics");

emf.before.each(() => {
  warnings.length = 0;
});

emf("metrics without dimensions get one empty dimension set and no `service` dimension, even with a service name in the environment", () => {
  const before = process.env.POWERTOOLS_SERVICE_NAME;
  process.env.POWERTOOLS_SERVICE_NAME = "telemetry-processor";
  try {
    const [document, ...rest] = emfDocuments([count(METRIC.DataPoints, 500), { MetricName: METRIC.ConnectivityRate, Value: 87.5, Unit: "Percent", Timestamp: at }], "FleetOTA", log);

    assert.is(rest.length, 0);
    assert.equal(document!._aws.CloudWatchMetrics, [
      { Namespace: "FleetOTA", Dimensions: [[]], Metrics: [{ Name: METRIC.DataPoints, Unit: "Count" }, { Name: METRIC.ConnectivityRate, Unit: "Percent" }] },
    ]);
    assert.is(document!._aws.Timestamp, at.getTime());
    assert.equal(Object.keys(document!).sort(), ["_aws", METRIC.ConnectivityRate, METRIC.DataPoints].sort());
    assert.equal(warnings, []);
  } finally {
    if (before === undefined) delete process.env.POWERTOOLS_SERVICE_NAME;
    else process.env.POWERTOOLS_SERVICE_NAME = before;
  }
});

emf("each dimension set is a document of its own with exactly its dimensions", () => {
  const parked = new ParkedTally();
  parked.add(PARKED_SOURCE.TelemetryProcessor, PARKED_REASON.ObjectMissing);
  const data = [
    count(METRIC.DataPoints, 5),
    count(METRIC.Refusals, 2, { Dimensions: [{ Name: "Reason", Value: "bad-vin" }] }),
    count(METRIC.Refusals, 1, { Dimensions: [{ Name: "Reason", Value: "not-json" }] }),
    ...parked.metricData(at),
  ];

  const documents = emfDocuments(data, "FleetOTA", log);

  assert.equal(
    documents.map((document) => document._aws.CloudWatchMetrics[0]!.Dimensions),
    [[[]], [["Reason"]], [["Reason"]], [["Source", "Reason"]]],
  );
  assert.equal(
    documents.map(({ _aws, ...members }) => members),
    [
      { [METRIC.DataPoints]: 5 },
      { Reason: "bad-vin", [METRIC.Refusals]: 2 },
      { Reason: "not-json", [METRIC.Refusals]: 1 },
      { Source: PARKED_SOURCE.TelemetryProcessor, Reason: PARKED_REASON.ObjectMissing, [METRIC.MessagesParked]: 1 },
    ],
  );
});

emf("values with counts are written one by one, split over documents below Powertools' own flush, none lost", () => {
  const latencies = Array.from({ length: 250 }, (_, index) => index % 120);
  const values = [...new Set(latencies)];
  const counts = values.map((value) => latencies.filter((latency) => latency === value).length);
  const lines: string[] = [];

  writeEmfMetrics([count(METRIC.DataPoints, 7), { MetricName: METRIC.ProcessingLatency, Values: values, Counts: counts, Unit: "Milliseconds", Timestamp: at }], {
    namespace: "FleetOTA",
    log,
    write: (line) => lines.push(line),
  });

  assert.is(lines.length, Math.ceil(latencies.length / EMF_VALUES_PER_DOCUMENT));
  const documents = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.ok(documents.every((document) => !Array.isArray(document[METRIC.ProcessingLatency]) || (document[METRIC.ProcessingLatency] as number[]).length <= EMF_VALUES_PER_DOCUMENT));
  assert.equal(documents.flatMap((document) => document[METRIC.ProcessingLatency] as number[]).sort((a, b) => a - b), [...latencies].sort((a, b) => a - b));
  assert.is(documents.filter((document) => METRIC.DataPoints in document).length, 1, "a counter is counted once");
});

emf("what the processor's aggregate writes is what CloudWatch Logs extracts: same names, units, values, no dimension added", () => {
  const aggregate = new InvocationAggregate();
  aggregate.addQuarantinedObject(120, "bad-gzip");
  aggregate.addQuarantinedObject(80, "bad-gzip");
  aggregate.addDuplicate();
  const data = aggregate.metricData(at);
  const lines: string[] = [];

  const bytes = writeEmfMetrics(data, { namespace: "FleetOTA", log, write: (line) => lines.push(line) });

  assert.is(bytes, lines.reduce((total, line) => total + Buffer.byteLength(line) + 1, 0));
  const datums = extracted(lines);
  const key = (datum: MetricDatum) => JSON.stringify([datum.MetricName, datum.Dimensions ?? [], datum.Unit]);
  assert.equal(datums.map(key).sort(), data.map(key).sort());
  assert.ok(datums.every((datum) => (datum as { namespace?: string }).namespace === "FleetOTA"));
  const latency = datums.find((datum) => datum.MetricName === METRIC.ProcessingLatency)!;
  assert.equal({ Values: latency.Values, Counts: latency.Counts }, { Values: [80, 120], Counts: [1, 1] });
  assert.is(datums.find((datum) => datum.MetricName === METRIC.DuplicateObjects)!.Value, 1);
  assert.is(datums.find((datum) => datum.MetricName === METRIC.Refusals)!.Value, 2);
});

emf("by default the lines go straight to process.stdout, not through console (which Lambda's JSON log format wraps)", () => {
  const written: string[] = [];
  const write = process.stdout.write;
  const log = console.log;
  process.stdout.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stdout.write;
  console.log = () => {
    throw new Error("console.log used");
  };
  try {
    writeEmfMetrics([count(METRIC.DataPoints, 3)], { namespace: "FleetOTA", log: { debug() {}, info() {}, warn() {}, error() {} } });
  } finally {
    process.stdout.write = write;
    console.log = log;
  }
  assert.is(written.length, 1);
  assert.ok(written[0]!.endsWith("}\n"));
  assert.is(extracted([written[0]!.trimEnd()])[0]!.Value, 3);
});

emf("nothing is written for no datums", () => {
  const lines: string[] = [];
  assert.is(writeEmfMetrics([], { namespace: "FleetOTA", log, write: (line) => lines.push(line) }), 0);
  assert.equal(lines, []);
});

emf("a unit CloudWatch does not know is refused (the caller logs it), not written", () => {
  assert.throws(() => emfDocuments([{ MetricName: "X", Value: 1, Unit: "Furlongs" as "Count", Timestamp: at }], "FleetOTA", log), /Invalid metric unit/);
});

emf.run();
