/**
 * The FleetOTA dashboard: polls the publisher's documents under `data/` and renders each section.
 * Each section shows how old its data is; a missing document shows an empty state, a failing one an
 * error while the last good data stays on screen.
 */
import { DASHBOARD_DOCUMENT, type DashboardDocumentName, type DashboardDocuments } from "../../contracts/dashboard-documents.js";
import { DOCUMENT_STATUS, fetchDocument, nextState, type DocumentState } from "./data-client.js";
import { h } from "./dom.js";
import { ageSeconds, formatAge, formatCount } from "./format.js";
import { alarmsSection } from "./sections/alarms.js";
import { campaignsSection } from "./sections/campaigns.js";
import { fleetSection } from "./sections/fleet.js";
import { queuesSection } from "./sections/queues.js";
import { telemetrySection } from "./sections/telemetry.js";

/** Every 5 s by default; `?refresh=<seconds>` (1–300) changes it, e.g. for a wall screen or a test. */
const POLL_INTERVAL_MS = pollInterval(new URLSearchParams(location.search).get("refresh"));

function pollInterval(requested: string | null): number {
  const seconds = Number(requested);
  if (!requested || !Number.isFinite(seconds)) return 5_000;
  return Math.min(300, Math.max(1, seconds)) * 1000;
}
/** The publisher runs every minute; three missed runs make data stale. */
const STALE_AFTER_SECONDS = 180;

type Renderer<Name extends DashboardDocumentName> = (doc: DashboardDocuments[Name], nowMs: number) => void;

/** One section of the page, bound to its document. */
interface Section<Name extends DashboardDocumentName> {
  readonly name: Name;
  readonly state: DocumentState<Name>;
  poll(dataUrl: URL): Promise<void>;
  paint(nowMs: number): void;
  paintFreshness(nowMs: number): void;
}

function section<Name extends DashboardDocumentName>(
  name: Name,
  id: string,
  what: string,
  create: (content: HTMLElement) => { render: Renderer<Name> },
): Section<Name> {
  const root = document.getElementById(id);
  if (!root) throw new Error(`index.html has no #${id} section`);
  const freshness = root.querySelector<HTMLElement>(".freshness") ?? h("span");
  const body = root.querySelector<HTMLElement>(".section-body") ?? root;
  const notice = h("div", { class: "notice", hidden: true });
  const content = h("div", { class: "section-content", hidden: true });
  body.replaceChildren(notice, content);
  const { render } = create(content);
  let state: DocumentState<Name> = { status: DOCUMENT_STATUS.Loading, data: undefined, error: undefined };
  let renderedAt: string | undefined;

  function showNotice(kind: "loading" | "empty" | "error", text: string): void {
    notice.hidden = false;
    notice.className = `notice notice-${kind}`;
    notice.setAttribute("role", kind === "error" ? "alert" : "status");
    notice.textContent = text;
  }

  function paintFreshness(nowMs: number): void {
    const generatedAt = state.data?.generatedAt;
    const age = ageSeconds(generatedAt, nowMs);
    const stale = age !== undefined && age > STALE_AFTER_SECONDS;
    const tone = state.status === DOCUMENT_STATUS.Failed ? "failed" : stale ? "stale" : "fresh";
    freshness.className = `freshness freshness-${tone}`;
    if (generatedAt === undefined) freshness.textContent = state.status === DOCUMENT_STATUS.Missing ? "no data" : "";
    else freshness.textContent = `${stale ? "stale · " : ""}updated ${formatAge(generatedAt, nowMs)}`;
    freshness.title = generatedAt ? `generated at ${generatedAt}` : "";
  }

  function paint(nowMs: number): void {
    body.dataset.status = state.status;
    paintFreshness(nowMs);
    if (state.status === DOCUMENT_STATUS.Loading) {
      showNotice("loading", `Loading ${what}…`);
      return;
    }
    if (state.status === DOCUMENT_STATUS.Missing) {
      content.hidden = true;
      renderedAt = undefined;
      showNotice("empty", `No ${what} yet: the dashboard publisher writes data/${name} every minute.`);
      return;
    }
    if (!state.data) {
      content.hidden = true;
      showNotice("error", `Could not load ${what} (${state.error}). Retrying every ${POLL_INTERVAL_MS / 1000} s.`);
      return;
    }
    if (state.status === DOCUMENT_STATUS.Failed) showNotice("error", `Could not refresh ${what} (${state.error}); showing the last data received.`);
    else notice.hidden = true;
    if (state.data.generatedAt !== renderedAt) {
      render(state.data, nowMs);
      renderedAt = state.data.generatedAt;
    }
    content.hidden = false;
  }

  return {
    name,
    get state() {
      return state;
    },
    async poll(dataUrl) {
      state = nextState(state, await fetchDocument(name, dataUrl));
    },
    paint,
    paintFreshness,
  };
}

function overallStatus(sections: Sections): string {
  const alarms = sections.alarms.state.data;
  const queues = sections.queues.state.data;
  const problems: string[] = [];
  if (alarms && alarms.counts.ALARM > 0) problems.push(`${alarms.counts.ALARM} ${alarms.counts.ALARM === 1 ? "alarm" : "alarms"} in ALARM`);
  const deadLettered = queues?.queues.filter((queue) => queue.deadLetter).reduce((sum, queue) => sum + (queue.visible ?? 0), 0) ?? 0;
  if (deadLettered > 0) problems.push(`${formatCount(deadLettered)} dead-lettered ${deadLettered === 1 ? "message" : "messages"}`);
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
}

function start(): void {
  const dataUrl = new URL("data/", document.baseURI);
  const sections: Sections = {
    fleet: section(DASHBOARD_DOCUMENT.Fleet, "fleet", "fleet data", fleetSection),
    telemetry: section(DASHBOARD_DOCUMENT.Telemetry, "telemetry", "telemetry trends", telemetrySection),
    campaigns: section(DASHBOARD_DOCUMENT.Campaigns, "campaigns", "campaign data", campaignsSection),
    alarms: section(DASHBOARD_DOCUMENT.Alarms, "alarms", "alarm data", alarmsSection),
    queues: section(DASHBOARD_DOCUMENT.Queues, "queues", "queue data", queuesSection),
  };
  const all: ReadonlyArray<Section<DashboardDocumentName>> = Object.values(sections);
  const status = document.getElementById("status");

  function paint(): void {
    const nowMs = Date.now();
    for (const entry of all) entry.paint(nowMs);
    if (status) {
      status.textContent = overallStatus(sections);
      status.dataset.tone = sections.alarms.state.data?.counts.ALARM ? "bad" : "good";
    }
  }

  async function poll(): Promise<void> {
    await Promise.all(all.map((entry) => entry.poll(dataUrl)));
    paint();
    document.body.dataset.polls = String(Number(document.body.dataset.polls ?? 0) + 1);
  }

  paint();
  void poll();
  setInterval(() => void poll(), POLL_INTERVAL_MS);
  setInterval(() => all.forEach((entry) => entry.paintFreshness(Date.now())), 1_000);
}

start();
