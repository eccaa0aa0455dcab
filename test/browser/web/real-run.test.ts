/**
 * The dashboard over a real local run, as `npm start` shows it: the local cloud, `fleetota release` and
 * `campaign create --start`, 40 simulated vehicles with their OTA agent (5% install failures), the
 * telemetry processor, update manager, rollout ticker and dashboard publisher from their bundles; then
 * the overview and the campaign page in Chromium. With FLEETOTA_SCREENSHOTS=<folder> (the README's are
 * made with `FLEETOTA_SCREENSHOTS=docs`), it writes dashboard-overview.png and dashboard-campaign.png there.
 */
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CAMPAIGN_STATE } from "../../../campaigns/model.js";
import { ENV } from "../../../contracts/environment.js";
import { runCampaign } from "../../integration/e2e-campaign/support/campaign-run.js";
import { campaignCloudForSuite, permissivePreconditions } from "../../integration/e2e-campaign/support/local-cloud.js";
import { blockingViolations } from "../support/accessibility.js";
import { openDashboard, waitForPolls, type DashboardHarness } from "../support/dashboard-harness.js";

const VEHICLES = 40;
const { workspace, cloud } = campaignCloudForSuite(test);
let harness: DashboardHarness | undefined;

test.after(async () => {
  await harness?.close();
});

test("shows a real local run: the fleet on the map, the campaign and its page", async () => {
  const run = await runCampaign({
    cloud: cloud(),
    workspace,
    vehicles: VEHICLES,
    seed: 14,
    targetVersion: "2.5.0",
    faults: { installFailure: 0.05 },
    agentTimings: { heartbeatMs: 120_000 },
    definition: `waves:
  - { percent: 25, soakMinutes: 0, successThresholdPercent: 60 }
  - { percent: 100, soakMinutes: 0, successThresholdPercent: 80 }
abortCriteria:
  - { failureKind: ANY, thresholdPercent: 30, minimumSample: 10, action: PAUSE }
retries: { max: 1, backoffBaseSeconds: 1, backoffCapSeconds: 2 }
${permissivePreconditions}`,
    maxMinutes: 8,
    done: (campaign) => campaign.waveIndex >= 1 && campaign.counts.SUCCEEDED >= VEHICLES / 2,
    extraMinutes: 1,
  });
  const local = cloud();
  const publisher = local.description.schedules.find((schedule) => schedule.ruleName.endsWith("-dashboard-publisher-schedule"))!.ruleName;
  // Two runs a minute apart in the page's eyes: the job-state series gets its second point.
  await local.runtime!.evaluateAlarms();
  await local.runtime!.fireSchedule(publisher);
  await local.runtime!.fireSchedule(publisher);
  const bucket = local.description.functions.map((fn) => fn.environment[ENV.DASHBOARD_BUCKET]).find(Boolean)!;
  const s3 = new S3Client({ ...local.clientConfig, forcePathStyle: true });
  harness = await openDashboard(
    {},
    {
      async readData(key) {
        try {
          const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return Buffer.from(await object.Body!.transformToByteArray());
        } catch {
          return undefined;
        }
      },
    },
  );
  const page = harness.page;
  await waitForPolls(page, 1);
  await page.waitForFunction(() => (document.querySelector(".map-svg .land")?.getAttribute("d") ?? "").length > 1000);
  const folder = process.env.FLEETOTA_SCREENSHOTS ? resolve(process.env.FLEETOTA_SCREENSHOTS) : undefined;
  if (folder) await mkdir(folder, { recursive: true });

  const vehicles = await page.locator('[data-tile="Vehicles"] .tile-value').innerText();
  const onMap = await page.locator(".map-svg circle.cluster").evaluateAll((circles) => circles.reduce((sum, circle) => sum + Number(circle.getAttribute("data-vehicles")), 0));
  const overviewViolations = await blockingViolations(page);
  if (folder) await page.screenshot({ path: join(folder, "dashboard-overview.png"), fullPage: true });

  await page.locator(`[data-campaign="${run.campaignId}"] h3 a`).click();
  await page.locator('[data-testid="history"] tbody tr').first().waitFor();
  const waves = await page.locator('[data-testid="waves"] li').allInnerTexts();
  const history = await page.locator('[data-testid="history"] tbody tr').allInnerTexts();
  const campaignViolations = await blockingViolations(page);
  if (folder) await page.screenshot({ path: join(folder, "dashboard-campaign.png"), fullPage: true });

  assert.is(vehicles, String(VEHICLES));
  assert.is(onMap, VEHICLES, "every simulated vehicle has a position on the map");
  assert.ok([CAMPAIGN_STATE.Running, CAMPAIGN_STATE.Completed, CAMPAIGN_STATE.Paused].includes(run.campaign.state as never), run.campaign.state);
  assert.is(waves.length, 2);
  assert.match(waves[0]!, /% succeeded \(gate 60 %\)/);
  assert.ok(history.some((row) => /draft → running/.test(row)), history.join(" | "));
  assert.equal(overviewViolations, []);
  assert.equal(campaignViolations, []);
  assert.equal(harness.errors, []);
});

test.run();
