import { test } from "uvu";
import * as assert from "uvu/assert";
import { campaignPageName } from "../../../contracts/dashboard-documents.js";
import { campaignPageDocument } from "../../unit/functions/dashboard-publisher/support/factories.js";
import { blockingViolations } from "../support/accessibility.js";
import { openDashboard, waitForPolls, type DashboardHarness } from "../support/dashboard-harness.js";

const campaignId = "c-20261126T140000-1a2b3c4d";
const name = campaignPageName(campaignId);
let harness: DashboardHarness;

test.before(async () => {
  harness = await openDashboard({}, { path: `campaign.html?id=${campaignId}` });
  await waitForPolls(harness.page, 1);
});

test.after(async () => {
  await harness?.close();
});

test("says plainly that the campaign has no page yet, accessibly", async () => {
  const notice = await harness.page.locator("#campaign .notice-empty").innerText();

  assert.match(notice, new RegExp(`No data for this campaign yet: the dashboard publisher writes data/${name.replace(/\./g, "\\.")} every minute`));
  assert.equal(await blockingViolations(harness.page), []);
});

test("marks a page older than three publisher runs as stale", async () => {
  harness.documents.set(name, campaignPageDocument(new Date(Date.now() - 10 * 60_000), 1_000, 5));

  await waitForPolls(harness.page, 1);

  assert.match(await harness.page.locator("#campaign .freshness").innerText(), /^stale · updated 10 min ago$/);
  assert.is(await harness.page.locator("#campaign-title").innerText(), "Brake controller 2.5.0");
});

test("keeps the last page on screen and says so when a refresh fails", async () => {
  harness.documents.set(name, "not a document");

  await waitForPolls(harness.page, 1);

  assert.match(await harness.page.locator("#campaign .notice-error").innerText(), /Could not refresh data for this campaign .*showing the last data received/);
  assert.ok(await harness.page.locator('[data-testid="history"] tbody tr').first().isVisible());
  assert.equal(await blockingViolations(harness.page), []);
});

test("refuses an address without a campaign id, and fetches nothing", async () => {
  // Leave the campaign's page first: its poll timer could otherwise fetch once more as the new address loads.
  await harness.page.goto("about:blank");
  const before = harness.requests.length;
  await harness.page.goto(`${harness.server.url}campaign.html?id=..%2Ffleet`);

  assert.match(await harness.page.locator("#campaign .notice-error").innerText(), /No campaign chosen/);
  const after = harness.requests.slice(before);
  assert.ok(after.length > 0);
  assert.not.ok(after.some((url) => url.includes("/data/")), after.join(", "));
});

test.run();
