/**
 * The operator CLI's keys, release, campaign and jobs commands against the local cloud with the update
 * manager running: what the CLI writes is what the deployed bundles read. A release reaches a campaign
 * only once two of the three release keys signed it.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { runCli } from "../../../../cli/main.js";
import type { CliIo } from "../../../../cli/output.js";
import { namesFromLocalDescription, type StackNames } from "../../../../cli/target.js";
import { REPOSITORY_LAYOUT } from "../../../../uptane/metadata.js";
import { readChain } from "../../../../uptane/repository-store.js";
import { verifyPublishedTargets } from "../../../../uptane/vehicle-verification.js";
import { startLocalCloud, type LocalCloud } from "../../../../local/cloud.js";
import { candidate, snapshot } from "../../campaigns/support/world.js";

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
  for (const queueUrl of [names.updateQueueUrl, names.commandQueueUrl]) {
    await new SQSClient(cloud.clientConfig).send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: "10" } }));
  }
});

test.after(async () => {
  await cloud?.stop();
});

const keyFile = (name: string) => join(workspace, "keys", `${name}.key`);

async function exists(key: string): Promise<boolean> {
  const s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
  return s3.send(new HeadObjectCommand({ Bucket: names.dataBucket, Key: key })).then(() => true, () => false);
}

test("keys create makes owner-only key files; the ceremony publishes both version-1 roots", async () => {
  mkdirSync(join(workspace, "keys"));
  const names_ = ["image-root-1", "image-root-2", "alice", "bob", "carol", "mallory", "director-root-1", "director-root-2"];
  for (const name of names_) {
    const created = await fleetota("keys", "create", keyFile(name), "--name", name);
    assert.is(created.code, 0, created.err);
  }
  const again = await fleetota("keys", "create", keyFile("alice"), "--name", "alice");
  const ceremony = await fleetota(
    "keys", "ceremony",
    "--image-root-key", keyFile("image-root-1"), "--image-root-key", keyFile("image-root-2"),
    "--release-key", `${keyFile("alice")}.pub`, "--release-key", `${keyFile("bob")}.pub`, "--release-key", `${keyFile("carol")}.pub`,
    "--director-root-key", keyFile("director-root-1"), "--director-root-key", keyFile("director-root-2"),
    "--out", join(workspace, "keys"),
  );

  assert.is(again.code, 1, "a key file is never overwritten");
  assert.is(ceremony.code, 0, ceremony.err);
  assert.ok(await exists(REPOSITORY_LAYOUT.imageRoot(1)));
  assert.ok(await exists(REPOSITORY_LAYOUT.directorRoot(1)));
});

test("a release signed by one key is staged, not published: a campaign for it cannot start", async () => {
  const image = join(workspace, "fw-2.4.0.bin");
  writeFileSync(image, Buffer.alloc(4096, 7));
  const campaignFile = join(workspace, "early.yaml");
  writeFileSync(campaignFile, "name: early\ntargetVersion: 2.4.0\nselector:\n  makes: [Honda]\n");

  const staged = await fleetota("release", image, "--version", "2.4.0", "--hardware", "hu-3,hu-4", "--anti-rollback", "3", "--expires", "7d", "--key", keyFile("alice"));
  const early = await fleetota("campaign", "create", campaignFile, "--start");
  await settle();
  const shown = await fleetota("campaign", "show", early.json.campaignId);

  assert.is(staged.code, 0, staged.err);
  assert.is(staged.json.published, false);
  assert.is(staged.json.signedBy.length, 1);
  assert.is(staged.json.threshold, 2);
  assert.is(await exists(REPOSITORY_LAYOUT.image(staged.json.sha256)), false);
  assert.is(await exists(REPOSITORY_LAYOUT.imageTargets(1)), false);
  assert.is.not(shown.json.state, "RUNNING", "the update manager refuses to start a campaign whose release is not published");
});

test("a key that is not a release key cannot sign; a second release key publishes, content-addressed", async () => {
  const image = join(workspace, "fw-2.4.0.bin");
  const checked = ["--hardware", "hu-3,hu-4", "--anti-rollback", "3"];
  const intruder = await fleetota("release", "sign", "2.4.0", "--key", keyFile("mallory"), "--image", image, ...checked);
  const wrongImage = join(workspace, "other.bin");
  writeFileSync(wrongImage, Buffer.alloc(4096, 8));
  const mismatch = await fleetota("release", "sign", "2.4.0", "--key", keyFile("bob"), "--image", wrongImage, ...checked);
  const otherCounter = await fleetota("release", "sign", "2.4.0", "--key", keyFile("bob"), "--image", image, "--hardware", "hu-3,hu-4", "--anti-rollback", "4");
  const unstated = await fleetota("release", "sign", "2.4.0", "--key", keyFile("bob"), "--image", image);
  const signed = await fleetota("release", "sign", "2.4.0", "--key", keyFile("bob"), "--image", image, "--hardware", "hu-4", "--hardware", "hu-3", "--anti-rollback", "3");

  assert.is(intruder.code, 1);
  assert.match(intruder.err, "not a release key");
  assert.is(mismatch.code, 1);
  assert.match(mismatch.err, "not the one staged");
  assert.is(otherCounter.code, 1);
  assert.match(otherCounter.err, "antiRollbackCounter 3 (yours: 4)");
  assert.is.not(unstated.code, 0, "the hardware ids and anti-rollback counter must be stated");
  assert.match(unstated.err, "--hardware");
  assert.is(signed.code, 0, signed.err);
  assert.is(signed.json.published, true);
  assert.is(signed.json.signedBy.length, 2);
  assert.ok(await exists(REPOSITORY_LAYOUT.image(signed.json.sha256)));
  const s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
  const roots = await readChain(s3, names.dataBucket, REPOSITORY_LAYOUT.imageRoot);
  const [targets] = await readChain(s3, names.dataBucket, REPOSITORY_LAYOUT.imageTargets);
  assert.is(verifyPublishedTargets(roots, targets, new Date()), undefined);
});

test("a published release is never replaced", async () => {
  const image = join(workspace, "fw-2.4.0-rebuilt.bin");
  writeFileSync(image, Buffer.alloc(4096, 9));
  const { code, err } = await fleetota("release", image, "--version", "2.4.0", "--hardware", "hu-3", "--key", keyFile("carol"));
  assert.is(code, 1);
  assert.match(err, "never replaced");
});

test("release status counts the days the targets (7d) have left; release refresh by two release keys renews them, same images", async () => {
  const human = async (...args: string[]) => {
    const io = capturingIo();
    const code = await runCli(args, { io, cwd: workspace, env: { USER: "ops-test" } });
    return { code, out: io.out, err: io.err };
  };
  const before = await fleetota("release", "status");
  const first = await fleetota("release", "refresh", "--key", keyFile("alice"));
  const waiting = await fleetota("release", "status");
  const intruder = await fleetota("release", "refresh", "--key", keyFile("mallory"));
  const second = await human("release", "refresh", "--key", keyFile("bob"));
  const after = await human("release", "status");

  assert.is(before.code, 0, before.err);
  assert.equal([before.json.targetsVersion, before.json.images, before.json.waitingForSignatures], [1, ["primary-2.4.0.bin"], null]);
  assert.equal(before.json.calendar[0], { ...before.json.calendar[0], what: "image targets", version: 1, daysLeft: 6, warning: true, expired: false });
  assert.is(first.code, 0, first.err);
  assert.equal([first.json.published, first.json.targetsVersion, first.json.signedBy.length], [false, 2, 1]);
  assert.is(waiting.json.waitingForSignatures, 2);
  assert.is(intruder.code, 1);
  assert.match(intruder.err, "not a release key");
  assert.is(second.code, 0, second.err);
  assert.match(second.out, /^refreshed image targets 1 \(1 image\(s\), expiring \S+Z\) as targets 2, expiring \S+Z, 2 of 2 signatures\n$/);
  assert.match(after.out, /^image targets 2: 1 image\(s\): primary-2\.4\.0\.bin\nimage targets 2 expire \S+Z: 29 days left\n/);
  assert.not.match(after.out, "renew");
});

test("campaign create --start, then list, jobs, pause and resume go through the update manager", async () => {
  const file = join(workspace, "brakes.yaml");
  writeFileSync(file, "name: brakes\ntargetVersion: 2.4.0\nselector:\n  makes: [Honda]\n");

  const created = await fleetota("campaign", "create", file, "--start");
  await settle();
  // Targeting trusts the registry: the vehicles are registered as what their candidates say they are.
  for (const vin of VINS) {
    const registered = await fleetota("vehicles", "register", vin, "--make", "Honda", "--model", "Accord", "--hardware", "hu-3", "--model-year", "2021", "--out", join(workspace, "vehicles"));
    assert.is(registered.code, 0, registered.err);
  }
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
