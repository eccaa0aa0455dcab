/**
 * The cost tables printed by `npm run bench -- cost` and `fleetota cost`, and the figures written to
 * bench/results.json, all from one measured profile.
 */
import { formatTable } from "../cli/output.js";
import { AWS_LATENCY } from "./aws-latency.js";
import { alternatives, costPerVehicleUpdate, dominantLines, fleetCost, FRONT_DOOR, LAMBDA_MB_PER_VCPU, PROCESSOR_COMPUTE, type FleetScenario, type MeasuredProfile } from "./model.js";
import { PRICE_DATE, PRICE_REGION } from "./prices.js";
import { quotaTable } from "./quotas.js";
import { defaults as stackDefaults } from "../modules/stack-config.js";

export const FLEET_SIZES = [1_000, 10_000, 100_000] as const;
export const UPLOAD_PERIODS_MINUTES = [1, 15, 60] as const;
export const GOALS = { telemetryHourlyPerVehicleMonth: 0.007, perVehicleUpdate: 0.0001 } as const;

/** A benchmark figure as bench/results.json holds it. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  goal?: string;
}

/** Dollars to two significant figures below $1, to the cent above. */
export const usd = (value: number): string => (value >= 1 ? `$${value.toFixed(2)}` : `$${value.toPrecision(2)}`);

/** The largest fleet the goal search looks at. */
const LARGEST_FLEET = 10_000_000;

/**
 * The smallest fleet whose telemetry costs at most `goalUsd` per vehicle-month (per-vehicle cost falls as
 * fixed and per-invocation items are shared), or undefined when even 10 million vehicles cost more.
 *
 * @example
 * smallestFleetMeeting(profile, 0.007, { uploadEveryMinutes: 60 }); // e.g. 42_000
 */
export function smallestFleetMeeting(profile: MeasuredProfile, goalUsd: number, scenario: Omit<FleetScenario, "vehicles">): number | undefined {
  const meets = (vehicles: number) => fleetCost(profile, { ...scenario, vehicles }).usdPerVehicleMonth <= goalUsd;
  if (!meets(LARGEST_FLEET)) return undefined;
  let fails = 0;
  let passes = LARGEST_FLEET;
  while (passes - fails > Math.max(1, passes / 100)) {
    const middle = Math.floor((fails + passes) / 2);
    if (meets(middle)) passes = middle;
    else fails = middle;
  }
  return passes;
}

/** A fleet size to two significant figures, e.g. "34,000". */
export const roughly = (vehicles: number): string => Number(vehicles.toPrecision(2)).toLocaleString("en-US");

/** Where the hourly goal is met, for the S3 front door, with compute as measured and as modelled. */
function goalLines(profile: MeasuredProfile): string[] {
  const goal = GOALS.telemetryHourlyPerVehicleMonth;
  const where = (processorCompute: (typeof PROCESSOR_COMPUTE)[keyof typeof PROCESSOR_COMPUTE]) => {
    const from = smallestFleetMeeting(profile, goal, { uploadEveryMinutes: 60, processorCompute });
    if (from !== undefined) return `met from about ${roughly(from)} vehicles`;
    return `not met at any fleet size (${usd(fleetCost(profile, { vehicles: LARGEST_FLEET, uploadEveryMinutes: 60, processorCompute }).usdPerVehicleMonth)} at 10 million)`;
  };
  const lines = [`goal ≤ ${usd(goal)} per vehicle-month, S3 front door, hourly uploads: ${where(PROCESSOR_COMPUTE.Measured)} with the processor's compute as measured locally`];
  if (profile.processorCpu) lines.push(`  and ${where(PROCESSOR_COMPUTE.ModelledAws)} with its compute modelled at AWS latencies`);
  return lines;
}

/** The scheduled functions' monthly cost, with the dashboard's trends refreshed every so many minutes (the stack's default unless given). */
function scheduledUsdPerMonth(profile: MeasuredProfile, dashboardTrendsEveryMinutes?: number): number {
  const cost = fleetCost(profile, { vehicles: 1, uploadEveryMinutes: 60, updatesPerYear: 0, ...(dashboardTrendsEveryMinutes ? { dashboardTrendsEveryMinutes } : {}) });
  return cost.lines.filter((line) => line.item.startsWith("scheduled: ")).reduce((total, line) => total + line.usdPerMonth, 0);
}

