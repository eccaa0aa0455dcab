import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";

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

  private constructor(readonly path: string | undefined) {}

  /** A journal persisted at `path` (created on first write), or in memory only when undefined. */
  static open(path: string | undefined): MoveJournal {
    const journal = new MoveJournal(path);
    if (path !== undefined && existsSync(path)) {
      for (const line of readFileSync(path, "utf8").split("\n")) {
        if (!line.trim()) continue;
        try {
          const entry = JSON.parse(line) as JournalLine;
          journal.steps.set(entry.messageId, entry);
        } catch {
          // A line torn by a crash mid-write; the step it recorded is replayed safely.
        }
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
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
  }

  /** Copies whose move is not finished (sent but not yet deleted, or maybe sent). */
  unfinished(): JournalLine[] {
    return [...this.steps.values()].filter((entry) => entry.step !== MOVE_STEP.Done);
  }

  /** Forgets everything once a run finished every move it started. */
  clear(): void {
    this.steps.clear();
    if (this.path !== undefined) rmSync(this.path, { force: true });
  }
}
