import { resolve } from "node:path";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { SingleBar, Presets } from "cli-progress";
import type { Command } from "commander";
import { parseChoice, parseIntegerOption } from "../arguments.js";
import type { CommandContext } from "../context.js";
import { CloudOperationError, UsageError } from "../errors.js";
import { formatTable, printResult } from "../output.js";
import { requireName } from "../target.js";
import { DEAD_LETTER_QUEUE, type DeadLetter, type DeadLetterQueue } from "../../contracts/dead-letter.js";
import { isSelective, matchesFilter, type RedriveFilter } from "../redrive/redrive-filter.js";
import { peekDeadLetters } from "../redrive/dlq-reader.js";
import { MoveJournal } from "../redrive/journal.js";
import { moveAllWithTask, MOVE_TASK_STATUS } from "../redrive/message-move.js";
import { redriveSelected } from "../redrive/selective-redrive.js";
import { formatAge } from "../../lib/age-format.js";

/** SQS's own ceiling for MaxNumberOfMessagesPerSecond. */
const MAX_MOVE_RATE = 500;

export interface RedriveOptions {
  /** `updates` (default), `commands` or `telemetry`. */
  queue?: string;
  dryRun?: boolean;
  campaign?: string;
  errorKind?: string;
  keyPrefix?: string;
  maxPerSecond?: string;
  clientSide?: boolean;
  journal?: string;
}

export function registerRedriveCommand(program: Command, contextFor: (command: Command) => CommandContext): void {
  program
    .command("redrive")
    .description("move a DLQ back to its own queue: the update-job DLQ (default), the command DLQ or the telemetry DLQ (SQS message-move task, or a filtered client-side move)")
    .option("--queue <queue>", "which DLQ: updates (vehicles' candidates and reports), commands (operator commands and ticks) or telemetry", DEAD_LETTER_QUEUE.Updates)
    .option("--dry-run", "list what would move, with each message's error; moves nothing")
    .option("--campaign <id>", "updates and commands: only messages of this campaign (client-side move)")
    .option("--key-prefix <prefix>", "telemetry only: only events of objects whose key starts with this (client-side move)")
    .option("--error-kind <kind>", "only messages with this error kind, e.g. invalid-message (client-side move)")
    .option("--max-per-second <n>", `move at most n messages per second (1-${MAX_MOVE_RATE})`)
    .option("--client-side", "move with receive/send/delete even without a filter")
    .option("--journal <file>", "journal of the client-side move (default .fleetota/redrive/<dlq>.ndjson)")
    .action(async function redriveAction(this: Command, options: RedriveOptions) {
      await runRedrive(contextFor(this), options);
    });
}

/** One DLQ and the queue its messages go back to. */
interface RedrivePair {
  queue: DeadLetterQueue;
  dlqUrl: string;
  sourceUrl: string;
}

/**
 * The `redrive` command: dry run, whole-queue move task, or filtered exactly-once move, of the
 * update-job DLQ (`--queue updates`, the default), the command DLQ (`--queue commands`) or the telemetry DLQ
 * (`--queue telemetry`), each back to its own queue only: a command goes back to the command queue, the only
 * queue the update manager takes commands from.
 *
 * @example
 * await runRedrive(context, { campaign: "cmp-1", maxPerSecond: "20" });
 * await runRedrive(context, { queue: "telemetry", keyPrefix: "telemetry/fleet/gw-depot-7/" });
 */
