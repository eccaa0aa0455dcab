import { test } from "uvu";
import * as assert from "uvu/assert";
import { FLEET_SOURCE, InvocationAggregate, isNewer, latencyValues } from "../../../telemetry/aggregate.js";
import { batteryBand, classifyConnectivity, motionOf } from "../../../telemetry/enrich.js";
import { METRIC } from "../../../contracts/metrics.js";
import { enriched, NOW_MS, readoutOf } from "./support/factories.js";

const at = (minutesAgo: number) => new Date(NOW_MS - minutesAgo * 60_000).toISOString();

function valueOf(data: ReturnType<InvocationAggregate["metricData"]>, name: string): number | undefined {
  return data.find((datum) => datum.MetricName === name)?.Value;
}

test("gauges use each vehicle's latest record only", () => {
  const aggregate = new InvocationAggregate();
  const older = enriched({ vin: "1HGCM82633A004352", ts: at(5), battery: { stateOfCharge: 10 }, connectivity: { online: false, network: "none", signalDbm: -140 } });
  const newer = enriched({ vin: "1HGCM82633A004352", ts: at(1), battery: { stateOfCharge: 50 } });
  const other = enriched({ vin: "1M8GDM9AXKP042788", ts: at(2), battery: { stateOfCharge: 80 }, connectivity: { signalDbm: -115 } });
  aggregate.addObject(readoutOf([newer, other]), 1200);
  aggregate.addObject(readoutOf([older], [{ line: 1, raw: "x", refusal: "not-json", reasons: [] }]), 800);
  const data = aggregate.metricData(new Date(NOW_MS));
  assert.is(valueOf(data, METRIC.DataPoints), 3);
  assert.is(valueOf(data, METRIC.RecordsRejected), 1);
  assert.is(valueOf(data, METRIC.VehiclesReporting), 2);
  assert.is(valueOf(data, METRIC.VehiclesOnline), 2, "the offline record is older than the online one");
  assert.is(valueOf(data, METRIC.ConnectivityRate), 50, "one of the two links is weak");
  assert.is(valueOf(data, METRIC.BatteryAverage), (50 + 80) / 2);
  const latency = data.find((datum) => datum.MetricName === METRIC.ProcessingLatency)!;
  assert.equal([latency.Values, latency.Counts], [[800, 1200], [1, 1]]);
});

test("weak links count as online but not as well connected", () => {
  const aggregate = new InvocationAggregate();
  aggregate.addObject(
    readoutOf([
      enriched({ vin: "1HGCM82633A004352", connectivity: { signalDbm: -120 } }),
      enriched({ vin: "1M8GDM9AXKP042788", connectivity: { online: false, network: "none", signalDbm: -140 } }),
      enriched({ vin: "WP0ZZZ99ZTS392124" }),
      enriched({ vin: "5YJ3E1EA7KF317000", connectivity: { online: false, network: "none", signalDbm: -140 } }),
    ]),
    10,
  );
  const data = aggregate.metricData(new Date(NOW_MS));
  assert.is(valueOf(data, METRIC.VehiclesOnline), 2);
  assert.is(valueOf(data, METRIC.ConnectivityRate), 25, "one good link among four vehicles");
});

test("an invocation of only duplicates and quarantined objects reports counters, no fleet gauges", () => {
  const aggregate = new InvocationAggregate();
  aggregate.addDuplicate();
  aggregate.addDuplicate();
  aggregate.addQuarantinedObject(40, "bad-gzip");
  const data = aggregate.metricData(new Date(NOW_MS));
  assert.is(valueOf(data, METRIC.DuplicateObjects), 2);
  assert.is(valueOf(data, METRIC.ObjectsQuarantined), 1);
  assert.is(valueOf(data, METRIC.DataPoints), 0);
  assert.is(valueOf(data, METRIC.BatteryAverage), undefined);
  assert.is(valueOf(data, METRIC.VehiclesReporting), undefined);
});

