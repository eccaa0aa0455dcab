/**
 * Preloaded into every test file the runner starts: makes a throwing `before` hook fail its file out loud.
 * uvu 0.5.6's runner returns from a `finally`, which swallows a `before` hook's error: every test of the
 * file counts as not passed, nothing says why, and the process exits 0 (a local cloud that did not start
 * looked like 0/9 in 1.5 s). This rewrites that one line of uvu's runner as it loads, so the error is
 * reported as uvu reports a failing test's. uvu is pinned; if the line changes, the runner says so.
 */
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";

const RUNNER_FILE = "/node_modules/uvu/dist/index.mjs";
const BEFORE_HOOKS = "for (hook of before) await hook(state);";
const REPORTED = "try { for (hook of before) await hook(state); } catch (err) { errors = format('before hook', err, name); throw err; }";

if (isMainThread) register(import.meta.url);

export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  if (!url.endsWith(RUNNER_FILE)) return loaded;
  const source = String(loaded.source);
  if (!source.includes(BEFORE_HOOKS)) {
    process.stderr.write(`[test runner] uvu's runner changed: a throwing before hook may again fail silently (${url})\n`);
    return loaded;
  }
  return { ...loaded, source: source.replace(BEFORE_HOOKS, REPORTED) };
}
