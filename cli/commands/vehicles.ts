/**
 * `fleetota vehicles register|list|reencode|retype|revoke`: provisioning vehicle identities in AWS IoT (on AWS or the
 * local cloud) and writing each vehicle's bundle. See identity/provisioning.ts for what registering does.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DescribeEndpointCommand } from "@aws-sdk/client-iot";
import { Presets, SingleBar } from "cli-progress";
import type { Command } from "commander";
import { VEHICLE_TELEMETRY_PREFIX } from "../../contracts/telemetry-keys.js";
import { gatewayIdentityNames } from "../../contracts/gateway-identity.js";
import { vehicleIdentityNames } from "../../contracts/vehicle-identity.js";
import { writeVehicleBundle } from "../../identity/bundle.js";
import { gatewayHolders, refuseCarriedVehicle, VehicleCarriedByGatewayError } from "../../identity/gateway-holders.js";
import {
  AttributeMigrationError,
  CHECKED_PAPERS_FLAG,
  listVehicles,
  reencodeVehicleAttributes,
  registerVehicle,
  retypeVehicle,
  revokeVehicle,
  VehicleAlreadyRegisteredError,
  VehicleNotFoundError,
  type VehicleRecord,
} from "../../identity/provisioning.js";
import { readStateFile } from "../../local/state-file.js";
import { parseIntegerOption } from "../arguments.js";
import type { CommandContext } from "../context.js";
import type { Target } from "../target.js";
import { InputFileError, NotFoundError, UsageError } from "../errors.js";
import { formatTable, printResult } from "../output.js";
import { createPacer } from "../redrive/pacer.js";
import { parseModelYear, parseVehicleCsv, VehicleCsvHeaderError, type CsvRefusal, type CsvVehicle } from "../vehicles/vehicle-csv.js";

export interface RegisterOptions {
  make?: string;
  model?: string;
  hardware?: string;
  modelYear?: string;
  csr?: string;
  csv?: string;
  out?: string;
  maxPerSecond?: string;
  concurrency?: string;
}

const defaults = {
  out: ".fleetota/vehicles",
  /** AWS IoT's control-plane limits are about 15 requests a second per API (CreateThing, CreateCertificateFromCsr, …). */
  maxPerSecond: 10,
  concurrency: 4,
} as const;

/** Where a device gets its credentials and writes, for its bundle. */
export interface IdentityTarget {
  iotPolicyName: string;
  roleAlias: string;
  credentialsEndpoint: string;
  credentialsProviderCaPem?: string;
  bucket: string;
  region: string;
  s3Endpoint?: string;
}