test("no metric carries a dimension but the refusals' Reason, and none is per vehicle", () => {
  const aggregate = new InvocationAggregate();
  aggregate.addObject(readoutOf([enriched()]), 5);
  assert.ok(aggregate.metricData(new Date(NOW_MS)).every((datum) => datum.Dimensions === undefined));
  aggregate.addObject(readoutOf([], [{ line: 1, raw: "{", refusal: "not-json", reasons: [] }]), 5);
  const refusals = aggregate.metricData(new Date(NOW_MS)).filter((datum) => datum.Dimensions !== undefined);
  assert.equal(refusals.map((datum) => [datum.MetricName, datum.Dimensions, datum.Value]), [[METRIC.Refusals, [{ Name: "Reason", Value: "not-json" }], 1]]);
});

test("every refusal is counted with its reason: refused lines by refusal, quarantined objects by corruption", () => {
  const aggregate = new InvocationAggregate();
  const line = (refusal: "not-json" | "bad-vin", n: number) => ({ line: n, raw: "x", refusal, reasons: [] });
  aggregate.addObject(readoutOf([], [line("not-json", 1), line("bad-vin", 2), line("bad-vin", 3)]), 5);
  aggregate.addQuarantinedObject(5, "too-large");
  aggregate.addQuarantinedObject(5, "too-large");
  assert.equal(Object.fromEntries(aggregate.refusals), { "not-json": 1, "bad-vin": 2, "too-large": 2 });
});

test("latency values keep every sample's count and stay within 150 distinct values", () => {
  const samples = Array.from({ length: 1000 }, (_, index) => index * 3);
  const { Values, Counts } = latencyValues(samples);
  assert.ok(Values.length <= 150);
  assert.is(Counts.reduce((total, count) => total + count, 0), samples.length);
  assert.is(Values[Values.length - 1], Math.max(...samples));
  assert.equal(latencyValues([5, 5, 2]), { Values: [2, 5], Counts: [1, 2] });
});

test("newer means later timestamp, then higher sequence", () => {
  assert.ok(isNewer(enriched({ ts: at(1), seq: 1 }), enriched({ ts: at(2), seq: 9 })));
  assert.ok(isNewer(enriched({ ts: at(1), seq: 2 }), enriched({ ts: at(1), seq: 1 })));
  assert.not.ok(isNewer(enriched({ ts: at(3), seq: 9 }), enriched({ ts: at(1), seq: 1 })));
});

test("enrichment classes follow their thresholds", () => {
  assert.is(classifyConnectivity({ network: "LTE", signalDbm: -105, online: true }), "good");
  assert.is(classifyConnectivity({ network: "3G", signalDbm: -106, online: true }), "weak");
  assert.is(classifyConnectivity({ network: "none", signalDbm: -140, online: true }), "offline");
  assert.is(batteryBand({ stateOfCharge: 9.9, voltage: 350, temperatureC: 20, charging: false }), "critical");
  assert.is(batteryBand({ stateOfCharge: 90, voltage: 400, temperatureC: 55, charging: true }), "low");
  assert.is(batteryBand({ stateOfCharge: 80, voltage: 400, temperatureC: 20, charging: false }), "high");
  assert.is(batteryBand({ stateOfCharge: 50, voltage: 380, temperatureC: 20, charging: false }), "normal");
  assert.equal([motionOf(3), motionOf(3.1)], ["parked", "moving"]);
});