export async function runRedrive(context: CommandContext, options: RedriveOptions): Promise<void> {
  const queue = parseChoice("--queue", options.queue ?? DEAD_LETTER_QUEUE.Updates, Object.values(DEAD_LETTER_QUEUE));
  if (queue === DEAD_LETTER_QUEUE.Telemetry && options.campaign !== undefined) {
    throw new UsageError("--campaign selects update messages; the telemetry DLQ holds S3 events (use --key-prefix or --error-kind)");
  }
  if (queue !== DEAD_LETTER_QUEUE.Telemetry && options.keyPrefix !== undefined) {
    throw new UsageError(`--key-prefix selects telemetry objects; give --queue telemetry (the ${queue} DLQ holds update messages)`);
  }
  const maxPerSecond = options.maxPerSecond === undefined ? undefined : parseIntegerOption("--max-per-second", options.maxPerSecond, { min: 1, max: MAX_MOVE_RATE });
  const filter: RedriveFilter = { campaignId: options.campaign, errorKind: options.errorKind, keyPrefix: options.keyPrefix };
  const pair = redrivePair(context, queue);
  if (options.dryRun) return dryRun(context, pair, filter);
  if (isSelective(filter) || options.clientSide) return selectiveMove(context, pair, filter, maxPerSecond, options.journal);
  return taskMove(context, pair, maxPerSecond);
}

function redrivePair(context: CommandContext, queue: DeadLetterQueue): RedrivePair {
  const target = context.target();
  if (queue === DEAD_LETTER_QUEUE.Telemetry) {
    return { queue, dlqUrl: requireName(target, "telemetryDlqUrl"), sourceUrl: requireName(target, "telemetryQueueUrl") };
  }
  if (queue === DEAD_LETTER_QUEUE.Commands) return { queue, dlqUrl: target.names.commandDlqUrl, sourceUrl: target.names.commandQueueUrl };
  return { queue, dlqUrl: target.names.updateDlqUrl, sourceUrl: target.names.updateQueueUrl };
}

async function dryRun(context: CommandContext, pair: RedrivePair, filter: RedriveFilter, now = new Date()): Promise<void> {
  const letters = await peekDeadLetters(context.sqs(), pair.dlqUrl, { queue: pair.queue });
  const rows = letters.map((letter) => ({ ...summarize(letter), ...commandAge(letter, now), wouldMove: matchesFilter(letter, filter) }));
  const wouldMove = rows.filter((row) => row.wouldMove).length;
  const commands = rows.filter((row) => row.kind === "command" && row.wouldMove).length;
  const columns: Array<keyof (typeof rows)[number]> = pair.queue === DEAD_LETTER_QUEUE.Telemetry
    ? ["messageId", "object", "errorKind", "receives", "wouldMove", "error"]
    : ["messageId", "kind", "campaignId", "age", "errorKind", "receives", "wouldMove", "error"];
  printResult(context.io, context.json, { dryRun: true, queue: pair.queue, inDlq: rows.length, wouldMove, messages: rows }, () => [
    ...(rows.length ? formatTable(rows.map((row) => ({ ...row, wouldMove: row.wouldMove ? "yes" : "no" })), columns) : []),
    `${rows.length} message(s) in the ${pair.queue} DLQ, ${wouldMove} would move; nothing was moved (dry run)`,
    ...(commands
      ? [`${commands} of them operator command(s) (age: since requested, by the sender's clock); one overtaken by a later change of its campaign's state is refused, not applied (see campaign show)`]
      : []),
  ]);
}

/** A command's requestedAt and its age (by the sender's clock): how old an intent a redrive would deliver. */
function commandAge(letter: DeadLetter, now: Date): { requestedAt?: string; age: string } {
  if (letter.requestedAt === undefined) return { age: "" };
  return { requestedAt: letter.requestedAt, age: formatAge(letter.requestedAt, now.getTime()) };
}

function summarize(letter: DeadLetter) {
  return {
    messageId: letter.messageId,
    businessKey: letter.businessKey,
    kind: letter.messageKind ?? "?",
    campaignId: letter.campaignId ?? "",
    object: letter.object ?? "",
    errorKind: letter.errorKind,
    receives: letter.receiveCount,
    error: letter.error,
  };
}