/** What the dashboard's trend refresh interval does to the scheduled functions' cost (profiles that measured it). */
function trendsLines(profile: MeasuredProfile): string[] {
  if (!profile.perTrendsRefresh) return [];
  const every = stackDefaults.dashboardTrendsEveryMinutes;
  return [
    `dashboard trends (dashboardTrendsEveryMinutes; a refresh asks for ${profile.perTrendsRefresh.cloudWatchMetricsRequested} metrics): scheduled functions ${usd(scheduledUsdPerMonth(profile, every))} a month ` +
      `refreshed every ${every} min, ${usd(scheduledUsdPerMonth(profile, 1))} every minute, ${usd(scheduledUsdPerMonth(profile, 15))} every 15 min`,
  ];
}

/** What a fleet pays a month whatever its size: the scheduled functions and the fixed items. */
function fixedLines(profile: MeasuredProfile): string[] {
  const cost = fleetCost(profile, { vehicles: 1, uploadEveryMinutes: 60, updatesPerYear: 0 });
  const scheduled = scheduledUsdPerMonth(profile);
  const fixed = cost.lines.filter((line) => line.item.startsWith("fixed: "));
  const total = scheduled + fixed.reduce((sum, line) => sum + line.usdPerMonth, 0);
  const parts = [`scheduled functions ${usd(scheduled)}`, ...fixed.map((line) => `${line.item.slice("fixed: ".length)} ${usd(line.usdPerMonth)}`)];
  return [
    `fixed a month, whatever the fleet: ${parts.join(", ")}: ${usd(total)}, ` +
      FLEET_SIZES.map((vehicles) => `${usd(total / vehicles)} per vehicle at ${vehicles.toLocaleString("en-US")}`).join(", "),
  ];
}

/**
 * How much of the locally measured compute of an hourly object is the processor's own CPU (at Lambda's
 * share), the rest being waits for the emulator and for a core of the shared machine.
 */
function emulatorShare(profile: MeasuredProfile): string {
  const cpu = profile.processorCpu!;
  const records = 60;
  const memoryGb = cpu.memoryMb / 1024;
  const ownCpu = ((cpu.secondsPerObject + records * cpu.secondsPerRecord) / Math.min(1, cpu.memoryMb / LAMBDA_MB_PER_VCPU)) * memoryGb;
  const measured = profile.telemetry.perObject.lambdaGbSeconds + records * profile.telemetry.lambdaGbSecondsPerRecord;
  return (
    `as priced from the local run, an hourly object (${records} records) takes ${measured.toPrecision(2)} GB-s; the processor's own CPU is ${ownCpu.toPrecision(2)} GB-s of it ` +
    `(${((100 * ownCpu) / measured).toFixed(0)}%), the rest is waiting for the emulator and for a core`
  );
}

/** Retention days the report compares with the stack's default (what operators keeping raw telemetry a quarter choose). */
export const SHORT_RETENTION_DAYS = 90;

/** One user's fleet: the monthly total, per vehicle, and the items that dominate. */
export function renderFleetCost(profile: MeasuredProfile, scenario: FleetScenario): string[] {
  const cost = fleetCost(profile, scenario);
  const update = costPerVehicleUpdate(profile);
  const updatesPerMonth = (cost.scenario.vehicles * cost.scenario.updatesPerYear) / 12;
  return [
    `${cost.scenario.vehicles} vehicles uploading every ${cost.scenario.uploadEveryMinutes} min (${cost.scenario.frontDoor} front door), ${cost.scenario.updatesPerYear} updates per vehicle a year`,
    `${usd(cost.usdPerMonth)} a month, ${usd(cost.usdPerVehicleMonth)} per vehicle-month; ${usd(update.usd)} per vehicle update (${Math.round(updatesPerMonth)} a month)`,
    ...(profile.processorCpu && cost.scenario.processorCompute === PROCESSOR_COMPUTE.Measured
      ? [`with the processor's compute modelled at AWS latencies instead of measured locally: ${usd(fleetCost(profile, { ...scenario, processorCompute: PROCESSOR_COMPUTE.ModelledAws }).usdPerVehicleMonth)} per vehicle-month`]
      : []),
    `telemetry kept ${cost.scenario.telemetryRetentionDays} days (and 30 more as noncurrent versions)`,
    "",
    ...formatTable(
      dominantLines(cost, 8).map((line) => ({ item: line.item, quantity: Math.round(line.quantity).toLocaleString("en-US"), unit: line.unit, "per month": usd(line.usdPerMonth) })),
      ["item", "quantity", "unit", "per month"],
    ),
    "",
    `prices: ${PRICE_REGION} list prices of ${PRICE_DATE}; usage: ${profile.method} (${profile.measuredAt})`,
  ];
}

