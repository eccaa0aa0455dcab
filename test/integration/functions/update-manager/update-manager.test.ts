/**
 * The update manager and the rollout ticker on the local cloud (moto + the local runtime running the
 * deployed bundles), through the real update queue, with the real SDK: a campaign started by command,
 * candidates admitted with signed job documents, reports applied once and in order, the ticker
 * completing the campaign, and messages that can never apply parked with their reason and counted.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DEFAULT_ECU } from "../../../../uptane/metadata.js";
import { verifyJobBundle } from "../../../../uptane/vehicle-verification.js";
import { listCampaignSummaries, listJobs } from "../../../../campaigns/read-model.js";
import { ALARM_SUFFIX, METRIC } from "../../../../contracts/metrics.js";
import { PARKED_SOURCE } from "../../../../contracts/parked-failure.js";
import type { UpdateMessage } from "../../../../contracts/update-messages.js";
import { listParkedFailures } from "../../../../lib/parked-failures.js";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { fleetTelemetryKey, vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { changeGatewayVehicles } from "../../../../identity/gateway-vehicles.js";
import { rejectedRecordsKey } from "../../../../functions/telemetry-processor/quarantine.js";
import { OBJECT_PK_PREFIX } from "../../../../functions/telemetry-processor/idempotency.js";
import { CAMPAIGNS_CACHE_MS } from "../../../../functions/telemetry-processor/campaign-cache.js";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { OtaReport } from "../../../../telemetry/schema.js";
import { telemetryRecord } from "../../../unit/telemetry/support/factories.js";
import { startLocalCloud, type LocalCloud } from "../../../../local/cloud.js";
import { evaluateAlarmAtItsData } from "../../support/alarm-at-data.js";
import { LOCAL_PRINCIPAL_KEY } from "../../../../local/identity/local-principals.js";
import {
  campaignWorld,
  candidate,
  command,
  jobHistory,
  newRunningCampaign as runningCampaign,
  readJobDocument,
  registerVehicles,
  report,
  sendBodies, sendUpdateMessages,
  snapshot,
  vinNumber,
  type CampaignWorld,
} from "../../campaigns/support/world.js";
import { storedRejectedRecords } from "../../support/rejected-records.js";

let cloud: LocalCloud;
let world: CampaignWorld;
const IDLE_MS = 60_000;

async function settle(): Promise<void> {
  await cloud.runtime!.waitForIdle(IDLE_MS);
}

const newRunningCampaign = (version: string, overrides: Record<string, unknown> = {}) => runningCampaign(world, settle, version, overrides);

async function queueDepth(queueUrl: string): Promise<number> {
  const response = await world.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  return Number(response.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

test.before(async () => {
  cloud = await startLocalCloud({
    runtime: true,
    stateFile: false,
    ...(process.env.FLEETOTA_TEST_LOG ? { log: console } : {}),
    runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0, pollWaitSeconds: 1 },
  });
  world = await campaignWorld(cloud);
  // Test speed-up: redeliver failed messages after 2 s instead of 6 × the function timeout. It must be set
  // before the first receive (moto keeps applying the old value otherwise). Redelivery of a slow batch is
  // harmless here: every consumer is idempotent.
  for (const queueUrl of [world.updateQueueUrl, world.commandQueueUrl]) await world.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { VisibilityTimeout: "2" } }));
});

test.after(async () => {
  await cloud?.stop();
});

test("start through the queue, then candidates: matching vehicles get a job and a verifiable signed document", async () => {
  const campaignId = await newRunningCampaign("2.4.0", { selector: { makes: ["Honda"], models: ["Accord"] } });
  const [ready, driving, other] = [vinNumber(1), vinNumber(2), vinNumber(3)];

  await sendUpdateMessages(world, [
    candidate(snapshot(ready)),
    candidate(snapshot(driving, { parked: false })),
    candidate(snapshot(other, { make: "Ford" })),
  ]);
  await settle();

  const queued = await world.store.jobs.get(campaignId, ready);
  const deferred = await world.store.jobs.get(campaignId, driving);
  assert.is(queued?.state, "QUEUED");
  assert.is(queued?.documentPublishedAttempt, 1);
  assert.is(deferred?.state, "DEFERRED");
  assert.is(deferred?.stateReason, "not parked");
  assert.is(await world.store.jobs.get(campaignId, other), undefined);

  const ecus = { [DEFAULT_ECU]: { hardwareId: "hu-3", version: "2.3.1", antiRollbackCounter: 6 } };
  const verdict = verifyJobBundle(await readJobDocument(world, ready), world.local.trust, { vin: ready, ecus, now: new Date() });
  assert.ok(verdict.ok, JSON.stringify(verdict));
  const wrongVehicle = verifyJobBundle(await readJobDocument(world, ready), world.local.trust, { vin: driving, ecus, now: new Date() });
  assert.is(wrongVehicle.ok ? "" : wrongVehicle.refusal.kind, "WRONG_VIN");

  const summary = (await listCampaignSummaries(world.store)).find((c) => c.campaignId === campaignId)!;
  assert.is(summary.state, "RUNNING");
  assert.is(summary.eligible, 2);
  assert.is(summary.admitted, 2);
  assert.is(summary.counts.QUEUED, 1);
  assert.is(summary.counts.DEFERRED, 1);
});

test("targeting trusts the registry: a vehicle registered as a Honda that claims to be a Tesla is not admitted to a Tesla campaign (nor is an unregistered one); an honest Tesla is, and the refusals are counted", async () => {
  const campaignId = await newRunningCampaign("2.8.0", { selector: { makes: ["Tesla"] }, waves: [{ count: 1, soakMinutes: 0, successThresholdPercent: 100 }, { percent: 100 }] });
  const [liar, stranger, honest] = [vinNumber(41), vinNumber(42), vinNumber(43)];
  const tesla = { make: "Tesla", model: "Model 3" };
  // Registered as `fleetota vehicles register` does, through the real SDK into the emulator's AWS IoT.
  await registerVehicles(world, [{ vin: liar, make: "Honda", model: "Accord", hardware: "hu-3" }, { vin: honest, make: "Tesla", model: "Model_3", hardware: "hu-3" }]);

  // The liar comes first, for the first wave's only slot; the stranger has no thing at all.
  await sendUpdateMessages(world, [candidate(snapshot(liar, tesla)), candidate(snapshot(stranger, tesla))], { registerCandidates: false });
  await settle();
  await sendUpdateMessages(world, [candidate(snapshot(honest, tesla))], { registerCandidates: false });
  await settle();

  assert.is(await world.store.jobs.get(campaignId, liar), undefined, "the vehicle that lied about its make got no job");
  assert.is(await world.store.jobs.get(campaignId, stranger), undefined, "the unregistered vehicle got no job");
  assert.is(await world.store.targets.isKnown(campaignId, liar), false, "nor is the liar waiting for a later wave");
  assert.is(await world.store.targets.isKnown(campaignId, stranger), false);
  const admitted = await world.store.jobs.get(campaignId, honest);
  assert.is(admitted?.state, "QUEUED", "the honest vehicle took the first wave's slot");
  assert.is(admitted?.wave, 0);
  const campaign = (await world.store.campaigns.get(campaignId))!;
  assert.is(campaign.eligible, 1);
  assert.is(campaign.admitted, 1);
  assert.is(await queueDepth(world.updateDlqUrl), 0, "refusals are not failures: nothing dead-lettered");

  const cloudwatch = new CloudWatchClient(cloud.clientConfig);
  for (const reason of ["description-mismatch", "unregistered"]) {
    const stats = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: world.metricsNamespace,
        MetricName: METRIC.CandidatesRefused,
        Dimensions: [{ Name: "Reason", Value: reason }],
        StartTime: new Date(Date.now() - 3_600_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 3600,
        Statistics: ["Sum"],
      }),
    );
    assert.ok((stats.Datapoints?.[0]?.Sum ?? 0) >= 1, `${METRIC.CandidatesRefused} counted for ${reason}`);
  }
  // The operator hears of it: the stack's alarm on the lie, evaluated by the local cloud as CloudWatch would.
  const lying = await evaluateAlarmAtItsData(cloud, "candidates-refused");
  assert.is(lying?.state, "ALARM", "the candidates-refused alarm fired");
});

test("reports apply once, in sequence order; duplicates and stale ones change nothing; the ticker completes the campaign", async () => {
  const campaignId = await newRunningCampaign("2.5.0", { selector: { models: ["Civic"] } });
  const [first, second] = [vinNumber(11), vinNumber(12)];
  const civic = { model: "Civic" };
  await sendUpdateMessages(world, [candidate(snapshot(first, civic)), candidate(snapshot(second, { ...civic, stateOfCharge: 10 }))]);
  await settle();

  await sendUpdateMessages(world, [
    report(campaignId, first, 1, "DOWNLOADING"),
    report(campaignId, first, 2, "INSTALLING"),
    report(campaignId, first, 4, "SUCCEEDED", "2.5.0"),
  ]);
  await settle();
  await sendUpdateMessages(world, [
    report(campaignId, first, 3, "VERIFYING"),
    report(campaignId, first, 4, "SUCCEEDED", "2.5.0"),
    report(campaignId, first, 2, "INSTALLING"),
    candidate(snapshot(second, { ...civic, stateOfCharge: 90 })),
  ]);
  await settle();

  const done = await world.store.jobs.get(campaignId, first);
  assert.is(done?.state, "SUCCEEDED");
  assert.is(done?.lastSequence, 4);
  assert.is(done?.firmwareVersion, "2.5.0");
  const history = await jobHistory(world, campaignId, first);
  assert.is(history.at(-1)?.to, "SUCCEEDED");
  assert.is(history.filter((record) => record.to === "SUCCEEDED").length, 1);
  const secondJob = await world.store.jobs.get(campaignId, second);
  assert.is(secondJob?.state, "QUEUED", "a charged vehicle leaves DEFERRED");

  await sendUpdateMessages(world, [report(campaignId, second, 1, "DOWNLOADING"), report(campaignId, second, 2, "SUCCEEDED", "2.5.0")]);
  await settle();
  await cloud.runtime!.fireSchedule(world.tickerRule);
  await settle();

  const campaign = await world.store.campaigns.get(campaignId);
  assert.is(campaign?.state, "COMPLETED");
  assert.is(campaign?.counts.SUCCEEDED, 2);
  assert.is(campaign?.outcomes.succeeded, 2, "counters count each success once despite duplicates");
  const jobs = await listJobs(world.store, campaignId, "SUCCEEDED");
  assert.equal(jobs.map((job) => job.vin), [first, second].sort());

  const cloudwatch = new CloudWatchClient(cloud.clientConfig);
  const stats = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: world.metricsNamespace,
      MetricName: METRIC.UpdatesSucceeded,
      StartTime: new Date(Date.now() - 3_600_000),
      EndTime: new Date(Date.now() + 60_000),
      Period: 3600,
      Statistics: ["Sum"],
    }),
  );
  assert.ok((stats.Datapoints?.[0]?.Sum ?? 0) >= 2, "OTAUpdates/Succeeded published");
});

/** The update manager's Reliability/MessagesParked sum for one reason over the last hour. */
async function parkedInLastHour(reason: string): Promise<number> {
  const stats = await new CloudWatchClient(cloud.clientConfig).send(
    new GetMetricStatisticsCommand({
      Namespace: world.metricsNamespace,
      MetricName: METRIC.MessagesParked,
      Dimensions: [
        { Name: "Source", Value: PARKED_SOURCE.UpdateManager },
        { Name: "Reason", Value: reason },
      ],
      StartTime: new Date(Date.now() - 3_600_000),
      EndTime: new Date(Date.now() + 60_000),
      Period: 3600,
      Statistics: ["Sum"],
    }),
  );
  return stats.Datapoints?.[0]?.Sum ?? 0;
}

