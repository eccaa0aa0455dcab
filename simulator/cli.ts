/**
 * `npm run simulate -- --vehicles 100 --interval 60s --batches 5 --seed 42`
 *
 * Uploads simulated fleet telemetry to the data-lake bucket of the local cloud (default when
 * `.fleetota/local.json` exists) or of AWS (`--stack-outputs`, or `--bucket` with the default chain), as
 * a fleet gateway (multi-vehicle objects under `telemetry/fleet/<gatewayId>/`) with an identity of its
 * own: on the local cloud a fresh gateway is registered for the run; anywhere, `--gateway-bundle` uses one
 * registered with `fleetota gateways register`. Without either (AWS), it signs with the operator's credentials.
 * Before the first upload the fleet's VINs are bound to the gateway with the operator's credentials (as
 * `fleetota gateways bind` does: refused unless the id is a registered gateway, and for VINs another gateway
 * carries or that are registered vehicles), so the processor counts them; `--no-bind` leaves the binding to the
 * operator. A gateway the simulator registered for the run takes the fleet's VINs from the gateways of earlier
 * runs (the same seed makes the same VINs), as `fleetota gateways bind --move` does.
 */
import { readFileSync } from "node:fs";
import { IoTClient } from "@aws-sdk/client-iot";
import { S3Client } from "@aws-sdk/client-s3";
import { changeGatewayVehicles, type GatewayVehiclesChanged } from "../identity/gateway-vehicles.js";
import { isGateway, registeredVehicleVins } from "../identity/provisioning.js";
import { targetThingType } from "../cli/commands/vehicles.js";
import { Command, InvalidArgumentError, Option } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { resolveTarget, TARGET_KIND, type Target } from "../cli/target.js";
import { provisionLocalGateway } from "../local/identity/simulated-fleet.js";
import type { LocalCloudDescription } from "../local/model.js";
import { silenceSdkNodeVersionNotice } from "../lib/node-version-notice.js";
import { gatewayIdentityFromBundle, type GatewayIdentity } from "./gateway-identity.js";
import { DEFAULT_SIMULATION, startSimulation, type SimulationSummary } from "./simulation.js";

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * Parses `60s`, `1.5m`, `500ms`, `2h` (a bare number means seconds) into milliseconds.
 *
 * @example
 * parseDuration("90s"); // 90000
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new InvalidArgumentError(`"${text}" is not a duration (examples: 60s, 1m, 500ms)`);
  return Number(match[1]) * UNIT_MS[(match[2] ?? "s") as keyof typeof UNIT_MS];
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError(`"${text}" is not a positive integer`);
  return value;
}

function rate(text: string): number {
  const value = Number(text);
  if (!(value >= 0 && value <= 1)) throw new InvalidArgumentError(`"${text}" is not a rate between 0 and 1`);
  return value;
}

interface CliOptions {
  vehicles: number;
  interval: number;
  batches?: number;
  seed: number;
  batchSize: number;
  realtime?: boolean;
  bucket?: string;
  local?: boolean;
  stackOutputs?: string;
  malformedRate?: number;
  duplicateRate?: number;
  corruptRate?: number;
  clockSkewRate?: number;
  clockSkew?: number;
  progress: boolean;
  dryRun?: boolean;
  gatewayBundle?: string;
  gatewayKey?: string;
  bind: boolean;
}

/** Not a registered fleet gateway: the simulated fleet is not bound to it. */
export class SimulatorGatewayError extends Error {
  override readonly name = "SimulatorGatewayError";
}

/**
 * Binds the simulated fleet's VINs to the gateway as `fleetota gateways bind` does (the same checks), with the
 * operator's credentials of the target; `move` for a gateway registered for this run.
 *
 * @example
 * await bindSimulatedFleet(resolveTarget({ local: true }), "gw-sim-1a2b", vins, { move: true });
 */
export async function bindSimulatedFleet(target: Target, gatewayId: string, vins: readonly string[], options: { bucket?: string; move?: boolean } = {}): Promise<GatewayVehiclesChanged> {
  const iot = new IoTClient(target.clientConfig);
  const s3 = new S3Client({ ...target.clientConfig, forcePathStyle: true });
  try {
    if (!(await isGateway(iot, gatewayId, targetThingType(target, "gateway")))) {
      throw new SimulatorGatewayError(`${gatewayId} is not a registered fleet gateway: the simulated fleet was not bound to it (fleetota gateways register ${gatewayId}, or --no-bind)`);
    }
    const vehicleThingType = targetThingType(target, "vehicle");
    return await changeGatewayVehicles(s3, options.bucket ?? target.names.dataBucket, gatewayId, { bind: vins, move: options.move }, {
      registeredVehicles: (asked) => registeredVehicleVins(iot, vehicleThingType, asked),
    });
  } finally {
    iot.destroy();
    s3.destroy();
  }
}

function printSummary(summary: SimulationSummary): void {
  console.log(
    [
      `${summary.records} records in ${summary.objects} objects (${summary.uploads} uploads) from ${summary.vehicles} vehicles over ${summary.batches} intervals`,
      `  valid ${summary.valid}, malformed ${summary.malformed} ${JSON.stringify(summary.malformedByKind)}, clock-skewed ${summary.clockSkewed}`,
      `  corrupt objects ${summary.corruptObjects} (${summary.recordsInCorruptObjects} records), duplicate uploads ${summary.duplicateUploads}`,
      `  OTA reports ${summary.otaReports}, still buffered offline ${summary.stillBuffered}, dropped from full buffers ${summary.droppedFromBuffers}`,
    ].join("\n"),
  );
}

