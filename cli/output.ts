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
 * Prints a command's result: the value as JSON with `--json`, else the human lines.
 *
 * @example
 * printResult(io, json, { moved: 3 }, () => ["moved 3 messages"]);
 */
export function printResult(io: CliIo, json: boolean, value: unknown, human: () => string[]): void {
  if (json) io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  else for (const line of human()) io.stdout(`${line}\n`);
}

/**
 * Renders rows as a fixed-width table with a header, for list commands.
 *
 * @example
 * formatTable([{ id: "c1", state: "RUNNING" }], ["id", "state"]); // ["id  state", "c1  RUNNING"]
 */
export function formatTable<Row extends Record<string, unknown>>(rows: Row[], columns: Array<keyof Row & string>): string[] {
  const cells = rows.map((row) => columns.map((column) => (row[column] === undefined || row[column] === null ? "" : String(row[column]))));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => line[index]?.length ?? 0)));
  const render = (line: string[]) => line.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join("  ").trimEnd();
  return [render(columns), ...cells.map(render)];
}
