import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseCampaignFile } from "../../../cli/campaign-file.js";
import { InputFileError } from "../../../cli/errors.js";

function problemOf(text: string, path: string): string {
  try {
    parseCampaignFile(text, path);
  } catch (error) {
    assert.instance(error, InputFileError);
    return (error as Error).message;
  }
  throw new Error("expected an InputFileError");
}

const yamlCampaign = (extra = "") => `name: brakes\ntargetVersion: 2.4.0\nwaves:\n  - percent: 1\n    soakMinutes: 30\n  - percent: 100\n${extra}`;

test("a YAML campaign is read and its defaults filled", () => {
  const definition = parseCampaignFile(yamlCampaign(), "brakes.yaml");
  assert.is(definition.targetVersion, "2.4.0");
  assert.is(definition.waves.length, 2);
  assert.is(definition.retries.max, 3);
});

test("a JSON campaign is read", () => {
  const definition = parseCampaignFile(JSON.stringify({ name: "brakes", targetVersion: "2.4.0" }), "brakes.json");
  assert.is(definition.name, "brakes");
});

const fieldErrors: Array<[string, string, string, string]> = [
  ["a missing target version", "name: brakes\n", "brakes.yaml", "targetVersion"],
  ["a target version that is not semver", "name: brakes\ntargetVersion: latest\n", "brakes.yaml", "targetVersion: must be a semantic version"],
  ["a wave with a percent above 100", yamlCampaign().replace("percent: 100", "percent: 150"), "brakes.yaml", "waves[1].percent"],
  ["waves that do not grow", yamlCampaign().replace("percent: 100", "percent: 1"), "brakes.yaml", "waves[1].percent"],
  ["a bad connectivity class", yamlCampaign("preconditions:\n  connectivity: [satellite]\n"), "brakes.yaml", "preconditions.connectivity[0]"],
  ["a bad maintenance window", yamlCampaign("maintenanceWindow:\n  startUtc: '25:00'\n  endUtc: '04:00'\n"), "brakes.yaml", "maintenanceWindow.startUtc"],
];
for (const [name, text, path, field] of fieldErrors) {
  test(`${name} is reported with the file and the field`, () => {
    const message = problemOf(text, path);
    assert.match(message, path);
    assert.match(message, field);
  });
}

test("invalid YAML is reported with its line", () => {
  assert.match(problemOf("name: brakes\nwaves: [1,\ntargetVersion: 2.4.0\n", "c.yaml"), /not valid YAML.*line \d+/);
});

test("invalid JSON is reported as JSON", () => {
  assert.match(problemOf("{ name: brakes", "c.json"), "not valid JSON");
});

test("a file that is not an object is refused", () => {
  assert.match(problemOf("- a\n- b\n", "c.yml"), "must hold one object");
});

test.run();
