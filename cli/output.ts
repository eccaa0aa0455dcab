import { ACTING_CHARACTERS_IN_BLOCK, visibleEscape, visibleText } from "../lib/visible-text.js";

/** Where a command writes: results to stdout (plain or `--json`), progress and errors to stderr. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is an interactive terminal (progress bars are drawn only then). */
  interactive: boolean;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
};

/**
 * A reader that closes the pipe early (`fleetota vehicles list | head -3`) has what it wanted: stop
 * quietly, as Unix tools do, instead of dying on an unhandled EPIPE with a stack trace.
 */
export function stopQuietlyWhenStdoutCloses(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

/**
 * A string as visible escapes where it holds anything a terminal would act on: vehicle-supplied text
 * (an OTA failure reason, a make) is shown, never obeyed. The `\uXXXX` form is also valid inside JSON strings.
 *
 * @example
 * terminalSafe("flash failed\u001b[2J"); // "flash failed\\u001b[2J"
 */
export function terminalSafe(text: string): string {
  return visibleText(text);
}

/**
 * Wraps a CLI's output so that nothing it writes carries a control or escape sequence: every unsafe
 * character but line feed and tab is shown as an escape. One choke point for every command, on top of
 * the per-field escaping of printResult and formatTable (which escape line feeds too).
 *
 * @example
 * const io = terminalSafeIo(processIo);
 */
export function terminalSafeIo(io: CliIo): CliIo {
  return {
    stdout: (text) => io.stdout(text.replace(ACTING_CHARACTERS_IN_BLOCK, visibleEscape)),
    stderr: (text) => io.stderr(text.replace(ACTING_CHARACTERS_IN_BLOCK, visibleEscape)),
    interactive: io.interactive,
  };
}

/**
 * Prints a command's result: the value as JSON with `--json`, else the human lines.
 *
 * @example
 * printResult(io, json, { moved: 3 }, () => ["moved 3 messages"]);
 */
export function printResult(io: CliIo, json: boolean, value: unknown, human: () => string[]): void {
  if (json) io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  else for (const line of human()) io.stdout(`${terminalSafe(line)}\n`);
}

/**
 * Renders rows as a fixed-width table with a header, for list commands.
 *
 * @example
 * formatTable([{ id: "c1", state: "RUNNING" }], ["id", "state"]); // ["id  state", "c1  RUNNING"]
 */
export function formatTable<Row extends Record<string, unknown>>(rows: Row[], columns: Array<keyof Row & string>): string[] {
  const cells = rows.map((row) => columns.map((column) => (row[column] === undefined || row[column] === null ? "" : terminalSafe(String(row[column])))));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => line[index]?.length ?? 0)));
  const render = (line: string[]) => line.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join("  ").trimEnd();
  return [render(columns), ...cells.map(render)];
}
