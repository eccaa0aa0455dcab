/**
 * The vehicle's job document slot (`jobs/<VIN>.json`) on the local cloud, through the S3 channel with real S3 and KMS
 * (moto): every write is conditional on the slot as its writer read it (`If-Match` on the ETag, `If-None-Match: *`
 * when absent), so a publish on a stale read writes nothing, and a withdrawal never replaces another campaign's
 * document written between its read and its write.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { s3JobDocumentChannel, SlotChangedError } from "../../../campaigns/document-channel.js";
import { newJob } from "../../../campaigns/job-machine.js";
import { parseCampaignDefinition, type Campaign, type Job } from "../../../campaigns/model.js";
import { silentLog } from "../../../lib/logger.js";
import { startLocalCloud, type LocalCloud } from "../../../local/cloud.js";
import { REPOSITORY_LAYOUT } from "../../../uptane/metadata.js";
import { campaignWorld, releaseFirmware, vinNumber, type CampaignWorld } from "./support/world.js";

let cloud: LocalCloud;
let world: CampaignWorld;
let channel: ReturnType<typeof s3JobDocumentChannel>;
let one: Campaign;
let two: Campaign;

/** A started campaign's QUEUED job for `vin` (as an admission makes it), without touching the store. */
const jobIn = (campaign: Campaign, vin: string): Job =>
  newJob({ campaignId: campaign.campaignId, vin, wave: 0, targetVersion: campaign.definition.targetVersion, firmwareVersion: "2.3.1", hardware: "hu-3" }, { met: true }, new Date()).job;

/** An S3 client that runs `competitor` once, just before its first PutObject of `key` is sent. */
function racingS3(key: string, competitor: () => Promise<unknown>): S3Client {
  let pending: (() => Promise<unknown>) | undefined = competitor;
  return new Proxy(world.s3, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver) as unknown;
      return async (command: Parameters<S3Client["send"]>[0]) => {
        if (pending && command instanceof PutObjectCommand && command.input.Key === key) {
          const run = pending;
          pending = undefined;
          await run();
        }
        return target.send(command as PutObjectCommand);
      };
    },
  });
}

test.before(async () => {
  cloud = await startLocalCloud({ runtime: false, stateFile: false });
  world = await campaignWorld(cloud);
  channel = s3JobDocumentChannel({ s3: world.s3, kms: world.kms, bucket: world.bucket, log: silentLog });
  await releaseFirmware(world, "2.4.0");
  await releaseFirmware(world, "2.5.0");
  const now = new Date().toISOString();
  one = await world.store.campaigns.create(parseCampaignDefinition({ name: "one", targetVersion: "2.4.0" }), { now });
  two = await world.store.campaigns.create(parseCampaignDefinition({ name: "two", targetVersion: "2.5.0" }), { now });
});

test.after(async () => {
  await cloud?.stop();
});

test("a publish on a stale read of the slot writes nothing (If-None-Match: * on an absent slot, If-Match on its ETag)", async () => {
  const vin = vinNumber(700);
  const absent = await channel.read(vin);
  await channel.publish(jobIn(one, vin), one, new Date(), absent);
  const first = await channel.read(vin);

  const onAbsent = await channel.publish(jobIn(two, vin), two, new Date(), absent).catch((error: unknown) => error);
  const current = await channel.read(vin);
  await channel.publish(jobIn(two, vin), two, new Date(), first);
  const onStale = await channel.publish(jobIn(one, vin), one, new Date(), first).catch((error: unknown) => error);

  assert.equal([absent.etag, absent.holder], [undefined, undefined]);
  assert.equal(first.holder, { jobId: `${one.campaignId}:${vin}`, campaignId: one.campaignId, attempt: 1 });
  assert.instance(onAbsent, SlotChangedError);
  assert.equal(current, first, "the refused write changed nothing");
  assert.instance(onStale, SlotChangedError);
  assert.is((await channel.read(vin)).holder?.campaignId, two.campaignId);
});

test("a withdrawal never replaces another campaign's document written between its read and its write; it withdraws its own", async () => {
  const vin = vinNumber(701);
  const [jobOne, jobTwo] = [jobIn(one, vin), jobIn(two, vin)];
  await channel.publish(jobOne, one, new Date(), await channel.read(vin));
  // The withdrawal of campaign one's job reads its document; campaign two's publish lands before the withdrawal is written.
  const racing = s3JobDocumentChannel({
    s3: racingS3(REPOSITORY_LAYOUT.jobDocument(vin), async () => channel.publish(jobTwo, two, new Date(), await channel.read(vin))),
    kms: world.kms,
    bucket: world.bucket,
    log: silentLog,
  });
  await racing.withdraw(jobOne);
  const afterRace = await channel.read(vin);
  await channel.withdraw(jobTwo);

  assert.equal(afterRace.holder, { jobId: `${two.campaignId}:${vin}`, campaignId: two.campaignId, attempt: 1 }, "campaign two's document survives");
  const withdrawn = await channel.read(vin);
  assert.is(withdrawn.holder, undefined, "its own document is withdrawn");
  assert.ok(withdrawn.etag !== undefined && withdrawn.etag !== afterRace.etag);
});

test("a withdrawal leaves a later attempt's document of the same job alone", async () => {
  const vin = vinNumber(702);
  const first = jobIn(one, vin);
  await channel.publish({ ...first, attempt: 2 }, one, new Date(), await channel.read(vin));
  await channel.withdraw(first);
  assert.is((await channel.read(vin)).holder?.attempt, 2);
});

test.run();