test("reports that can never apply are parked with their reason and counted, never dead-lettered; the genuine ones still apply", async () => {
  const campaignId = await newRunningCampaign("2.6.0", { selector: { models: ["Pilot"] } });
  const [vin, neighbour, stranger] = [vinNumber(21), vinNumber(23), vinNumber(22)];
  await sendUpdateMessages(world, [candidate(snapshot(vin, { model: "Pilot" })), candidate(snapshot(neighbour, { model: "Pilot" }))]);
  await settle();
  const neighbourBefore = await world.store.jobs.get(campaignId, neighbour);
  const dlqBefore = await queueDepth(world.updateDlqUrl);
  const started = new Date(Date.now() - 1_000);

  const forged = { ...(report(campaignId, vin, 1, "SUCCEEDED", "2.6.0") as Extract<UpdateMessage, { kind: "status-report" }>), jobId: `${campaignId}:${neighbour}`, idempotencyKey: `${campaignId}:${neighbour}#1#1` };
  const forgedAgain = { ...forged, sequence: 2, idempotencyKey: `${campaignId}:${neighbour}#1#2` };
  await sendUpdateMessages(world, [
    "{not json",
    JSON.stringify({ kind: "status-report", vin: "short" }),
    report(campaignId, stranger, 1, "DOWNLOADING"),
    forged,
    forgedAgain,
    report(campaignId, vin, Number.MAX_SAFE_INTEGER, "FAILED"),
    report(campaignId, vin, 1, "SUCCEEDED", "2.3.1"),
    report(campaignId, vin, 1, "DOWNLOADING", "2.3.1", 2),
  ]);
  await settle();

  assert.is(await queueDepth(world.updateDlqUrl), dlqBefore, "nothing dead-lettered: a redrive could fix none of them");
  const parked = (await listParkedFailures(world.s3, world.bucket, { source: PARKED_SOURCE.UpdateManager })).filter((failure) => failure.parkedAt >= started.toISOString());
  const reasons = parked.map((failure) => failure.reason).sort();
  assert.equal(reasons, ["invalid-update-message", "invalid-update-message", "other-vehicle", "sequence-jump", "unknown-attempt", "unknown-job", "wrong-firmware"]);
  assert.ok(parked.every((failure) => failure.detail.length > 0 && failure.message.length > 0));
  assert.is(parked.find((failure) => failure.reason === "other-vehicle")?.count, 2, "both forged reports in one record (a conditional rewrite on the emulator)");
  assert.equal(await world.store.jobs.get(campaignId, neighbour), neighbourBefore, "the neighbour's job is untouched by the forged SUCCEEDED");
  assert.is((await world.store.jobs.get(campaignId, vin))?.state, "QUEUED");
  assert.is(await world.store.jobs.get(campaignId, stranger), undefined);

  for (const reason of ["sequence-jump", "wrong-firmware", "other-vehicle", "unknown-job"]) {
    assert.ok((await parkedInLastHour(reason)) >= 1, `${METRIC.MessagesParked} counted for ${reason}`);
  }

  await sendUpdateMessages(world, [report(campaignId, vin, 1, "DOWNLOADING"), report(campaignId, vin, 2, "INSTALLING")]);
  await settle();
  const moving = await world.store.jobs.get(campaignId, vin);
  assert.is(moving?.state, "IN_PROGRESS", "the genuine reports apply after the refused ones");
  assert.is(moving?.lastSequence, 2);
});