async function selectiveMove(
  context: CommandContext,
  pair: RedrivePair,
  filter: RedriveFilter,
  maxPerSecond: number | undefined,
  journalPath: string | undefined,
): Promise<void> {
  const { dlqUrl, sourceUrl } = pair;
  const dlqName = dlqUrl.split("/").pop() ?? `${pair.queue}-dlq`;
  const journal = MoveJournal.open(resolve(journalPath ?? `.fleetota/redrive/${dlqName}.ndjson`));
  const bar = progressBar(context, await approximateDepth(context, dlqUrl), "examined");
  const result = await redriveSelected({
    sqs: context.sqs(),
    dlqUrl,
    sourceUrl,
    filter,
    journal,
    log: context.log,
    maxPerSecond,
    read: { queue: pair.queue },
    onProgress: (progress) => bar?.update(progress.examined, { moved: progress.moved }),
  });
  bar?.stop();
  const summary = {
    mode: "client-side",
    queue: pair.queue,
    filter,
    moved: result.moved.length,
    duplicatesDropped: result.duplicates.length,
    finishedFromEarlierRun: result.finishedFromJournal.length,
    leftInDlq: result.leftInDlq,
    failed: result.failed.map((failure) => ({ messageId: failure.letter.messageId, error: failure.error })),
    movedMessages: result.moved.map(summarize),
  };
  printResult(context.io, context.json, summary, () => [
    `moved ${summary.moved} message(s) to ${sourceUrl}`,
    ...(summary.duplicatesDropped ? [`dropped ${summary.duplicatesDropped} duplicate DLQ copy(ies) of messages already moved`] : []),
    ...(summary.finishedFromEarlierRun ? [`finished ${summary.finishedFromEarlierRun} move(s) an interrupted run had sent`] : []),
    `${summary.leftInDlq} message(s) did not match and stay in the DLQ`,
    ...summary.failed.map((failure) => `not moved ${failure.messageId}: ${failure.error}`),
  ]);
  if (summary.failed.length) throw new CloudOperationError(`${summary.failed.length} message(s) could not be sent back; they stay in the DLQ`);
}

async function taskMove(context: CommandContext, pair: RedrivePair, maxPerSecond: number | undefined): Promise<void> {
  const { dlqUrl, sourceUrl } = pair;
  const depth = await approximateDepth(context, dlqUrl);
  if (depth === 0) {
    printResult(context.io, context.json, { mode: "move-task", queue: pair.queue, status: "NOTHING_TO_MOVE", moved: 0 }, () => ["the DLQ is empty; nothing to move"]);
    return;
  }
  const bar = progressBar(context, depth, "moved");
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  process.once("SIGINT", onInterrupt);
  try {
    const result = await moveAllWithTask({
      sqs: context.sqs(),
      dlqUrl,
      sourceUrl,
      log: context.log,
      maxPerSecond,
      signal: abort.signal,
      onProgress: (progress) => {
        if (progress.toMove) bar?.setTotal(progress.toMove);
        bar?.update(progress.moved);
      },
    });
    bar?.stop();
    printResult(context.io, context.json, { mode: "move-task", queue: pair.queue, ...result }, () => [
      `message move task ${result.status}: ${result.moved} of ${result.toMove} message(s) moved to ${sourceUrl}`,
    ]);
    if (result.status !== MOVE_TASK_STATUS.Completed) {
      throw new CloudOperationError(`message move task ended ${result.status}${result.failureReason ? `: ${result.failureReason}` : ""}`);
    }
  } finally {
    bar?.stop();
    process.removeListener("SIGINT", onInterrupt);
  }
}

async function approximateDepth(context: CommandContext, queueUrl: string): Promise<number> {
  const response = await context.sqs().send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  return Number(response.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

function progressBar(context: CommandContext, total: number, unit: string): SingleBar | undefined {
  if (context.json || !context.io.interactive) return undefined;
  const bar = new SingleBar({ format: `redrive [{bar}] {value}/{total} ${unit}`, hideCursor: true }, Presets.shades_classic);
  bar.start(Math.max(total, 1), 0, { moved: 0 });
  return bar;
}
