/**
 * The dashboard publisher's bundle on the local cloud: scheduled by its EventBridge rule, it reads the
 * real fleet state, campaigns, metrics, alarms and queues from the emulator and writes data/*.json to
 * the dashboard bucket, which serveDashboard then serves to the page.
 */
import type { Readable } from "node:stream";
import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseCampaignDefinition } from "../../../../campaigns/model.js";
import { dynamoCampaignStore } from "../../../../campaigns/store/index.js";
import { CAMPAIGN_SK, campaignPk, countAttr, jobSk, jobStateIndexPk } from "../../../../campaigns/store/keys.js";
import type { AlarmsDocument, CampaignPageDocument, CampaignsDocument, NeedsAHandDocument, FleetDocument, QueuesDocument, TelemetryDocument } from "../../../../contracts/dashboard-documents.js";
import { METRIC } from "../../../../contracts/metrics.js";
import { parkedFailure, parkFailureRecord } from "../../../../lib/parked-failures.js";
import type { FleetVehicle } from "../../../../telemetry/aggregate.js";
import { decodeFleetSnapshot, FLEET_SNAPSHOT_KEY, FLEET_STATE_PARTS_PREFIX, writeFleetStatePart } from "../../../../telemetry/fleet-state.js";
import { serveDashboard } from "../../../../local/dashboard-server.js";
import { scheduledEvent } from "../../../../local/runtime/schedule/scheduler.js";
import { TELEMETRY_TRENDS } from "../../../../functions/dashboard-publisher/telemetry-view.js";
import type { PublishReport } from "../../../../functions/dashboard-publisher/publish.js";
import { ENV } from "../../../../contracts/environment.js";
import { buildRoot, nextImageTargets, REPOSITORY_LAYOUT } from "../../../../uptane/metadata.js";
import { generateOfflineKey, signWithKeyFile, tufKey } from "../../../../uptane/keys.js";
import { publishOnce } from "../../../../uptane/repository-store.js";
import { LOCAL_ACCOUNT_ID } from "../../../../modules/stack-config.js";
import { startTestCloud, type TestCloud } from "../../support/local-cloud.js";

let world: TestCloud;

function fleetVehicle(index: number, now: Date, overrides: Partial<FleetVehicle> = {}): FleetVehicle {
  return {
    vin: `WDB${String(index).padStart(14, "0")}`,
    make: "FleetOTA",
    model: "Test",
    modelYear: 2025,
    hardwareId: "hu-3",
    region: "eu-central",
    lat: 48 + index / 100,
    lon: 11 + index / 100,
    speedKph: 0,
    stateOfCharge: 20 + index,
    charging: false,
    connectivity: "good",
    firmwareVersion: index % 2 ? "2.3.0" : "2.4.0",
    parked: true,
    lastSeen: new Date(now.getTime() - 30_000).toISOString(),
    ...overrides,
  };
}

async function readJson<T>(key: string): Promise<T | undefined> {
  try {
    const response = await world.clients.s3.send(new GetObjectCommand({ Bucket: world.outputs.dashboard_bucket_name, Key: key }));
    return JSON.parse(await response.Body!.transformToString()) as T;
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}

test.before(async () => {
  world = await startTestCloud({ runtime: true, runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0 } });
});

test.after(async () => {
  await world?.stop();
});