test("vehicle A's own object speaks only for A: B's record is quarantined, A's report on B's job is held back (counted), B's job is unchanged", async () => {
  const campaignId = await newRunningCampaign("2.7.0", { selector: { models: ["Odyssey"] } });
  const [a, b] = [vinNumber(31), vinNumber(32)];
  await sendUpdateMessages(world, [candidate(snapshot(a, { model: "Odyssey" })), candidate(snapshot(b, { model: "Odyssey" }))]);
  await settle();
  const bBefore = await world.store.jobs.get(campaignId, b);
  const aBefore = await world.store.jobs.get(campaignId, a);
  assert.is(bBefore?.state, "QUEUED");
  const started = new Date(Date.now() - 1_000).toISOString();

  const success = (jobVin: string): OtaReport => ({ jobId: `${campaignId}:${jobVin}`, campaignId, attempt: 1, sequence: 1, status: "SUCCEEDED", targetVersion: "2.7.0" });
  const line = (vin: string, ota?: OtaReport) =>
    JSON.stringify({ ...telemetryRecord({ vin, ts: new Date().toISOString(), vehicle: { model: "Odyssey" }, firmware: { version: "2.7.0" } }), ...(ota ? { ota } : {}) });
  const key = vehicleTelemetryKey(a, Date.now(), "forged");
  const put = await world.s3.send(
    new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: [line(a), line(b, success(b)), line(a, success(b))].join("\n") + "\n" }),
  );
  await settle();

  assert.equal(await world.store.jobs.get(campaignId, b), bBefore, "B's job is exactly as it was");
  assert.is((await world.store.jobs.get(campaignId, a))?.state, aBefore?.state, "A's job did not take B's success either");
  const entries = (await storedRejectedRecords(world.s3, world.bucket, rejectedRecordsKey({ bucket: world.bucket, key, etag: put.ETag!.replaceAll('"', ""), size: 0, createdAtMs: 0 })))!.lines;
  assert.equal(entries.map((entry) => [entry.line, entry.refusal]), [[2, "other-vehicle"]], "B's record, with the reason");
  const parked = (await listParkedFailures(world.s3, world.bucket, { source: PARKED_SOURCE.UpdateManager })).filter(
    (failure) => failure.parkedAt >= started && failure.message.includes(`${campaignId}:${b}`),
  );
  assert.equal(parked, [], "A's own record naming B's job never reached the update queue (review 25, R25-03)");
  assert.is((await ledgerOutcome(key, put.ETag!))?.statusReportsHeldBack, 1);
  assert.ok((await heldBackInLastHour("other-vehicle")) >= 1, `${METRIC.StatusReportsHeldBack} counted for other-vehicle`);
});

