/**
 * `terraform validate` and an offline `terraform plan` of the synthesized JSON, with the AWS provider
 * from a local plugin mirror (no network, no account: fake credentials, no refresh): the resource and
 * attribute names, block shapes, enum values and plan-time checks as the provider defines them.
 * Skipped when terraform or a mirrored AWS provider is absent. The mirror may hold another major
 * version than the one the bindings target (6.x); the version used is printed.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthStack } from "./support/synth.js";

const PLUGIN_MIRROR = process.env.FLEETOTA_TF_PLUGIN_MIRROR ?? "/opt/tf-plugins";
const AWS_PROVIDER_DIR = join(PLUGIN_MIRROR, "registry.terraform.io", "hashicorp", "aws");

function terraformAvailable(): boolean {
  return spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;
}

function mirroredProviderVersion(preferredMajor: string): string | undefined {
  if (!existsSync(AWS_PROVIDER_DIR)) return undefined;
  const versions = readdirSync(AWS_PROVIDER_DIR).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return versions.filter((version) => version.startsWith(`${preferredMajor}.`)).at(-1) ?? versions.at(-1);
}

function terraform(args: string[], cwd: string, cliConfig: string) {
  return spawnSync("terraform", args, {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" },
  });
}

const stack = synthStack();
const targetVersion = String((stack.json as any).terraform.required_providers.aws.version);
const version = terraformAvailable() ? mirroredProviderVersion(targetVersion.split(".")[0]!) : undefined;

(version ? test : test.skip)("the synthesized stack is valid Terraform for the AWS provider and plans every resource", () => {
  const dir = mkdtempSync(join(tmpdir(), "fleetota-tf-validate-"));
  try {
    const json = structuredClone(stack.json) as any;
    json.terraform.required_providers.aws = { source: "hashicorp/aws", version };
    delete json.terraform.backend;
    Object.assign(json.provider.aws[0], {
      access_key: "offline",
      secret_key: "offline",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
    });
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(json));
    const cliConfig = join(dir, "terraformrc");
    writeFileSync(
      cliConfig,
      `provider_installation {\n  filesystem_mirror {\n    path = "${PLUGIN_MIRROR}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`,
    );

    const init = terraform(["init", "-backend=false", "-input=false", "-no-color"], dir, cliConfig);
    assert.is(init.status, 0, `terraform init failed:\n${init.stdout}${init.stderr}`);
    const validate = terraform(["validate", "-json", "-no-color"], dir, cliConfig);
    const result = JSON.parse(validate.stdout) as { valid: boolean; diagnostics: Array<{ severity: string; summary: string; detail?: string; address?: string }> };

    console.log(`  validated with hashicorp/aws ${version} (bindings target ${targetVersion})`);
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    assert.equal(errors.map((error) => `${error.address ?? ""} ${error.summary}: ${error.detail ?? ""}`), []);
    assert.ok(result.valid);

    const plan = terraform(["plan", "-refresh=false", "-input=false", "-no-color", "-lock=false"], dir, cliConfig);
    const resourceCount = Object.values(json.resource as Record<string, object>).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
    assert.is(plan.status, 0, `terraform plan failed:\n${plan.stderr}`);
    assert.match(plan.stdout, new RegExp(`Plan: ${resourceCount} to add, 0 to change, 0 to destroy`));
    assert.not.match(plan.stdout + plan.stderr, /Warning:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
