import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { EMF_LIMITS, EMF_VERDICT, EmfExtractor, extractEmf, LOG_EVENT_OVERHEAD_BYTES } from "../../../../local/runtime/emf-extraction.js";

const NOW = Date.parse("2026-12-02T04:00:00.000Z");

/** A valid document, changed by `change` (which may break it). */
function document(change: (doc: Record<string, any>) => void = () => {}): string {
  const doc: Record<string, any> = {
    _aws: {
      Timestamp: NOW - 1_000,
      CloudWatchMetrics: [{ Namespace: "FleetOTA", Dimensions: [[]], Metrics: [{ Name: "Telemetry/DataPoints", Unit: "Count" }] }],
    },
    "Telemetry/DataPoints": 5,
  };
  change(doc);
  return JSON.stringify(doc);
}
const directive = (doc: Record<string, any>) => doc._aws.CloudWatchMetrics[0];

function metricsOf(line: string): Array<{ namespace: string; data: MetricDatum[] }> {
  const extraction = extractEmf(line, NOW);
  if (extraction.verdict !== EMF_VERDICT.Metrics) throw new Error(`expected metrics, got ${JSON.stringify(extraction)}`);
  return extraction.metrics;
}

const parse = suite("extractEmf");

parse("a valid document gives its metrics, with its namespace, unit, timestamp and no dimension", () => {
  assert.equal(metricsOf(document()), [
    { namespace: "FleetOTA", data: [{ MetricName: "Telemetry/DataPoints", Unit: "Count", Timestamp: new Date(NOW - 1_000), Value: 5 }] },
  ]);
});

parse("each dimension set gives each metric once, with the root's string members as values", () => {
  const [metrics] = metricsOf(
    document((doc) => {
      directive(doc).Dimensions = [["Reason"], ["Source", "Reason"], []];
      doc.Reason = "bad-vin";
      doc.Source = "telemetry-processor";
    }),
  );
  assert.equal(
    metrics!.data.map((datum) => datum.Dimensions ?? []),
    [[{ Name: "Reason", Value: "bad-vin" }], [{ Name: "Source", Value: "telemetry-processor" }, { Name: "Reason", Value: "bad-vin" }], []],
  );
});

parse("an array of values becomes Values with Counts; Unit defaults to None; StorageResolution 1 is kept", () => {
  const [metrics] = metricsOf(
    document((doc) => {
      directive(doc).Metrics = [{ Name: "Latency", StorageResolution: 1 }];
      doc.Latency = [120, 340, 120];
    }),
  );
  assert.equal(metrics!.data, [{ MetricName: "Latency", Unit: "None", Timestamp: new Date(NOW - 1_000), StorageResolution: 1, Values: [120, 340], Counts: [2, 1] }]);
});

parse("several directives give several namespaces", () => {
  const metrics = metricsOf(
    document((doc) => {
      doc._aws.CloudWatchMetrics.push({ Namespace: "Other", Dimensions: [[]], Metrics: [{ Name: "Telemetry/DataPoints" }] });
    }),
  );
  assert.equal(metrics.map(({ namespace }) => namespace), ["FleetOTA", "Other"]);
});

parse("a key spelt with JSON escapes is the same key (`\\u005faws` is `_aws`)", () => {
  assert.is(extractEmf(document().replace('"_aws"', '"\\u005faws"'), NOW).verdict, EMF_VERDICT.Metrics);
});

const ordinary: Array<[string, string]> = [
  ["plain text", "START RequestId: 1 Version: $LATEST"],
  ["a JSON log line without _aws", '{"level":"INFO","message":"batch done","messages":3}'],
  ["_aws nested, not at the root", '{"level":"INFO","record":{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]}}}'],
  ["_aws inside a string", '{"message":"{\\"_aws\\":{}}"}'],
  ["a JSON array", '[{"_aws":{}}]'],
  ["text before the document", `INFO ${document()}`],
  ["text after the document", `${document()} trailing`],
  ["broken JSON", '{"_aws":{"Timestamp":1,'],
];
for (const [name, line] of ordinary) {
  parse(`not EMF: ${name}`, () => {
    assert.equal(extractEmf(line, NOW), { verdict: EMF_VERDICT.NotEmf });
  });
}