/** The deployed telemetry processor's function name. */
const processorName = (): string => Object.keys(cloud.runtime!.counters().functions).find((name) => name.endsWith("telemetry-processor"))!;

/** The processor's Telemetry/StatusReportsHeldBack sum for one reason over the last hour. */
async function heldBackInLastHour(reason: string): Promise<number> {
  const stats = await new CloudWatchClient(cloud.clientConfig).send(
    new GetMetricStatisticsCommand({
      Namespace: world.metricsNamespace,
      MetricName: METRIC.StatusReportsHeldBack,
      Dimensions: [{ Name: "Reason", Value: reason }],
      StartTime: new Date(Date.now() - 3_600_000),
      EndTime: new Date(Date.now() + 60_000),
      Period: 3600,
      Statistics: ["Sum"],
    }),
  );
  return stats.Datapoints?.[0]?.Sum ?? 0;
}

/** What the processor's ledger recorded for an object it completed: among it, how many status reports and candidates it sent. */
async function ledgerOutcome(key: string, etag: string): Promise<Record<string, number> | undefined> {
  const item = await world.doc.send(new GetCommand({ TableName: world.table, Key: { pk: `${OBJECT_PK_PREFIX}${world.bucket}/${key}`, sk: etag.replaceAll('"', "") } }));
  return item.Item?.outcome as Record<string, number> | undefined;
}

