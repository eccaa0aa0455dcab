/** The cost report: where the goal is met, the modelled figures beside the measured ones. Pure, no I/O. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fleetCost, PROCESSOR_COMPUTE, type ProcessorCpu } from "../../../cost/model.js";
import { costFigures, renderCostReport, smallestFleetMeeting } from "../../../cost/report.js";
import { profile } from "./support/profile.js";

const cpu: ProcessorCpu = { secondsPerInvocation: 0.01, secondsPerObject: 0.004, secondsPerRecord: 0.00001, objectsInFlight: 10, memoryMb: 512 };

test("the smallest fleet meeting a goal meets it, and a fleet a tenth smaller does not", () => {
  const hourly = { uploadEveryMinutes: 60 };
  const perVehicle = (vehicles: number) => fleetCost(profile(), { ...hourly, vehicles }).usdPerVehicleMonth;
  const goal = perVehicle(20_000);
  const from = smallestFleetMeeting(profile(), goal, hourly)!;
  assert.ok(perVehicle(from) <= goal);
  assert.ok(perVehicle(Math.floor(from * 0.9)) > goal, `${from}`);
});

test("a goal below the per-object floor is met at no fleet size", () => {
  assert.is(smallestFleetMeeting(profile(), 1e-6, { uploadEveryMinutes: 60 }), undefined);
});

test("with the processor's CPU measured, the report and the figures carry the modelled compute beside the measured one", () => {
  const withCpu = profile({ processorCpu: cpu });
  const report = renderCostReport(withCpu);
  assert.match(report, "s3 (AWS-latency compute)");
  assert.match(report, "with the processor's compute as measured locally");
  assert.match(report, "with its compute modelled at AWS latencies");
  assert.match(report, "fixed a month, whatever the fleet");
  // profile(): 0.01 GB-s an object + 60 × 0.0001 a record measured; own CPU (4 ms + 60 × 0.01 ms) / (512 / 1769) × 0.5 GB
  const ownCpu = (0.0046 / (512 / 1769)) * 0.5;
  assert.match(report, `takes ${(0.016).toPrecision(2)} GB-s; the processor's own CPU is ${ownCpu.toPrecision(2)} GB-s of it (${((100 * ownCpu) / 0.016).toFixed(0)}%)`);
  const names = costFigures(withCpu).map((figure) => figure.name);
  assert.ok(names.includes("cost: telemetry, 100000 vehicles, upload every 60 min (S3)"));
  assert.ok(names.includes("cost: telemetry, 100000 vehicles, upload every 60 min (S3, processor compute modelled at AWS latencies)"));
  const modelled = costFigures(withCpu).find((figure) => figure.name.includes("100000 vehicles, upload every 60 min (S3, processor compute"))!;
  assert.is(modelled.value, fleetCost(withCpu, { vehicles: 100_000, uploadEveryMinutes: 60, processorCompute: PROCESSOR_COMPUTE.ModelledAws }).usdPerVehicleMonth);

  const without = costFigures(profile()).map((figure) => figure.name);
  assert.not.ok(without.some((name) => name.includes("modelled")));
  assert.not.match(renderCostReport(profile()), "AWS-latency compute");
});

test.run();
