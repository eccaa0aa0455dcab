/**
 * The AWS emulator: moto in server mode, pinned, installed by the project into its own Python virtual
 * environment (.fleetota/venv) on first use, started on a free loopback port in its own process group,
 * health-checked, and stopped with its whole group on stop(), exit or a signal.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { silentLog, type Log } from "../lib/logger.js";
import { withFileLock } from "./file-lock.js";
import { onProcessExit } from "./process-cleanup.js";

export const MOTO_VERSION = "5.2.1";
const MOTO_REQUIREMENT = `moto[server]==${MOTO_VERSION}`;
/** moto's server with the DynamoDB compensations (item-level transaction rollback, one writer at a time). */
const PATCHED_SERVER_SCRIPT = join(import.meta.dirname, "emulator-patches", "serve.py");

export class PythonNotFoundError extends Error {
  override readonly name = "PythonNotFoundError";
  constructor(python: string, detail: string) {
    super(
      `the local cloud needs Python 3.9+ with the venv module; "${python}" failed (${detail}). ` +
        `Install it (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python) ` +
        `or point FLEETOTA_PYTHON at a python3 binary.`,
    );
  }
}

export class PythonInstallError extends Error {
  override readonly name = "PythonInstallError";
  constructor(requirement: string, step: string, detail: string) {
    super(`installing ${requirement} failed at "${step}": ${detail}`);
  }
}

export class EmulatorStartError extends Error {
  override readonly name = "EmulatorStartError";
  constructor(detail: string) {
    super(`the emulator (moto ${MOTO_VERSION}) did not start: ${detail}`);
  }
}

export interface EmulatorOptions {
  /** Project root; the venv lives in <root>/.fleetota/venv. */
  projectRoot?: string;
  log?: Log;
  /** Fixed port; a free one is picked when absent. */
  port?: number;
  /** How a free port is picked when none is fixed (tests give one that hands out a taken port). */
  pickPort?: () => Promise<number>;
  startTimeoutMs?: number;
  installTimeoutMs?: number;
}

export interface Emulator {
  endpoint: string;
  port: number;
  pid: number;
  /** The last 4,000 characters moto wrote to stderr (its request log and errors), for a failure message. */
  recentOutput(): string;
  stop(): Promise<void>;
}

const defaults = {
  projectRoot: resolve(import.meta.dirname, ".."),
  startTimeoutMs: 30_000,
  installTimeoutMs: 10 * 60_000,
} as const;

interface CommandResult {
  code: number | null;
  output: string;
}

function runCommand(command: string, args: string[], timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolveResult, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      reject(error);
      return;
    }
    let output = "";
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      output += `\n(killed after ${Math.round(timeoutMs / 1000)} s)`;
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolveResult({ code, output });
    });
  });
}

function venvPython(venvDir: string): string {
  return process.platform === "win32" ? join(venvDir, "Scripts", "python.exe") : join(venvDir, "bin", "python");
}

/** A pinned Python package installed once into a virtual environment under .fleetota/. */
export interface PythonTool {
  /** Folder under .fleetota/, e.g. `venv`. */
  readonly venvName: string;
  /** pip requirement, pinned, e.g. `moto[server]==5.2.1`. */
  readonly requirement: string;
  /** Reuse the system's site packages (an already installed moto), or keep the venv apart. */
  readonly systemSitePackages: boolean;
  /** Names the marker file `.installed-<markerName>` that says the install is done. */
  readonly markerName: string;
}

export const EMULATOR_TOOL: PythonTool = { venvName: "venv", requirement: MOTO_REQUIREMENT, systemSitePackages: true, markerName: `moto-${MOTO_VERSION}` };

/**
 * Creates .fleetota/<venvName> and pip-installs the tool's pinned requirement into it, once; a marker
 * file makes later calls instant. Returns the venv's python.
 *
 * @example
 * const python = await ensurePythonTool({ venvName: "checkov-venv", requirement: "checkov==3.3.30", systemSitePackages: false, markerName: "checkov-3.3.30" }, { log });
 */
