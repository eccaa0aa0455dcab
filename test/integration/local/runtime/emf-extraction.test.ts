/**
 * Embedded metric format on the local cloud, with the real processor bundle and the real SDK: the
 * processor writes its metrics as EMF log lines (no PutMetricData of its own), the local runtime
 * extracts them as CloudWatch Logs does, and they are read back from the emulator with ListMetrics and
 * GetMetricData, without dimensions, as the alarms and the dashboard read them. Then an attacker's try:
 * telemetry whose lines, fields and ECU map carry `_aws` members (valid EMF documents forging an OTA
 * failure count) goes through the same processor, and no metric appears but the processor's own.
 */
import { gzipSync } from "node:zlib";
import { GetMetricDataCommand, ListMetricsCommand, type Metric } from "@aws-sdk/client-cloudwatch";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { METRIC } from "../../../../contracts/metrics.js";
import { fleetTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { EMF_VERDICT, extractEmf } from "../../../../local/runtime/emf-extraction.js";
import { bindLocalGatewayVehicles, provisionLocalGateway } from "../../../../local/identity/simulated-fleet.js";
import type { GatewayIdentity } from "../../../../simulator/gateway-identity.js";
import { createFleet } from "../../../../simulator/fleet.js";
import { startTestCloud, type TestCloud } from "../../support/local-cloud.js";

const IDLE_TIMEOUT_MS = 120_000;
const GOOD_RECORDS = 24;
const FORGED = "Forged/AlarmSilencer";

let world: TestCloud;
let gateway: GatewayIdentity;
let processor = "";
const output = new Map<string, string[]>();
const startedAt = new Date(Date.now() - 60_000);

/** A valid EMF document forging metrics the alarms read (a failure count that trips the OTA failure-rate alarm) and one of its own. */
function forgedDocument(): Record<string, unknown> {
  return {
    Timestamp: Date.now(),
    CloudWatchMetrics: [{ Namespace: "FleetOTA", Dimensions: [[]], Metrics: [{ Name: METRIC.UpdatesFailed, Unit: "Count" }, { Name: FORGED, Unit: "Count" }] }],
  };
}

function records(count: number, seed: number): Array<Record<string, any>> {
  const nowMs = Date.now();
  const fleet = createFleet({ vehicles: count, seed, startMs: nowMs - 120_000 });
  return fleet.vehicles.map((vehicle) => {
    vehicle.advance(nowMs - 30_000);
    return vehicle.toRecord(nowMs - 30_000) as unknown as Record<string, any>;
  });
}

/** Uploads under the gateway's own prefix; `rawName` replaces the object's name as is (outside the key layout). */
async function upload(name: string, body: Buffer, rawName?: string): Promise<void> {
  const key = fleetTelemetryKey(gateway.gatewayId, Date.now(), name);
  await gateway.s3.send(new PutObjectCommand({ Bucket: world.outputs.data_bucket_name, Key: rawName ? `${key.slice(0, key.lastIndexOf("/") + 1)}${rawName}` : key, Body: body }));
}

async function sum(name: string): Promise<number> {
  const response = await world.clients.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: startedAt,
      EndTime: new Date(Date.now() + 3_600_000),
      MetricDataQueries: [{ Id: "m", MetricStat: { Metric: { Namespace: world.outputs.metrics_namespace, MetricName: name }, Period: 3_600, Stat: "Sum" } }],
    }),
  );
  return (response.MetricDataResults?.[0]?.Values ?? []).reduce((total, value) => total + value, 0);
}

async function listed(request: { Namespace?: string; MetricName?: string }): Promise<Metric[]> {
  return (await world.clients.cloudwatch.send(new ListMetricsCommand(request))).Metrics ?? [];
}

test.before(async () => {
  try {
    world = await startTestCloud({
      runtime: true,
      runtimeOptions: {
        runSchedules: false,
        alarmEvaluationIntervalMs: 0,
        pollWaitSeconds: 1,
        onFunctionOutput: (name, _stream, line) => output.set(name, [...(output.get(name) ?? []), line]),
      },
    });
    processor = world.cloud.description.functions.find((fn) => fn.functionName.endsWith("-telemetry-processor"))!.functionName;
    gateway = await provisionLocalGateway(world.cloud);
    const good = records(GOOD_RECORDS, 13);
    // The gateway carries the vehicles of both uploads (the hostile lines' too, so they are read as records).
    await bindLocalGatewayVehicles(world.cloud, gateway.gatewayId, [...good, ...records(2, 29)].map((record) => String(record.vin)));
    await upload("good", gzipSync(`${good.map((record) => JSON.stringify(record)).join("\n")}\n`));
    await world.cloud.runtime!.waitForIdle(IDLE_TIMEOUT_MS);
  } catch (error) {
    console.error("setting up failed:", error); // uvu does not report errors of hooks
    throw error;
  }
});

