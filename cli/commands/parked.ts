import type { Command } from "commander";
import { PARKED_SOURCE, type ParkedSource } from "../../contracts/parked-failure.js";
import { listParked, messagesOf, remedyOf } from "../../lib/parked-failures.js";
import { parseIntegerOption } from "../arguments.js";
import type { CommandContext } from "../context.js";
import { UsageError } from "../errors.js";
import { formatTable, printResult } from "../output.js";

const SOURCES = Object.values(PARKED_SOURCE);

export interface ParkedOptions {
  source?: string;
  reason?: string;
  limit?: string;
  /** List every day of `parked/`, not only the newest PARKED_LIST_PAGES pages. */
  all?: boolean;
}

/**
 * ListObjectsV2 pages (1,000 keys each) `parked` reads by default, newest days first. A vehicle can park records at
 * will (until they expire), so an unbounded listing could take minutes; `--all` lifts the bound.
 */
export const PARKED_LIST_PAGES = 20;

export function registerParkedCommand(program: Command, contextFor: (command: Command) => CommandContext): void {
  program
    .command("parked")
    .description("list parked failures (messages no retry can fix), newest first, with their reason and remedy")
    .option("--source <source>", `only those parked by ${SOURCES.join(" or ")}`)
    .option("--reason <reason>", "only those with this reason, e.g. object-missing")
    .option("--limit <n>", "at most n failures (default 50)")
    .option("--all", `read every day of parked/ (default: the newest days, at most ${PARKED_LIST_PAGES} list pages)`)
    .action(async function parkedAction(this: Command, options: ParkedOptions) {
      await runParked(contextFor(this), options);
    });
}

/**
 * The `parked` command: reads `parked/…` from the data bucket; every vehicle- or sender-supplied text is
 * printed terminal-safe (see output.ts).
 *
 * @example
 * await runParked(context, { source: "telemetry-processor", limit: "20" });
 */
export async function runParked(context: CommandContext, options: ParkedOptions): Promise<void> {
  if (options.source !== undefined && !SOURCES.includes(options.source as ParkedSource)) {
    throw new UsageError(`--source must be one of ${SOURCES.join(", ")}, not "${options.source}"`);
  }
  const limit = options.limit === undefined ? 50 : parseIntegerOption("--limit", options.limit, { min: 1, max: 10_000 });
  const { failures: all, complete } = await listParked(context.s3(), context.target().names.dataBucket, {
    ...(options.source === undefined ? {} : { source: options.source as ParkedSource }),
    ...(options.reason === undefined ? { limit } : {}),
    ...(options.all ? {} : { maxListPages: PARKED_LIST_PAGES }),
  });
  const failures = all.filter((failure) => options.reason === undefined || failure.reason === options.reason).slice(0, limit);
  const rows = failures.map((failure) => ({ ...failure, count: messagesOf(failure), remedy: remedyOf(failure) }));
  // A record may stand for many messages (`count`: a vehicle's reports that can never apply, one record a day).
  const messages = rows.reduce((sum, row) => sum + row.count, 0);
  printResult(context.io, context.json, { parked: rows.length, messages, complete, failures: rows }, () => [
    ...(rows.length ? formatTable(rows, ["parkedAt", "source", "reason", "count", "detail", "remedy"]) : []),
    `${rows.length} parked record(s) for ${messages} message(s)${all.length > rows.length ? `, shown of ${all.length} records read` : ""}; each is recorded once and never retried`,
    ...(complete ? [] : ["the newest days only: older parked failures were not read (--all reads every day)"]),
  ]);
}
