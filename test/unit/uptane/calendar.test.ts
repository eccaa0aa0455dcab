import { test } from "uvu";
import * as assert from "uvu/assert";
import { describeExpiry, expiryCalendar, EXPIRING } from "../../../uptane/calendar.js";
import { buildRoot, nextImageTargets, tufDate } from "../../../uptane/metadata.js";
import { generateOfflineKey, tufKey } from "../../../uptane/keys.js";

const NOW = new Date("2026-12-02T04:00:00Z");
const DAY = 86_400_000;
const keys = [tufKey(generateOfflineKey("k"))];
const root = (version: number, daysAhead: number) => buildRoot({ version, expires: new Date(NOW.getTime() + daysAhead * DAY), rootKeys: keys, rootThreshold: 1, targetsKeys: keys, targetsThreshold: 1 });
const targets = (expires: Date) => nextImageTargets(undefined, { name: "primary-2.4.0.bin", length: 1, sha256: "a".repeat(64), custom: { version: "2.4.0", ecu: "primary", hardwareIds: ["hu-3"], antiRollbackCounter: 0 } }, expires);

test("soonest first, newest root of each chain, days rounded down", () => {
  const calendar = expiryCalendar({ imageTargets: targets(new Date(NOW.getTime() + 6.9 * DAY)), imageRoots: [root(1, 10), root(2, 300)], directorRoots: [root(1, 200)] }, NOW);
  assert.equal(calendar.map((entry) => [entry.what, entry.version, entry.daysLeft, entry.warning, entry.expired]), [
    [EXPIRING.ImageTargets, 1, 6, true, false],
    [EXPIRING.DirectorRoot, 1, 200, false, false],
    [EXPIRING.ImageRoot, 2, 300, false, false],
  ]);
  assert.match(describeExpiry(calendar[0]!), "image targets 1 expire");
  assert.match(describeExpiry(calendar[0]!), "fleetota release refresh");
  assert.not.match(describeExpiry(calendar[1]!), "renew");
});

test("exactly 7 days left is not yet a warning; expired (to the second) is, and says so", () => {
  const [week] = expiryCalendar({ imageTargets: targets(new Date(NOW.getTime() + 7 * DAY)), imageRoots: [], directorRoots: [] }, NOW);
  const [gone] = expiryCalendar({ imageTargets: targets(NOW), imageRoots: [], directorRoots: [] }, NOW);
  assert.equal([week?.daysLeft, week?.warning], [7, false]);
  assert.equal([gone?.daysLeft, gone?.expired, gone?.warning], [0, true, true]);
  assert.match(describeExpiry(gone!), `image targets 1 EXPIRED at ${tufDate(NOW)}`);
});

test("nothing released: no image targets entry", () => {
  assert.equal(expiryCalendar({ imageRoots: [root(1, 365)], directorRoots: [root(1, 365)] }, NOW).map((entry) => entry.what), [EXPIRING.ImageRoot, EXPIRING.DirectorRoot]);
});

test.run();