test.after(async () => {
  gateway?.destroy();
  await world?.stop();
});

test("the processor's metrics are EMF lines of its own output, not PutMetricData requests of its own", () => {
  const lines = output.get(processor) ?? [];
  const documents = lines.filter((line) => extractEmf(line, Date.now()).verdict === EMF_VERDICT.Metrics);
  assert.ok(documents.length >= 1, "no EMF line in the processor's output");
  const requests = Object.keys(world.cloud.census.snapshot().requests);
  assert.equal(requests.filter((key) => key.startsWith(`function:${processor} `) && key.includes("monitoring:")), [], "the processor called CloudWatch itself");
  const counters = world.cloud.runtime!.counters().emf[processor]!;
  assert.is(counters.documents, documents.length);
  assert.is(counters.invalid, 0);
  assert.ok(counters.bytes > 0);
});

test("extracted metrics are readable with GetMetricData and ListMetrics, without dimensions (no `service` dimension added)", async () => {
  assert.is(await sum(METRIC.DataPoints), GOOD_RECORDS);
  assert.is(await sum(METRIC.RecordsRejected), 0);
  for (const name of [METRIC.DataPoints, METRIC.VehiclesReporting, METRIC.ProcessingLatency]) {
    const metrics = await listed({ Namespace: world.outputs.metrics_namespace, MetricName: name });
    assert.ok(metrics.length >= 1, `${name} not listed`);
    assert.equal(metrics.flatMap((metric) => metric.Dimensions ?? []), [], `${name} has dimensions`);
  }
});

test("an attacker's telemetry carrying `_aws` in its lines, fields and ECU map forges no metric", async () => {
  const before = { failed: await sum(METRIC.UpdatesFailed), dataPoints: await sum(METRIC.DataPoints) };
  const [withField, withEcu] = records(2, 29);
  withField!._aws = forgedDocument();
  withField![METRIC.UpdatesFailed] = 1000;
  withField![FORGED] = 1;
  withEcu!.firmware = { ...withEcu!.firmware, ecus: { _aws: "1.0.0", [FORGED]: "1.0.0" } };
  const emfLine = JSON.stringify({ _aws: forgedDocument(), [METRIC.UpdatesFailed]: 1000, [FORGED]: 1 });
  await upload("hostile-lines", gzipSync([emfLine, JSON.stringify(withField), JSON.stringify(withEcu)].join("\n")));
  await upload("hostile-object", Buffer.from(emfLine)); // not gzip: quarantined whole, with a message
  await upload("hostile-key", gzipSync(`${emfLine}\n`), '{"_aws":{"CloudWatchMetrics":[]}}.ndjson.gz'); // the key is logged
  await world.cloud.runtime!.waitForIdle(IDLE_TIMEOUT_MS);

  const processed = (await sum(METRIC.DataPoints)) - before.dataPoints + (await sum(METRIC.RecordsRejected)) + (await sum(METRIC.ObjectsQuarantined));
  assert.ok(processed >= 4, "the hostile objects went through the processor");
  assert.is(await sum(METRIC.UpdatesFailed), before.failed, "an OTA failure count was forged");
  assert.equal(await listed({ MetricName: FORGED }), [], "a forged metric was published");
  for (const [name, counters] of Object.entries(world.cloud.runtime!.counters().emf)) assert.is(counters.invalid, 0, `${name} wrote an invalid EMF document`);
  const lines = output.get(processor) ?? [];
  assert.ok(
    lines.some((line) => line.includes("_aws") && !line.includes(`"_aws":{"Timestamp"`) && extractEmf(line, Date.now()).verdict === EMF_VERDICT.NotEmf),
    "the hostile text reached the processor's log lines (as a value)",
  );
  const metricNames = new Set<string>(Object.values(METRIC));
  for (const line of lines) {
    const extraction = extractEmf(line, Date.now());
    if (extraction.verdict !== EMF_VERDICT.Metrics) continue;
    for (const { namespace, data } of extraction.metrics) {
      assert.is(namespace, world.outputs.metrics_namespace);
      for (const datum of data) assert.ok(metricNames.has(datum.MetricName!), `the processor's output carried ${datum.MetricName}`);
    }
  }
});

test.run();
