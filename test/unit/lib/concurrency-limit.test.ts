import { test } from "uvu";
import * as assert from "uvu/assert";
import { fairConcurrencyLimit } from "../../../lib/concurrency-limit.js";

/** A task that stays open until released, recording how many tasks were running when it started. */
function gate(running: { now: number; peak: number }, started: number[], index: number) {
  let open!: () => void;
  const released = new Promise<void>((resolve) => (open = resolve));
  const task = async () => {
    running.now += 1;
    running.peak = Math.max(running.peak, running.now);
    started.push(index);
    await released;
    running.now -= 1;
    return index;
  };
  return { task, open: () => open() };
}

test("never runs more than the limit at once, and starts the waiting tasks of one owner in order", async () => {
  const limited = fairConcurrencyLimit(3);
  const running = { now: 0, peak: 0 };
  const started: number[] = [];
  const gates = Array.from({ length: 8 }, (_, index) => gate(running, started, index));

  const results = gates.map((entry) => limited("owner", entry.task));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(started, [0, 1, 2]);
  for (const entry of gates) {
    entry.open();
    await new Promise((resolve) => setImmediate(resolve));
  }

  assert.equal(await Promise.all(results), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(started, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.is(running.peak, 3);
});

test("a failed task rejects its own promise and frees its slot", async () => {
  const limited = fairConcurrencyLimit(1);

  const failed = limited("owner", async () => {
    throw new Error("transient");
  });
  const next = limited("owner", async () => "ran");

  const error = await failed.then(() => undefined, (reason: unknown) => reason);
  assert.match(String(error), /transient/);
  assert.is(await next, "ran");
});

test("refuses a limit below one", () => {
  assert.throws(() => fairConcurrencyLimit(0), /at least 1/);
  assert.throws(() => fairConcurrencyLimit(1.5), /whole number/);
});

test.run();
