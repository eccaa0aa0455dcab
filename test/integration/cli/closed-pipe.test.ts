/**
 * `fleetota … | head`: the reader closes the pipe before the CLI has written. The CLI must stop quietly
 * with exit code 0, not die on an unhandled EPIPE with a stack trace.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../../bin/fleetota.mjs", import.meta.url));

test("a reader that closes stdout early ends the CLI quietly with exit code 0", async () => {
  const child = spawn(process.execPath, [bin, "cost", "--vehicles", "1000"], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.not.match(stderr, /EPIPE|Unhandled|at /, stderr);
  assert.is(code, 0, stderr);
});

test("the same command with its stdout read prints the cost table (the command really writes)", async () => {
  const child = spawn(process.execPath, [bin, "cost", "--vehicles", "1000"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.is(code, 0);
  assert.match(stdout, /vehicle-month/);
});

test.run();