async function main(argv: string[]): Promise<void> {
  const program = new Command("simulate")
    .description("Simulate a vehicle fleet uploading gzip NDJSON telemetry batches to the data lake")
    .option("--vehicles <n>", "fleet size", positiveInteger, DEFAULT_SIMULATION.vehicles)
    .option("--interval <duration>", "time between two records of a vehicle (60s, 1m, 500ms)", parseDuration, DEFAULT_SIMULATION.intervalMs)
    .option("--batches <n>", "number of intervals (default: run until Ctrl-C, in real time)", positiveInteger)
    .option("--seed <n>", "random seed: the same seed gives the same fleet and telemetry", positiveInteger, DEFAULT_SIMULATION.seed)
    .option("--batch-size <n>", "records per uploaded object", positiveInteger, DEFAULT_SIMULATION.batchSize)
    .option("--realtime", "wait one interval between batches (default with --batches: back to back, ending now)")
    .option("--bucket <name>", "data-lake bucket (overrides the stack's)")
    .option("--local", "use the local cloud (.fleetota/local.json)")
    .option("--stack-outputs <file>", "AWS: outputs file written by `cdktf deploy --outputs-file`")
    .option("--malformed-rate <rate>", "share of records made malformed", rate)
    .option("--duplicate-rate <rate>", "share of objects uploaded twice", rate)
    .option("--corrupt-rate <rate>", "share of objects with a corrupted gzip stream", rate)
    .option("--clock-skew-rate <rate>", "share of vehicles whose clock runs ahead", rate)
    .addOption(new Option("--clock-skew <duration>", "how far ahead skewed clocks run").argParser(parseDuration))
    .option("--dry-run", "generate and count only; upload nothing (no bucket needed)")
    .option("--gateway-bundle <dir>", "upload as this registered fleet gateway (a bundle from `fleetota gateways register`); default on the local cloud: a new gateway for the run")
    .option("--gateway-key <file>", "the gateway's private key, when its bundle holds none (it made its own CSR)")
    .option("--no-bind", "do not bind the simulated VINs to the gateway (an operator binds them: fleetota gateways bind)")
    .option("--no-progress", "no progress bar")
    .parse(argv);
  const options = program.opts<CliOptions>();

  let bucket = options.bucket;
  let clientConfig = {};
  let gateway: GatewayIdentity | undefined;
  let target: Target | undefined;
  let registeredForRun = false;
  if (options.gatewayBundle && !options.dryRun) {
    gateway = gatewayIdentityFromBundle(options.gatewayBundle, { privateKeyPem: options.gatewayKey ? readFileSync(options.gatewayKey, "utf8") : undefined });
  }
  if (!options.dryRun && (!bucket || options.local)) {
    target = resolveTarget({ local: options.local, stackOutputs: options.stackOutputs });
    bucket ??= target.names.dataBucket;
    clientConfig = target.clientConfig;
    if (!gateway && target.kind === TARGET_KIND.Local) {
      const description = JSON.parse(readFileSync(target.source, "utf8")) as LocalCloudDescription;
      gateway = await provisionLocalGateway({ description, clientConfig: { endpoint: description.endpoint, region: description.region, credentials: target.clientConfig.credentials! } });
      registeredForRun = true;
    }
  }
  if (gateway) console.log(`uploading as fleet gateway ${gateway.gatewayId} (its own credentials: telemetry/fleet/${gateway.gatewayId}/ only)`);
  else if (!options.dryRun) console.log("uploading with the operator's credentials (no --gateway-bundle given)");
  const bar = options.progress && options.batches ? new SingleBar({ format: "{bar} {value}/{total} intervals | {records} records | {objects} objects" }, Presets.shades_classic) : undefined;
  bar?.start(options.batches ?? 0, 0, { records: 0, objects: 0 });
  const operatorS3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const bindTo = gateway && options.bind && !options.dryRun ? { gatewayId: gateway.gatewayId, bucket: bucket! } : undefined;
  const simulation = startSimulation({
    vehicles: options.vehicles,
    intervalMs: options.interval,
    batches: options.batches,
    seed: options.seed,
    batchSize: options.batchSize,
    realtime: options.realtime,
    bucket: bucket ?? "(dry run)",
    dryRun: options.dryRun,
    s3: gateway?.s3 ?? operatorS3,
    gatewayId: gateway?.gatewayId,
    prepare: bindTo
      ? async (fleet) => {
          target ??= resolveTarget({ local: options.local, stackOutputs: options.stackOutputs });
          const vins = fleet.vehicles.map((vehicle) => vehicle.vin);
          const bound = await bindSimulatedFleet(target, bindTo.gatewayId, vins, { bucket: bindTo.bucket, move: registeredForRun });
          for (const [from, count] of Object.entries(bound.moved ?? {})) console.log(`moved ${count} simulated vehicle(s) from ${from} (an earlier run's gateway)`);
          console.log(`bound ${bound.bound} simulated vehicle(s) to ${bindTo.gatewayId} (it carries ${bound.vehicles})`);
        }
      : undefined,
    faults: {
      malformedRate: options.malformedRate,
      duplicateRate: options.duplicateRate,
      corruptRate: options.corruptRate,
      clockSkewRate: options.clockSkewRate,
      clockSkewMs: options.clockSkew,
    },
    onBatch: (_batch, summary) => {
      if (bar) bar.update(summary.batches, { records: summary.records, objects: summary.objects });
      else console.log(`interval ${summary.batches}: ${summary.records} records in ${summary.objects} objects`);
    },
  });
  process.once("SIGINT", () => void simulation.stop());
  const summary = await simulation.done;
  bar?.stop();
  gateway?.destroy();
  operatorS3.destroy();
  printSummary(summary);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  silenceSdkNodeVersionNotice();
  main(process.argv).catch((error: unknown) => {
    console.error(`simulate: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
