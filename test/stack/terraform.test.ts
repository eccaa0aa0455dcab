/**
 * `terraform validate` and an offline `terraform plan` of the synthesized JSON, with the AWS provider
 * from a local plugin mirror (no network, no account: fake credentials, no refresh): the resource and
 * attribute names, block shapes, enum values and plan-time checks as the provider defines them.
 * Skipped when terraform or a mirrored AWS provider is absent. The mirror may hold another major
 * version than the one the bindings target (6.x); the version used is printed.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthStack } from "./support/synth.js";
import { findTerraform, runTerraform as terraform, writeCliConfig } from "./support/terraform.js";

const stack = synthStack();
const targetVersion = String((stack.json as any).terraform.required_providers.aws.version);
const setup = findTerraform(targetVersion.split(".")[0]!);
const version = setup.available ? setup.providerVersion : undefined;
if (!setup.available) console.log(`  skipped: ${setup.reason}`);

(version ? test : test.skip)("the synthesized stack is valid Terraform for the AWS provider and plans every resource", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fleetota-tf-validate-"));
  try {
    const json = structuredClone(stack.json) as any;
    json.terraform.required_providers.aws = { source: "hashicorp/aws", version };
    delete json.terraform.backend;
    // Every aws provider block (the stack's region and us-east-1 for CloudFront's WAF) plans offline.
    for (const provider of json.provider.aws) {
      Object.assign(provider, {
        access_key: "offline",
        secret_key: "offline",
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
      });
    }
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(json));
    const cliConfig = writeCliConfig(dir);

    const init = await terraform(["init", "-backend=false", "-input=false", "-no-color"], dir, cliConfig);
    assert.is(init.status, 0, `terraform init failed:\n${init.stdout}${init.stderr}`);
    const validate = await terraform(["validate", "-json", "-no-color"], dir, cliConfig);
    const result = JSON.parse(validate.stdout) as { valid: boolean; diagnostics: Array<{ severity: string; summary: string; detail?: string; address?: string }> };

    console.log(`  validated with hashicorp/aws ${version} (bindings target ${targetVersion})`);
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    assert.equal(errors.map((error) => `${error.address ?? ""} ${error.summary}: ${error.detail ?? ""}`), []);
    assert.ok(result.valid);

    const plan = await terraform(["plan", "-refresh=false", "-input=false", "-no-color", "-lock=false"], dir, cliConfig);
    const resourceCount = Object.values(json.resource as Record<string, object>).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
    assert.is(plan.status, 0, `terraform plan failed:\n${plan.stderr}`);
    assert.match(plan.stdout, new RegExp(`Plan: ${resourceCount} to add, 0 to change, 0 to destroy`));
    assert.not.match(plan.stdout + plan.stderr, /Warning:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