export function registerVehiclesCommands(program: Command, contextFor: (command: Command) => CommandContext): void {
  const vehicles = program.command("vehicles").description("vehicle identities: AWS IoT things, certificates, bundles");
  vehicles
    .command("register [vin]")
    .description("register one vehicle (VIN with --make/--model/--hardware) or a CSV of them (--csv); writes each vehicle's bundle; a VIN bound to a fleet gateway is refused (unbind it first)")
    .option("--make <make>", "make (one vehicle)")
    .option("--model <model>", "model (one vehicle)")
    .option("--hardware <id>", "hardware id, e.g. tcu-2 (one vehicle)")
    .option("--model-year <year>", "model year, e.g. 2021 (one vehicle; campaigns that select model years admit only vehicles registered with one)")
    .option("--csr <file>", "the vehicle's CSR (PEM): its private key never leaves it; without it AWS IoT makes the key pair")
    .option("--csv <file>", "vin,make,model,hardware[,csr][,modelYear] with a header; csr paths are relative to the CSV")
    .option("--out <dir>", `where bundles go (default ${defaults.out})`)
    .option("--max-per-second <n>", `vehicles registered per second at most (default ${defaults.maxPerSecond}, AWS IoT's limits allow about 15)`)
    .option("--concurrency <n>", `registrations in flight (default ${defaults.concurrency})`)
    .action(async function registerAction(this: Command, vin: string | undefined, options: RegisterOptions) {
      await runRegister(contextFor(this), vin, options);
    });
  vehicles
    .command("list")
    .description("registered vehicles with make, model and hardware")
    .action(async function listAction(this: Command) {
      await runList(contextFor(this));
    });
  vehicles
    .command("reencode <vin>")
    .description("write a vehicle's make/model/hardware, registered in the lossy attribute form (before the injective one), in the injective form: the same facts, so campaigns can select them")
    .option("--make <make>", "the vehicle's make as its telemetry says it (Citroën)")
    .option("--model <model>", "its model")
    .option("--hardware <id>", "its hardware id")
    .option(CHECKED_PAPERS_FLAG, "the values are from the vehicle's papers (needed where the lossy form fits several values: Citro_n for Citroën, Citroén…)")
    .action(async function reencodeAction(this: Command, vin: string, options: ReencodeOptions) {
      await runReencode(contextFor(this), vin.toUpperCase(), options);
    });
  vehicles
    .command("retype [vin...]")
    .description("give vehicles registered before vehicles had a thing type (untyped things) the vehicle thing type; without a VIN, every untyped vehicle")
    .action(async function retypeAction(this: Command, vins: string[]) {
      await runRetype(contextFor(this), vins.map((vin) => vin.toUpperCase()));
    });
  vehicles
    .command("revoke <vin>")
    .description("deactivate the vehicle's certificates: it gets no new credentials (the current ones expire within 15 minutes)")
    .action(async function revokeAction(this: Command, vin: string) {
      await runRevoke(contextFor(this), vin.toUpperCase());
    });
}

/**
 * The stack's thing type for vehicles or gateways: the local cloud's output, else the name the stack derives from its prefix.
 *
 * @example
 * stackThingType(context, "vehicle"); // "fleetota-dev-vehicle"
 */
export function stackThingType(context: CommandContext, kind: "vehicle" | "gateway"): string {
  return targetThingType(context.target(), kind);
}

/** stackThingType for a resolved target (the simulator has no command context). */
export function targetThingType(target: Target, kind: "vehicle" | "gateway"): string {
  const derived = (kind === "vehicle" ? vehicleIdentityNames(target.names.namePrefix) : gatewayIdentityNames(target.names.namePrefix)).thingType;
  if (target.kind !== "local") return derived;
  return String(readStateFile(target.source)?.outputs[`${kind}_thing_type`] ?? derived);
}

/**
 * Where a vehicle's or a gateway's bundle points: the stack's IoT policy and role alias for that kind
 * of device (the local cloud's outputs, else the names the stack derives from its prefix), the
 * credentials endpoint (the local provider, else `DescribeEndpoint iot:CredentialProvider`), bucket, region.
 *
 * @example
 * const where = await identityTarget(context, "gateway"); // { iotPolicyName: "fleetota-dev-gateway", roleAlias: "fleetota-dev-gateway", … }
 */
export async function identityTarget(context: CommandContext, kind: "vehicle" | "gateway"): Promise<IdentityTarget> {
  const target = context.target();
  const names = kind === "vehicle" ? vehicleIdentityNames(target.names.namePrefix) : gatewayIdentityNames(target.names.namePrefix);
  if (target.kind === "local") {
    const description = readStateFile(target.source);
    if (!description?.credentialsProvider) throw new NotFoundError("the local cloud has no credentials provider (restart it with this version)");
    return {
      iotPolicyName: String(description.outputs[`${kind}_iot_policy`] ?? names.iotPolicy),
      roleAlias: String(description.outputs[`${kind}_role_alias`] ?? names.roleAlias),
      credentialsEndpoint: description.credentialsProvider.endpoint,
      credentialsProviderCaPem: description.credentialsProvider.caCertificatePem,
      bucket: target.names.dataBucket,
      region: description.region,
      s3Endpoint: description.endpoint,
    };
  }
  const iot = context.iot();
  const endpoint = await iot.send(new DescribeEndpointCommand({ endpointType: "iot:CredentialProvider" }));
  return {
    iotPolicyName: names.iotPolicy,
    roleAlias: names.roleAlias,
    credentialsEndpoint: `https://${endpoint.endpointAddress}`,
    bucket: target.names.dataBucket,
    region: await iot.config.region(),
  };
}

