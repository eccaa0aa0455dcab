import { appendFileSync, lstatSync, mkdirSync, readFileSync, rmSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { InputFileError } from "../errors.js";

/** Where a DLQ message is in a selective move. */
export const MOVE_STEP = {
  /** About to be sent to the source queue; a crash here may or may not have sent it. */
  Sending: "sending",
  /** On the source queue; only the delete from the DLQ is left. */
  Sent: "sent",
  /** Deleted from the DLQ: the move is complete. */
  Done: "done",
} as const;
export type MoveStep = (typeof MOVE_STEP)[keyof typeof MOVE_STEP];

/**
 * The first line of every journal this tool writes. A file without it was not created by `fleetota`:
 * it is never read as a journal and never deleted.
 */
export const JOURNAL_HEADER = JSON.stringify({ fleetotaRedriveJournal: 1 });

interface JournalLine {
  messageId: string;
  businessKey: string;
  step: MoveStep;
}

/**
 * Append-only record of a selective redrive, keyed by the DLQ copy's message id, so a run that
 * crashed between "send to source" and "delete from DLQ" is finished by the next run without a
 * second send. The key is the DLQ message id, not the business key, on purpose: a message that
 * was redriven, failed again and came back to the DLQ is a new copy (new id) and must move again.
 *
 * @example
 * const journal = MoveJournal.open(".fleetota/redrive/fleetota-dev-update-dlq.ndjson");
 * journal.record({ messageId, businessKey, step: MOVE_STEP.Sent });
 */
export class MoveJournal {
  private readonly steps = new Map<string, JournalLine>();
  private headerWritten = false;

  private constructor(readonly path: string | undefined) {}

  /**
   * A journal persisted at `path` (created on first write), or in memory only when undefined. Throws
   * InputFileError when `path` exists but is not a journal this tool wrote (no header line, a symbolic
   * link, a directory): such a file is neither read nor, later, deleted.
   */
  static open(path: string | undefined): MoveJournal {
    const journal = new MoveJournal(path);
    if (path === undefined) return journal;
    const stats = statsOf(path);
    if (!stats) return journal;
    if (!ownJournal(path, stats)) {
      throw new InputFileError(path, "exists and is not a journal fleetota wrote (no journal header, or not a regular file); refusing to write into it or delete it: name a new file");
    }
    journal.headerWritten = true;
    for (const line of readFileSync(path, "utf8").split("\n").slice(1)) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as JournalLine;
        journal.steps.set(entry.messageId, entry);
      } catch {
        // A line torn by a crash mid-write; the step it recorded is replayed safely.
      }
    }
    return journal;
  }

  stepOf(messageId: string): MoveStep | undefined {
    return this.steps.get(messageId)?.step;
  }

  record(entry: JournalLine): void {
    this.steps.set(entry.messageId, entry);
    if (this.path === undefined) return;
    mkdirSync(dirname(this.path), { recursive: true });
    if (!this.headerWritten) {
      // "wx": create only; a file that appeared meanwhile is not ours to write into.
      appendFileSync(this.path, `${JOURNAL_HEADER}\n`, { flag: "wx" });
      this.headerWritten = true;
    }
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
  }

  /** Copies whose move is not finished (sent but not yet deleted, or maybe sent). */
  unfinished(): JournalLine[] {
    return [...this.steps.values()].filter((entry) => entry.step !== MOVE_STEP.Done);
  }

  /** Forgets everything once a run finished every move it started; deletes the file only when it is a journal this tool wrote. */
  clear(): void {
    this.steps.clear();
    if (this.path === undefined) return;
    const stats = statsOf(this.path);
    if (stats && ownJournal(this.path, stats)) rmSync(this.path);
    this.headerWritten = false;
  }
}

function statsOf(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** A regular file (not a link) whose first line is the journal header. */
function ownJournal(path: string, stats: Stats): boolean {
  if (!stats.isFile()) return false;
  const text = readFileSync(path, "utf8");
  const newline = text.indexOf("\n");
  return (newline < 0 ? text : text.slice(0, newline)) === JOURNAL_HEADER;
}
