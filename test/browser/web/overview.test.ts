import { test } from "uvu";
import * as assert from "uvu/assert";
import { QUEUE_ROLE } from "../../../contracts/dashboard-documents.js";
import { formatCount } from "../../../web/src/format.js";
import { shapeCampaigns } from "../../../functions/dashboard-publisher/campaign-view.js";
import { campaignSummary, dashboardDocuments } from "../../unit/functions/dashboard-publisher/support/factories.js";
import { blockingViolations, tabOrder } from "../support/accessibility.js";
import { openDashboard, waitForPolls, type DashboardHarness } from "../support/dashboard-harness.js";

const SCREENSHOT = "/tmp/fleetota-dashboard.png";
const documents = dashboardDocuments(new Date(), { vehicles: 1500, alarmFiring: true, deadLettered: 3 });
let harness: DashboardHarness;

test.before(async () => {
  harness = await openDashboard({ ...documents });
  await waitForPolls(harness.page, 1);
});

test.after(async () => {
  await harness?.close();
});

test("shows the fleet's vehicle, online and offline counts", async () => {
  const { totals } = documents["fleet.json"];
  const tile = (name: string) => harness.page.locator(`[data-tile="${name}"] .tile-value`).innerText();

  assert.is(await tile("Vehicles"), formatCount(totals.vehicles));
  assert.is(await tile("Online"), formatCount(totals.online));
  assert.is(await tile("Offline"), formatCount(totals.offline));
  assert.ok(totals.online > 0 && totals.offline > 0, "fixture has both online and offline vehicles");
});

test("draws the firmware distribution with one bar per version", async () => {
  const versions = documents["fleet.json"].firmware.map((entry) => entry.label);

  const shown = await harness.page.locator('ul[aria-label="Vehicles by firmware version"] li .bar-label').allInnerTexts();

  assert.equal(shown, versions);
});

test("draws land from the packaged Natural Earth data under clusters that hold every located vehicle", async () => {
  const located = documents["fleet.json"].positions.cells.reduce((sum, cell) => sum + cell[2], 0);
  await harness.page.waitForFunction(() => (document.querySelector(".map-svg .land")?.getAttribute("d") ?? "").length > 1000);

  const clusters = harness.page.locator(".map-svg circle.cluster");
  const counts = await clusters.evaluateAll((circles) => circles.map((circle) => Number(circle.getAttribute("data-vehicles"))));
  const tones = await clusters.evaluateAll((circles) => circles.map((circle) => circle.getAttribute("class")));

  assert.is(counts.reduce((sum, count) => sum + count, 0), located);
  assert.ok(tones.every((tone) => /tone-(good|warn|bad)/.test(tone ?? "")), tones.join());
  assert.ok(harness.requests.some((url) => url.endsWith("/geo/land-50m.json")), "land comes from the page's own origin");
});

test("zooms to one region at a time: only its vehicles are in view, drawn larger", async () => {
  const page = harness.page;
  const buttons = page.locator(".map-zoom button");
  const labels = await buttons.allInnerTexts();
  const view = async () =>
    page.locator(".map-svg circle.cluster").evaluateAll((circles) => {
      const xs = circles.map((circle) => Number(circle.getAttribute("cx")));
      const ys = circles.map((circle) => Number(circle.getAttribute("cy")));
      const vehicles = circles.reduce((sum, circle) => sum + Number(circle.getAttribute("data-vehicles")), 0);
      return { vehicles, span: Math.max(...xs) - Math.min(...xs) + Math.max(...ys) - Math.min(...ys) };
    });
  const all = await view();

  await buttons.nth(1).click();
  const zoomed = await view();
  const pressed = await buttons.nth(1).getAttribute("aria-pressed");
  const regionVehicles = Number(labels[1]!.split("·")[1]!.replace(/[^0-9]/g, ""));
  await buttons.nth(0).click();

  assert.is(labels[0], "All vehicles");
  assert.is(labels.length, 3, `two regions (Germany, Detroit) and "All": ${labels.join(" | ")}`);
  assert.is(pressed, "true");
  assert.is(zoomed.vehicles, regionVehicles);
  assert.ok(zoomed.vehicles < all.vehicles, `zoomed ${JSON.stringify(zoomed)} vs all ${JSON.stringify(all)}`);
  assert.match(await page.locator(".map-caption").innerText(), /located vehicles in view/);
});