/** The whole report: both front doors at every fleet size and upload period, updates, alternatives, quotas. */
export function renderCostReport(profile: MeasuredProfile): string {
  const variants: Array<{ label: string; scenario: Pick<FleetScenario, "frontDoor" | "processorCompute"> }> = [
    { label: FRONT_DOOR.s3, scenario: { frontDoor: FRONT_DOOR.s3 } },
    ...(profile.processorCpu ? [{ label: `${FRONT_DOOR.s3} (AWS-latency compute)`, scenario: { frontDoor: FRONT_DOOR.s3, processorCompute: PROCESSOR_COMPUTE.ModelledAws } }] : []),
    { label: FRONT_DOOR.iotBasicIngest, scenario: { frontDoor: FRONT_DOOR.iotBasicIngest } },
  ];
  const rows = UPLOAD_PERIODS_MINUTES.flatMap((period) =>
    variants.map(({ label, scenario }) => {
      const row: Record<string, string> = { "upload every": `${period} min`, "front door": label };
      for (const vehicles of FLEET_SIZES) row[`${vehicles.toLocaleString("en-US")} vehicles`] = usd(fleetCost(profile, { vehicles, uploadEveryMinutes: period, ...scenario }).usdPerVehicleMonth);
      const other = alternatives({ vehicles: 1, uploadEveryMinutes: period }, period * profile.telemetry.gzipBytesPerRecord);
      row["IoT Core messaging"] = usd(other.iotCoreMessagingPerVehicleMonth);
      return row;
    }),
  );
  const update = costPerVehicleUpdate(profile);
  const other = alternatives({ vehicles: 1, uploadEveryMinutes: 60 }, 0);
  const selfHosted = FLEET_SIZES.map(
    (vehicles) => `${vehicles.toLocaleString("en-US")}: hawkBit ${usd(other.hawkbitMinimumPerMonth / vehicles)}, Mender ${usd(other.menderMinimumPerMonth / vehicles)}`,
  );
  const dominant = dominantLines(fleetCost(profile, { vehicles: 10_000, uploadEveryMinutes: 60 }), 3);
  const retention = (telemetryRetentionDays: number) => usd(fleetCost(profile, { vehicles: 100_000, uploadEveryMinutes: 60, telemetryRetentionDays }).usdPerVehicleMonth);
  return [
    `$ per vehicle-month (telemetry, scheduled functions, fixed items, 4 updates a year); prices ${PRICE_REGION} ${PRICE_DATE}`,
    ...formatTable(rows, Object.keys(rows[0]!)),
    "",
    ...goalLines(profile),
    ...fixedLines(profile),
    ...trendsLines(profile),
    `telemetry retention (telemetryRetentionDays, + 30 days as noncurrent versions), 100,000 vehicles hourly: ${stackDefaults.telemetryRetentionDays} days ${retention(stackDefaults.telemetryRetentionDays)}, ${SHORT_RETENTION_DAYS} days ${retention(SHORT_RETENTION_DAYS)} per vehicle-month`,
    ...(profile.processorCpu
      ? [
          `AWS-latency compute: the processor's CPU measured without network (${(profile.processorCpu.secondsPerObject * 1000).toFixed(1)} ms an object + ${(profile.processorCpu.secondsPerRecord * 1e6).toFixed(1)} µs a record + ${(profile.processorCpu.secondsPerInvocation * 1000).toFixed(1)} ms an invocation at one core) ` +
            `at Lambda's share for ${profile.processorCpu.memoryMb} MB, plus waits of DynamoDB ${AWS_LATENCY.dynamoDb.ms} ms and S3 ${AWS_LATENCY.s3.ms} ms a call (modelled, cost/aws-latency.ts), ${profile.processorCpu.objectsInFlight} objects in flight`,
          emulatorShare(profile),
        ]
      : []),
    "",
    `$ per vehicle update: ${usd(update.usd)} (goal ≤ ${usd(GOALS.perVehicleUpdate)}; AWS IoT Jobs ${usd(other.iotJobsPerUpdate)} per job execution, ${(other.iotJobsPerUpdate / update.usd).toFixed(0)}×)`,
    ...formatTable(update.lines.map((line) => ({ item: line.item, quantity: line.quantity.toFixed(2), unit: line.unit, usd: usd(line.usdPerMonth) })), ["item", "quantity", "unit", "usd"]),
    "",
    `self-hosted minimum per vehicle-month (one instance, no HA, operator time excluded): ${selfHosted.join("; ")}`,
    `dominant items at 10,000 vehicles uploading hourly: ${dominant.map((line) => `${line.item} ${usd(line.usdPerMonth)}`).join(", ")}`,
    "",
    "where the default quotas bind (S3 front door, hourly uploads)",
    ...formatTable(
      quotaTable(profile, 60).map((row) => ({ ...row, bindsAtVehicles: Number.isFinite(row.bindsAtVehicles) ? row.bindsAtVehicles.toLocaleString("en-US") : "does not bind" })),
      ["quota", "defaultLimit", "bindsAtVehicles", "whatTheStackDoes"],
    ),
  ].join("\n");
}