test("a scheduled run publishes fleet, campaigns, alarms and queues from the emulator", async () => {
  // prepare: fleet state parts as the telemetry processor writes them, a campaign, a metric, a dead letter
  const { s3, sqs, cloudwatch, dynamodb } = world.clients;
  const { outputs } = world;
  const now = new Date();
  await writeFleetStatePart(s3, outputs.data_bucket_name, [fleetVehicle(1, now), fleetVehicle(2, now)], now, "part-a");
  await writeFleetStatePart(s3, outputs.data_bucket_name, [fleetVehicle(3, now, { connectivity: "offline" })], now, "part-b");
  const doc = DynamoDBDocumentClient.from(dynamodb);
  const campaign = await dynamoCampaignStore({ doc, table: outputs.state_table_name }).campaigns.create(parseCampaignDefinition({ name: "brakes", targetVersion: "2.4.0" }), {
    now: now.toISOString(),
  });
  // One failed job, as the update manager leaves it (its item and the campaign's counter), for the campaign page.
  const vin = "1HGCM82633A004352";
  await doc.send(
    new PutCommand({
      TableName: outputs.state_table_name,
      Item: {
        pk: campaignPk(campaign.campaignId),
        sk: jobSk(vin),
        gsi1pk: jobStateIndexPk(campaign.campaignId, "FAILED"),
        gsi1sk: `${now.toISOString()}#${vin}`,
        type: "job",
        state: "FAILED",
        stateReason: "install failed: E_NO_SPACE",
        nextRetryAt: new Date(now.getTime() + 600_000).toISOString(),
      },
    }),
  );
  await doc.send(
    new UpdateCommand({
      TableName: outputs.state_table_name,
      Key: { pk: campaignPk(campaign.campaignId), sk: CAMPAIGN_SK },
      UpdateExpression: "ADD #failed :one",
      ExpressionAttributeNames: { "#failed": countAttr("FAILED") },
      ExpressionAttributeValues: { ":one": 1 },
    }),
  );
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: outputs.metrics_namespace,
      MetricData: [{ MetricName: METRIC.DataPoints, Value: 1234, Unit: "Count", Timestamp: new Date(now.getTime() - 60_000) }],
    }),
  );
  await sqs.send(new SendMessageCommand({ QueueUrl: outputs.telemetry_dlq_url, MessageBody: JSON.stringify({ poison: true }) }));
  await parkFailureRecord(
    s3,
    outputs.data_bucket_name,
    parkedFailure({ source: "telemetry-processor", identity: ["a"], reason: "object-missing", detail: "s3://x/telemetry/a no longer exists", message: "{}", at: now }),
  );
  await world.cloud.runtime!.evaluateAlarms();

  // act
  const outcomes = await world.cloud.runtime!.fireSchedule(`${outputs.name_prefix}-dashboard-publisher-schedule`);

  // assess
  assert.ok(outcomes.length > 0, "the schedule has a target");
  const fleet = await readJson<FleetDocument>("data/fleet.json");
  assert.equal(fleet?.totals.vehicles, 3);
  assert.equal(fleet?.totals.offline, 1);
  assert.equal(fleet?.firmware.map((entry) => [entry.label, entry.vehicles]), [["2.3.0", 2], ["2.4.0", 1]]);

  const campaigns = await readJson<CampaignsDocument>("data/campaigns.json");
  assert.equal(campaigns?.campaigns.map((entry) => [entry.campaignId, entry.state, entry.hasPage]), [[campaign.campaignId, "DRAFT", true]]);
  const page = await readJson<CampaignPageDocument>(`data/campaigns/${campaign.campaignId}.json`);
  assert.equal(page?.failureReasons, [{ state: "FAILED", reason: "install failed: E_NO_SPACE", count: 1 }]);
  assert.equal([page?.retries.waiting, page?.reasonSample.read, page?.reasonSample.of], [1, 1, 1]);
  assert.equal(page?.history.map((entry) => entry.to), ["DRAFT"]);
  assert.equal(page?.waves.map((wave) => wave.status), ["pending"]);

  const queues = await readJson<QueuesDocument>("data/queues.json");
  assert.is(queues?.queues.find((queue) => queue.role === "telemetry-dlq")?.visible, 1);
  assert.ok(queues?.queues.every((queue) => queue.error === null));

  const hand = await readJson<NeedsAHandDocument>("data/needs-a-hand.json");
  assert.equal(hand?.errors, []);
  assert.equal(hand?.parked.items.map((item) => [item.reason, item.command]), [["object-missing", "fleetota parked --source telemetry-processor --reason object-missing"]]);
  assert.equal(hand?.deadLetters.items.map((item) => [item.queue, item.receiveCount > 0, item.kind, item.reason, item.command]), [
    ["telemetry-dlq", true, "invalid-message", "not an S3 event: event has no detail-type", "fleetota redrive --queue telemetry --dry-run (malformed: a redrive cannot fix it; look, then fix the sender)"],
  ]);
  assert.is(hand?.alarmChangesSource, "observed", "moto has no DescribeAlarmHistory");
  assert.ok(hand?.alarmChanges.some((change) => change.alarm === `${outputs.name_prefix}-telemetry-dlq-not-empty` && change.state === "ALARM"));

  const alarms = await readJson<AlarmsDocument>("data/alarms.json");
  assert.ok((alarms?.alarms.length ?? 0) > 0);
  assert.ok(alarms?.alarms.every((alarm) => alarm.name.startsWith(`${outputs.name_prefix}-`)));
  assert.is(alarms?.alarms.find((alarm) => alarm.name === `${outputs.name_prefix}-telemetry-dlq-not-empty`)?.state, "ALARM");
});

