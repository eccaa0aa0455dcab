/**
 * `fleetota gateways register|list|revoke|bind|unbind|vehicles|check`: fleet-gateway identities in AWS IoT (on AWS or
 * the local cloud) and the VINs each may carry. A fleet gateway uploads telemetry of many vehicles under
 * `telemetry/fleet/<gatewayId>/…` and never a status report; its id is `gw-…`, never a VIN. Registering works
 * like `vehicles register` (identity/provisioning.ts) with the gateway thing type and IoT policy, and writes the
 * same owner-only bundle under `.fleetota/gateways/<gatewayId>/`. Its records count only for the VINs bound to
 * it (`bind`, identity/gateway-vehicles.ts); a registered gateway nobody bound carries none.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { FLEET_TELEMETRY_PREFIX } from "../../contracts/telemetry-keys.js";
import { writeGatewayBundle } from "../../identity/bundle.js";
import { GatewayVehiclesContendedError, InvalidGatewayVehiclesError, readGatewayVehicles } from "../../identity/gateway-document.js";
import { gatewayHolders, sharedVins } from "../../identity/gateway-holders.js";
import { changeGatewayVehicles, GatewayVehiclesConflictError, type GatewayVehiclesChange } from "../../identity/gateway-vehicles.js";
import { GatewayAlreadyRegisteredError, GatewayNotFoundError, InvalidGatewayError, isGateway, listGateways, registeredVehicleVins, registerGateway, revokeGateway } from "../../identity/provisioning.js";
import type { CommandContext } from "../context.js";
import { CloudOperationError, InputFileError, NotFoundError, UsageError } from "../errors.js";
import { formatTable, printResult } from "../output.js";
import { identityTarget, readCsr, stackThingType } from "./vehicles.js";

export interface BindOptions {
  file?: string;
  all?: boolean;
  move?: boolean;
}

export interface RegisterGatewayOptions {
  csr?: string;
  site?: string;
  out?: string;
}

const defaults = { out: ".fleetota/gateways" } as const;

export function registerGatewaysCommands(program: Command, contextFor: (command: Command) => CommandContext): void {
  const gateways = program.command("gateways").description("fleet-gateway identities (multi-vehicle telemetry uploaders): AWS IoT things, certificates, bundles");
  gateways
    .command("register <gatewayId>")
    .description("register one fleet gateway (id gw-…); writes its bundle")
    .option("--csr <file>", "the gateway's CSR (PEM): its private key never leaves it; without it AWS IoT makes the key pair")
    .option("--site <name>", "where or what it is, e.g. depot-hamburg (a thing attribute)")
    .option("--out <dir>", `where the bundle goes (default ${defaults.out})`)
    .action(async function registerGatewayAction(this: Command, gatewayId: string, options: RegisterGatewayOptions) {
      await runRegisterGateway(contextFor(this), gatewayId, options);
    });
  gateways
    .command("list")
    .description("registered fleet gateways")
    .action(async function listGatewaysAction(this: Command) {
      await runListGateways(contextFor(this));
    });
  gateways
    .command("revoke <gatewayId>")
    .description("deactivate the gateway's certificates and unbind all its vehicles: it gets no new credentials (the current ones expire within 15 minutes), and an id registered again later carries nothing until bound anew")
    .action(async function revokeGatewayAction(this: Command, gatewayId: string) {
      await runRevokeGateway(contextFor(this), gatewayId);
    });
  gateways
    .command("bind <gatewayId> [vins...]")
    .description(
      "let the gateway carry these vehicles: its records for any other VIN are refused (vehicle-not-bound); counts for the processor within 30 s. A VIN another gateway carries is refused (unless --move), and so is a registered vehicle (its own identity speaks for it); then nothing is bound",
    )
    .option("--file <path>", "VINs to bind, one a line (or a CSV whose first column is the VIN; a header line vin,… is skipped)")
    .option("--move", "take VINs another gateway carries from it (it stops carrying them as this one starts)")
    .action(async function bindAction(this: Command, gatewayId: string, vins: string[], options: BindOptions) {
      await runChangeGatewayVehicles(contextFor(this), gatewayId, { bind: [...vins, ...vinsFromFile(options.file)], move: options.move });
    });
  gateways
    .command("unbind <gatewayId> [vins...]")
    .description("stop the gateway carrying these vehicles (--all: every one); its records for them are refused within 30 s")
    .option("--file <path>", "VINs to unbind, one a line")
    .option("--all", "unbind every vehicle of the gateway")
    .action(async function unbindAction(this: Command, gatewayId: string, vins: string[], options: BindOptions) {
      const unbind = [...vins, ...vinsFromFile(options.file)];
      if (options.all && unbind.length) throw new UsageError("give VINs or --all, not both");
      await runChangeGatewayVehicles(contextFor(this), gatewayId, options.all ? { unbindAll: true } : { unbind });
    });
  gateways
    .command("check")
    .description("VINs more than one speaks for (two gateways, or a gateway and the vehicle's own identity, as documents bound before that was refused may hold) and binds left pending: each to unbind")
    .action(async function checkAction(this: Command) {
      await runCheckGateways(contextFor(this));
    });
  gateways
    .command("vehicles <gatewayId>")
    .description("the VINs bound to the gateway")
    .action(async function vehiclesAction(this: Command, gatewayId: string) {
      await runGatewayVehicles(contextFor(this), gatewayId);
    });
}

/** VINs from a file: one a line, or a CSV's first column; blank lines, `#` comments and a `vin` header skipped. */
function vinsFromFile(path: string | undefined): string[] {
  if (path === undefined) return [];
  const file = resolve(path);
  if (!existsSync(file)) throw new InputFileError(file, "no such file");
  return readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((line) => line.split(",")[0]!.trim())
    .filter((vin) => vin !== "" && !vin.startsWith("#") && vin.toLowerCase() !== "vin");
}

