/** `fleetota cost`: the model for the user's fleet, input errors naming the option. No AWS call. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runCost, type CostOptions } from "../../../../cli/commands/cost.js";
import type { CommandContext } from "../../../../cli/context.js";
import { UsageError } from "../../../../cli/errors.js";
import { fleetCost } from "../../../../cost/model.js";
import { profile } from "../../cost/support/profile.js";

function context(json: boolean): CommandContext & { out: () => string } {
  let out = "";
  const io = { stdout: (text: string) => void (out += text), stderr: () => undefined, interactive: false };
  return { io, json, out: () => out } as unknown as CommandContext & { out: () => string };
}

const options = (overrides: Partial<CostOptions> = {}): CostOptions => ({ vehicles: "10000", uploadEvery: "15m", updatesPerYear: "4", frontDoor: "s3", ...overrides });

test("prints the monthly total, per vehicle, and the dominant items for the fleet asked about", () => {
  const ctx = context(false);
  runCost(ctx, options(), profile());
  const expected = fleetCost(profile(), { vehicles: 10_000, uploadEveryMinutes: 15, updatesPerYear: 4 });
  assert.match(ctx.out(), "10000 vehicles uploading every 15 min (s3 front door)");
  assert.match(ctx.out(), `$${expected.usdPerMonth.toFixed(2)} a month`);
  assert.match(ctx.out(), "telemetry: S3 PUT/LIST");
});

test("--json gives the lines and totals the model computed", () => {
  const ctx = context(true);
  runCost(ctx, options({ uploadEvery: "1h", frontDoor: "iot-basic-ingest" }), profile());
  const result = JSON.parse(ctx.out()) as ReturnType<typeof fleetCost>;
  assert.equal(result.scenario, {
    vehicles: 10_000,
    uploadEveryMinutes: 60,
    updatesPerYear: 4,
    frontDoor: "iot-basic-ingest",
    recordsPerMinute: 1,
    telemetryConsumer: { batchSize: 100, maximumBatchingWindowSeconds: 20 },
    telemetryRetentionDays: 365,
    processorCompute: "measured",
    dashboardTrendsEveryMinutes: 5,
    publisherMemoryMb: 512,
  });
  assert.ok(result.lines.some((line) => line.item === "IoT Core connectivity"));
});

test("--batching-window prices the mapping's window: a 1 s window means more invocations than the stack's 20 s", () => {
  const byDefault = context(true);
  const short = context(true);
  runCost(byDefault, options({ uploadEvery: "1h" }), profile());
  runCost(short, options({ uploadEvery: "1h", batchingWindow: "1s" }), profile());
  const [a, b] = [byDefault, short].map((ctx) => JSON.parse(ctx.out()) as ReturnType<typeof fleetCost>);

  assert.ok(b!.objectsPerInvocation < a!.objectsPerInvocation);
  assert.ok(b!.usdPerMonth > a!.usdPerMonth);
});

test("--retention-days and --compute reach the model; the measured figure shows the modelled one beside it", () => {
  const withCpu = profile({ processorCpu: { secondsPerInvocation: 0.01, secondsPerObject: 0.004, secondsPerRecord: 0.00001, objectsInFlight: 10, memoryMb: 512 } });
  const short = context(true);
  runCost(short, options({ uploadEvery: "1h", retentionDays: "90", compute: "modelled-aws" }), withCpu);
  const result = JSON.parse(short.out()) as ReturnType<typeof fleetCost>;
  const expected = fleetCost(withCpu, { vehicles: 10_000, uploadEveryMinutes: 60, updatesPerYear: 4, telemetryRetentionDays: 90, processorCompute: "modelled-aws" });
  assert.is(result.usdPerMonth, expected.usdPerMonth);

  const text = context(false);
  runCost(text, options({ uploadEvery: "1h" }), withCpu);
  const modelled = fleetCost(withCpu, { vehicles: 10_000, uploadEveryMinutes: 60, processorCompute: "modelled-aws" });
  assert.match(text.out(), `modelled at AWS latencies instead of measured locally: $${modelled.usdPerVehicleMonth.toPrecision(2)} per vehicle-month`);
  assert.match(text.out(), "telemetry kept 365 days");
});

test("--trends-every prices the dashboard's trend refreshes: every minute costs more than the stack's 5", () => {
  const withTrends = profile({ perTrendsRefresh: { ...profile().perScheduledMinute, cloudWatchMetricsRequested: 14, lambdaInvocations: 0, lambdaGbSeconds: 0 } });
  const [byDefault, everyMinute] = [undefined, "1m"].map((trendsEvery) => {
    const ctx = context(true);
    runCost(ctx, options({ uploadEvery: "1h", trendsEvery }), withTrends);
    return JSON.parse(ctx.out()) as ReturnType<typeof fleetCost>;
  });

  assert.is(byDefault!.scenario.dashboardTrendsEveryMinutes, 5);
  assert.is(everyMinute!.scenario.dashboardTrendsEveryMinutes, 1);
  assert.ok(everyMinute!.usdPerMonth > byDefault!.usdPerMonth);
});

const refusals: Array<[Partial<CostOptions>, RegExp]> = [
  [{ vehicles: "0" }, /--vehicles must be at least 1/],
  [{ vehicles: "1e9" }, /--vehicles must be a whole number/],
  [{ uploadEvery: "30s" }, /--upload-every must be at least 1m/],
  [{ uploadEvery: "soon" }, /--upload-every must be a duration/],
  [{ updatesPerYear: "-1" }, /--updates-per-year must be at least 0/],
  [{ frontDoor: "carrier-pigeon" }, /--front-door must be one of s3, iot-basic-ingest/],
  [{ batchingWindow: "10m" }, /--batching-window must be at most 5m/],
  [{ retentionDays: "0" }, /--retention-days must be at least 1/],
  [{ compute: "guessed" }, /--compute must be one of measured, modelled-aws/],
  [{ trendsEvery: "7m" }, /--trends-every must be whole minutes from 1m to 60m that divide an hour/],
  [{ trendsEvery: "90s" }, /--trends-every must be whole minutes/],
  [{ compute: "modelled-aws" }, /--compute modelled-aws needs a profile with the processor's CPU measured/],
];
for (const [bad, message] of refusals) {
  test(`refuses ${JSON.stringify(bad)} naming the option`, () => {
    assert.throws(() => runCost(context(false), options(bad), profile()), (error: unknown) => error instanceof UsageError && message.test(error.message));
  });
}

test.run();
