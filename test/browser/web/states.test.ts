import { test } from "uvu";
import * as assert from "uvu/assert";
import { DASHBOARD_DOCUMENT } from "../../../contracts/dashboard-documents.js";
import { formatCount } from "../../../web/src/format.js";
import { shapeNeedsAHand } from "../../../functions/dashboard-publisher/needs-a-hand-view.js";
import { dashboardDocuments } from "../../unit/functions/dashboard-publisher/support/factories.js";
import { openDashboard, waitForPolls, type DashboardHarness } from "../support/dashboard-harness.js";

let harness: DashboardHarness;

test.before(async () => {
  harness = await openDashboard({});
  await waitForPolls(harness.page, 1);
});

test.after(async () => {
  await harness?.close();
});

test("says plainly that there is no data yet when nothing has been published", async () => {
  const notices = await harness.page.locator(".notice-empty").allInnerTexts();
  const status = await harness.page.locator("#status").innerText();

  assert.is(notices.length, 6);
  assert.ok(notices.some((text) => /No fleet data yet/.test(text) && /data\/fleet\.json/.test(text)), notices.join(" | "));
  assert.match(status, /Waiting for the first data/);
  assert.is(await harness.page.locator("[data-tile]").count(), 0);
});

test("shows the data once the publisher has written it", async () => {
  const documents = dashboardDocuments(new Date(), { vehicles: 300 });
  harness.documents.set(DASHBOARD_DOCUMENT.Fleet, documents["fleet.json"]);

  await waitForPolls(harness.page, 1);

  assert.is(await harness.page.locator('[data-tile="Vehicles"] .tile-value').innerText(), formatCount(300));
  assert.not.ok(await harness.page.locator("#fleet .notice").isVisible());
});

test("marks data older than three publisher runs as stale", async () => {
  const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
  harness.documents.set(DASHBOARD_DOCUMENT.Queues, dashboardDocuments(tenMinutesAgo)["queues.json"]);

  await waitForPolls(harness.page, 1);

  const chip = harness.page.locator("#queues .freshness");
  assert.match(await chip.innerText(), /^stale · updated 10 min ago$/);
  assert.match((await chip.getAttribute("class")) ?? "", /freshness-stale/);
});

test("judges the trends by their own refresh interval and says how often they are read", async () => {
  // Trends refreshed every 5 minutes, last 6 minutes ago: not yet stale (the next refresh is barely due).
  const sixMinutesAgo = new Date(Date.now() - 6 * 60_000);
  harness.documents.set(DASHBOARD_DOCUMENT.Telemetry, { ...dashboardDocuments(sixMinutesAgo)["telemetry.json"], refreshEverySeconds: 300 });

  await waitForPolls(harness.page, 1);

  const chip = harness.page.locator("#telemetry .freshness");
  assert.match(await chip.innerText(), /^updated 6 min ago · every 5 min$/);
  assert.match((await chip.getAttribute("class")) ?? "", /freshness-fresh/);
  assert.match(await harness.page.locator("#telemetry .section-content > .caption").innerText(), /Read from CloudWatch every 5 min, last at \d\d:\d\d UTC\./);

  // Two publisher runs past the missed refresh: stale.
  const eightMinutesAgo = new Date(Date.now() - 8 * 60_000);
  harness.documents.set(DASHBOARD_DOCUMENT.Telemetry, { ...dashboardDocuments(eightMinutesAgo)["telemetry.json"], refreshEverySeconds: 300 });

  await waitForPolls(harness.page, 1);

  assert.match(await chip.innerText(), /^stale · updated 8 min ago · every 5 min$/);
  assert.match((await chip.getAttribute("class")) ?? "", /freshness-stale/);
});

test("keeps the last good data on screen and says so when a refresh fails", async () => {
  harness.documents.set(DASHBOARD_DOCUMENT.Fleet, { schemaVersion: 2, generatedAt: new Date().toISOString() });

  await waitForPolls(harness.page, 1);

  const notice = harness.page.locator("#fleet .notice");
  assert.match(await notice.innerText(), /Could not refresh fleet data .*schema version 2.*showing the last data received/);
  assert.is(await notice.getAttribute("role"), "alert");
  assert.is(await harness.page.locator('[data-tile="Vehicles"] .tile-value').innerText(), formatCount(300));
});

test("reports an error, not an empty state, when a document cannot be read at all", async () => {
  harness.documents.set(DASHBOARD_DOCUMENT.Alarms, "not a document");

  await waitForPolls(harness.page, 1);

  assert.match(await harness.page.locator("#alarms .notice-error").innerText(), /Could not load alarm data \(alarms\.json is not a JSON object\)/);
});

test("says when nothing needs a hand, and names a part it could not read while showing the rest", async () => {
  const now = new Date();
  const clear = shapeNeedsAHand({ parked: { failures: [] }, deadLetters: [], alarms: { metricAlarms: [], compositeAlarms: [] }, alarmHistory: undefined }, undefined, now);
  harness.documents.set(DASHBOARD_DOCUMENT.NeedsAHand, clear);
  await waitForPolls(harness.page, 1);
  const allClear = await harness.page.locator("#needs-a-hand .all-clear").innerText();

  const partial = dashboardDocuments(new Date(now.getTime() + 1000))["needs-a-hand.json"];
  harness.documents.set(DASHBOARD_DOCUMENT.NeedsAHand, { ...partial, errors: ["parked failures: AccessDenied"] });
  await waitForPolls(harness.page, 1);

  assert.match(allClear, /^Nothing needs a hand/);
  assert.match(await harness.page.locator("#needs-a-hand .notice-error").innerText(), /Could not read parked failures: AccessDenied; the rest is current/);
  assert.is(await harness.page.locator('#needs-a-hand [data-testid="dead-letters"] tbody tr').count(), partial.deadLetters.items.length);
});

test("a release expiring within 7 days, or expired, shows its line and the command to run in needs a hand and in the status", async () => {
  const now = new Date();
  const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000).toISOString();
  const published = [
    { what: "image targets", version: 4, expires: inDays(-0.5) },
    { what: "director root", version: 2, expires: inDays(3.5) },
    { what: "image root", version: 1, expires: inDays(8) },
  ] as const;
  const doc = shapeNeedsAHand({ parked: { failures: [] }, deadLetters: [], alarms: { metricAlarms: [], compositeAlarms: [] }, alarmHistory: undefined, expiry: { published } }, undefined, now);
  harness.documents.set(DASHBOARD_DOCUMENT.NeedsAHand, doc);
  await waitForPolls(harness.page, 1);

  const rows = await harness.page.locator('#needs-a-hand [data-testid="expiry"] tbody tr').allInnerTexts();
  const commands = await harness.page.locator('#needs-a-hand [data-testid="expiry"] code.command').allInnerTexts();

  assert.is(rows.length, 2, rows.join(" | "));
  assert.match(rows[0]!, /image targets 4 EXPIRED at .*vehicles refuse it/);
  assert.match(rows[1]!, /director root 2 expires in 3 days/);
  assert.match(commands[0]!, /^fleetota release refresh --key /);
  assert.match(commands[1]!, /^fleetota keys rotate-director /);
  assert.is(await harness.page.locator("#needs-a-hand .all-clear").count(), 0);
  assert.match(await harness.page.locator("#status").innerText(), /2 release expiries within 7 days/);
});

test.run();