/**
 * Binds or unbinds VINs of a registered gateway (refused for anything else: a VIN, an unknown id).
 *
 * @example
 * await runChangeGatewayVehicles(context, "gw-depot-7", { bind: ["1HGCM82633A004352"] });
 */
export async function runChangeGatewayVehicles(context: CommandContext, gatewayId: string, change: GatewayVehiclesChange): Promise<void> {
  if (!change.unbindAll && (change.bind ?? change.unbind ?? []).length === 0) throw new UsageError("name at least one VIN (or --file)");
  if (!(await isGateway(context.iot(), gatewayId, gatewayThingType(context)))) throw new NotFoundError(new GatewayNotFoundError(gatewayId).message);
  const iot = context.iot();
  const vehicleThingType = stackThingType(context, "vehicle");
  const registeredVehicles = (vins: readonly string[]) => registeredVehicleVins(iot, vehicleThingType, vins);
  let changed;
  try {
    changed = await changeGatewayVehicles(context.s3(), context.target().names.dataBucket, gatewayId, change, { registeredVehicles });
  } catch (error) {
    if (error instanceof InvalidGatewayVehiclesError || error instanceof GatewayVehiclesConflictError) throw new UsageError(error.message);
    if (error instanceof GatewayVehiclesContendedError) throw new CloudOperationError(error.message);
    throw error;
  }
  printResult(context.io, context.json, changed, () => [
    ...Object.entries(changed.moved ?? {}).map(([from, count]) => `${from}: ${count} vehicle(s) moved to ${gatewayId} (it no longer carries them)`),
    `${gatewayId}: ${changed.bound} bound, ${changed.unbound} unbound; it carries ${changed.vehicles} vehicle(s). The telemetry processor applies this to objects it reads from 30 s on.`,
  ]);
}

async function runGatewayVehicles(context: CommandContext, gatewayId: string): Promise<void> {
  const { document } = await readGatewayVehicles(context.s3(), context.target().names.dataBucket, gatewayId);
  const vins = [...(document?.vins ?? [])];
  const pending = [...(document?.pending ?? [])];
  printResult(context.io, context.json, { gatewayId, vins, ...(pending.length ? { pending } : {}), updatedAt: document?.updatedAt }, () => [
    ...vins,
    `${vins.length} vehicle(s) bound to ${gatewayId}${document ? ` (changed ${document.updatedAt})` : " (none ever bound: all its records are refused)"}`,
    ...(pending.length
      ? [`${pending.length} VIN(s) claimed by a bind still running or interrupted, carried by nobody (run the bind again, or unbind them): ${pending.slice(0, 10).join(", ")}${pending.length > 10 ? " …" : ""}`]
      : []),
  ]);
}

