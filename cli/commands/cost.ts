import type { Command } from "commander";
import { fleetCost, FRONT_DOOR, PROCESSOR_COMPUTE, type FrontDoor, type MeasuredProfile, type ProcessorCompute } from "../../cost/model.js";
import measuredProfile from "../../cost/measured-profile.json" with { type: "json" };
import { renderFleetCost } from "../../cost/report.js";
import { defaults as stackDefaults } from "../../modules/stack-config.js";
import { InvalidTrendsIntervalError, trendsIntervalMinutes } from "../../functions/dashboard-publisher/trend-cadence.js";
import { parseChoice, parseDuration, parseIntegerOption } from "../arguments.js";
import type { CommandContext } from "../context.js";
import { UsageError } from "../errors.js";
import { printResult } from "../output.js";

export interface CostOptions {
  vehicles: string;
  uploadEvery: string;
  updatesPerYear: string;
  frontDoor: string;
  /** The telemetry mapping's batching window (the stack's default when absent). */
  batchingWindow?: string;
  /** Days telemetry is kept (the stack's `telemetryRetentionDays` when absent). */
  retentionDays?: string;
  /** The processor's compute: as measured locally (default) or modelled at AWS latencies. */
  compute?: string;
  /** How often the dashboard refreshes its telemetry trends (the stack's `dashboardTrendsEveryMinutes` when absent). */
  trendsEvery?: string;
}

export function registerCostCommand(program: Command, contextFor: (command: Command) => CommandContext): void {
  program
    .command("cost")
    .description("what your fleet would cost a month on AWS, from the request mix counted on the local cloud")
    .option("--vehicles <n>", "fleet size", "10000")
    .option("--upload-every <duration>", "time between two uploads of one vehicle (1m, 15m, 1h …)", "60m")
    .option("--updates-per-year <n>", "OTA updates per vehicle a year", "4")
    .option("--front-door <kind>", `how telemetry arrives: ${Object.values(FRONT_DOOR).join(" or ")}`, FRONT_DOOR.s3)
    .option(
      "--batching-window <duration>",
      `how long the telemetry mapping gathers objects for one invocation (1s … 5m; the stack's ${stackDefaults.telemetryConsumer.maximumBatchingWindowSeconds}s by default)`,
    )
    .option("--retention-days <n>", `days telemetry objects are kept (the stack's telemetryRetentionDays, ${stackDefaults.telemetryRetentionDays} by default)`)
    .option(
      "--compute <basis>",
      `the processor's compute: ${PROCESSOR_COMPUTE.Measured} (the local runtime's durations, emulator latency included) or ${PROCESSOR_COMPUTE.ModelledAws} (its CPU measured without network plus published AWS latencies)`,
      PROCESSOR_COMPUTE.Measured,
    )
    .option(
      "--trends-every <duration>",
      `how often the dashboard reads its telemetry trends from CloudWatch (the stack's dashboardTrendsEveryMinutes, ${stackDefaults.dashboardTrendsEveryMinutes}m by default; 1m … 60m)`,
    )
    .action(async function costAction(this: Command, options: CostOptions) {
      runCost(contextFor(this), options);
    });
}

/**
 * The `cost` command: no AWS call, only the model.
 *
 * @example
 * runCost(context, { vehicles: "10000", uploadEvery: "15m", updatesPerYear: "4", frontDoor: "s3" });
 */
export function runCost(context: CommandContext, options: CostOptions, profile: MeasuredProfile = measuredProfile): void {
  const vehicles = parseIntegerOption("--vehicles", options.vehicles, { min: 1, max: 100_000_000 });
  const uploadSeconds = parseDuration("--upload-every", options.uploadEvery);
  if (uploadSeconds < 60) throw new UsageError(`--upload-every must be at least 1m, got "${options.uploadEvery}"`);
  const updatesPerYear = parseIntegerOption("--updates-per-year", options.updatesPerYear, { min: 0, max: 365 });
  const frontDoor = parseChoice<FrontDoor>("--front-door", options.frontDoor, Object.values(FRONT_DOOR));
  const windowSeconds = options.batchingWindow === undefined ? stackDefaults.telemetryConsumer.maximumBatchingWindowSeconds : parseDuration("--batching-window", options.batchingWindow);
  if (windowSeconds > 300) throw new UsageError(`--batching-window must be at most 5m (AWS's maximum), got "${options.batchingWindow}"`);
  const telemetryConsumer = { batchSize: stackDefaults.telemetryConsumer.batchSize, maximumBatchingWindowSeconds: windowSeconds };
  const telemetryRetentionDays =
    options.retentionDays === undefined ? stackDefaults.telemetryRetentionDays : parseIntegerOption("--retention-days", options.retentionDays, { min: 1, max: 36_500 });
  const processorCompute = parseChoice<ProcessorCompute>("--compute", options.compute ?? PROCESSOR_COMPUTE.Measured, Object.values(PROCESSOR_COMPUTE));
  if (processorCompute === PROCESSOR_COMPUTE.ModelledAws && !profile.processorCpu) {
    throw new UsageError("--compute modelled-aws needs a profile with the processor's CPU measured (npm run bench -- cost)");
  }
  const dashboardTrendsEveryMinutes = options.trendsEvery === undefined ? stackDefaults.dashboardTrendsEveryMinutes : trendsEveryOption(options.trendsEvery);
  const scenario = { vehicles, uploadEveryMinutes: uploadSeconds / 60, updatesPerYear, frontDoor, telemetryConsumer, telemetryRetentionDays, processorCompute, dashboardTrendsEveryMinutes };
  printResult(context.io, context.json, fleetCost(profile, scenario), () => renderFleetCost(profile, scenario));
}

/** `--trends-every`: a duration of whole minutes the stack accepts for dashboardTrendsEveryMinutes. */
function trendsEveryOption(text: string): number {
  const seconds = parseDuration("--trends-every", text);
  try {
    return trendsIntervalMinutes(seconds / 60);
  } catch (error) {
    if (error instanceof InvalidTrendsIntervalError) throw new UsageError(`--trends-every must be whole minutes from 1m to 60m that divide an hour (1m, 5m, 15m …), got "${text}"`);
    throw error;
  }
}
