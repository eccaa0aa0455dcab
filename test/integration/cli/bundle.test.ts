/**
 * The bundled operator CLI (dist/cli/fleetota.mjs, what the `fleetota` bin runs where tsx is not
 * installed) on plain Node, from a folder with no node_modules, against the local cloud.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startLocalCloud, type LocalCloud } from "../../../local/cloud.js";
import { bundleCli } from "../../../scripts/build.js";

const run = promisify(execFile);
const workspace = mkdtempSync(join(tmpdir(), "fleetota-cli-bundle-"));
let bundle: string;
let cloud: LocalCloud;

async function bundled(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bundle, ...args], { cwd: workspace, env: { PATH: process.env.PATH ?? "" } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test.before(async () => {
  bundle = await bundleCli(join(workspace, "bin", "fleetota.mjs"));
  mkdirSync(join(workspace, ".fleetota"), { recursive: true });
  cloud = await startLocalCloud({ runtime: false, stateFile: join(workspace, ".fleetota", "local.json") });
});

test.after(async () => {
  await cloud?.stop();
});

test("a bad campaign file is refused by the bundle with every bad field named", async () => {
  writeFileSync(join(workspace, "bad.yaml"), "name: x\ntargetVersion: v2\nwaves:\n  - { percent: 120 }\n");
  const result = await bundled("campaign", "create", "bad.yaml");
  assert.is(result.code, 1);
  assert.match(result.stderr, /targetVersion: must be a semantic version/);
  assert.match(result.stderr, /waves\[0\]\.percent/);
});

test("the bundle runs the key ceremony, releases firmware with two of three keys and creates a campaign on the local cloud", async () => {
  for (const name of ["ir1", "ir2", "alice", "bob", "carol", "dr1", "dr2"]) {
    const created = await bundled("keys", "create", `${name}.key`, "--name", name);
    assert.is(created.code, 0, created.stderr);
  }
  const ceremony = await bundled(
    "keys", "ceremony", "--image-root-key", "ir1.key", "--image-root-key", "ir2.key",
    "--release-key", "alice.key.pub", "--release-key", "bob.key.pub", "--release-key", "carol.key.pub",
    "--director-root-key", "dr1.key", "--director-root-key", "dr2.key",
  );
  assert.is(ceremony.code, 0, ceremony.stderr);
  writeFileSync(join(workspace, "image.bin"), Buffer.alloc(4096, 7));
  const release = await bundled("--json", "release", "image.bin", "--version", "7.1.0", "--hardware", "hu-3", "--key", "alice.key");
  assert.is(release.code, 0, release.stderr);
  assert.is(JSON.parse(release.stdout).published, false);
  const signed = await bundled("--json", "release", "sign", "7.1.0", "--key", "bob.key", "--image", "image.bin", "--hardware", "hu-3", "--anti-rollback", "0");
  assert.is(signed.code, 0, signed.stderr);
  assert.is(JSON.parse(signed.stdout).published, true);

  writeFileSync(join(workspace, "campaign.yaml"), "name: bundle check\ntargetVersion: 7.1.0\n");
  const created = await bundled("--json", "campaign", "create", "campaign.yaml");
  assert.is(created.code, 0, created.stderr);
  const campaignId: string = JSON.parse(created.stdout).campaignId;

  const listed = await bundled("--json", "campaign", "list");
  assert.is(listed.code, 0, listed.stderr);
  const campaigns = JSON.parse(listed.stdout) as Array<{ campaignId: string; state: string }>;
  assert.equal(campaigns.find((campaign) => campaign.campaignId === campaignId)?.state, "DRAFT");
});

test.run();