export async function ensurePythonTool(tool: PythonTool, options: EmulatorOptions = {}): Promise<string> {
  const { projectRoot, installTimeoutMs } = { ...defaults, ...options };
  const log = options.log ?? silentLog;
  const stateDir = join(projectRoot, ".fleetota");
  const venvDir = join(stateDir, tool.venvName);
  const marker = join(venvDir, `.installed-${tool.markerName}`);
  const python = venvPython(venvDir);
  if (existsSync(marker) && existsSync(python)) return python;

  mkdirSync(stateDir, { recursive: true });
  return withFileLock(join(stateDir, `${tool.venvName}.lock`), async () => {
    if (existsSync(marker) && existsSync(python)) return python;
    const systemPython = process.env.FLEETOTA_PYTHON ?? "python3";
    const version = await runCommand(systemPython, ["--version"], 15_000).catch((error: Error) => {
      throw new PythonNotFoundError(systemPython, error.message);
    });
    if (version.code !== 0) throw new PythonNotFoundError(systemPython, version.output.trim());

    if (!existsSync(python)) {
      log.info("creating a Python virtual environment", { venvDir });
      const venvArgs = ["-m", "venv", ...(tool.systemSitePackages ? ["--system-site-packages"] : []), venvDir];
      const created = await runCommand(systemPython, venvArgs, 120_000);
      if (created.code !== 0) throw new PythonNotFoundError(systemPython, `python3 -m venv: ${created.output.trim()}`);
    }
    log.info(`installing ${tool.requirement} into the virtual environment`);
    const installed = await runCommand(
      python,
      ["-m", "pip", "install", "--disable-pip-version-check", "--quiet", tool.requirement],
      installTimeoutMs,
    );
    if (installed.code !== 0) throw new PythonInstallError(tool.requirement, "pip install", installed.output.trim());
    writeFileSync(marker, `${tool.requirement}\n`);
    return python;
  });
}

/**
 * Creates .fleetota/venv (with the system site packages, so an already installed moto is reused) and
 * installs the pinned moto[server] into it, once. Returns the venv's python.
 *
 * @example
 * const python = await ensureEmulatorInstalled({ log });
 */
export function ensureEmulatorInstalled(options: EmulatorOptions = {}): Promise<string> {
  return ensurePythonTool(EMULATOR_TOOL, options);
}

/**
 * Finds a free TCP port on 127.0.0.1.
 *
 * @example
 * const port = await freePort(); // 41873
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function isHealthy(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Tries on new free ports when another process takes the one picked before moto binds it. */
const PORT_ATTEMPTS = 5;

class PortTakenError extends EmulatorStartError {}

/**
 * Installs (if needed) and starts moto on a free loopback port; resolves once it answers.
 *
 * @example
 * import { S3Client } from "@aws-sdk/client-s3";
 * const emulator = await startEmulator({ log });
 * const s3 = new S3Client({ endpoint: emulator.endpoint, region: "eu-west-1", forcePathStyle: true });
 * await emulator.stop();
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const python = await ensureEmulatorInstalled(options);
  if (options.port !== undefined) return launchMoto(python, options.port, options);
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchMoto(python, await (options.pickPort ?? freePort)(), options);
    } catch (error) {
      // The port was free when asked for, but another process (often another local cloud starting at the
      // same moment) bound it before moto did.
      if (!(error instanceof PortTakenError) || attempt === PORT_ATTEMPTS) throw error;
      (options.log ?? silentLog).warn("emulator port taken before moto bound it; trying another", { attempt });
    }
  }
}

async function launchMoto(python: string, port: number, options: EmulatorOptions): Promise<Emulator> {
  const { startTimeoutMs } = { ...defaults, ...options };
  const log = options.log ?? silentLog;
  const endpoint = `http://127.0.0.1:${port}`;

  const child = spawn(python, [PATCHED_SERVER_SCRIPT, "-H", "127.0.0.1", "-p", String(port)], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  const pid = child.pid;
  if (pid === undefined) throw new EmulatorStartError(`could not spawn ${python}`);
  const unregister = onProcessExit(() => killGroup(pid, "SIGKILL"));

  let stderrTail = "";
  // werkzeug's startup line, written once this process holds the port: whatever answers before it is some
  // other process on the same port, not this moto.
  let bound = false;
  const boundLine = `Running on ${endpoint}`;
  child.stderr?.on("data", (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-4_000);
    bound ||= stderrTail.includes(boundLine);
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolveExit) => {
    child.on("exit", () => {
      exited = true;
      resolveExit();
    });
  });
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  const stop = async (): Promise<void> => {
    if (!exited) {
      killGroup(pid, "SIGTERM");
      await Promise.race([exitedPromise, sleep(3_000)]);
      if (!exited) killGroup(pid, "SIGKILL");
      await Promise.race([exitedPromise, sleep(2_000)]);
    }
    child.stderr?.destroy();
    unregister();
  };

  const deadline = Date.now() + startTimeoutMs;
  const started = performance.now();
  while (!(bound && (await isHealthy(endpoint)))) {
    if (exited) {
      // 'exit' can come before the last of stderr: the reason is in it.
      if (child.stderr && !child.stderr.readableEnded) await Promise.race([once(child.stderr, "end"), sleep(1_000)]);
      await stop();
      const output = stderrTail.trim() || "(no output)";
      if (output.includes("Address already in use")) throw new PortTakenError(`port ${port} was taken: ${output}`);
      throw new EmulatorStartError(`moto exited during startup: ${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new EmulatorStartError(`no answer on ${endpoint} within ${startTimeoutMs / 1000} s: ${stderrTail.trim()}`);
    }
    await sleep(100);
  }
  log.info("emulator ready", { endpoint, pid, startupMs: Math.round(performance.now() - started) });
  return { endpoint, port, pid, recentOutput: () => stderrTail, stop };
}