test("review 25, R25-03: a vehicle's objects of 64 made-up campaigns' reports put none on the update queue (counted); its own install, failure, retry and success inside one hourly object end exactly as before", async () => {
  const campaignId = await newRunningCampaign("3.7.0", { selector: { models: ["Ridgeline"] }, retries: { max: 2, backoffBaseSeconds: 1, backoffCapSeconds: 1 } });
  const vin = vinNumber(41);
  await sendUpdateMessages(world, [candidate(snapshot(vin, { model: "Ridgeline" }))]);
  await settle();
  assert.is((await world.store.jobs.get(campaignId, vin))?.state, "QUEUED");
  const started = new Date(Date.now() - 1_000).toISOString();
  const heldBefore = await heldBackInLastHour("unknown-campaign");

  let seq = 0;
  const line = (ota?: { attempt: number; sequence: number; status: string; campaignId?: string }, firmware = ota?.status === "SUCCEEDED" ? "3.7.0" : "2.3.1") =>
    JSON.stringify({
      ...telemetryRecord({ vin, seq: ++seq, ts: new Date().toISOString(), vehicle: { model: "Ridgeline" }, firmware: { version: firmware } }),
      ...(ota ? { ota: { jobId: `${ota.campaignId ?? campaignId}:${vin}`, campaignId: ota.campaignId ?? campaignId, targetVersion: "3.7.0", ...ota } } : {}),
    });
  const flood = () => Array.from({ length: 64 }, (_, n) => line({ campaignId: `c-made-up-${seq}-${n}`, attempt: 1, sequence: 1, status: "FAILED" }));
  const attemptOne = [line({ attempt: 1, sequence: 1, status: "DOWNLOADING" }), line({ attempt: 1, sequence: 2, status: "INSTALLING" }), line({ attempt: 1, sequence: 3, status: "FAILED" })];
  const upload = async (name: string, lines: string[]) => {
    const key = vehicleTelemetryKey(vin, Date.now(), name);
    const put = await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: lines.join("\n") + "\n" }));
    await settle();
    return (await ledgerOutcome(key, put.ETag!))!;
  };

  // The agent's upload at the failure, with a flood beside it.
  const first = await upload("failed", [...attemptOne, ...flood()]);
  assert.equal([first.statusReports, first.statusReportsHeldBack], [3, 64], "the attempt's 3 reports sent, the 64 made-up ones held back");
  const failed = await world.store.jobs.get(campaignId, vin);
  assert.equal([failed?.state, failed?.attempt], ["FAILED", 1]);
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // the 1 s backoff
  await cloud.runtime!.fireSchedule(world.tickerRule);
  await settle();
  assert.is((await world.store.jobs.get(campaignId, vin))?.attempt, 2, "retried");

  // The hourly object: the whole hour, attempt 1 again, then the retry to success with deferrals and heartbeats, and another flood.
  const attemptTwo = (
    [[4, "DEFERRED"], [5, "DEFERRED"], [6, "DOWNLOADING"], [7, "DOWNLOADING"], [8, "DOWNLOADING"], [9, "INSTALLING"], [10, "VERIFYING"], [11, "SUCCEEDED"]] as const
  ).map(([sequence, status]) => line({ attempt: 2, sequence, status }));
  const hourly = await upload("hourly", [line(), ...attemptOne, ...flood(), ...attemptTwo, line(undefined, "3.7.0")]);
  assert.ok(hourly.statusReports! + hourly.candidates! <= 8, JSON.stringify(hourly));
  assert.equal([hourly.statusReports, hourly.statusReportsHeldBack], [7, 3 + 64], "attempt 2's reports (a heartbeat collapsed); attempt 1's (the job is past it) and the flood held back");

  const job = await world.store.jobs.get(campaignId, vin);
  assert.equal([job?.state, job?.attempt, job?.lastSequence, job?.firmwareVersion], ["SUCCEEDED", 2, 11, "3.7.0"]);
  const history = (await jobHistory(world, campaignId, vin)).map((record) => record.to);
  assert.equal(history.slice(-5), ["DEFERRED", "IN_PROGRESS/DOWNLOADING", "IN_PROGRESS/INSTALLING", "IN_PROGRESS/VERIFYING", "SUCCEEDED"]);
  const campaign = await world.store.campaigns.get(campaignId);
  assert.equal([campaign?.outcomes.failed, campaign?.outcomes.succeeded], [1, 1], "one failure, one success: each attempt counted once");
  const parked = (await listParkedFailures(world.s3, world.bucket, { source: PARKED_SOURCE.UpdateManager })).filter((failure) => failure.parkedAt >= started && failure.message.includes(vin));
  assert.equal(parked.map((failure) => failure.reason), [], "no report of the vehicle reached the update manager only to be refused");
  assert.ok((await heldBackInLastHour("unknown-campaign")) - heldBefore >= 128, "the floods counted");
});

