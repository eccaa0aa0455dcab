/**
 * `fleetota gateways register|list|revoke`: fleet-gateway identities in AWS IoT (on AWS or the local
 * cloud). A fleet gateway uploads telemetry of many vehicles under `telemetry/fleet/<gatewayId>/…` and
 * never a status report; its id is `gw-…`, never a VIN. Registering works like `vehicles register`
 * (identity/provisioning.ts) with the gateway thing type and IoT policy, and writes the same owner-only
 * bundle under `.fleetota/gateways/<gatewayId>/`.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { gatewayIdentityNames } from "../../contracts/gateway-identity.js";
import { FLEET_TELEMETRY_PREFIX } from "../../contracts/telemetry-keys.js";
import { writeGatewayBundle } from "../../identity/bundle.js";
import { GatewayAlreadyRegisteredError, GatewayNotFoundError, InvalidGatewayError, listGateways, registerGateway, revokeGateway } from "../../identity/provisioning.js";
import { readStateFile } from "../../local/state-file.js";
import type { CommandContext } from "../context.js";
import { NotFoundError, UsageError } from "../errors.js";
import { formatTable, printResult } from "../output.js";
import { identityTarget, readCsr } from "./vehicles.js";

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
    .description("deactivate the gateway's certificates: it gets no new credentials (the current ones expire within 15 minutes)")
    .action(async function revokeGatewayAction(this: Command, gatewayId: string) {
      await runRevokeGateway(contextFor(this), gatewayId);
    });
}

/** The stack's gateway thing type: the local cloud's output, else the name the stack derives from its prefix. */
function gatewayThingType(context: CommandContext): string {
  const target = context.target();
  const derived = gatewayIdentityNames(target.names.namePrefix).thingType;
  if (target.kind !== "local") return derived;
  return String(readStateFile(target.source)?.outputs.gateway_thing_type ?? derived);
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
  printResult(context.io, context.json, { gatewayId, deactivated: certificateIds }, () => [
    `${gatewayId}: ${certificateIds.length} certificate(s) set INACTIVE; it gets no new credentials, and those it holds expire within 15 minutes`,
  ]);
}
