/**
 * fairConcurrencyLimit (lib/concurrency-limit.ts): a free slot goes to the waiting task whose uploader has the
 * fewest running, so one uploader cannot hold every slot while another waits (review 17, R17-F1); no slot stays free
 * while a task waits.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fairConcurrencyLimit } from "../../../../lib/concurrency-limit.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

test("10 slots, a flooder's 10 tasks queued before another uploader's 90: the flooder holds at most half the slots while the other waits", async () => {
  const slot = fairConcurrencyLimit(10);
  const running = new Map<string, number>();
  let floodPeakWhileOtherWaits = 0;
  let otherDone = 0;
  let otherStarted = 0;
  const task = (uploader: string, ms: number) => async () => {
    running.set(uploader, (running.get(uploader) ?? 0) + 1);
    if (uploader === "other") otherStarted++;
    if (otherStarted < 90) floodPeakWhileOtherWaits = Math.max(floodPeakWhileOtherWaits, running.get("flood") ?? 0);
    await new Promise((resolve) => setTimeout(resolve, ms));
    running.set(uploader, running.get(uploader)! - 1);
    if (uploader === "other") otherDone++;
  };
  await Promise.all([
    ...Array.from({ length: 10 }, () => slot("flood", task("flood", 200))),
    ...Array.from({ length: 90 }, () => slot("other", task("other", 1))),
  ]);
  assert.ok(floodPeakWhileOtherWaits <= 5, `the flooder ran ${floodPeakWhileOtherWaits} at once while the other waited`);
  assert.is(otherDone, 90);
});

test("work-conserving: one uploader alone uses every slot; so do nine uploaders of one task each; the limit holds", async () => {
  const slot = fairConcurrencyLimit(3);
  let now = 0;
  let peak = 0;
  const task = async () => {
    peak = Math.max(peak, ++now);
    await tick();
    now--;
  };
  await Promise.all(Array.from({ length: 9 }, () => slot("one", task)));
  assert.is(peak, 3, "a lone uploader fills every slot");
  peak = 0;
  await Promise.all(Array.from({ length: 9 }, (_, index) => slot(`u${index}`, task)));
  assert.is(peak, 3);
  assert.throws(() => fairConcurrencyLimit(0), RangeError);
});

test("a failing task frees its slot and rejects its own promise only", async () => {
  const slot = fairConcurrencyLimit(1);
  const results = await Promise.allSettled([slot("a", async () => Promise.reject(new Error("boom"))), slot("a", async () => "ok")]);
  assert.is(results[0]!.status, "rejected");
  assert.equal(results[1], { status: "fulfilled", value: "ok" });
});

test.run();
