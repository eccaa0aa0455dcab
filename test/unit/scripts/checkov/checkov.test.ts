import { test } from "uvu";
import * as assert from "uvu/assert";
import { applySkips, parseSkips, type CheckovFinding } from "../../../../scripts/checkov/checkov.js";

const finding = (checkId: string, resource: string): CheckovFinding => ({ checkId, checkName: checkId, resource });

test("skip file: a skip without a written reason, or with a made-up id, is refused", () => {
  assert.throws(() => parseSkips("- id: CKV_AWS_117\n  reason: because\n"), /written reason/);
  assert.throws(() => parseSkips("- id: no-such-check\n  reason: a reason long enough to pass the length rule\n"), /check id/);
  assert.throws(() => parseSkips("id: CKV_AWS_117\n"), /list/);
});

test("skips apply by check id and, when they name resources, only to those", () => {
  const applied = applySkips(
    [finding("CKV2_AWS_65", "aws_s3_bucket_ownership_controls.access_logs_ownership"), finding("CKV2_AWS_65", "aws_s3_bucket_ownership_controls.data_lake_ownership"), finding("CKV_AWS_117", "resource.x")],
    [
      { id: "CKV2_AWS_65", reason: "log bucket only", resources: ["aws_s3_bucket_ownership_controls.access_logs_ownership"] },
      { id: "CKV_AWS_117", reason: "no VPC" },
      { id: "CKV_AWS_999", reason: "stale" },
    ],
  );

  assert.equal(applied.failed, [finding("CKV2_AWS_65", "aws_s3_bucket_ownership_controls.data_lake_ownership")]);
  assert.equal(applied.skipped.map((skipped) => skipped.checkId), ["CKV2_AWS_65", "CKV_AWS_117"]);
  assert.equal(applied.unusedSkips.map((skip) => skip.id), ["CKV_AWS_999"]);
});

test.run();
