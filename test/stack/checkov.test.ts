/**
 * checkov 3 (pinned, installed once into .fleetota/checkov-venv) on the synthesized stack: every finding is
 * either fixed or skipped in checkov-skips.yaml with a written reason; no skip is stale.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { CHECKOV_VERSION, parseSkips, runCheckov, SKIP_FILE } from "../../scripts/checkov/checkov.js";
import { synthStack } from "./support/synth.js";

const skips = parseSkips(readFileSync(SKIP_FILE, "utf8"));
const report = await runCheckov(synthStack().json, { skips });
console.log(
  `checkov ${report.version}: ${report.passed} passed, ${report.failed.length} failed, ${report.skipped.length} skipped ` +
    `(${skips.length} skip entries) in ${report.seconds.toFixed(1)} s`,
);

test("checkov passes the stack: zero failed, every skip has a reason and still matches a finding", () => {
  assert.is(report.version, CHECKOV_VERSION);
  assert.ok(report.passed > 100, `only ${report.passed} checks passed`);
  assert.equal(report.failed.map((finding) => `${finding.checkId} ${finding.resource}: ${finding.checkName}`), []);
  assert.equal(report.unusedSkips.map((skip) => skip.id), [], "stale skips: remove them from checkov-skips.yaml");
});

test("the fixed checks are not among the skipped ones (SNS KMS, response headers, access logs, tracing, WAF)", () => {
  const skippedIds = new Set(report.skipped.map((finding) => finding.checkId));
  for (const id of ["CKV_AWS_26", "CKV2_AWS_32", "CKV_AWS_259", "CKV_AWS_18", "CKV_AWS_86", "CKV_AWS_50", "CKV_AWS_68", "CKV_AWS_192"]) {
    assert.not.ok(skippedIds.has(id), `${id} is skipped instead of fixed`);
  }
});

test.run();