test("a fleet gateway speaks for no vehicle in a campaign: its records for a driving car's DEFERRED job and for a registered newcomer, described as registered, parked and charged, move nothing; the cars' own objects do", async () => {
  const campaignId = await newRunningCampaign("2.9.0", { selector: { models: ["Passport"] } });
  const [driving, newcomer] = [vinNumber(51), vinNumber(52)];
  const passport = { model: "Passport" };
  // The driving car is registered as it describes itself (Honda Passport, hu-3, 2021), and so is the newcomer.
  await sendUpdateMessages(world, [candidate(snapshot(driving, { ...passport, parked: false }))]);
  await registerVehicles(world, [{ vin: newcomer, make: "Honda", model: "Passport", hardware: "hu-3", modelYear: 2021 }]);
  await settle();
  const deferred = await world.store.jobs.get(campaignId, driving);
  assert.is(deferred?.stateReason, "not parked");
  const before = (await world.store.campaigns.get(campaignId))!;

  // What a depot data logger would forge: each car exactly as registered, on a firmware the campaign updates
  // from, parked and fully charged (every precondition the DEFERRED job waits for).
  const line = (vin: string) =>
    JSON.stringify(
      telemetryRecord({
        vin,
        ts: new Date().toISOString(),
        vehicle: { make: "Honda", model: "Passport", modelYear: 2021, hardwareId: "hu-3", region: "us-west" },
        position: { speedKph: 0 },
        battery: { stateOfCharge: 100 },
        firmware: { version: "2.3.1" },
      }),
    ) + "\n";
  // Even bound to carry both cars (so its records are read as telemetry), the gateway speaks for neither. (`gateways bind`
  // refuses a registered vehicle since R9-G1; bound without that check, as a document written before the rule is.)
  await changeGatewayVehicles(world.s3, world.bucket, "gw-depot-7", { bind: [driving, newcomer] });
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: fleetTelemetryKey("gw-depot-7", Date.now(), "forged"), Body: line(driving) + line(newcomer) }));
  await settle();

  assert.equal(await world.store.jobs.get(campaignId, driving), deferred, "the driving car's job is exactly as it was: DEFERRED, not parked");
  assert.is(await world.store.jobs.get(campaignId, newcomer), undefined, "the newcomer got no job on the gateway's word");
  assert.is(await world.store.targets.isKnown(campaignId, newcomer), false, "nor a place on the waiting list");
  const after = (await world.store.campaigns.get(campaignId))!;
  assert.equal([after.eligible, after.admitted], [before.eligible, before.admitted]);

  // The same records, each in the car's own object: its own word moves the job and admits the newcomer. A warm
  // processor container learns of a campaign started since it last read the campaign list at its next read (within
  // CAMPAIGNS_CACHE_MS, campaign-cache.ts): these objects name no campaign, so a fresh container reads it at once.
  await cloud.runtime!.killSandboxes(processorName());
  for (const vin of [driving, newcomer]) {
    await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: vehicleTelemetryKey(vin, Date.now(), "own"), Body: line(vin) }));
  }
  await settle();
  assert.is((await world.store.jobs.get(campaignId, driving))?.state, "QUEUED", "parked and charged by its own word, the job leaves DEFERRED");
  assert.is((await world.store.jobs.get(campaignId, newcomer))?.state, "QUEUED", "the newcomer is admitted on its own word");
});

