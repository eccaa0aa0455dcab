/**
 * One section of a dashboard page bound to its document: polls it, shows how old it is, an empty state
 * when it is missing, an error (keeping the last good data) when it fails. Shared by the overview and
 * the campaign page.
 */
import type { DashboardDocumentKey, DocumentFor } from "../../contracts/dashboard-documents.js";
import { DOCUMENT_STATUS, fetchDocument, nextState, type DocumentState } from "./data-client.js";
import { h } from "./dom.js";
import { ageSeconds, formatAge, formatDuration } from "../../lib/age-format.js";

/** Every 5 s by default; `?refresh=<seconds>` (1–300) changes it, e.g. for a wall screen or a test. */
export const POLL_INTERVAL_MS = pollInterval(new URLSearchParams(location.search).get("refresh"));

function pollInterval(requested: string | null): number {
  const seconds = Number(requested);
  if (!requested || !Number.isFinite(seconds)) return 5_000;
  return Math.min(300, Math.max(1, seconds)) * 1000;
}
/** The publisher runs every minute; three missed runs make data stale. */
export const STALE_AFTER_SECONDS = 180;

/**
 * Age past which a document is stale: three missed runs for one rewritten every run; for one refreshed
 * less often (`refreshEverySeconds`, the telemetry trends), its refresh overdue by two more runs.
 *
 * @example
 * staleAfterSeconds(undefined); // 180
 * staleAfterSeconds(300);       // 420: trends refreshed every 5 minutes
 */
export function staleAfterSeconds(refreshEverySeconds: number | undefined): number {
  const every = refreshEverySeconds !== undefined && Number.isFinite(refreshEverySeconds) ? Math.max(60, refreshEverySeconds) : 60;
  return STALE_AFTER_SECONDS - 60 + every;
}

export type Renderer<Name extends DashboardDocumentKey> = (doc: DocumentFor<Name>, nowMs: number) => void;

/** One section of the page, bound to its document. */
export interface Section<Name extends DashboardDocumentKey> {
  readonly name: Name;
  readonly state: DocumentState<Name>;
  poll(dataUrl: URL): Promise<void>;
  paint(nowMs: number): void;
  paintFreshness(nowMs: number): void;
}

export function section<Name extends DashboardDocumentKey>(
  name: Name,
  id: string,
  what: string,
  create: (content: HTMLElement) => { render: Renderer<Name> },
  /** How often the publisher writes the document, as the empty state says it ("every minute"). */
  writtenEvery = "every minute",
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
    const every = state.data?.refreshEverySeconds;
    const age = ageSeconds(generatedAt, nowMs);
    const stale = age !== undefined && age > staleAfterSeconds(every);
    const tone = state.status === DOCUMENT_STATUS.Failed ? "failed" : stale ? "stale" : "fresh";
    const cadence = every !== undefined && every > 60 ? ` · every ${formatDuration(every)}` : "";
    freshness.className = `freshness freshness-${tone}`;
    if (generatedAt === undefined) freshness.textContent = state.status === DOCUMENT_STATUS.Missing ? "no data" : "";
    else freshness.textContent = `${stale ? "stale · " : ""}updated ${formatAge(generatedAt, nowMs)}${cadence}`;
    freshness.title = generatedAt ? `generated at ${generatedAt}${cadence ? `, refreshed every ${formatDuration(every)}` : ""}` : "";
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
      showNotice("empty", `No ${what} yet: the dashboard publisher writes data/${name} ${writtenEvery}.`);
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

/**
 * Polls every section now and then every POLL_INTERVAL_MS, repaints after each poll (counting polls in
 * `body[data-polls]`, which the browser tests wait on) and ages the freshness chips every second.
 */
export function startPolling(sections: ReadonlyArray<Section<DashboardDocumentKey>>, afterPaint: () => void = () => {}): void {
  const dataUrl = new URL("data/", document.baseURI);
  function paint(): void {
    const nowMs = Date.now();
    for (const entry of sections) entry.paint(nowMs);
    afterPaint();
  }
  async function poll(): Promise<void> {
    await Promise.all(sections.map((entry) => entry.poll(dataUrl)));
    paint();
    document.body.dataset.polls = String(Number(document.body.dataset.polls ?? 0) + 1);
  }
  paint();
  void poll();
  setInterval(() => void poll(), POLL_INTERVAL_MS);
  setInterval(() => sections.forEach((entry) => entry.paintFreshness(Date.now())), 1_000);
}
