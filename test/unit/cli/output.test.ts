import { test } from "uvu";
import * as assert from "uvu/assert";
import { runCli } from "../../../cli/main.js";
import { formatTable, printResult, terminalSafe, terminalSafeIo, type CliIo } from "../../../cli/output.js";

/** Anything a terminal would act on: ESC, CSI in one character, BEL, CR, a forged line, bidi override, line separator. */
const HOSTILE = "flash failed\u001b]0;owned\u0007\u001b[2J\u009b31m\rOK\nVIN 1HGCM82633A004352 SUCCEEDED\u202eevil\u2028";
const TERMINAL_ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function capture(): CliIo & { out: string; err: string } {
  const io = { out: "", err: "", interactive: false, stdout: (text: string) => void (io.out += text), stderr: (text: string) => void (io.err += text) };
  return io;
}

test("terminalSafe shows every control, escape, line-forging and bidi character as a visible escape", () => {
  const safe = terminalSafe(HOSTILE);
  assert.not.match(safe, TERMINAL_ACTIVE);
  assert.not.match(safe, /\n/);
  assert.ok(safe.includes("\\u001b[2J") && safe.includes("\\u009b") && safe.includes("\\u202e") && safe.includes("\\u000a"));
  assert.is(terminalSafe("plain ünïcode · text"), "plain ünïcode · text", "printable text is untouched");
});

test("a table cell holding a vehicle's reason cannot forge a row or drive the terminal", () => {
  const lines = formatTable([{ vin: "1HGCM82633A004352", state: "FAILED", reason: HOSTILE }], ["vin", "state", "reason"]);
  assert.is(lines.length, 2, "header and one row, no forged line");
  assert.not.match(lines.join("\n"), TERMINAL_ACTIVE);
});

test("printResult escapes human lines and JSON alike; the JSON stays parseable with the original text", () => {
  const io = capture();
  printResult(io, false, {}, () => [`reason: ${HOSTILE}`]);
  assert.is(io.out.split("\n").length, 2, "one line and its newline");
  assert.not.match(io.out, TERMINAL_ACTIVE);
  const json = capture();
  printResult(terminalSafeIo(json), true, { reason: HOSTILE }, () => []);
  assert.not.match(json.out, TERMINAL_ACTIVE);
  assert.is((JSON.parse(json.out) as { reason: string }).reason, HOSTILE);
});

test("the CLI's own error line escapes what it quotes (a hostile file name)", async () => {
  const io = capture();
  const code = await runCli(["--local", "campaign", "create", `/nonexistent/\u001b[2J\u009b31m.yaml`], { io, cwd: "/nonexistent", env: {} });
  assert.is(code, 1);
  assert.match(io.err, /^fleetota: /);
  assert.is(io.err.trimEnd().split("\n").length, 1, "one line");
  assert.not.match(io.err, TERMINAL_ACTIVE);
});

test.run();