test("a command on the vehicle-report queue is parked and counted and changes nothing, whoever sent it; the processor's role cannot send to the command queue; the operator's command there applies", async () => {
  const campaignId = await newRunningCampaign("3.1.0", { selector: { models: ["Ridgeline"] } });
  const processor = cloud.description.functions.find((fn) => fn.functionName.endsWith("-telemetry-processor"))!.functionName;
  const asProcessor = new SQSClient({ ...cloud.clientConfig, credentials: { accessKeyId: `${LOCAL_PRINCIPAL_KEY.functionPrefix}${processor}`, secretAccessKey: "local" } });
  const started = new Date();
  const before = await world.store.campaigns.get(campaignId);
  const forged = [command(campaignId, "pause"), command(campaignId, "cancel"), command(campaignId, "cancel")].map((message) => JSON.stringify(message));

  // The processor's role on the queue it may send to, and an operator's own credentials there (what a redrive of an old letter would do).
  await asProcessor.send(new SendMessageCommand({ QueueUrl: world.updateQueueUrl, MessageBody: forged[0]! }));
  await asProcessor.send(new SendMessageBatchCommand({ QueueUrl: world.updateQueueUrl, Entries: [{ Id: "0", MessageBody: forged[1]! }] }));
  await sendBodies(world, world.updateQueueUrl, [forged[2]!]);
  // The processor's role on the command queue: refused by its role's policy, as IAM refuses it on AWS.
  const refused = await Promise.all([
    asProcessor.send(new SendMessageCommand({ QueueUrl: world.commandQueueUrl, MessageBody: JSON.stringify(command(campaignId, "cancel")) })).then(() => "sent", (error: Error) => error.name),
    asProcessor.send(new SendMessageBatchCommand({ QueueUrl: world.commandQueueUrl, Entries: [{ Id: "0", MessageBody: JSON.stringify(command(campaignId, "cancel")) }] })).then(() => "sent", (error: Error) => error.name),
  ]);
  await settle();
  const afterForged = await world.store.campaigns.get(campaignId);
  const parked = (await listParkedFailures(world.s3, world.bucket, { source: PARKED_SOURCE.UpdateManager })).filter((failure) => failure.parkedAt >= started.toISOString());
  await sendUpdateMessages(world, [command(campaignId, "pause")]);
  await settle();

  assert.equal(refused, ["AccessDenied", "AccessDenied"], "the processor's role may not send to the command queue");
  assert.equal([afterForged?.state, afterForged?.revision], [before?.state, before?.revision], "no forged command applied: the campaign is unchanged");
  assert.equal(parked.map((failure) => failure.reason), ["command-off-command-queue", "command-off-command-queue", "command-off-command-queue"]);
  assert.equal(parked.map((failure) => failure.message).sort(), [...forged].sort(), "each kept as sent");
  for (const failure of parked) assert.match(failure.detail, /arrived on arn:aws:sqs:[a-z0-9-]+:\d{12}:[a-z0-9-]+-update-jobs, not the command queue/);
  assert.is(await parkedInLastHour("command-off-command-queue"), 3, `${METRIC.MessagesParked} counts each`);
  const evaluated = await evaluateAlarmAtItsData(cloud, ALARM_SUFFIX.CommandOffCommandQueue);
  assert.is(evaluated?.state, "ALARM", "the command-off-command-queue alarm fires on the parked commands");
  assert.is((await world.store.campaigns.get(campaignId))?.state, "PAUSED", "the operator's pause on the command queue applies");
  asProcessor.destroy();
});

