/**
 * The "needs a hand" panel's counts an operator acts on: parked failures by reason (with the messages a counted record
 * stands for, when the oldest expires, the `fleetota parked` command), and whatever a vehicle or a record wrote shown
 * as text that does nothing (no element, no script, no bidi reordering) and never inside a command.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { campaignPageName, DASHBOARD_DOCUMENT } from "../../../contracts/dashboard-documents.js";
import { shapeCampaignPage } from "../../../functions/dashboard-publisher/campaign-page-view.js";
import { shapeCampaigns } from "../../../functions/dashboard-publisher/campaign-view.js";
import { shapeNeedsAHand } from "../../../functions/dashboard-publisher/needs-a-hand-view.js";
import { campaignPageInput, campaignSummary, dashboardDocuments, metricAlarm, needsAHandInput, parkedFailure } from "../../unit/functions/dashboard-publisher/support/factories.js";
import { openDashboard, waitForPolls, type DashboardHarness } from "../support/dashboard-harness.js";

const now = new Date();
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
const HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">\u202eexe.txt';
const alarms = { metricAlarms: [metricAlarm({ AlarmName: "fleetota-dev-withdrawals-failed", StateValue: "ALARM" })], compositeAlarms: [] };
const HOSTILE_ID = `c-1;${HOSTILE}`;
const campaigns = [
  campaignSummary(),
  campaignSummary({ campaignId: "c-20261126T120000-0a1b2c3d", name: "Seats 1.2", state: "CANCELED", withdrawalsOwed: 3 }),
  campaignSummary({ campaignId: HOSTILE_ID, name: `Name ${HOSTILE}`, state: "ABORTED", withdrawalsOwed: 12 }),
];
const pageInput = campaignPageInput(now);
const hostileSamples = Array.from({ length: 50 }, () => ({ state: "FAILED" as const, stateReason: `install failed: ${HOSTILE}` }));
const page = shapeCampaignPage({ ...pageInput, campaign: { ...pageInput.campaign, state: "CANCELED", withdrawalsOwed: 5 }, jobSamples: [...hostileSamples, ...pageInput.jobSamples] }, undefined, now);

function needsAHand(): ReturnType<typeof shapeNeedsAHand> {
  const input = needsAHandInput(now, alarms);
  const failures = [
    parkedFailure({ id: "a1", source: "update-manager", reason: "other-vehicle", detail: "status report for 1HGCM82633A004352 names another vehicle's job", parkedAt: minutesAgo(90), count: 40, lastParkedAt: minutesAgo(2) }, now),
    parkedFailure({ id: "a2", source: "update-manager", reason: "other-vehicle", detail: "status report names another vehicle's job", parkedAt: minutesAgo(2 * 24 * 60), count: 7 }, now),
    parkedFailure({ id: "b1", reason: "object-missing", parkedAt: minutesAgo(5) }, now),
    parkedFailure({ id: "t1", source: "update-manager", reason: "image-targets-unverifiable", parkedAt: minutesAgo(30), count: 6 }, now),
    parkedFailure({ id: "h1", source: "update-manager", reason: HOSTILE, detail: `detail ${HOSTILE}`, remedy: `remedy ${HOSTILE}`, parkedAt: minutesAgo(1) }, now),
  ];
  const targetsCheck = { check: { targetsVersion: 3, imageRootVersion: 2, verifies: false, kind: "BELOW_THRESHOLD", message: `0 of 2 signatures; key ${HOSTILE}`, refreshAllowed: true } };
  return shapeNeedsAHand({ ...input, parked: { failures, complete: true }, parkedRetentionDays: 90, campaigns, targetsCheck }, undefined, now);
}

let harness: DashboardHarness;

test.before(async () => {
  harness = await openDashboard({
    ...dashboardDocuments(now),
    [DASHBOARD_DOCUMENT.NeedsAHand]: needsAHand(),
    [DASHBOARD_DOCUMENT.Campaigns]: shapeCampaigns(campaigns, now),
    [campaignPageName(page.campaign.campaignId)]: page,
  });
  await waitForPolls(harness.page, 1);
});

test.after(async () => {
  await harness?.close();
});

test("counts parked failures by reason, with the messages counted records stand for, when the oldest expires, and the command listing them", async () => {
  const counts = harness.page.locator('#needs-a-hand [data-testid="parked-counts"]');
  const row = counts.locator('tr[data-parked-reason="update-manager/other-vehicle"]');

  assert.match(await row.locator('[data-field="messages"]').innerText(), /^47\s+2 records$/);
  assert.is(await row.locator('[data-field="expires"]').innerText(), "in 88 days");
  assert.is(await row.locator("code.command").innerText(), "fleetota parked --source update-manager --reason other-vehicle");
  assert.is(await counts.locator('tr[data-parked-reason="telemetry-processor/object-missing"] [data-field="messages"]').innerText(), "1");
  assert.match(await counts.locator(".caption").innerText(), /Every parked record read \(5\), by reason\. .*expires 90 days after it was parked/);
});

test("a reason, detail or remedy with markup and a bidi override is shown as text: no element, no script, no reordering, not in the command", async () => {
  const section = harness.page.locator("#needs-a-hand");
  const hostileRow = section.locator('[data-testid="parked"] tbody tr[data-parked="h1"]');

  assert.is(await section.locator("img").count(), 0);
  assert.is(await harness.page.evaluate(() => document.body.dataset.pwned), undefined);
  const text = await hostileRow.innerText();
  assert.ok(text.includes('<img src=x onerror="document.body.dataset.pwned=1">\\u202eexe.txt'), text);
  assert.not.ok(text.includes("\u202e"), "the override is shown as an escape, not obeyed");
  assert.is(await hostileRow.locator("code.command").innerText(), "fleetota parked --source update-manager");
  const countRow = section.locator('[data-testid="parked-counts"] tr').filter({ hasText: "<img" });
  assert.is(await countRow.locator("code.command").innerText(), "fleetota parked --source update-manager");
  assert.not.ok((await section.innerText()).includes("\u202e"));
});

test("lists the campaigns owing withdrawals, most first, each with its count and a command that names only a plain campaign id", async () => {
  const part = harness.page.locator('#needs-a-hand [data-testid="withdrawals"]');
  const rows = part.locator("tbody tr");

  assert.is(await rows.count(), 2);
  assert.is(await rows.nth(0).locator('[data-field="owed"]').innerText(), "12");
  assert.is(await rows.nth(0).locator("code.command").innerText(), "fleetota campaign list");
  assert.is(await rows.nth(1).locator('[data-field="owed"]').innerText(), "3");
  assert.is(await rows.nth(1).locator("code.command").innerText(), "fleetota campaign show c-20261126T120000-0a1b2c3d");
  assert.match(await part.locator('[data-field="withdrawals-alarm"]').innerText(), /^fleetota-dev-withdrawals-failed is in ALARM/);
  assert.match(await part.locator(".caption").innerText(), /^15 install documents of canceled/);
  assert.match(await harness.page.locator("#status").innerText(), /15 withdrawals owed/);
});

test("a campaign card says how many install documents it still has to withdraw", async () => {
  const card = harness.page.locator('[data-campaign="c-20261126T120000-0a1b2c3d"]');

  assert.match(await card.locator('[data-field="withdrawals-owed"]').innerText(), /^3 install documents still to withdraw/);
  assert.is(await card.locator('[data-field="withdrawals-owed"] code.command').innerText(), "fleetota campaign show c-20261126T120000-0a1b2c3d");
  assert.is(await harness.page.locator('[data-campaign="cmp-brakes-2-5-0"] [data-field="withdrawals-owed"]').count(), 0);
});

test("a campaign id and name with markup and a bidi override stay text everywhere they are shown, and out of every command", async () => {
  const row = harness.page.locator('#needs-a-hand [data-testid="withdrawals"] tbody tr').first();
  const card = harness.page.locator("ol.campaigns > li").filter({ hasText: "Name <img" });

  assert.is(await harness.page.locator("main img").count(), 0);
  assert.is(await harness.page.evaluate(() => document.body.dataset.pwned), undefined);
  assert.match(await row.innerText(), /Name <img src=x onerror="document\.body\.dataset\.pwned=1">\\u202eexe\.txt/);
  assert.is(await card.locator("code.command").innerText(), "fleetota campaign list");
  assert.not.ok((await harness.page.locator("main").innerText()).includes("\u202e"));
});

test("the campaign page's card says how many withdrawals the campaign owes, with the command", async () => {
  await harness.page.goto(`${harness.server.url}campaign.html?id=${page.campaign.campaignId}&refresh=1`);
  const owed = harness.page.locator('#campaign [data-field="withdrawals-owed"]');
  await owed.waitFor();

  assert.match(await owed.innerText(), /^5 install documents still to withdraw/);
  assert.is(await owed.locator("code.command").innerText(), `fleetota campaign show ${page.campaign.campaignId}`);
  const reasons = await harness.page.locator('[data-testid="failure-reasons"]').innerText();
  assert.ok(reasons.includes('install failed: <img src=x onerror="document.body.dataset.pwned=1">\\u202eexe.txt'), reasons);
  assert.is(await harness.page.locator("#campaign img").count(), 0);
  assert.not.ok((await harness.page.locator("#campaign").innerText()).includes("\u202e"));
});

test("says job documents wait while the image targets do not verify, with the refresh command and the documents held back", async () => {
  await harness.page.goto(`${harness.server.url}?refresh=1`);
  const held = harness.page.locator('#needs-a-hand [data-testid="documents-held"]');
  await held.waitFor();

  assert.is(await held.getAttribute("data-cause"), "image-targets-unverifiable");
  assert.match(await held.locator("h3").innerText(), /Job documents wait: the image targets do not verify/);
  assert.match(await held.innerText(), /image targets 3 do not verify under image root 2 \(BELOW_THRESHOLD: 0 of 2 signatures; key <img src=x onerror="document\.body\.dataset\.pwned=1">\\u202eexe\.txt\)/);
  assert.is(await held.locator('[data-field="command"]').innerText(), "fleetota release refresh --key <release key>");
  assert.is(await held.locator('[data-field="status-command"]').innerText(), "fleetota release status");
  assert.match(await held.locator(".caption").innerText(), /6 held back among the parked records read \(image-targets-unverifiable\)/);
  assert.match(await harness.page.locator("#status").innerText(), /job documents wait: image targets do not verify/);
  assert.is(await held.locator("img").count(), 0);
});

test("runs without script errors or content-security-policy violations", async () => {
  assert.equal(harness.errors, []);
});

test.run();
