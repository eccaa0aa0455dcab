/**
 * The cost tables printed by `npm run bench -- cost` and `fleetota cost`, and the figures written to
 * bench/results.json, all from one measured profile.
 */
import { formatTable } from "../cli/output.js";
import { alternatives, costPerVehicleUpdate, dominantLines, fleetCost, FRONT_DOOR, type FleetScenario, type MeasuredProfile } from "./model.js";
import { PRICE_DATE, PRICE_REGION } from "./prices.js";
import { quotaTable } from "./quotas.js";

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

const usd = (value: number): string => (value >= 1 ? `$${value.toFixed(2)}` : `$${value.toPrecision(2)}`);

/** One user's fleet: the monthly total, per vehicle, and the items that dominate. */
export function renderFleetCost(profile: MeasuredProfile, scenario: FleetScenario): string[] {
  const cost = fleetCost(profile, scenario);
  const update = costPerVehicleUpdate(profile);
  const updatesPerMonth = (cost.scenario.vehicles * cost.scenario.updatesPerYear) / 12;
  return [
    `${cost.scenario.vehicles} vehicles uploading every ${cost.scenario.uploadEveryMinutes} min (${cost.scenario.frontDoor} front door), ${cost.scenario.updatesPerYear} updates per vehicle a year`,
    `${usd(cost.usdPerMonth)} a month, ${usd(cost.usdPerVehicleMonth)} per vehicle-month; ${usd(update.usd)} per vehicle update (${Math.round(updatesPerMonth)} a month)`,
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
  const rows = UPLOAD_PERIODS_MINUTES.flatMap((period) =>
    [FRONT_DOOR.s3, FRONT_DOOR.iotBasicIngest].map((frontDoor) => {
      const row: Record<string, string> = { "upload every": `${period} min`, "front door": frontDoor };
      for (const vehicles of FLEET_SIZES) row[`${vehicles.toLocaleString("en-US")} vehicles`] = usd(fleetCost(profile, { vehicles, uploadEveryMinutes: period, frontDoor }).usdPerVehicleMonth);
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
  return [
    `$ per vehicle-month (telemetry, scheduled functions, fixed items, 4 updates a year); prices ${PRICE_REGION} ${PRICE_DATE}`,
    ...formatTable(rows, Object.keys(rows[0]!)),
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
      figures.push({
        name: `cost: telemetry, ${vehicles} vehicles, upload every ${period} min (IoT Basic Ingest + Firehose)`,
        value: fleetCost(profile, { vehicles, uploadEveryMinutes: period, frontDoor: FRONT_DOOR.iotBasicIngest }).usdPerVehicleMonth,
        unit: "$/vehicle-month",
      });
    }
  }
  figures.push({ name: "cost: per vehicle update", value: costPerVehicleUpdate(profile).usd, unit: "$", goal: `≤ ${GOALS.perVehicleUpdate}` });
  return figures;
}
