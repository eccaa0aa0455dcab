/**
 * The data-bucket S3 requests of a publisher run, counted through the AWS sources with an S3 stand-in: what the
 * "needs a hand" document costs each minute (the parked listing, the release calendar at the trends' refreshes),
 * and the image targets' signature check, which reads the image root chain and the targets only when a version
 * changed. The figures are the README's.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DASHBOARD_DOCUMENT, QUEUE_ROLE } from "../../../../contracts/dashboard-documents.js";
import { publishDashboard } from "../../../../functions/dashboard-publisher/publish.js";
import { awsDashboardSources } from "../../../../functions/dashboard-publisher/sources.js";
import { silentLog } from "../../../../lib/logger.js";
import { generateOfflineKey, signWithKeyFile, tufKey } from "../../../../uptane/keys.js";
import { buildRoot, nextImageTargets, REPOSITORY_LAYOUT } from "../../../../uptane/metadata.js";

const DATA = "data-lake";
const windowStart = Date.parse("2026-11-26T18:00:00.000Z");

/** An S3 stand-in for both buckets: GetObject (NoSuchKey when absent), PutObject, ListObjectsV2 (no parked record); counts the data bucket's requests. */
function bucket() {
  const objects = new Map<string, string>();
  const requests: string[] = [];
  const send = async (command: unknown) => {
    const input = (command as { input: { Bucket?: string; Key?: string; Body?: string } }).input;
    if (input.Bucket === DATA) requests.push(`${(command as object).constructor.name.replace("Command", "")} ${input.Key ?? ""}`.trim());
    const key = `${input.Bucket}/${input.Key}`;
    if (command instanceof PutObjectCommand) return void objects.set(key, String(input.Body));
    if (command instanceof ListObjectsV2Command) return { Contents: [], CommonPrefixes: [], IsTruncated: false };
    if (!(command instanceof GetObjectCommand)) throw new Error("unexpected command");
    const body = objects.get(key);
    if (body === undefined) throw Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey" });
    return { Body: { transformToString: async () => body, transformToByteArray: async () => new Uint8Array(Buffer.from(body)) } };
  };
  return { s3: { send } as unknown as S3Client, objects, requests };
}

test("a run reads no more of the data bucket for the targets check unless a published version changed", async () => {
  const { s3, objects, requests } = bucket();
  const keyFile = generateOfflineKey("release");
  const keys = [tufKey(keyFile)];
  const signed = <M extends Parameters<typeof signWithKeyFile>[0]>(metadata: M) => (signWithKeyFile(metadata, keyFile), metadata);
  const expires = new Date(windowStart + 30 * 86_400_000);
  const root = (version: number) => signed(buildRoot({ version, expires, rootKeys: keys, rootThreshold: 1, targetsKeys: keys, targetsThreshold: 1 }));
  const image = { name: "primary-2.4.0.bin", length: 1, sha256: "a".repeat(64), custom: { version: "2.4.0", ecu: "primary", hardwareIds: ["hu-3"], antiRollbackCounter: 0 } };
  const put = (key: string, metadata: { toJSON(): unknown }) => objects.set(`${DATA}/${key}`, JSON.stringify(metadata.toJSON()));
  put(REPOSITORY_LAYOUT.imageRoot(1), root(1));
  put(REPOSITORY_LAYOUT.directorRoot(1), root(1));
  put(REPOSITORY_LAYOUT.imageTargets(1), signed(nextImageTargets(undefined, image, expires)));
  const quiet = { send: async () => ({ MetricAlarms: [], CompositeAlarms: [], MetricDataResults: [], Attributes: { ApproximateNumberOfMessages: "0" } }) };
  const sources = awsDashboardSources(
    { s3, cloudWatch: quiet as unknown as CloudWatchClient, sqs: quiet as unknown as SQSClient },
    {
      alarmPrefix: "fleetota-dev-",
      dataBucket: DATA,
      queues: [{ role: QUEUE_ROLE.UpdateDeadLetter, url: "http://sqs/update-dlq" }],
      readFleet: async () => ({ vehicles: [] }),
      readCampaigns: async () => [],
      readCampaignPages: async () => [],
    },
  );
  const writer = { read: async (name: string) => objects.get(`dashboard/${name}`), write: async (name: string, body: string) => void objects.set(`dashboard/${name}`, body) };
  const run = async (minute: number) => {
    requests.length = 0;
    const at = new Date(windowStart + minute * 60_000);
    await publishDashboard({ sources, writer, now: at, scheduledTime: at.toISOString(), log: silentLog, options: { namespace: "FleetOTA", trendsEveryMinutes: 5 } });
    return [...requests];
  };

  const first = await run(0);
  const between = await run(1);
  const refresh = await run(5);
  put(REPOSITORY_LAYOUT.imageRoot(2), root(2)); // a rotation of the image root
  const rotated = await run(10);
  const after = await run(15);

  const parkedList = ["ListObjectsV2"];
  const calendar404s = [REPOSITORY_LAYOUT.imageTargets(2), REPOSITORY_LAYOUT.imageRoot(2), REPOSITORY_LAYOUT.directorRoot(2)].map((key) => `GetObject ${key}`);
  console.log(`data-bucket S3 requests a run: first ${first.length}, between refreshes ${between.length}, refresh ${refresh.length}, refresh after a rotation ${rotated.length}, the refresh after ${after.length}`);
  assert.equal(between, parkedList, "between refreshes: the parked listing only");
  assert.equal(refresh.sort(), [...parkedList, ...calendar404s].sort(), "a refresh with nothing new: the calendar's three 404s, no check");
  assert.equal(after.length, refresh.length, "after the check: nothing more");
  assert.is(rotated.length - refresh.length, 1 + 3 + 1, "the calendar reads root 2 (and root 3's 404); the check reads roots 1, 2 and 3's 404, and targets 1");
  assert.is(JSON.parse(objects.get(`dashboard/${DASHBOARD_DOCUMENT.NeedsAHand}`)!).targets.check.imageRootVersion, 2);
});

test.run();
