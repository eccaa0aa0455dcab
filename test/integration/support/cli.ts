/**
 * For integration tests: runs the operator CLI in-process in a workspace (whose `.fleetota/local.json`
 * points at a local cloud) and captures its output.
 */
import { runCli } from "../../../cli/main.js";
import type { CliIo } from "../../../cli/output.js";

/** An io that keeps what the CLI writes. */
export function capturingIo(): CliIo & { out: string; err: string } {
  const io = { out: "", err: "", interactive: false, stdout: (text: string) => void (io.out += text), stderr: (text: string) => void (io.err += text) };
  return io;
}

/**
 * `fleetota --json …` in `workspace`: the exit code, the parsed JSON result and stderr.
 *
 * @example
 * const fleetota = cliIn(workspace);
 * const { code, json } = await fleetota("vehicles", "list");
 */
export function cliIn(workspace: string, env: NodeJS.ProcessEnv = { USER: "ops-test" }) {
  return async function fleetota(...args: string[]): Promise<{ code: number; json: any; err: string }> {
    const io = capturingIo();
    const code = await runCli(["--json", ...args], { io, cwd: workspace, env });
    return { code, json: io.out ? JSON.parse(io.out) : undefined, err: io.err };
  };
}
