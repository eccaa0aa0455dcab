/** `fleetota parked` against an S3 stand-in: the newest days first within a page bound, `--all` for every day. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PARKED_LIST_PAGES, runParked } from "../../../../cli/commands/parked.js";
import type { CommandContext } from "../../../../cli/context.js";
import { parkedBucket } from "../../lib/support/parked-bucket.js";

/** An old flood (40,000 records, 40 list pages) and a few recent ones. */
const flooded = () => parkedBucket({ "2026-11-20": { "update-manager": 40_000 }, "2026-12-01": { "update-manager": 3, "telemetry-processor": 5 } });

function context(bucket: ReturnType<typeof parkedBucket>, json: boolean): CommandContext & { out: () => string } {
  let out = "";
  const io = { stdout: (text: string) => void (out += text), stderr: () => undefined, interactive: false };
  return { io, json, out: () => out, s3: () => bucket.s3, target: () => ({ names: { dataBucket: "data" } }) } as unknown as CommandContext & { out: () => string };
}

test("by default the newest days come first and the listing stops at the page bound, saying older days were not read", async () => {
  const bucket = flooded();
  const ctx = context(bucket, true);

  await runParked(ctx, { limit: "50" });

  const result = JSON.parse(ctx.out()) as { parked: number; complete: boolean; failures: Array<{ parkedAt: string }> };
  assert.ok(bucket.lists() > 1, "more than one page read");
  assert.ok(bucket.lists() <= PARKED_LIST_PAGES, `${bucket.lists()} listings`);
  assert.is(result.parked, 50);
  assert.ok(result.failures.slice(0, 8).every((failure) => failure.parkedAt.startsWith("2026-12-01")), "the newest day first");
  assert.is(result.complete, false);
  assert.is(bucket.gets(), 50, "only the records shown are read");

  const human = context(flooded(), false);
  await runParked(human, { limit: "50" });
  assert.match(human.out(), "older parked failures were not read (--all reads every day)");
});

test("--all lists every page of every day", async () => {
  const bucket = flooded();
  const ctx = context(bucket, true);

  await runParked(ctx, { limit: "50", all: true });

  const result = JSON.parse(ctx.out()) as { parked: number; complete: boolean };
  assert.ok(bucket.lists() >= 40, `${bucket.lists()} listings`);
  assert.equal([result.parked, result.complete], [50, true]);
});

test("a bucket within the bound is listed whole, and says nothing about older days", async () => {
  const bucket = parkedBucket({ "2026-11-30": { "update-manager": 2 }, "2026-12-01": { "telemetry-processor": 1 } });
  const ctx = context(bucket, false);

  await runParked(ctx, {});

  assert.match(ctx.out(), "3 parked record(s) for 3 message(s); each is recorded once");
  assert.match(ctx.out(), /reason +count +detail/);
  assert.not.match(ctx.out(), "--all");
});

test("the summary counts the messages the records stand for (a counted record stands for its count), and says records for records", async () => {
  const bucket = parkedBucket({ "2026-12-01": { "update-manager": 3 } }, (_day, _source, index) => (index === 0 ? 64 : undefined));
  const human = context(bucket, false);
  const json = context(bucket, true);

  await runParked(human, {});
  await runParked(json, {});

  assert.match(human.out(), "3 parked record(s) for 66 message(s); each is recorded once");
  const result = JSON.parse(json.out()) as { parked: number; messages: number; failures: Array<{ count: number }> };
  assert.equal([result.parked, result.messages, result.failures.map((failure) => failure.count).sort((a, b) => a - b)], [3, 66, [1, 1, 64]]);
});

test.run();