test("the trends: a run between two refreshes asks for no trend metric and leaves telemetry.json; the next window's first run refreshes it", async () => {
  // prepare: the publisher's runs as its EventBridge rule sends them, at chosen times
  const publisher = world.cloud.description.functions.find((fn) => fn.functionName.endsWith("-dashboard-publisher"))!;
  const everyMinutes = Number(publisher.environment[ENV.DASHBOARD_TRENDS_EVERY_MINUTES]);
  const windowStart = Math.floor(Date.now() / (everyMinutes * 60_000)) * everyMinutes * 60_000;
  const run = async (at: number) => {
    world.cloud.census.reset();
    const event = scheduledEvent({ ruleName: `${world.outputs.name_prefix}-dashboard-publisher-schedule`, accountId: LOCAL_ACCOUNT_ID, region: world.cloud.description.region }, new Date(at + 7_000));
    const report = (await world.cloud.runtime!.invoke(publisher.functionName, event)) as PublishReport;
    const census = world.cloud.census.snapshot();
    return {
      report,
      metrics: census.units[`function:${publisher.functionName}`]?.metrics ?? 0,
      metricRequests: census.requests[`function:${publisher.functionName} monitoring:GetMetricData`] ?? 0,
    };
  };

  // act: the first run of a window, one a minute later, the first run of the next window
  const due = await run(windowStart);
  const afterDue = await world.clients.s3.send(new GetObjectCommand({ Bucket: world.outputs.dashboard_bucket_name, Key: "data/telemetry.json" }));
  const bodyAfterDue = await afterDue.Body!.transformToString();
  const skipped = await run(windowStart + 60_000);
  const afterSkip = await world.clients.s3.send(new GetObjectCommand({ Bucket: world.outputs.dashboard_bucket_name, Key: "data/telemetry.json" }));
  const bodyAfterSkip = await afterSkip.Body!.transformToString(); // read now: a body left open errors unhandled when the emulator stops
  const next = await run(windowStart + everyMinutes * 60_000);
  const afterNext = await readJson<TelemetryDocument>("data/telemetry.json");

  // assess
  assert.is(everyMinutes, 5, "the stack's default");
  const refreshed = JSON.parse(bodyAfterDue) as TelemetryDocument;
  assert.is(refreshed.series.find((series) => series.metric === METRIC.DataPoints && series.stat === "Sum")?.latest, 1234);
  assert.is(refreshed.refreshEverySeconds, 300);
  assert.ok(due.report.written.some((entry) => entry.name === "telemetry.json"));

  assert.equal(skipped.report.skipped.map((entry) => entry.name), ["telemetry.json"]);
  assert.not.ok(skipped.report.written.some((entry) => entry.name === "telemetry.json"));
  assert.ok(skipped.report.written.some((entry) => entry.name === "queues.json"), "everything else is still written every run");
  assert.is(due.metrics - skipped.metrics, TELEMETRY_TRENDS.length, "the skipped run asks for none of the trend metrics");
  assert.is(due.metricRequests - skipped.metricRequests, 1);
  assert.is(bodyAfterSkip, bodyAfterDue, "telemetry.json is left as it was");
  assert.is(afterSkip.ETag, afterDue.ETag);

  assert.is(next.metrics, due.metrics);
  assert.ok(Date.parse(afterNext!.generatedAt) > Date.parse(refreshed.generatedAt), "refreshed again");
});

