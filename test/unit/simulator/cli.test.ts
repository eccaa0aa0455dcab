import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseDuration } from "../../../simulator/cli.js";

test("durations take ms, s, m, h and a bare number as seconds", () => {
  assert.is(parseDuration("500ms"), 500);
  assert.is(parseDuration("60s"), 60_000);
  assert.is(parseDuration("1.5m"), 90_000);
  assert.is(parseDuration("2h"), 7_200_000);
  assert.is(parseDuration("30"), 30_000);
});

test("anything else is refused with the text it got", () => {
  for (const text of ["", "fast", "-5s", "10 minutes"]) {
    assert.throws(() => parseDuration(text), (error: unknown) => (error as Error).message.includes(`"${text}"`));
  }
});

test.run();