/** The figures the benchmark table and bench/results.json carry. */
export function costFigures(profile: MeasuredProfile): Figure[] {
  const figures: Figure[] = [];
  for (const vehicles of FLEET_SIZES) {
    for (const period of UPLOAD_PERIODS_MINUTES) {
      figures.push({
        name: `cost: telemetry, ${vehicles} vehicles, upload every ${period} min (S3)`,
        value: fleetCost(profile, { vehicles, uploadEveryMinutes: period }).usdPerVehicleMonth,
        unit: "$/vehicle-month",
        goal: period === 60 ? `≤ ${GOALS.telemetryHourlyPerVehicleMonth}` : undefined,
      });
      if (profile.processorCpu && period === 60) {
        figures.push({
          name: `cost: telemetry, ${vehicles} vehicles, upload every ${period} min (S3, processor compute modelled at AWS latencies)`,
          value: fleetCost(profile, { vehicles, uploadEveryMinutes: period, processorCompute: PROCESSOR_COMPUTE.ModelledAws }).usdPerVehicleMonth,
          unit: "$/vehicle-month",
          goal: `≤ ${GOALS.telemetryHourlyPerVehicleMonth}`,
        });
      }
      figures.push({
        name: `cost: telemetry, ${vehicles} vehicles, upload every ${period} min (IoT Basic Ingest + Firehose)`,
        value: fleetCost(profile, { vehicles, uploadEveryMinutes: period, frontDoor: FRONT_DOOR.iotBasicIngest }).usdPerVehicleMonth,
        unit: "$/vehicle-month",
      });
    }
  }
  const goalFleets: Array<[string, (typeof PROCESSOR_COMPUTE)[keyof typeof PROCESSOR_COMPUTE]]> = [["compute as measured locally", PROCESSOR_COMPUTE.Measured]];
  if (profile.processorCpu) goalFleets.push(["compute modelled at AWS latencies", PROCESSOR_COMPUTE.ModelledAws]);
  for (const [label, processorCompute] of goalFleets) {
    const from = smallestFleetMeeting(profile, GOALS.telemetryHourlyPerVehicleMonth, { uploadEveryMinutes: 60, processorCompute });
    // Not met at any size: the largest fleet searched, marked as such in the name.
    figures.push({
      name: `cost: smallest fleet meeting the hourly goal (S3, ${label})${from === undefined ? ": not met up to" : ""}`,
      value: from ?? LARGEST_FLEET,
      unit: "vehicles",
    });
  }
  figures.push({ name: "cost: per vehicle update", value: costPerVehicleUpdate(profile).usd, unit: "$", goal: `≤ ${GOALS.perVehicleUpdate}` });
  return figures;
}