async function runCheckGateways(context: CommandContext): Promise<void> {
  const iot = context.iot();
  const vehicleThingType = stackThingType(context, "vehicle");
  const shared = await sharedVins(gatewayHolders(context.s3(), context.target().names.dataBucket), (vins) => registeredVehicleVins(iot, vehicleThingType, vins));
  printResult(context.io, context.json, { shared }, () => [
    ...shared.map(({ vin, gateways, pending, registeredVehicle }) =>
      [
        `${vin}:`,
        gateways.length ? `carried by ${gateways.join(", ")}` : "",
        pending.length ? `pending on ${pending.join(", ")}` : "",
        registeredVehicle ? "and a registered vehicle" : "",
      ]
        .filter(Boolean)
        .join(" "),
    ),
    shared.length
      ? `${shared.length} VIN(s) to settle: keep one speaker each (fleetota gateways unbind <gatewayId> <VIN>; for a registered vehicle, unbind it from every gateway)`
      : "every VIN has one speaker at most; no bind left pending",
  ]);
}

/** The stack's gateway thing type. */
function gatewayThingType(context: CommandContext): string {
  return stackThingType(context, "gateway");
}

/**
 * Registers one gateway and writes its bundle.
 *
 * @example
 * await runRegisterGateway(context, "gw-depot-7", { csr: "gw-depot-7.csr", site: "depot-hamburg" });
 */
export async function runRegisterGateway(context: CommandContext, gatewayId: string, options: RegisterGatewayOptions): Promise<void> {
  const csrPem = options.csr ? readCsr(resolve(options.csr)) : undefined;
  const out = resolve(options.out ?? defaults.out);
  const where = await identityTarget(context, "gateway");
  let registered;
  try {
    registered = await registerGateway(context.iot(), where.iotPolicyName, { gatewayId, thingTypeName: gatewayThingType(context), site: options.site }, { csrPem });
  } catch (error) {
    if (error instanceof InvalidGatewayError || error instanceof GatewayAlreadyRegisteredError) throw new UsageError(error.message);
    throw error;
  }
  const folder = writeGatewayBundle(out, {
    gatewayId,
    certificateId: registered.certificateId,
    certificateArn: registered.certificateArn,
    certificatePem: registered.certificatePem,
    privateKeyPem: registered.privateKeyPem,
    credentialsEndpoint: where.credentialsEndpoint,
    roleAlias: where.roleAlias,
    bucket: where.bucket,
    region: where.region,
    telemetryPrefix: `${FLEET_TELEMETRY_PREFIX}${gatewayId}/`,
    s3Endpoint: where.s3Endpoint,
    credentialsProviderCaPem: where.credentialsProviderCaPem,
  });
  const result = { gatewayId, certificateId: registered.certificateId, bundle: folder, privateKeyWritten: registered.privateKeyPem !== undefined };
  printResult(context.io, context.json, result, () => [
    `registered fleet gateway ${gatewayId}; bundle in ${folder}; it may write only under ${FLEET_TELEMETRY_PREFIX}${gatewayId}/ (telemetry, never status reports)`,
    ...(result.privateKeyWritten ? ["its private key was made by AWS IoT and written to the bundle: install it on the gateway, then delete it"] : []),
  ]);
}

async function runListGateways(context: CommandContext): Promise<void> {
  const rows: Array<{ gatewayId: string; site?: string }> = [];
  for await (const page of listGateways(context.iot(), gatewayThingType(context))) rows.push(...page);
  rows.sort((a, b) => a.gatewayId.localeCompare(b.gatewayId));
  printResult(context.io, context.json, { gateways: rows }, () => [...formatTable(rows, ["gatewayId", "site"]), `${rows.length} gateway(s)`]);
}

async function runRevokeGateway(context: CommandContext, gatewayId: string): Promise<void> {
  let certificateIds: string[];
  try {
    certificateIds = await revokeGateway(context.iot(), gatewayId, gatewayThingType(context));
  } catch (error) {
    if (error instanceof GatewayNotFoundError) throw new NotFoundError(error.message);
    throw error;
  }
  // The binding goes with the identity: a gateway registered again under this id must not inherit its VINs.
  const { unbound } = await changeGatewayVehicles(context.s3(), context.target().names.dataBucket, gatewayId, { unbindAll: true });
  printResult(context.io, context.json, { gatewayId, deactivated: certificateIds, unbound }, () => [
    `${gatewayId}: ${certificateIds.length} certificate(s) set INACTIVE; it gets no new credentials, and those it holds expire within 15 minutes`,
    `${gatewayId}: ${unbound} vehicle(s) unbound; its records are refused from 30 s on, and an id registered again carries nothing until bound`,
  ]);
}
