import { test } from "uvu";
import * as assert from "uvu/assert";
import { campaignPageName } from "../../../contracts/dashboard-documents.js";
import { formatCount } from "../../../web/src/format.js";
import { campaignPageDocument, dashboardDocuments } from "../../unit/functions/dashboard-publisher/support/factories.js";
import { blockingViolations, tabOrder } from "../support/accessibility.js";
import { openDashboard, waitForPolls, type DashboardHarness } from "../support/dashboard-harness.js";

const now = new Date();
const page = campaignPageDocument(now, 100_000);
const { campaignId } = page.campaign;
const overview = dashboardDocuments(now, { vehicles: 1500 });
const documents = {
  ...overview,
  "campaigns.json": { ...overview["campaigns.json"], campaigns: [page.campaign, ...overview["campaigns.json"].campaigns] },
  [campaignPageName(campaignId)]: page,
};
let harness: DashboardHarness;
let loadMs = 0;

test.before(async () => {
  harness = await openDashboard(documents);
  await waitForPolls(harness.page, 1);
});

test.after(async () => {
  await harness?.close();
});

test("opens the campaign's page from its card on the overview", async () => {
  const link = harness.page.locator(`[data-campaign="${campaignId}"] h3 a`);
  const others = await harness.page.locator('[data-campaign="cmp-brakes-2-5-0"] h3 a').count();

  const started = Date.now();
  await link.click();
  await harness.page.locator('[data-testid="history"] tbody tr').first().waitFor();
  loadMs = Date.now() - started;

  assert.is(others, 0, "a campaign without a page has no link");
  assert.match(harness.page.url(), new RegExp(`campaign\\.html\\?id=${campaignId}`));
  assert.is(await harness.page.locator("#campaign-title").innerText(), page.campaign.name);
  console.log(`campaign page: load to rendered ${loadMs} ms (100,000-vehicle campaign, ${Buffer.byteLength(JSON.stringify(page))} bytes)`);
});

test("puts the waves on a time line with the success share at each gate", async () => {
  const rows = harness.page.locator('[data-testid="waves"] li');
  const texts = await rows.allInnerTexts();
  const runs = await harness.page.locator('[data-testid="waves"] .wave-run').count();

  assert.is(texts.length, 4);
  assert.is(runs, 3, "three waves opened, one pending");
  assert.match(texts[1]!, new RegExp(`${page.waves[1]!.gateSuccessPercent} % succeeded \\(gate 95 %\\)`));
  assert.match(texts[2]!, /opened .* ago/);
  assert.match(texts[3]!, /not opened/);
});

test("draws the job states over time from the page's series", async () => {
  const canvas = harness.page.locator('canvas[aria-label="Vehicle jobs by state over time"]');
  const box = await canvas.boundingBox();
  const caption = await harness.page.locator('section[aria-label="Jobs by state over time"] .caption').innerText();

  assert.ok(box !== null && box.width > 300 && box.height > 150, JSON.stringify(box));
  assert.match(caption, new RegExp(`^${page.jobSeries.points.length} points`));
});

test("lists the top failure and deferral reasons with their counts", async () => {
  const failureRows = await harness.page.locator('[data-testid="failure-reasons"] tbody tr').allInnerTexts();
  const deferralRows = await harness.page.locator('[data-testid="deferral-reasons"] tbody tr').allInnerTexts();
  const top = page.failureReasons[0]!;

  assert.is(failureRows.length, page.failureReasons.length);
  assert.match(failureRows[0]!, new RegExp(`${top.reason.replace(/[()]/g, ".")}\\s+${formatCount(top.count)}`));
  assert.ok(deferralRows.some((row) => row.includes("state of charge below 30%")), deferralRows.join(" | "));
  assert.match(await harness.page.locator("main").innerText(), new RegExp(`Reasons counted over ${formatCount(page.reasonSample.read)} of ${formatCount(page.reasonSample.of)}`));
});

test("shows retries and timeouts", async () => {
  const tile = (name: string) => harness.page.locator(`[data-testid="retries"] [data-tile="${name}"] .tile-value`).innerText();

  assert.is(await tile("Retried"), formatCount(page.retries.retried));
  assert.is(await tile("Waiting to retry"), formatCount(page.retries.waiting));
  assert.is(await tile("Timed out"), formatCount(page.timeouts.current));
});

test("sets each abort criterion's current value against its threshold", async () => {
  for (const criterion of page.abortCriteria) {
    const row = harness.page.locator(`[data-criterion="${criterion.failureKind}-${criterion.action}"]`);
    assert.is(await row.locator('[data-field="current"]').innerText(), `${criterion.currentPercent} %`);
    assert.is(await row.locator('[data-field="threshold"]').innerText(), `${criterion.thresholdPercent} %`);
    assert.is(await row.locator('[data-field="standing"]').innerText(), criterion.crossed ? "crossed" : criterion.armed ? "armed" : "waiting for the minimum sample");
  }
  assert.is(page.abortCriteria.length, 2);
});

test("gives the state history with reasons, newest first", async () => {
  const rows = await harness.page.locator('[data-testid="history"] tbody tr').allInnerTexts();

  assert.is(rows.length, page.history.length);
  assert.match(rows[0]!, /wave 3 opened/);
  assert.ok(rows.some((row) => row.includes("checking the ABS calibration report") && /running → paused/.test(row)), rows.join(" | "));
});

test("has no serious or critical accessibility violation (axe) and a keyboard way back", async () => {
  const order = await tabOrder(harness.page, 3);

  assert.equal(await blockingViolations(harness.page), []);
  assert.equal(order.slice(0, 2), ["a:Skip to content", "a:← Overview"]);
});

test("runs without script errors or content-security-policy violations", async () => {
  assert.equal(harness.errors, []);
});

test.run();
