/** The test runner's preload: a suite whose before hook throws fails out loud (uvu 0.5.6 alone says nothing). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..", "..");
const fixture = join(root, "test", "unit", "support", "fixtures", "before-hook-throws.ts");

function runFixture(preloads: string[]) {
  const imports = ["tsx", ...preloads].flatMap((preload) => ["--import", preload]);
  const run = spawnSync(process.execPath, [...imports, fixture], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: run.status, output: run.stdout + run.stderr };
}

test("a throwing before hook is reported with its error and fails the process, as the runner starts test files", () => {
  const alone = runFixture([]);
  const withPreload = runFixture([join(root, "test", "uvu-before-errors.mjs")]);

  assert.is(alone.status, 0, "uvu alone swallows the error (if this changes, the preload can go)");
  assert.not.match(alone.output, "port taken");
  assert.is(withPreload.status, 1);
  assert.match(withPreload.output, 'FAIL  "before hook"');
  assert.match(withPreload.output, "the local cloud did not start: port taken");
  assert.match(withPreload.output, /Passed:\s+0/);
});

test.run();