test("tells a cluster's vehicles and online count in a tooltip on hover and on keyboard focus", async () => {
  const page = harness.page;
  const cluster = page.locator(".map-svg circle.cluster").first();
  const vehicles = Number(await cluster.getAttribute("data-vehicles"));
  const online = Number(await cluster.getAttribute("data-online"));

  await cluster.hover();
  const hovered = await page.locator(".map-tooltip").innerText();
  await page.mouse.move(0, 0);
  await cluster.focus();
  const focused = await page.locator(".map-tooltip").innerText();

  const expected = `${formatCount(vehicles)} ${vehicles === 1 ? "vehicle" : "vehicles"}, ${formatCount(online)} online`;
  assert.ok(hovered.startsWith(expected), hovered);
  assert.ok(focused.startsWith(expected), focused);
});

test("shows a campaign's progress bar with segments sized by job state", async () => {
  const campaign = documents["campaigns.json"].campaigns.find((entry) => entry.state === "RUNNING")!;
  const card = harness.page.locator(`[data-campaign="${campaign.campaignId}"]`);
  const succeeded = campaign.jobs.find((job) => job.state === "SUCCEEDED")!;

  const barWidth = (await card.locator(".stacked").boundingBox())!.width;
  const segmentWidth = (await card.locator('.segment[data-state="SUCCEEDED"]').boundingBox())!.width;
  const legend = await card.locator('.legend li[data-state="SUCCEEDED"]').innerText();
  const percent = await card.locator(".percent").innerText();

  assert.ok(Math.abs(segmentWidth / barWidth - succeeded.count / campaign.targeted) < 0.02, `segment ${segmentWidth} of ${barWidth}`);
  assert.match(legend, new RegExp(`succeeded\\s+${succeeded.count}`));
  assert.is(percent, `${campaign.percentComplete} %`);
  assert.match(await card.innerText(), new RegExp(`wave ${campaign.wave!.current} of ${campaign.wave!.total}`));
});

test("says why a paused campaign paused and how many vehicles still wait for a wave", async () => {
  const paused = documents["campaigns.json"].campaigns.find((entry) => entry.state === "PAUSED")!;
  const waiting = paused.targeted - paused.jobs.reduce((sum, job) => sum + job.count, 0);
  const card = harness.page.locator(`[data-campaign="${paused.campaignId}"]`);

  assert.is(await card.locator(".campaign-reason").innerText(), paused.stateReason);
  assert.is(await card.locator(".badge").innerText(), "PAUSED");
  assert.ok(waiting > 0, "fixture has vehicles not yet admitted");
  assert.match(await card.locator('.legend li[data-state="WAITING"]').innerText(), new RegExp(`waiting for a wave\\s+${waiting}`));
});

test("a completed or aborted campaign's vehicles that never got a job are 'not admitted', not waiting for a wave", async () => {
  const final = shapeCampaigns(
    [
      campaignSummary({
        campaignId: "cmp-gateway-3-0",
        name: "Gateway 3.0",
        state: "COMPLETED",
        stateReason: "completed: 78 SUCCEEDED; 2 eligible vehicles not admitted (the last wave is full)",
        currentWave: 3,
        totalWaves: 3,
        targeted: 80,
        jobCounts: { SUCCEEDED: 78 },
      }),
      campaignSummary({ campaignId: "cmp-seat-1-2", name: "Seat 1.2", state: "ABORTED", stateReason: "aborted: FAILED 40 % reached the 10 % threshold", targeted: 50, jobCounts: { FAILED: 4, SUCCEEDED: 6 } }),
    ],
    new Date(),
  );
  harness.documents.set("campaigns.json", final);
  try {
    await waitForPolls(harness.page, 1);
    const completed = harness.page.locator('[data-campaign="cmp-gateway-3-0"] .legend li[data-state="WAITING"]');
    const aborted = harness.page.locator('[data-campaign="cmp-seat-1-2"] .legend li[data-state="WAITING"]');

    assert.match(await completed.innerText(), /^not admitted\s+2$/);
    assert.match(await aborted.innerText(), /^not admitted\s+40$/);
    assert.not.match(await harness.page.locator("ol.campaigns").innerText(), /waiting for a wave/);
  } finally {
    harness.documents.set("campaigns.json", documents["campaigns.json"]);
    await waitForPolls(harness.page, 1);
  }
});