/**
 * A device's CSR file, checked to be a PEM certificate signing request.
 *
 * @example
 * const csrPem = readCsr("gw-depot-7.csr");
 */
export function readCsr(path: string): string {
  if (!existsSync(path)) throw new InputFileError(path, "no such CSR file");
  const text = readFileSync(path, "utf8");
  if (!text.includes("-----BEGIN CERTIFICATE REQUEST-----")) throw new InputFileError(path, "not a PEM certificate signing request");
  return text;
}

function oneVehicle(vin: string, options: RegisterOptions): CsvVehicle {
  const missing = (["make", "model", "hardware"] as const).filter((name) => !options[name]);
  if (missing.length) throw new UsageError(`registering one vehicle needs ${missing.map((name) => `--${name}`).join(", ")} (or use --csv)`);
  const record: VehicleRecord = {
    vin: vin.toUpperCase(),
    make: options.make!,
    model: options.model!,
    hardware: options.hardware!,
    ...(options.modelYear === undefined ? {} : { modelYear: parseModelYear(options.modelYear) }),
  };
  return { line: 0, ...record, ...(options.csr ? { csrPath: resolve(options.csr) } : {}) };
}

function csvVehicles(path: string): { vehicles: CsvVehicle[]; refused: CsvRefusal[] } {
  if (!existsSync(path)) throw new InputFileError(path, "no such file");
  try {
    const parsed = parseVehicleCsv(readFileSync(path, "utf8"));
    return { refused: parsed.refused, vehicles: parsed.vehicles.map((vehicle) => (vehicle.csrPath ? { ...vehicle, csrPath: resolve(dirname(path), vehicle.csrPath) } : vehicle)) };
  } catch (error) {
    if (error instanceof VehicleCsvHeaderError) throw new InputFileError(path, error.message);
    throw error;
  }
}

/**
 * Registers the vehicles, paced, `concurrency` at a time; refusals (bad line, already registered, a CSR
 * AWS IoT rejects) are listed with their reason and the others go on.
 *
 * @example
 * await runRegister(context, undefined, { csv: "fleet.csv", maxPerSecond: "10" });
 */
