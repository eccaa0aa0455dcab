/**
 * The FleetOTA dashboard: polls the publisher's documents under `data/` and renders each section.
 * Each section shows how old its data is; a missing document shows an empty state, a failing one an
 * error while the last good data stays on screen.
 */
import { DASHBOARD_DOCUMENT, type DashboardDocumentName } from "../../contracts/dashboard-documents.js";
import { DOCUMENT_STATUS } from "./data-client.js";
import { formatCount, parkedStatus } from "./format.js";
import { section, startPolling, type Section } from "./section.js";
import { alarmsSection } from "./sections/alarms.js";
import { campaignsSection } from "./sections/campaigns.js";
import { fleetSection } from "./sections/fleet.js";
import { needsAHandSection } from "./sections/needs-a-hand.js";
import { queuesSection } from "./sections/queues.js";
import { telemetrySection } from "./sections/telemetry.js";

function overallStatus(sections: Sections): string {
  const alarms = sections.alarms.state.data;
  const queues = sections.queues.state.data;
  const problems: string[] = [];
  if (alarms && alarms.counts.ALARM > 0) problems.push(`${alarms.counts.ALARM} ${alarms.counts.ALARM === 1 ? "alarm" : "alarms"} in ALARM`);
  const deadLettered = queues?.queues.filter((queue) => queue.deadLetter).reduce((sum, queue) => sum + (queue.visible ?? 0), 0) ?? 0;
  if (deadLettered > 0) problems.push(`${formatCount(deadLettered)} dead-lettered ${deadLettered === 1 ? "message" : "messages"}`);
  const parked = sections.needsAHand.state.data ? parkedStatus(sections.needsAHand.state.data.parked) : undefined;
  if (parked) problems.push(parked);
  const held = sections.needsAHand.state.data?.targets?.held;
  if (held) problems.push(held.cause === "image-targets-expired" ? "job documents wait: image targets expired" : "job documents wait: image targets do not verify");
  const owed = sections.needsAHand.state.data?.withdrawals?.total ?? 0;
  if (owed > 0) problems.push(`${formatCount(owed)} ${owed === 1 ? "withdrawal" : "withdrawals"} owed`);
  const expiring = sections.needsAHand.state.data?.expiry?.warnings.length ?? 0;
  if (expiring > 0) problems.push(`${expiring} release ${expiring === 1 ? "expiry" : "expiries"} within 7 days`);
  if (problems.length) return problems.join(" · ");
  const all: ReadonlyArray<Section<DashboardDocumentName>> = Object.values(sections);
  if (all.every((entry) => entry.state.status === DOCUMENT_STATUS.Loading)) return "Loading…";
  if (all.every((entry) => entry.state.status === DOCUMENT_STATUS.Missing)) return "Waiting for the first data from the dashboard publisher";
  if (all.some((entry) => entry.state.status === DOCUMENT_STATUS.Failed)) return "Some data could not be loaded";
  return "No alarms firing";
}

interface Sections {
  fleet: Section<typeof DASHBOARD_DOCUMENT.Fleet>;
  telemetry: Section<typeof DASHBOARD_DOCUMENT.Telemetry>;
  campaigns: Section<typeof DASHBOARD_DOCUMENT.Campaigns>;
  alarms: Section<typeof DASHBOARD_DOCUMENT.Alarms>;
  queues: Section<typeof DASHBOARD_DOCUMENT.Queues>;
  needsAHand: Section<typeof DASHBOARD_DOCUMENT.NeedsAHand>;
}

function start(): void {
  const sections: Sections = {
    fleet: section(DASHBOARD_DOCUMENT.Fleet, "fleet", "fleet data", fleetSection),
    telemetry: section(DASHBOARD_DOCUMENT.Telemetry, "telemetry", "telemetry trends", telemetrySection, "every few minutes (the stack's dashboardTrendsEveryMinutes)"),
    campaigns: section(DASHBOARD_DOCUMENT.Campaigns, "campaigns", "campaign data", campaignsSection),
    alarms: section(DASHBOARD_DOCUMENT.Alarms, "alarms", "alarm data", alarmsSection),
    queues: section(DASHBOARD_DOCUMENT.Queues, "queues", "queue data", queuesSection),
    needsAHand: section(DASHBOARD_DOCUMENT.NeedsAHand, "needs-a-hand", "data on what needs a hand", needsAHandSection),
  };
  const all: ReadonlyArray<Section<DashboardDocumentName>> = Object.values(sections);
  const status = document.getElementById("status");
  startPolling(all, function paintStatus() {
    if (!status) return;
    status.textContent = overallStatus(sections);
    status.dataset.tone = sections.alarms.state.data?.counts.ALARM ? "bad" : "good";
  });
}

start();
