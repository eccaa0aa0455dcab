/**
 * The campaign page (`campaign.html?id=<campaignId>`): one campaign's waves on a time line, its job
 * states over time, the top failure and deferral reasons, retries and timeouts, the abort criteria
 * against their thresholds and the state history, from `data/campaigns/<campaignId>.json`.
 */
import { CAMPAIGN_ID_PATTERN, campaignPageName } from "../../contracts/dashboard-documents.js";
import { h } from "./dom.js";
import { campaignSection } from "./sections/campaign-detail.js";
import { section, startPolling } from "./section.js";

function start(): void {
  const campaignId = new URLSearchParams(location.search).get("id") ?? "";
  const root = document.getElementById("campaign");
  if (!CAMPAIGN_ID_PATTERN.test(campaignId)) {
    root?.querySelector(".section-body")?.replaceChildren(
      h("div", { class: "notice notice-error", role: "alert" }, "No campaign chosen: open one from the overview's campaign list (campaign.html?id=<campaign id>)."),
    );
    return;
  }
  document.title = `FleetOTA · campaign ${campaignId}`;
  startPolling([section(campaignPageName(campaignId), "campaign", "data for this campaign", campaignSection)]);
}

start();