export async function runRegister(context: CommandContext, vin: string | undefined, options: RegisterOptions): Promise<void> {
  if ((vin === undefined) === (options.csv === undefined)) throw new UsageError("give one VIN or --csv <file>, not both");
  if (options.csv && options.csr) throw new UsageError("--csr is for one vehicle; a CSV names each vehicle's CSR in its csr column");
  const maxPerSecond = options.maxPerSecond === undefined ? defaults.maxPerSecond : parseIntegerOption("--max-per-second", options.maxPerSecond, { min: 1, max: 10_000 });
  const concurrency = options.concurrency === undefined ? defaults.concurrency : parseIntegerOption("--concurrency", options.concurrency, { min: 1, max: 64 });
  const { vehicles, refused } = vin !== undefined ? { vehicles: [oneVehicle(vin, options)], refused: [] as CsvRefusal[] } : csvVehicles(resolve(options.csv!));
  const out = resolve(options.out ?? defaults.out);
  const where = await identityTarget(context, "vehicle");
  const thingTypeName = stackThingType(context, "vehicle");
  const iot = context.iot();
  const carriers = gatewayHolders(context.s3(), context.target().names.dataBucket);
  const pace = createPacer(maxPerSecond);
  const bar = progressBar(context, vehicles.length);
  const registered: string[] = [];
  const alreadyRegistered: string[] = [];
  let privateKeysWritten = 0;
  const started = performance.now();

  async function registerOne(vehicle: CsvVehicle): Promise<void> {
    const record: VehicleRecord = {
      vin: vehicle.vin,
      make: vehicle.make,
      model: vehicle.model,
      hardware: vehicle.hardware,
      ...(vehicle.modelYear === undefined ? {} : { modelYear: vehicle.modelYear }),
    };
    try {
      const csrPem = vehicle.csrPath ? readCsr(vehicle.csrPath) : undefined;
      await pace(1);
      const beforeCertificate = () => refuseCarriedVehicle(carriers, record.vin.trim().toUpperCase());
      const done = await registerVehicle(iot, { iotPolicyName: where.iotPolicyName, thingTypeName }, record, { csrPem, beforeCertificate });
      writeVehicleBundle(out, {
        vin: done.vin,
        certificateId: done.certificateId,
        certificateArn: done.certificateArn,
        certificatePem: done.certificatePem,
        privateKeyPem: done.privateKeyPem,
        credentialsEndpoint: where.credentialsEndpoint,
        roleAlias: where.roleAlias,
        bucket: where.bucket,
        region: where.region,
        telemetryPrefix: `${VEHICLE_TELEMETRY_PREFIX}${done.vin}/`,
        jobDocumentKey: `jobs/${done.vin}.json`,
        s3Endpoint: where.s3Endpoint,
        credentialsProviderCaPem: where.credentialsProviderCaPem,
      });
      if (done.privateKeyPem) privateKeysWritten++;
      registered.push(done.vin);
    } catch (error) {
      if (error instanceof VehicleAlreadyRegisteredError) alreadyRegistered.push(vehicle.vin);
      else if (error instanceof InputFileError || error instanceof VehicleCarriedByGatewayError || (error as { $metadata?: unknown }).$metadata !== undefined || (error as Error).name === "InvalidVehicleError") {
        refused.push({ line: vehicle.line, vin: vehicle.vin, reason: (error as Error).message });
      } else throw error;
    } finally {
      bar?.increment();
    }
  }

  const queue = [...vehicles];
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await registerOne(next);
      }),
    );
  } finally {
    bar?.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const result = {
    registered: registered.length,
    alreadyRegistered: alreadyRegistered.length,
    refused: refused.sort((a, b) => a.line - b.line),
    bundles: out,
    privateKeysWritten,
    seconds: Number(seconds.toFixed(1)),
    vehiclesPerSecond: Number((registered.length / Math.max(seconds, 0.001)).toFixed(1)),
  };
  printResult(context.io, context.json, result, () => [
    `registered ${registered.length} vehicle(s) in ${result.seconds} s (${result.vehiclesPerSecond}/s); bundles in ${out}`,
    ...(alreadyRegistered.length ? [`already registered, left as they are: ${alreadyRegistered.join(", ")}`] : []),
    ...refused.map((refusal) => `refused line ${refusal.line}${refusal.vin ? ` (${refusal.vin})` : ""}: ${refusal.reason}`),
    ...(privateKeysWritten ? [`${privateKeysWritten} private key(s) were made by AWS IoT and written to the bundles: install them on the vehicles, then delete them`] : []),
  ]);
  if (refused.length && registered.length === 0 && alreadyRegistered.length === 0) throw new UsageError(`no vehicle registered: ${refused.length} refused`);
}

async function runList(context: CommandContext): Promise<void> {
  const rows: Array<{ vin: string; make?: string; model?: string; hardware?: string; modelYear?: number; untyped?: true }> = [];
  for await (const page of listVehicles(context.iot(), stackThingType(context, "vehicle"))) rows.push(...page);
  rows.sort((a, b) => a.vin.localeCompare(b.vin));
  const untyped = rows.filter((row) => row.untyped).length;
  printResult(context.io, context.json, { vehicles: rows }, () => [
    ...formatTable(rows, ["vin", "make", "model", "hardware", "modelYear", "untyped"]),
    `${rows.length} vehicle(s)`,
    ...(untyped ? [`${untyped} registered before vehicles had a thing type: give them the type with fleetota vehicles retype`] : []),
  ]);
}

