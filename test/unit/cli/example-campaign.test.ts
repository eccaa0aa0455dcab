import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCampaignFile } from "../../../cli/campaign-file.js";

const examplePath = join(import.meta.dirname, "..", "..", "..", "examples", "campaign.yaml");

test("the README's example campaign file is valid and keeps what it says", () => {
  const definition = parseCampaignFile(readFileSync(examplePath, "utf8"), examplePath);

  assert.is(definition.targetVersion, "2.5.0");
  assert.equal(definition.waves.map((wave) => wave.percent), [1, 10, 50, 100]);
  assert.is(definition.retries.max, 3);
  assert.equal(definition.maintenanceWindow, { startUtc: "01:00", endUtc: "05:00" });
  assert.equal(definition.preconditions.connectivity, ["good"]);
});

test.run();