const broken: Array<[string, (doc: Record<string, any>) => void, RegExp]> = [
  ["_aws not an object", (doc) => (doc._aws = []), /_aws is not an object/],
  ["no Timestamp", (doc) => delete doc._aws.Timestamp, /Timestamp/],
  ["a Timestamp in seconds, not milliseconds, or a string", (doc) => (doc._aws.Timestamp = String(NOW)), /Timestamp/],
  ["a Timestamp over two weeks old", (doc) => (doc._aws.Timestamp = NOW - EMF_LIMITS.maxAgeMs - 1), /two weeks/],
  ["a Timestamp over two hours ahead", (doc) => (doc._aws.Timestamp = NOW + EMF_LIMITS.maxAheadMs + 1), /two hours/],
  ["no CloudWatchMetrics", (doc) => delete doc._aws.CloudWatchMetrics, /CloudWatchMetrics/],
  ["a directive without Namespace", (doc) => delete directive(doc).Namespace, /Namespace/],
  ["an AWS/ namespace", (doc) => (directive(doc).Namespace = "AWS/Lambda"), /reserved/],
  ["Dimensions an empty list of sets", (doc) => (directive(doc).Dimensions = []), /Dimensions/],
  ["a dimension set that is a string", (doc) => (directive(doc).Dimensions = ["Reason"]), /dimension set/],
  ["a dimension without a root member", (doc) => (directive(doc).Dimensions = [["Reason"]]), /dimension "Reason"/],
  ["a dimension whose value is a number", (doc) => ((directive(doc).Dimensions = [["Reason"]]), (doc.Reason = 3)), /dimension "Reason"/],
  ["a dimension whose value is empty", (doc) => ((directive(doc).Dimensions = [["Reason"]]), (doc.Reason = "")), /dimension "Reason"/],
  ["too many dimensions", (doc) => {
    const keys = Array.from({ length: EMF_LIMITS.dimensionsPerSet + 1 }, (_, index) => `d${index}`);
    directive(doc).Dimensions = [keys];
    for (const key of keys) doc[key] = "x";
  }, /keys/],
  ["over 100 metrics", (doc) => {
    directive(doc).Metrics = Array.from({ length: EMF_LIMITS.metricsPerDirective + 1 }, (_, index) => ({ Name: `m${index}` }));
    for (let index = 0; index <= EMF_LIMITS.metricsPerDirective; index++) doc[`m${index}`] = 1;
  }, /Metrics/],
  ["a metric without a root member", (doc) => delete doc["Telemetry/DataPoints"], /no numeric member/],
  ["a metric whose value is a string", (doc) => (doc["Telemetry/DataPoints"] = "5"), /no numeric member/],
  ["a metric with over 100 values", (doc) => (doc["Telemetry/DataPoints"] = Array.from({ length: 101 }, () => 1)), /101 values/],
  ["a metric with no values", (doc) => (doc["Telemetry/DataPoints"] = []), /0 values/],
  ["a metric with a value that is not a number", (doc) => (doc["Telemetry/DataPoints"] = [1, "2"]), /not a number/],
  ["an unknown unit", (doc) => (directive(doc).Metrics[0].Unit = "Furlongs"), /Unit/],
  ["a StorageResolution of 5", (doc) => (directive(doc).Metrics[0].StorageResolution = 5), /StorageResolution/],
  ["a metric definition without Name", (doc) => (directive(doc).Metrics = [{ Unit: "Count" }]), /Name/],
  ["one good directive beside a broken one", (doc) => doc._aws.CloudWatchMetrics.push({ Namespace: "FleetOTA", Dimensions: [[]], Metrics: [{ Name: "Missing" }] }), /"Missing"/],
];
for (const [name, change, reason] of broken) {
  parse(`invalid, nothing extracted: ${name}`, () => {
    const extraction = extractEmf(document(change), NOW);
    assert.is(extraction.verdict, EMF_VERDICT.Invalid);
    assert.match((extraction as { reason: string }).reason, reason);
  });
}

parse.run();

const extractor = suite("EmfExtractor");

function recordingCloudWatch() {
  const puts: Array<{ Namespace: string; MetricData: MetricDatum[] }> = [];
  return { puts, cloudwatch: { send: async (command: { input: { Namespace: string; MetricData: MetricDatum[] } }) => void puts.push(command.input) } };
}

extractor("publishes valid documents, counts their bytes, and ignores ordinary lines", async () => {
  const { puts, cloudwatch } = recordingCloudWatch();
  const emf = new EmfExtractor({ cloudwatch: cloudwatch as never, log: { debug() {}, info() {}, warn() {}, error() {} }, now: () => NOW });
  const line = document();

  emf.offer("fn", "stdout", '{"level":"INFO","message":"batch done"}');
  emf.offer("fn", "stdout", line);
  await emf.settled();

  assert.equal(puts.map(({ Namespace, MetricData }) => [Namespace, MetricData.map((datum) => datum.MetricName)]), [["FleetOTA", ["Telemetry/DataPoints"]]]);
  assert.equal(emf.counters(), { fn: { documents: 1, bytes: Buffer.byteLength(line) + LOG_EVENT_OVERHEAD_BYTES, invalid: 0 } });
  assert.is(emf.pending, 0);
});

extractor("an invalid document publishes only AWS/Logs EMFValidationErrors for the function's log group, and is counted", async () => {
  const { puts, cloudwatch } = recordingCloudWatch();
  const warnings: string[] = [];
  const emf = new EmfExtractor({ cloudwatch: cloudwatch as never, log: { debug() {}, info() {}, warn: (message) => void warnings.push(message), error() {} }, now: () => NOW });

  emf.offer("fn", "stderr", document((doc) => (doc._aws.Timestamp = "soon")));
  await emf.settled();

  assert.equal(puts.map(({ Namespace, MetricData }) => [Namespace, MetricData[0]!.MetricName, MetricData[0]!.Dimensions]), [
    ["AWS/Logs", "EMFValidationErrors", [{ Name: "LogGroupName", Value: "/aws/lambda/fn" }]],
  ]);
  assert.equal(emf.counters(), { fn: { documents: 0, bytes: 0, invalid: 1 } });
  assert.match(warnings[0]!, /EMF document not extracted: _aws.Timestamp/);
});

extractor.run();
