/**
 * Browser-test harness: builds the web app into a temp folder, serves it with serveDashboard and
 * documents held in memory (changeable mid-test), and drives Debian's chromium with playwright-core.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { serveDashboard, type DashboardServer } from "../../../local/dashboard-server.js";
import { bundleWeb } from "../../../scripts/build.js";

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface DashboardHarness {
  page: Page;
  server: DashboardServer;
  /** Documents served under /data/, by file name; set, replace or delete entries at any time. */
  documents: Map<string, unknown>;
  /** Every URL the page requested. */
  requests: string[];
  /** Uncaught page errors and console errors (CSP violations included). */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Starts everything a browser test needs; `close()` stops the browser and server and removes temp folders.
 *
 * @example
 * const harness = await openDashboard({ "fleet.json": fleetDoc });
 * await harness.page.getByText("Online").waitFor();
 */
export async function openDashboard(
  initial: Record<string, unknown> = {},
  options: { path?: string; readData?: (key: string) => Promise<Buffer | undefined> } = {},
): Promise<DashboardHarness> {
  const webDir = await mkdtemp(join(tmpdir(), "fleetota-web-"));
  const profileDir = await mkdtemp(join(tmpdir(), "fleetota-chromium-"));
  await bundleWeb(webDir);
  const documents = new Map<string, unknown>(Object.entries(initial));
  const requests: string[] = [];
  const server = await serveDashboard({
    port: 0,
    webDir,
    async readData(key) {
      if (options.readData) return options.readData(key);
      const name = key.replace(/^data\//, "");
      return documents.has(name) ? Buffer.from(JSON.stringify(documents.get(name))) : undefined;
    },
  });
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      timezoneId: "UTC",
    });
  } catch (error) {
    await server.close();
    await Promise.all([rm(webDir, { recursive: true, force: true }), rm(profileDir, { recursive: true, force: true })]);
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    // A 404 for a document not yet published is expected; the page shows it as an empty state.
    if (message.type() === "error" && !/404/.test(message.text())) errors.push(message.text());
  });
  const path = options.path ?? "";
  await page.goto(`${server.url}${path}${path.includes("?") ? "&" : "?"}refresh=1`);
  return {
    page,
    server,
    documents,
    requests,
    errors,
    async close() {
      await context?.close();
      await server.close();
      await Promise.all([rm(webDir, { recursive: true, force: true }), rm(profileDir, { recursive: true, force: true })]);
    },
  };
}

/**
 * Waits until the page has completed `count` polls that started after this call (one more than asked:
 * a poll already in flight may have read the documents before the caller changed them).
 */
export async function waitForPolls(page: Page, count = 1): Promise<void> {
  const start = Number((await page.evaluate(() => document.body.dataset.polls)) ?? 0);
  await page.waitForFunction((target) => Number(document.body.dataset.polls ?? 0) >= target, start + count + 1, { timeout: 15_000 });
}
