import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync, appendFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MOVE_STEP, MoveJournal } from "../../../../cli/redrive/journal.js";
import { InputFileError } from "../../../../cli/errors.js";
import { createPacer } from "../../../../cli/redrive/pacer.js";

const journalPath = () => join(mkdtempSync(join(tmpdir(), "fleetota-journal-")), "redrive", "dlq.ndjson");

test("a journal remembers each copy's last step across reopening", () => {
  const path = journalPath();
  const journal = MoveJournal.open(path);
  journal.record({ messageId: "m-1", businessKey: "k-1", step: MOVE_STEP.Sending });
  journal.record({ messageId: "m-1", businessKey: "k-1", step: MOVE_STEP.Sent });
  journal.record({ messageId: "m-2", businessKey: "k-2", step: MOVE_STEP.Done });
  const reopened = MoveJournal.open(path);
  assert.is(reopened.stepOf("m-1"), MOVE_STEP.Sent);
  assert.is(reopened.stepOf("m-2"), MOVE_STEP.Done);
  assert.is(reopened.stepOf("m-3"), undefined);
  assert.equal(reopened.unfinished().map((entry) => entry.messageId), ["m-1"]);
});

test("a line torn by a crash is skipped, the lines before it kept", () => {
  const path = journalPath();
  MoveJournal.open(path).record({ messageId: "m-1", businessKey: "k-1", step: MOVE_STEP.Sent });
  appendFileSync(path, '{"messageId":"m-2","busi');
  assert.is(MoveJournal.open(path).stepOf("m-1"), MOVE_STEP.Sent);
});

test("clear removes the journal file", () => {
  const path = journalPath();
  const journal = MoveJournal.open(path);
  journal.record({ messageId: "m-1", businessKey: "k-1", step: MOVE_STEP.Done });
  assert.ok(readFileSync(path, "utf8").includes("m-1"));
  journal.clear();
  assert.is(existsSync(path), false);
});

test("a file the tool did not write is refused as a journal, left as it was, and never deleted", () => {
  const path = journalPath();
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "precious operator notes\n");
  assert.throws(() => MoveJournal.open(path), (error: unknown) => error instanceof InputFileError && /not a journal fleetota wrote/.test((error as Error).message));
  assert.is(readFileSync(path, "utf8"), "precious operator notes\n");
});

test("a file that looks like journal lines but lacks the header is refused too", () => {
  const path = journalPath();
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, '{"messageId":"m-1","businessKey":"k-1","step":"done"}\n');
  assert.throws(() => MoveJournal.open(path), (error: unknown) => error instanceof InputFileError);
  assert.ok(existsSync(path));
});

test("a symbolic link to a journal is refused, and its target survives", () => {
  const real = journalPath();
  const journal = MoveJournal.open(real);
  journal.record({ messageId: "m-1", businessKey: "k-1", step: MOVE_STEP.Done });
  const link = join(real, "..", "link.ndjson");
  symlinkSync(real, link);
  assert.throws(() => MoveJournal.open(link), (error: unknown) => error instanceof InputFileError);
  assert.ok(existsSync(real));
});

test("a journal whose file was replaced by someone else's between open and clear keeps that file", () => {
  const path = journalPath();
  const journal = MoveJournal.open(path);
  journal.record({ messageId: "m-1", businessKey: "k-1", step: MOVE_STEP.Done });
  writeFileSync(path, "replaced\n");
  journal.clear();
  assert.is(readFileSync(path, "utf8"), "replaced\n");
});

test("an in-memory journal writes no file", () => {
  const journal = MoveJournal.open(undefined);
  journal.record({ messageId: "m-1", businessKey: "k-1", step: MOVE_STEP.Sent });
  assert.is(journal.stepOf("m-1"), MOVE_STEP.Sent);
});

/** A fake clock that advances only when the pacer sleeps. */
function fakeClock() {
  let now = 1_000;
  const waits: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
    waits,
  };
}

test("the pacer spaces sends to the rate: 30 messages at 10/s wait 1 s and then 1 s", async () => {
  const clock = fakeClock();
  const pace = createPacer(10, clock.sleep, clock.now);
  await pace(10);
  await pace(10);
  await pace(10);
  assert.equal(clock.waits, [1000, 1000]);
});

test("the pacer never waits without a limit", async () => {
  const clock = fakeClock();
  const pace = createPacer(undefined, clock.sleep, clock.now);
  await pace(10);
  await pace(10);
  assert.equal(clock.waits, []);
});

test.run();
