import { withdrawalsCommand, type CampaignsDocument, type CampaignView } from "../../../contracts/dashboard-documents.js";
import { h } from "../dom.js";
import { formatAge } from "../../../lib/age-format.js";
import { visibleText as shown } from "../../../lib/visible-text.js";
import { formatCount, humanizeState, notAdmittedLabel, stateToken } from "../format.js";

/** Campaign progress: per campaign its state, wave, and one stacked bar of its vehicle jobs by state. */
export function campaignsSection(container: HTMLElement): { render(doc: CampaignsDocument, nowMs: number): void } {
  return {
    render(doc, nowMs) {
      if (doc.campaigns.length === 0) {
        container.replaceChildren(h("p", { class: "empty" }, "No campaigns yet. Campaigns created with the fleetota CLI appear here."));
        return;
      }
      container.replaceChildren(
        h("ol", { class: "campaigns" }, ...doc.campaigns.map((campaign) => campaignCard(campaign, nowMs))),
      );
      if (doc.omitted > 0) container.append(h("p", { class: "caption" }, `${formatCount(doc.omitted)} older campaigns not shown.`));
    },
  };
}

/** The campaign page's address for a campaign id, relative to the overview. */
export function campaignPageHref(campaignId: string): string {
  return `campaign.html?id=${encodeURIComponent(campaignId)}`;
}

/** One campaign's card: name (linked to its page when it has one), state, wave, bar of jobs by state. */
export function campaignCard(campaign: CampaignView, nowMs: number, tag: "li" | "div" = "li"): HTMLElement {
  const whole = Math.max(1, campaign.targeted);
  const segments = campaign.jobs.map((job) => {
    const segment = h("span", {
      class: `segment job-${stateToken(job.state)}`,
      "data-state": job.state,
      "data-count": job.count,
      title: `${humanizeState(job.state)}: ${formatCount(job.count)}`,
    });
    segment.style.width = `${(job.count / whole) * 100}%`;
    return segment;
  });
  // Eligible vehicles not admitted into a wave (yet, or ever once the campaign is final) have no job: the bar's empty track.
  const waiting = campaign.targeted - campaign.jobs.reduce((sum, job) => sum + job.count, 0);
  const summary = campaign.jobs.map((job) => `${humanizeState(job.state)} ${job.count}`).join(", ");
  const owed = campaign.withdrawalsOwed ?? 0;
  return h(
    tag,
    { class: "card campaign", "data-campaign": campaign.campaignId },
    h(
      "div",
      { class: "campaign-head" },
      h("h3", null, campaign.hasPage && tag === "li" ? h("a", { href: campaignPageHref(campaign.campaignId) }, shown(campaign.name)) : shown(campaign.name)),
      h("span", { class: `badge campaign-${stateToken(campaign.state)}` }, humanizeState(campaign.state)),
    ),
    h(
      "p",
      { class: "campaign-meta" },
      campaign.firmwareVersion ? `firmware ${campaign.firmwareVersion}` : null,
      campaign.wave ? ` · wave ${campaign.wave.current} of ${campaign.wave.total}` : null,
      ` · ${formatCount(campaign.targeted)} vehicles`,
      campaign.updatedAt ? ` · changed ${formatAge(campaign.updatedAt, nowMs)}` : null,
    ),
    campaign.stateReason ? h("p", { class: "campaign-reason" }, shown(campaign.stateReason)) : null,
    owed > 0
      ? h(
          "p",
          { class: "campaign-owed", "data-field": "withdrawals-owed" },
          h("strong", null, `${formatCount(owed)} install ${owed === 1 ? "document" : "documents"} still to withdraw`),
          " (jobs that will not run; their vehicles can still read them): the ticker withdraws them again every minute.",
          h("code", { class: "command" }, withdrawalsCommand(campaign.campaignId)),
        )
      : null,
    h(
      "div",
      { class: "progress-row" },
      h("div", { class: "stacked", role: "img", "aria-label": `Jobs by state: ${summary || "none"}` }, ...segments),
      h("span", { class: "percent" }, `${campaign.percentComplete} %`),
    ),
    h(
      "ul",
      { class: "legend" },
      ...campaign.jobs.map((job) =>
        h(
          "li",
          { "data-state": job.state },
          h("span", { class: `swatch job-${stateToken(job.state)}`, "aria-hidden": "true" }),
          `${humanizeState(job.state)} `,
          h("strong", null, formatCount(job.count)),
        ),
      ),
      waiting > 0
        ? h("li", { "data-state": "WAITING" }, h("span", { class: "swatch job-waiting", "aria-hidden": "true" }), `${notAdmittedLabel(campaign.state)} `, h("strong", null, formatCount(waiting)))
        : null,
    ),
  );
}