test("a campaign created after the processor read the campaign list: its vehicle's first reports apply (not held back); the list is read once a cache period, not once an invocation", async () => {
  const vin = vinNumber(61);
  const line = (ota?: OtaReport) =>
    JSON.stringify({ ...telemetryRecord({ vin, ts: new Date().toISOString(), vehicle: { model: "Element" }, firmware: { version: "2.3.1" } }), ...(ota ? { ota } : {}) }) + "\n";
  const upload = async (name: string, body: string) => {
    const key = vehicleTelemetryKey(vin, Date.now(), name);
    const put = await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: body }));
    await settle();
    return (await ledgerOutcome(key, put.ETag!))!;
  };
  await upload("warm", line()); // the processor reads the list (or has it already)
  const campaignId = await newRunningCampaign("4.1.0", { selector: { models: ["Element"] } });
  await sendUpdateMessages(world, [candidate(snapshot(vin, { model: "Element" }))]);
  await settle();
  assert.is((await world.store.jobs.get(campaignId, vin))?.state, "QUEUED");
  const invocationsBefore = cloud.runtime!.counters().functions[processorName()]!.invocations;
  cloud.census.reset();
  const startedMs = Date.now();

  const report = (sequence: number, status: OtaReport["status"]): OtaReport => ({ jobId: `${campaignId}:${vin}`, campaignId, attempt: 1, sequence, status, targetVersion: "4.1.0" });
  const first = await upload("downloading", line(report(1, "DOWNLOADING")));
  const later: Array<Record<string, number>> = [];
  for (let n = 0; n < 5; n++) later.push(await upload(`plain-${n}`, line()));
  const second = await upload("installing", line(report(2, "INSTALLING")));

  const elapsedMs = Date.now() - startedMs;
  const invocations = cloud.runtime!.counters().functions[processorName()]!.invocations - invocationsBefore;
  const lists = cloud.census.snapshot().requests[`function:${processorName()} dynamodb:Query`] ?? 0;
  assert.equal([first.statusReports, first.statusReportsHeldBack], [1, undefined], "the new campaign's first report went to the update manager");
  assert.equal([second.statusReports, second.statusReportsHeldBack], [1, undefined]);
  const job = await world.store.jobs.get(campaignId, vin);
  assert.equal([job?.state, job?.lastSequence], ["IN_PROGRESS", 2], "both reports applied");
  assert.ok(invocations >= 7, `${invocations} processor invocations`);
  // One read for the report naming the new campaign, then at most one a cache period (the test's own length decides how many periods).
  assert.ok(lists <= 1 + Math.ceil(elapsedMs / CAMPAIGNS_CACHE_MS), `${lists} campaign-list queries in ${invocations} invocations over ${elapsedMs} ms`);
  assert.ok(lists >= 1, "the report naming a campaign the container did not know made it read the list");
});

test.run();
