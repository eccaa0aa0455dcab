/** The README's figures are generated: the block between the markers is replaced, nothing else. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { meetsGoal } from "../../../bench/results.js";
import { ReadmeMarkersError, renderFigures, replaceFigures } from "../../../scripts/readme-figures.js";
import { profile } from "../cost/support/profile.js";

const results = {
  date: "2026-12-01T20:00:00.000Z",
  cpus: 2,
  node: "v20.20.2",
  figures: [
    { bench: "telemetry-processor", name: "core vs bare limit", value: 0.78, unit: "ratio", goal: "≥ 0.75" },
    { bench: "cost", name: "per vehicle update", value: 0.0002, unit: "$", goal: "≤ 0.0001" },
    { bench: "build", name: "update-manager bundle", value: 1530.9, unit: "KiB" },
  ],
};

test("goals are read as ≥ or ≤ thresholds; a figure without one has no verdict", () => {
  assert.is(meetsGoal(results.figures[0]!), true);
  assert.is(meetsGoal(results.figures[1]!), false);
  assert.is(meetsGoal(results.figures[2]!), undefined);
});

test("the generated block holds every figure with its verdict, and the cost report", () => {
  const block = renderFigures(results, profile());
  assert.match(block, "| telemetry-processor | core vs bare limit | 0.78 | ratio | ≥ 0.75 | yes |");
  assert.match(block, "| cost | per vehicle update | 0.00020 | $ | ≤ 0.0001 | **no** |");
  assert.match(block, "| build | update-manager bundle | 1531 | KiB |  |  |");
  assert.match(block, "$ per vehicle update:");
});

test("only the block between the markers is replaced", () => {
  const block = renderFigures(results);
  const readme = `# Title\n\nbefore\n${renderFigures({ ...results, figures: [] })}\nafter\n`;
  const updated = replaceFigures(readme, block);
  assert.ok(updated.startsWith("# Title\n\nbefore\n"));
  assert.ok(updated.endsWith("\nafter\n"));
  assert.match(updated, "update-manager bundle");
  assert.throws(() => replaceFigures("# no markers", block), (error: unknown) => error instanceof ReadmeMarkersError);
});

test.run();