interface ReencodeOptions {
  make?: string;
  model?: string;
  hardware?: string;
  checkedPapers?: boolean;
}

async function runReencode(context: CommandContext, vin: string, options: ReencodeOptions): Promise<void> {
  const { checkedPapers, ...facts } = options;
  let attributes: Record<string, string>;
  try {
    attributes = await reencodeVehicleAttributes(context.iot(), vin, facts, stackThingType(context, "vehicle"), { checkedPapers: checkedPapers === true });
  } catch (error) {
    if (error instanceof VehicleNotFoundError) throw new NotFoundError(error.message);
    if (error instanceof AttributeMigrationError) throw new UsageError(error.message);
    throw error;
  }
  printResult(context.io, context.json, { vin, attributes }, () => [`${vin}: ${Object.entries(attributes).map(([name, form]) => `${name} ${form}`).join(", ")} (injective attribute form)`]);
}

/**
 * Gives the named vehicles, or every untyped one, the vehicle thing type (identity/provisioning.ts retypeVehicle).
 *
 * @example
 * await runRetype(context, []); // every vehicle listed as untyped
 */
export async function runRetype(context: CommandContext, vins: readonly string[]): Promise<void> {
  const iot = context.iot();
  const thingTypeName = stackThingType(context, "vehicle");
  let named = [...vins];
  if (named.length === 0) {
    for await (const page of listVehicles(iot, thingTypeName)) named.push(...page.filter((vehicle) => vehicle.untyped).map((vehicle) => vehicle.vin));
  }
  named = [...new Set(named)].sort();
  const retyped: string[] = [];
  const alreadyTyped: string[] = [];
  const notVehicles: string[] = [];
  for (const vin of named) {
    try {
      (await retypeVehicle(iot, vin, thingTypeName) ? retyped : alreadyTyped).push(vin);
    } catch (error) {
      if (error instanceof VehicleNotFoundError) notVehicles.push(vin);
      else throw error;
    }
  }
  printResult(context.io, context.json, { thingTypeName, retyped, alreadyTyped, notVehicles }, () => [
    `${retyped.length} vehicle(s) given the thing type ${thingTypeName}${retyped.length ? `: ${retyped.join(", ")}` : ""}`,
    ...(alreadyTyped.length ? [`already of that type: ${alreadyTyped.join(", ")}`] : []),
    ...(notVehicles.length ? [`not registered vehicles, left as they are: ${notVehicles.join(", ")}`] : []),
  ]);
  if (notVehicles.length && retyped.length === 0 && alreadyTyped.length === 0) throw new NotFoundError(`not registered vehicles: ${notVehicles.join(", ")}`);
}

async function runRevoke(context: CommandContext, vin: string): Promise<void> {
  let certificateIds: string[];
  try {
    certificateIds = await revokeVehicle(context.iot(), vin, stackThingType(context, "vehicle"));
  } catch (error) {
    if (error instanceof VehicleNotFoundError) throw new NotFoundError(error.message);
    throw error;
  }
  printResult(context.io, context.json, { vin, deactivated: certificateIds }, () => [
    `${vin}: ${certificateIds.length} certificate(s) set INACTIVE; it gets no new credentials, and those it holds expire within 15 minutes`,
  ]);
}

function progressBar(context: CommandContext, total: number): SingleBar | undefined {
  if (context.json || !context.io.interactive || total < 2) return undefined;
  const bar = new SingleBar({ format: "register [{bar}] {value}/{total} vehicles  {eta_formatted} left", hideCursor: true }, Presets.shades_classic);
  bar.start(total, 0);
  return bar;
}