test("marks an alarm in ALARM as such, first in the list, and in the page status", async () => {
  const firing = documents["alarms.json"].alarms.find((alarm) => alarm.state === "ALARM")!;

  const firstRow = harness.page.locator("table.alarms tbody tr").first();
  const badge = await firstRow.locator(".badge").innerText();
  const rowName = await firstRow.getAttribute("data-alarm");
  const status = await harness.page.locator("#status").innerText();

  const quietSummary = await harness.page.locator(".quiet-alarms summary").innerText();

  assert.is(badge, "ALARM");
  assert.is(rowName, firing.name);
  assert.match(status, /1 alarm in ALARM/);
  assert.is(quietSummary, `${documents["alarms.json"].alarms.length - 1} alarms not firing`);
});

test("shows each queue's depth and flags a dead-letter queue holding messages", async () => {
  const queues = documents["queues.json"].queues;
  const dlq = queues.find((queue) => queue.role === QUEUE_ROLE.TelemetryDeadLetter)!;
  const main = queues.find((queue) => queue.role === QUEUE_ROLE.Telemetry)!;

  const dlqRow = harness.page.locator(`tr[data-queue="${QUEUE_ROLE.TelemetryDeadLetter}"]`);
  const dlqVisible = await dlqRow.locator('[data-field="visible"]').innerText();
  const mainVisible = await harness.page.locator(`tr[data-queue="${QUEUE_ROLE.Telemetry}"] [data-field="visible"]`).innerText();

  assert.match(dlqVisible, new RegExp(`^${dlq.visible}\\b`));
  assert.match(dlqVisible, /needs redrive/);
  assert.is(mainVisible, formatCount(main.visible));
  assert.match((await dlqRow.getAttribute("class")) ?? "", /row-attention/);
});

test("lists parked failures and dead letters with why and the command for each, and recent alarm changes", async () => {
  const doc = documents["needs-a-hand.json"];
  const section = harness.page.locator("#needs-a-hand");
  const parkedRows = await section.locator('[data-testid="parked"] tbody tr[data-parked]').allInnerTexts();
  const letterRows = await section.locator('[data-testid="dead-letters"] tbody tr').allInnerTexts();
  const changeRows = await section.locator('[data-testid="alarm-changes"] tbody tr').allInnerTexts();
  const status = await harness.page.locator("#status").innerText();

  assert.is(parkedRows.length, doc.parked.items.length);
  assert.ok(parkedRows[1]!.includes("fleetota parked --source telemetry-processor --reason object-missing"), parkedRows[1]);
  assert.is(letterRows.length, 2);
  assert.ok(letterRows.some((row) => row.includes("fleetota redrive --campaign c-20261126T140000-1a2b3c4d") && row.includes("ProvisionedThroughputExceededException")), letterRows.join(" | "));
  assert.match(changeRows[0]!, /fleetota-dev-telemetry-dlq-not-empty\s+alarm\s+Threshold Crossed/i);
  assert.match(status, /2 parked messages/);
});

test("shows how fresh each section's data is", async () => {
  const chips = await harness.page.locator(".freshness").allInnerTexts();

  assert.is(chips.length, 6);
  for (const chip of chips) assert.match(chip, /^updated (just now|\d+ s ago)$/);
});

test("draws the trends and makes no request outside its own origin", async () => {
  const latest = documents["telemetry.json"].series[0]!;
  const headline = await harness.page.locator('[data-panel="Data points"] .headline').innerText();
  await harness.page.screenshot({ path: SCREENSHOT, fullPage: true });

  assert.is(headline, formatCount(latest.latest));
  const origin = new URL(harness.server.url).origin;
  assert.ok(harness.requests.length > 0);
  assert.ok(harness.requests.every((url) => url.startsWith(origin)), harness.requests.filter((url) => !url.startsWith(origin)).join(", "));
});

test("has no serious or critical accessibility violation (axe)", async () => {
  assert.equal(await blockingViolations(harness.page), []);
});

test("reaches the skip link, the section links and the map's zoom buttons with the keyboard", async () => {
  const order = await tabOrder(harness.page, 12);

  assert.is(order[0], "a:Skip to content");
  assert.ok(order.includes("a:Campaigns"), order.join(" | "));
  assert.ok(order.some((entry) => entry.startsWith("button:All vehicles")), order.join(" | "));
});

test("runs without script errors or content-security-policy violations", async () => {
  assert.equal(harness.errors, []);
});

test.run();