test("the release calendar: under 7 days (or expired) a line with the command in needs-a-hand; read at the trends' refreshes, carried between", async () => {
  // prepare: published roots and image targets in the data bucket, as a ceremony and a release leave them
  const { s3 } = world.clients;
  const bucket = world.outputs.data_bucket_name;
  const publisher = world.cloud.description.functions.find((fn) => fn.functionName.endsWith("-dashboard-publisher"))!;
  const windowStart = Math.floor(Date.now() / 300_000) * 300_000;
  const inDays = (days: number) => new Date(windowStart + days * 86_400_000);
  const keyFile = generateOfflineKey("calendar");
  const keys = [tufKey(keyFile)];
  const signed = <M extends Parameters<typeof signWithKeyFile>[0]>(metadata: M) => (signWithKeyFile(metadata, keyFile), metadata);
  const root = (days: number) => signed(buildRoot({ version: 1, expires: inDays(days), rootKeys: keys, rootThreshold: 1, targetsKeys: keys, targetsThreshold: 1 }));
  const image = { name: "primary-2.4.0.bin", length: 1, sha256: "a".repeat(64), custom: { version: "2.4.0", ecu: "primary", hardwareIds: ["hu-3"], antiRollbackCounter: 0 } };
  const targetsV1 = signed(nextImageTargets(undefined, image, inDays(10)));
  const put = (key: string, metadata: { toJSON(): unknown }) => publishOnce(s3, bucket, key, JSON.stringify(metadata.toJSON()), "application/json");
  await put(REPOSITORY_LAYOUT.imageRoot(1), root(3.5));
  await put(REPOSITORY_LAYOUT.directorRoot(1), root(200));
  await put(REPOSITORY_LAYOUT.imageTargets(1), targetsV1);
  const run = async (at: number) => {
    const event = scheduledEvent({ ruleName: `${world.outputs.name_prefix}-dashboard-publisher-schedule`, accountId: LOCAL_ACCOUNT_ID, region: world.cloud.description.region }, new Date(at + 7_000));
    await world.cloud.runtime!.invoke(publisher.functionName, event);
    return (await readJson<NeedsAHandDocument>("data/needs-a-hand.json"))!;
  };

  // act: a refresh run; a release of targets 2 that expired (a stale signing), then a run between refreshes and the next refresh
  const first = await run(windowStart);
  const targetsV2 = signed(nextImageTargets(targetsV1, image, inDays(-1)));
  await put(REPOSITORY_LAYOUT.imageTargets(2), targetsV2);
  const between = await run(windowStart + 60_000);
  const next = await run(windowStart + 300_000);
  // then targets 3 that no release key signed (written by someone who holds none): they do not verify
  await put(REPOSITORY_LAYOUT.imageTargets(3), nextImageTargets(targetsV2, image, inDays(10)));
  const unsigned = await run(windowStart + 600_000);

  // assess
  assert.equal(first.errors, []);
  assert.equal(first.expiry.published.map((entry) => [entry.what, entry.version]), [["image targets", 1], ["image root", 1], ["director root", 1]]);
  assert.equal(first.expiry.warnings.map((warning) => warning.what), ["image root"], "10 and 200 days left: no line");
  assert.match(first.expiry.warnings[0]!.line, /^image root 1 expires in 3 days \(/);
  assert.match(first.expiry.warnings[0]!.remedy, /^fleetota keys rotate-image-root /);

  assert.is(between.expiry.readAt, first.expiry.readAt, "not read between refreshes");
  assert.equal(between.expiry.warnings.map((warning) => warning.what), ["image root"]);

  assert.ok(Date.parse(next.expiry.readAt!) > Date.parse(first.expiry.readAt!));
  assert.equal(next.expiry.warnings.map((warning) => [warning.what, warning.version, warning.expired]), [["image targets", 2, true], ["image root", 1, false]]);
  assert.match(next.expiry.warnings[0]!.line, /^image targets 2 EXPIRED at .*: vehicles refuse it$/);
  assert.match(next.expiry.warnings[0]!.remedy, /^fleetota release refresh --key /);

  // job documents wait: the targets' signatures checked at the first run and again when a version changed, carried between
  assert.equal([first.targets?.check?.verifies, first.targets?.check?.targetsVersion, first.targets?.held], [true, 1, null]);
  assert.is(between.targets?.check?.checkedAt, first.targets?.check?.checkedAt, "not checked again between refreshes");
  assert.equal([next.targets?.check?.verifies, next.targets?.check?.targetsVersion, next.targets?.held?.cause, next.targets?.held?.command], [true, 2, "image-targets-expired", "fleetota release refresh --key <release key>"]);
  assert.equal([unsigned.targets?.check?.verifies, unsigned.targets?.check?.targetsVersion, unsigned.targets?.held?.cause, unsigned.targets?.held?.command], [false, 3, "image-targets-unverifiable", "fleetota release status"]);
  assert.match(unsigned.targets!.held!.line, /^image targets 3 do not verify under image root 1 \(/);
  assert.equal(unsigned.errors, []);
});

test("documents are stored as uncached JSON so the page sees every run", async () => {
  const head = await world.clients.s3.send(new HeadObjectCommand({ Bucket: world.outputs.dashboard_bucket_name, Key: "data/queues.json" }));

  assert.match(head.ContentType ?? "", /^application\/json/);
  assert.match(head.CacheControl ?? "", /no-cache/);
});

test("the run compacts the fleet-state parts it read into the snapshot", async () => {
  const listed = await world.clients.s3.send(
    new ListObjectsV2Command({ Bucket: world.outputs.data_bucket_name, Prefix: FLEET_STATE_PARTS_PREFIX }),
  );

  assert.is(listed.KeyCount ?? 0, 0);
  assert.is((await readJson<FleetDocument>("data/fleet.json"))?.totals.vehicles, 3);
  // the snapshot is written in lines and decodes from the SDK's streaming body
  const object = await world.clients.s3.send(new GetObjectCommand({ Bucket: world.outputs.data_bucket_name, Key: FLEET_SNAPSHOT_KEY }));
  const snapshot = await decodeFleetSnapshot(object.Body as Readable);
  assert.is(object.ContentType, "application/x-ndjson");
  assert.is(snapshot.lines, true);
  assert.is(snapshot.vehicles.length, 3);
});

test("serveDashboard serves the published documents from the dashboard bucket", async () => {
  const server = await serveDashboard({
    webDir: "dist/web",
    async readData(key) {
      const body = await readJson<unknown>(key);
      return body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    },
  });
  try {
    const fleet = (await (await fetch(new URL("data/fleet.json", server.url))).json()) as FleetDocument;
    const missing = await fetch(new URL("data/nothing.json", server.url));
    await missing.arrayBuffer();

    assert.is(fleet.totals.vehicles, 3);
    assert.is(missing.status, 404);
  } finally {
    await server.close();
  }
});

test.run();
