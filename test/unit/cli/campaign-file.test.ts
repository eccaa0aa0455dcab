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
  // hostile bounds: each accepted before, then broke admission, a DynamoDB item or a terminal
  ["a document lifetime of 1e10 hours", yamlCampaign("documentTtlHours: 1e10\n"), "brakes.yaml", "documentTtlHours: Too big"],
  ["a soak of 1e308 minutes", yamlCampaign().replace("soakMinutes: 30", "soakMinutes: 1e308"), "brakes.yaml", "waves[0].soakMinutes"],
  ["an infinite in-progress timeout", JSON.stringify({ name: "b", targetVersion: "2.4.0", inProgressTimeoutMinutes: 1e400 }), "b.json", "inProgressTimeoutMinutes"],
  ["a 2 MB name", JSON.stringify({ name: "n".repeat(2_000_000), targetVersion: "2.4.0" }), "b.json", "is 2000"],
  ["a 200 KB name", JSON.stringify({ name: "n".repeat(200_000), targetVersion: "2.4.0" }), "b.json", "name: Too big"],
  ["a name with terminal escapes", JSON.stringify({ name: "x\u001b[2J", targetVersion: "2.4.0" }), "b.json", "name: must not contain control characters"],
  ["10,000 makes", JSON.stringify({ name: "b", targetVersion: "2.4.0", selector: { makes: Array.from({ length: 10_000 }, (_, i) => `m${i}`) } }), "b.json", "selector.makes"],
  ["a model year of 1e9", JSON.stringify({ name: "b", targetVersion: "2.4.0", selector: { modelYears: { from: 2000, to: 1e9 } } }), "b.json", "selector.modelYears.to"],
  ["a minimum sample of 1e12", yamlCampaign("abortCriteria:\n  - { failureKind: INSTALL_FAILED, thresholdPercent: 5, minimumSample: 1000000000000, action: PAUSE }\n"), "brakes.yaml", "abortCriteria[0].minimumSample"],
  ["a backoff cap of a year", yamlCampaign("retries: { max: 3, backoffBaseSeconds: 60, backoffCapSeconds: 31536000 }\n"), "brakes.yaml", "retries.backoffCapSeconds"],
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

const aliasBomb = ["a: &a [x,x,x,x,x,x,x,x,x]", "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]", "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]", "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]", "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]", "f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]"].join("\n");

test("a YAML alias bomb is one line naming the problem, not an unexpected failure", () => {
  const message = problemOf(aliasBomb, "bomb.yaml");
  assert.match(message, /^bomb\.yaml: YAML aliases expand too far/);
  assert.not.match(message, /\n/);
});

test("YAML nested 20,000 deep is one line, not a crash", () => {
  const message = problemOf(`name: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`, "deep.yaml");
  assert.match(message, /^deep\.yaml: not valid YAML/);
  assert.not.match(message, /\n/);
});

test("every bound error is a single line naming the field", () => {
  for (const [, text, path] of fieldErrors) assert.not.match(problemOf(text, path), /\n/);
});

test("a file that is not an object is refused", () => {
  assert.match(problemOf("- a\n- b\n", "c.yml"), "must hold one object");
});

test.run();