test("in one invocation a vehicle's own record outranks a gateway's newer one for its VIN, in either order", () => {
  const own = enriched({ vin: "1HGCM82633A004352", ts: at(30), battery: { stateOfCharge: 80 } });
  const forged = enriched({ vin: "1HGCM82633A004352", ts: at(1), battery: { stateOfCharge: 2 } });
  for (const gatewayFirst of [true, false]) {
    const aggregate = new InvocationAggregate();
    const add = [() => aggregate.addObject(readoutOf([forged], [], FLEET_SOURCE.Gateway), 5), () => aggregate.addObject(readoutOf([own], [], FLEET_SOURCE.Vehicle), 5)];
    for (const step of gatewayFirst ? add : add.reverse()) step();
    assert.equal(aggregate.fleetVehicles().map((vehicle) => [vehicle.stateOfCharge, vehicle.source]), [[80, "vehicle"]]);
  }
});

test("a part holds at most maxVehicles: a gateway's new VINs past it are left out and counted; a vehicle's own object still gets in", () => {
  const aggregate = new InvocationAggregate(2);
  const vins = ["1HGCM82633A004352", "1M8GDM9AXKP042788", "5YJ3E1EA7KF317000", "WP0ZZZ99ZTS392124"];
  aggregate.addObject(readoutOf(vins.map((vin) => enriched({ vin })), [], FLEET_SOURCE.Gateway), 5);
  aggregate.addObject(readoutOf([enriched({ vin: "1HGCM82633A004353" })], [], FLEET_SOURCE.Vehicle), 5);
  aggregate.addObject(readoutOf([enriched({ vin: vins[0], ts: at(0) })], [], FLEET_SOURCE.Gateway), 5);

  assert.is(aggregate.fleetVehicles().length, 3);
  assert.is(aggregate.fleetEntriesOverCap, 2);
  assert.is(aggregate.dataPoints, 6, "the left-out records still count as telemetry");
  const dropped = aggregate.metricData(new Date(NOW_MS)).find((datum) => datum.MetricName === METRIC.FleetStateEntriesDropped);
  assert.equal([dropped?.Value, dropped?.Dimensions], [2, [{ Name: "Reason", Value: "over-cap" }]]);
});

test("entries folded in bulk keep the order objects came in: more than one fold's worth gives what adding them one by one gives, cap included", () => {
  const vin = (serial: number) => `TESTVIN${String(serial).padStart(10, "0")}`;
  const objects = [
    readoutOf(Array.from({ length: 20_000 }, (_, serial) => enriched({ vin: vin(serial), ts: at(5), battery: { stateOfCharge: 10 } })), [], FLEET_SOURCE.Gateway),
    readoutOf(Array.from({ length: 20_000 }, (_, serial) => enriched({ vin: vin(serial + 10_000), ts: at(3), battery: { stateOfCharge: 30 } })), [], FLEET_SOURCE.Gateway),
    readoutOf([enriched({ vin: vin(29_999), ts: at(60), battery: { stateOfCharge: 99 } })], [], FLEET_SOURCE.Vehicle),
    readoutOf(Array.from({ length: 20_000 }, (_, serial) => enriched({ vin: vin(serial * 2), ts: at(4), battery: { stateOfCharge: 20 } })), [], FLEET_SOURCE.Gateway),
  ];
  const aggregate = new InvocationAggregate(25_000);
  for (const object of objects) aggregate.addObject(object, 5);
  const bySoc = new Map<number, number>();
  for (const vehicle of aggregate.fleetVehicles()) bySoc.set(vehicle.stateOfCharge, (bySoc.get(vehicle.stateOfCharge) ?? 0) + 1);
  // The second object replaces 10,000-19,999 (newer) and adds 20,000-24,999 up to the cap (5,000 over it); the vehicle's
  // own VIN gets in past the cap; the last object's even VINs replace the first object's (newer), not the second's
  // (older), and its 7,500 new ones are over the cap.
  assert.equal(Object.fromEntries(bySoc), { 10: 5_000, 20: 5_000, 30: 15_000, 99: 1 });
  assert.is(aggregate.fleetEntriesOverCap, 5_000 + 7_500);
  assert.is(aggregate.metricData(new Date(NOW_MS)).find((datum) => datum.MetricName === METRIC.VehiclesReporting)?.Value, 25_001);
});

test.run();
