import { test } from "uvu";
import * as assert from "uvu/assert";
import { CampaignDefinitionError, parseCampaignDefinition, startTimeoutMinutes } from "../../../campaigns/model.js";

function definitionInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "brake-controller 2.4.0",
    targetVersion: "2.4.0",
    selector: { makes: ["Honda"], modelYears: { from: 2019, to: 2024 }, currentVersionRange: ">=2.0.0 <2.4.0" },
    waves: [{ percent: 1, soakMinutes: 30 }, { percent: 10 }, { percent: 100 }],
    abortCriteria: [{ failureKind: "ANY", thresholdPercent: 10, minimumSample: 5, action: "PAUSE" }],
    ...overrides,
  };
}

function fieldsOf(input: unknown): string[] {
  try {
    parseCampaignDefinition(input);
    return [];
  } catch (error) {
    assert.instance(error, CampaignDefinitionError);
    return (error as CampaignDefinitionError).problems.map((problem) => problem.field);
  }
}

test("a minimal definition gets the documented defaults", () => {
  const definition = parseCampaignDefinition({ name: "x", targetVersion: "1.2.3" });
  assert.equal(definition.waves, [{ percent: 100, soakMinutes: 0, successThresholdPercent: 95 }]);
  assert.is(definition.retries.max, 3);
  assert.is(definition.preconditions.requireParked, true);
  assert.is(definition.inProgressTimeoutMinutes, 60);
  assert.is(definition.maxInProgressMinutes, 360);
  assert.is(startTimeoutMinutes(definition), 72 * 60);
});

test("a full definition parses with its waves and criteria", () => {
  const definition = parseCampaignDefinition(definitionInput());
  assert.is(definition.waves.length, 3);
  assert.is(definition.waves[0]!.soakMinutes, 30);
  assert.is(definition.abortCriteria[0]!.action, "PAUSE");
});

const badFields: Array<[string, Record<string, unknown>, string]> = [
  ["target version not semver", { targetVersion: "v2" }, "targetVersion"],
  ["wave with both percent and count", { waves: [{ percent: 5, count: 10 }] }, "waves[0]"],
  ["wave percent above 100", { waves: [{ percent: 1 }, { percent: 120 }] }, "waves[1].percent"],
  ["waves that shrink", { waves: [{ percent: 10 }, { percent: 5 }] }, "waves[1].percent"],
  ["bad selector range", { selector: { currentVersionRange: "banana" } }, "selector.currentVersionRange"],
  ["model years reversed", { selector: { modelYears: { from: 2024, to: 2019 } } }, "selector.modelYears"],
  ["too many retries", { retries: { max: 11 } }, "retries.max"],
  ["criterion without minimum sample", { abortCriteria: [{ failureKind: "FAILED", thresholdPercent: 5, action: "ABORT" }] }, "abortCriteria[0].minimumSample"],
  ["unknown failure kind", { abortCriteria: [{ failureKind: "EXPLODED", thresholdPercent: 5, minimumSample: 1, action: "ABORT" }] }, "abortCriteria[0].failureKind"],
  ["maintenance window not HH:MM", { maintenanceWindow: { startUtc: "1am", endUtc: "04:00" } }, "maintenanceWindow.startUtc"],
  ["unknown connectivity class", { preconditions: { connectivity: ["5g"] } }, "preconditions.connectivity[0]"],
  ["in-progress limit shorter than the silence timeout", { inProgressTimeoutMinutes: 90, maxInProgressMinutes: 60 }, "maxInProgressMinutes"],
  ["start timeout of zero", { startTimeoutMinutes: 0 }, "startTimeoutMinutes"],
];

for (const [name, overrides, field] of badFields) {
  test(`refused with the field named: ${name}`, () => {
    assert.ok(fieldsOf(definitionInput(overrides)).includes(field), `expected ${field} in ${fieldsOf(definitionInput(overrides)).join(", ")}`);
  });
}

test("F2: any make, model or hardware text may be selected (the registry holds each injectively): accents, brackets, spaces with _", () => {
  const selector = { makes: ["Citroën", "Tesla"], models: ["Model 3", "Model_3 X"], hardware: ["hu-3 (EU)", "tcu+2", "TM3-HW3"], regions: ["eu-west (Paris)"] };
  assert.equal(parseCampaignDefinition(definitionInput({ selector })).selector, selector);
});

test("honest selector values pass: ASCII names with spaces or with _, dots, dashes, slashes", () => {
  const selector = { makes: ["Tesla", "Mercedes-Benz", "Land Rover"], models: ["Model 3", "Model_Y", "ID.4", "F-150 Lightning"], hardware: ["TM3-HW3", "hu_3", "tcu/2.1", "J1-PPE"] };
  assert.equal(parseCampaignDefinition(definitionInput({ selector })).selector.hardware, selector.hardware);
});

test("the error message lists the field and the reason", () => {
  assert.throws(() => parseCampaignDefinition(definitionInput({ targetVersion: 7 })), /targetVersion: /);
});

test.run();
