/**
 * `fleetota` — the operator CLI. Commands go to the local cloud (`--local`, or whenever
 * `.fleetota/local.json` exists) or to AWS (default credentials, names from `--stack-outputs` or
 * FLEETOTA_* variables). Errors are one line on stderr and exit code 1.
 */
import { Command, CommanderError } from "commander";
import { silenceSdkNodeVersionNotice } from "../lib/node-version-notice.js";
import { registerCampaignCommands } from "./commands/campaign.js";
import { registerCostCommand } from "./commands/cost.js";
import { registerParkedCommand } from "./commands/parked.js";
import { registerRedriveCommand } from "./commands/redrive.js";
import { registerKeysCommands } from "./commands/keys.js";
import { registerReleaseCommand } from "./commands/release.js";
import { registerGatewaysCommands } from "./commands/gateways.js";
import { registerVehiclesCommands } from "./commands/vehicles.js";
import { createContext, type CommandContext, type GlobalOptions } from "./context.js";
import { CliError } from "./errors.js";
import { processIo, stopQuietlyWhenStdoutCloses, terminalSafe, terminalSafeIo, type CliIo } from "./output.js";

silenceSdkNodeVersionNotice();

export interface RunCliOptions {
  io?: CliIo;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Builds the command tree.
 *
 * @example
 * await buildProgram({ io: processIo }).parseAsync(["node", "fleetota", "redrive", "--dry-run"]);
 */
export function buildProgram(settings: Required<Pick<RunCliOptions, "io">> & RunCliOptions): Command {
  const program = new Command("fleetota")
    .description("FleetOTA operator CLI: firmware releases, OTA campaigns, vehicle jobs, vehicle identities, DLQ redrive, parked failures")
    .option("--local", "use the local cloud (.fleetota/local.json)")
    .option("--stack-outputs <file>", "AWS: stack outputs JSON (cdktf deploy --outputs-file)")
    .option("--json", "machine-readable output")
    .option("--verbose", "log what the command does on stderr")
    // Global options come before the command, so a command's own options (release and release sign
    // both take --key) are never taken by its parent.
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: settings.io.stdout, writeErr: settings.io.stderr });
  const contextFor = (command: Command): CommandContext =>
    createContext(command.optsWithGlobals<GlobalOptions>(), { io: settings.io, cwd: settings.cwd, env: settings.env });
  registerKeysCommands(program, contextFor);
  registerReleaseCommand(program, contextFor);
  registerCampaignCommands(program, contextFor);
  registerRedriveCommand(program, contextFor);
  registerCostCommand(program, contextFor);
  registerVehiclesCommands(program, contextFor);
  registerGatewaysCommands(program, contextFor);
  registerParkedCommand(program, contextFor);
  return program;
}

/**
 * Runs the CLI on an argument list (without `node` and the script) and returns the exit code.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(args: string[], options: RunCliOptions = {}): Promise<number> {
  if (!options.io) stopQuietlyWhenStdoutCloses();
  const io = terminalSafeIo(options.io ?? processIo);
  const program = buildProgram({ ...options, io });
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 1;
    if (error instanceof CliError) {
      io.stderr(`fleetota: ${terminalSafe(error.message)}\n`);
      return 1;
    }
    io.stderr(`fleetota: ${terminalSafe(describeFailure(error))}\n`);
    return 1;
  }
}

/** AWS and network failures are expected operational errors: one line. Anything else is a bug: its stack. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return `unexpected failure: ${String(error)}`;
  const code = (error as NodeJS.ErrnoException).code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ECONNREFUSED") return `cannot reach the cloud endpoint (${error.message}); is the local cloud running?`;
  if ("$metadata" in error) return `${error.name}: ${error.message}`;
  return `unexpected failure: ${error.stack ?? error.message}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runCli(process.argv.slice(2));
}
