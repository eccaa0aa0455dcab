/**
 * `npm start`'s run (runLocal) end to end on a small fleet: the dashboard is served while it runs, the
 * simulator's records go through the pipeline, the summary conserves them, and nothing is left behind.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLog } from "../../../lib/logger.js";
import { runLocal, type RunSummary, type StartOptions } from "../../../local/start.js";

/** A short run: 10 vehicles reporting every 3 s, stopped after 10 s. */
function shortRun(overrides: Partial<StartOptions> = {}): StartOptions {
  return { vehicles: 10, duration: 10_000, port: 0, interval: 3_000, seed: 7, verbose: false, stateFile: false, ...overrides };
}

async function refused(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
    () => false,
    () => true,
  );
}

test("a timed run serves the dashboard, processes every record it produced and stops clean", async () => {
  const workspace = mkdtempSync(join(tmpdir(), "fleetota-run-"));
  const stateFile = join(workspace, "local.json");
  let dashboardStatus = 0;
  let dashboardUrl = "";
  let endpoint = "";
  let stateWritten = false;
  let stateLeftBehind = true;

  let summary: RunSummary;
  try {
    summary = await runLocal(
      shortRun({
        stateFile,
        onReady: async (cloud, url) => {
          dashboardUrl = url;
          endpoint = cloud.clientConfig.endpoint;
          stateWritten = existsSync(stateFile);
          dashboardStatus = (await fetch(url)).status;
        },
      }),
      silentLog,
      new AbortController().signal,
    );
    stateLeftBehind = existsSync(stateFile);
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }

  assert.is(dashboardStatus, 200);
  assert.ok(stateWritten, "the description was written while running");
  assert.not.ok(stateLeftBehind, "and removed at the stop");
  assert.is(summary.vehicles, 10);
  assert.ok(summary.recordsProduced > 0, "the simulator produced records");
  assert.is(summary.recordsProcessed + summary.recordsQuarantined, summary.recordsProduced);
  assert.is(summary.messagesDeadLettered, 0);
  assert.ok(await refused(dashboardUrl), "the dashboard server is stopped");
  assert.ok(await refused(`${endpoint}/moto-api/`), "the emulator endpoint is gone");
});

test("an abort stops the run early, still with a summary", async () => {
  const stopping = new AbortController();

  const summary = await runLocal(shortRun({ duration: undefined, onReady: () => void setTimeout(() => stopping.abort(), 1_000) }), silentLog, stopping.signal);

  assert.is(summary.vehicles, 10, "the run returned its summary although no duration was set");
  assert.is(summary.recordsProcessed + summary.recordsQuarantined, summary.recordsProduced);
});

test.run();
