/**
 * The operator CLI's release, campaign and jobs commands against the local cloud with the update
 * manager running: what the CLI writes is what the deployed bundles read.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { runCli } from "../../../cli/main.js";
import type { CliIo } from "../../../cli/output.js";
import { namesFromLocalDescription, type StackNames } from "../../../cli/target.js";
import { firmwareManifestKey, openManifest } from "../../../campaigns/job-document.js";
import { loadSigningKey } from "../../../campaigns/signing.js";
import { startLocalCloud, type LocalCloud } from "../../../local/cloud.js";
import { candidate, snapshot } from "../campaigns/support/world.js";

const workspace = mkdtempSync(join(tmpdir(), "fleetota-cli-campaign-"));
const VINS = ["1HGCM82633A004352", "1M8GDM9AXKP042788"];
let cloud: LocalCloud;
let names: StackNames;

function capturingIo(): CliIo & { out: string; err: string } {
  const io = { out: "", err: "", interactive: false, stdout: (text: string) => void (io.out += text), stderr: (text: string) => void (io.err += text) };
  return io;
}

async function fleetota(...args: string[]): Promise<{ code: number; json: any; err: string }> {
  const io = capturingIo();
  const code = await runCli(["--json", ...args], { io, cwd: workspace, env: { USER: "ops-test" } });
  return { code, json: io.out ? JSON.parse(io.out) : undefined, err: io.err };
}

async function settle(): Promise<void> {
  await cloud.runtime!.waitForIdle(60_000);
}

test.before(async () => {
  mkdirSync(join(workspace, ".fleetota"), { recursive: true });
  cloud = await startLocalCloud({
    runtime: true,
    stateFile: join(workspace, ".fleetota", "local.json"),
    runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0, pollWaitSeconds: 1 },
  });
  names = namesFromLocalDescription(cloud.description);
  // Test speed-up: a failed message comes back after 10 s, not 6 × the function timeout.
  await new SQSClient(cloud.clientConfig).send(new SetQueueAttributesCommand({ QueueUrl: names.updateQueueUrl, Attributes: { VisibilityTimeout: "10" } }));
});

test.after(async () => {
  await cloud?.stop();
});

test("release uploads the image and a manifest signed with the stack's key, created on first use", async () => {
  const image = join(workspace, "fw-2.4.0.bin");
  writeFileSync(image, Buffer.alloc(4096, 7));

  const { code, json, err } = await fleetota("release", image, "--version", "2.4.0", "--hardware", "hu-3,hu-4", "--anti-rollback", "3", "--expires", "7d");

  assert.is(code, 0, err);
  const key = await loadSigningKey(new SSMClient(cloud.clientConfig), names.signingKeyParameter);
  const s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
  const stored = await s3.send(new GetObjectCommand({ Bucket: names.dataBucket, Key: firmwareManifestKey("2.4.0") }));
  const manifest = openManifest(JSON.parse(await stored.Body!.transformToString()), key.publicKeyPem);
  assert.is(json.keyId, key.keyId);
  assert.is(manifest.size, 4096);
  assert.equal(manifest.hardware, ["hu-3", "hu-4"]);
  assert.is(manifest.antiRollbackCounter, 3);
});

test("releasing the same version twice is refused without --force", async () => {
  const image = join(workspace, "fw-2.4.0.bin");
  const { code, err } = await fleetota("release", image, "--version", "2.4.0", "--hardware", "hu-3");
  assert.is(code, 1);
  assert.match(err, "already exists");
});

test("campaign create --start, then list, jobs, pause and resume go through the update manager", async () => {
  const file = join(workspace, "brakes.yaml");
  writeFileSync(file, "name: brakes\ntargetVersion: 2.4.0\nselector:\n  makes: [Honda]\n");

  const created = await fleetota("campaign", "create", file, "--start");
  await settle();
  await new SQSClient(cloud.clientConfig).send(
    new SendMessageBatchCommand({ QueueUrl: names.updateQueueUrl, Entries: VINS.map((vin, index) => ({ Id: String(index), MessageBody: JSON.stringify(candidate(snapshot(vin))) })) }),
  );
  await settle();
  const listed = await fleetota("campaign", "list");
  const jobs = await fleetota("jobs", created.json.campaignId, "--state", "queued");
  const paused = await fleetota("campaign", "pause", created.json.campaignId, "--reason", "checking rollbacks");
  await settle();
  const afterPause = await fleetota("campaign", "show", created.json.campaignId);
  await fleetota("campaign", "resume", created.json.campaignId);
  await settle();
  const afterResume = await fleetota("campaign", "show", created.json.campaignId);

  assert.is(created.code, 0, created.err);
  assert.is(created.json.state, "DRAFT");
  assert.ok(listed.json.some((summary: { campaignId: string; state: string }) => summary.campaignId === created.json.campaignId && summary.state === "RUNNING"));
  assert.equal(jobs.json.map((job: { vin: string }) => job.vin).sort(), [...VINS].sort());
  assert.is(paused.code, 0, paused.err);
  assert.is(afterPause.json.state, "PAUSED");
  assert.ok(afterPause.json.history.some((entry: { to: string; reason: string }) => entry.to === "PAUSED"));
  assert.is(afterResume.json.state, "RUNNING");
});

test("an invalid campaign file names the field and creates nothing", async () => {
  const file = join(workspace, "bad.yaml");
  writeFileSync(file, "name: bad\ntargetVersion: 2.4.0\nwaves:\n  - percent: 0\n");
  const before = await fleetota("campaign", "list");

  const { code, err } = await fleetota("campaign", "create", file);

  assert.is(code, 1);
  assert.match(err, "waves[0].percent");
  assert.is((await fleetota("campaign", "list")).json.length, before.json.length);
});

test("steering a campaign that does not exist is a one-line error", async () => {
  const { code, err } = await fleetota("campaign", "pause", "c-does-not-exist");
  assert.is(code, 1);
  assert.match(err, /^fleetota: campaign c-does-not-exist does not exist\n$/);
});

test.run();
