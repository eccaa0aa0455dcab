import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  decideTrendsRefresh,
  InvalidTrendsIntervalError,
  TRENDS_DECISION,
  trendsIntervalMinutes,
} from "../../../../functions/dashboard-publisher/trend-cadence.js";

const { Refresh, Skip } = TRENDS_DECISION;

test("every 5 minutes: the run in the first minute of each window refreshes, whatever its seconds", () => {
  const cases: Array<[time: string, expected: string]> = [
    ["2026-12-02T04:00:00Z", Refresh],
    ["2026-12-02T04:00:59Z", Refresh],
    ["2026-12-02T04:01:00Z", Skip],
    ["2026-12-02T04:02:30Z", Skip],
    ["2026-12-02T04:04:59Z", Skip],
    ["2026-12-02T04:05:00Z", Refresh],
    ["2026-12-02T04:05:07Z", Refresh],
    ["2026-12-02T04:06:07Z", Skip],
    ["2026-12-02T23:55:41Z", Refresh],
  ];
  for (const [time, expected] of cases) {
    assert.is(decideTrendsRefresh({ scheduledTime: time, everyMinutes: 5 }).decision, expected, time);
  }
});

test("runs a minute apart refresh exactly once a window, at any seconds offset of the schedule", () => {
  for (const everyMinutes of [2, 5, 15, 60]) {
    for (const offsetSeconds of [0, 1, 29, 59]) {
      const start = Date.parse("2026-12-02T00:00:00Z") + offsetSeconds * 1000;
      const refreshed: number[] = [];
      for (let minute = 0; minute < 180; minute += 1) {
        const time = new Date(start + minute * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
        if (decideTrendsRefresh({ scheduledTime: time, everyMinutes }).decision === Refresh) refreshed.push(minute);
      }
      assert.is(refreshed.length, 180 / everyMinutes, `every ${everyMinutes} min, offset ${offsetSeconds} s`);
      assert.ok(refreshed.every((minute, index) => index === 0 || minute - refreshed[index - 1]! === everyMinutes), refreshed.join(","));
    }
  }
});

test("the same event time always decides the same (retries of a run, several sandboxes)", () => {
  const first = decideTrendsRefresh({ scheduledTime: "2026-12-02T04:10:03Z", everyMinutes: 5 });
  const again = decideTrendsRefresh({ scheduledTime: "2026-12-02T04:10:03Z", everyMinutes: 5 });

  assert.equal(again, first);
  assert.is(first.decision, Refresh);
});

test("a skipped run says when the next refresh is; a refreshing one which window it opens", () => {
  const skipped = decideTrendsRefresh({ scheduledTime: "2026-12-02T04:06:07Z", everyMinutes: 5 });
  const refreshed = decideTrendsRefresh({ scheduledTime: "2026-12-02T04:05:07Z", everyMinutes: 5 });

  assert.match(skipped.reason, /every 5 minutes; next at 04:10/);
  assert.match(refreshed.reason, /first run of a 5-minute window \(04:05\)/);
});

test("every minute, by hand (no event time) or with an unreadable time: always refresh", () => {
  assert.is(decideTrendsRefresh({ scheduledTime: "2026-12-02T04:06:07Z", everyMinutes: 1 }).decision, Refresh);
  assert.is(decideTrendsRefresh({ scheduledTime: undefined, everyMinutes: 5 }).decision, Refresh);
  const garbled = decideTrendsRefresh({ scheduledTime: "yesterday", everyMinutes: 5 });
  assert.is(garbled.decision, Refresh);
  assert.match(garbled.reason, /"yesterday" does not parse/);
});

test("the interval is whole minutes from 1 to 60 that divide an hour, from a number or the environment's text", () => {
  for (const good of [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60]) assert.is(trendsIntervalMinutes(good), good);
  assert.is(trendsIntervalMinutes("5"), 5);
  assert.is(trendsIntervalMinutes(" 15 "), 15);
  for (const bad of [0, -5, 7, 2.5, 90, 120, Number.NaN, "", " ", "5m", "five"]) {
    assert.throws(() => trendsIntervalMinutes(bad), (error: unknown) => error instanceof InvalidTrendsIntervalError, String(bad));
  }
});

test.run();
