import { test } from "uvu";
import * as assert from "uvu/assert";
import type { SQSRecord } from "aws-lambda";
import { InvalidUpdateMessageError, parseUpdateRecord, updateRecordHandler } from "../../../../functions/update-manager/process.js";
import type { UpdateServiceDeps } from "../../../../campaigns/update-service.js";
import { memoryCampaignStore } from "../../../../campaigns/store/memory.js";
import { factsAsDescribed, memoryVehicleRegistry } from "../../../../campaigns/registry-check.js";
import { ImageTargetsExpiredError } from "../../../../campaigns/document-channel.js";
import { UpdateTally } from "../../../../campaigns/update-tally.js";
import { silentLog } from "../../../../lib/logger.js";
import { ParkedTally } from "../../../../lib/parked-failures.js";
import type { ParkedFailure } from "../../../../contracts/parked-failure.js";
import { recordingS3 } from "../../lib/support/recording-s3.js";
import { definition, job, vehicle } from "../../campaigns/support/factories.js";
import { COMMAND_QUEUE_ARN, REPORT_QUEUE_ARN } from "./support/queued-record.js";

const record = (body: string) => ({ messageId: "m-1", body });
const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const COMMAND_QUEUE = COMMAND_QUEUE_ARN;
const REPORT_QUEUE = REPORT_QUEUE_ARN;

function errorOf(body: string): InvalidUpdateMessageError | undefined {
  try {
    parseUpdateRecord(record(body));
    return undefined;
  } catch (error) {
    return error as InvalidUpdateMessageError;
  }
}

test("a valid status report parses", () => {
  const message = parseUpdateRecord(
    record(JSON.stringify({
      kind: "status-report",
      idempotencyKey: "c-1:1HGCM82633A004352#1#3",
      vin: "1HGCM82633A004352",
      campaignId: "c-1",
      jobId: "c-1:1HGCM82633A004352",
      attempt: 1,
      sequence: 3,
      status: "INSTALLING",
      firmwareVersion: "2.3.1",
      reportedAt: "2026-11-26T18:00:00Z",
    })),
  );
  assert.is(message.kind, "status-report");
});

test("a body that is not JSON is refused with a typed error naming the message", () => {
  const error = errorOf("{nope");
  assert.instance(error, InvalidUpdateMessageError);
  assert.match(error!.message, /update message m-1 is invalid: body is not JSON/);
});

test("a message with bad fields is refused naming each field", () => {
  const error = errorOf(JSON.stringify({ kind: "command", idempotencyKey: "k", command: "explode", campaignId: "c-1", requestedAt: "now" }));
  assert.match(error!.message, /command: /);
  assert.match(error!.message, /requestedBy: /);
});

test("an unknown kind is refused", () => {
  assert.match(errorOf(JSON.stringify({ kind: "telemetry" }))!.message, /kind: /);
});

test("a malformed update message is parked once with its reason, not thrown into a retry; a redelivery is not counted twice", async () => {
  const { s3, puts } = recordingS3();
  const parking = { s3, bucket: "data", tally: new ParkedTally() };
  const deps = { doc: undefined, table: "t", documents: undefined, tally: new UpdateTally(), log: silentLog, now: () => new Date("2026-12-01T19:00:00Z") };
  const handle = updateRecordHandler(deps as unknown as UpdateServiceDeps, parking, { commandQueueArn: COMMAND_QUEUE });
  const body = JSON.stringify({ kind: "status-report", vin: 42 });
  await handle({ messageId: "m-1", body } as SQSRecord);
  await handle({ messageId: "m-2", body } as SQSRecord);
  assert.is(puts.size, 1);
  const [key, stored] = [...puts][0]!;
  assert.match(key, /^parked\/update-manager\/2026-12-01\/[0-9a-f]{32}\.json$/);
  const failure = JSON.parse(stored) as { reason: string; detail: string; message: string };
  assert.is(failure.reason, "invalid-update-message");
  assert.match(failure.detail, /vin/);
  assert.is(failure.message, body);
  assert.equal(parking.tally.byReason(), { "invalid-update-message": 1 });
});

test("a vehicle cannot pre-empt another's parked report: the parked record's identity includes the reporting VIN", async () => {
  const { s3, puts } = recordingS3();
  const parking = { s3, bucket: "data", tally: new ParkedTally() };
  const deps = { store: memoryCampaignStore(), documents: undefined, tally: new UpdateTally(), log: silentLog, now: () => new Date("2026-12-01T19:00:00Z") };
  const handle = updateRecordHandler(deps as unknown as UpdateServiceDeps, parking, { commandQueueArn: COMMAND_QUEUE });
  const report = (vin: string) =>
    JSON.stringify({ kind: "status-report", idempotencyKey: `c-1:${B}#1#5`, vin, campaignId: "c-1", jobId: `c-1:${B}`, attempt: 1, sequence: 5, status: "FAILED", firmwareVersion: "2.4.0", reportedAt: "2026-12-01T18:59:00Z" });

  await handle({ messageId: "m-1", body: report(A) } as SQSRecord); // A names B's job, with the key B's report will have
  await handle({ messageId: "m-2", body: report(B) } as SQSRecord); // B's own report, for a job that does not exist

  const parked = [...puts.values()].map((stored) => JSON.parse(stored) as { reason: string; message: string });
  assert.equal(parked.map((failure) => failure.reason).sort(), ["other-vehicle", "unknown-job"]);
  assert.ok(parked.some((failure) => failure.reason === "unknown-job" && failure.message === report(B)), "B's own report is kept as B sent it");
  assert.equal(parking.tally.byReason(), { "other-vehicle": 1, "unknown-job": 1 });
});

test("a vehicle's 64 reports naming another's job park one record that counts 64; a redelivery counts nothing; its own unknown job is another record", async () => {
  const { s3, puts } = recordingS3();
  const parking = { s3, bucket: "data", tally: new ParkedTally() };
  const deps = { store: memoryCampaignStore(), documents: undefined, tally: new UpdateTally(), log: silentLog, now: () => new Date("2026-12-01T19:00:00Z") };
  const handle = updateRecordHandler(deps as unknown as UpdateServiceDeps, parking, { commandQueueArn: COMMAND_QUEUE });
  const report = (vin: string, jobVin: string, sequence: number) =>
    JSON.stringify({ kind: "status-report", idempotencyKey: `c-1:${jobVin}#1#${sequence}`, vin, campaignId: "c-1", jobId: `c-1:${jobVin}`, attempt: 1, sequence, status: "FAILED", firmwareVersion: "2.4.0", reportedAt: "2026-12-01T18:59:00Z" });

  for (let sequence = 1; sequence <= 64; sequence++) await handle({ messageId: `m-${sequence}`, body: report(A, B, sequence) } as SQSRecord);
  await handle({ messageId: "m-7-again", body: report(A, B, 7) } as SQSRecord);
  for (let sequence = 1; sequence <= 3; sequence++) await handle({ messageId: `own-${sequence}`, body: report(A, A, sequence) } as SQSRecord);

  const parked = [...puts.values()].map((stored) => JSON.parse(stored) as { reason: string; count: number; message: string; recentKeys: string[] });
  assert.equal(parked.map((failure) => [failure.reason, failure.count]).sort(), [["other-vehicle", 64], ["unknown-job", 3]]);
  assert.is(parked.find((failure) => failure.reason === "other-vehicle")?.message, report(A, B, 1), "the first report is kept");
  assert.equal(parking.tally.byReason(), { "other-vehicle": 64, "unknown-job": 3 });
});

test("a vehicle's reports on jobs of 64 campaigns it made up park one record that counts 64 (review 17, R17-P2)", async () => {
  const { s3, puts } = recordingS3();
  const parking = { s3, bucket: "data", tally: new ParkedTally() };
  const deps = { store: memoryCampaignStore(), documents: undefined, tally: new UpdateTally(), log: silentLog, now: () => new Date("2026-12-01T19:00:00Z") };
  const handle = updateRecordHandler(deps as unknown as UpdateServiceDeps, parking, { commandQueueArn: COMMAND_QUEUE });
  const report = (campaignId: string) =>
    JSON.stringify({ kind: "status-report", idempotencyKey: `${campaignId}:${A}#1#1`, vin: A, campaignId, jobId: `${campaignId}:${A}`, attempt: 1, sequence: 1, status: "FAILED", firmwareVersion: "2.4.0", reportedAt: "2026-12-01T18:59:00Z" });

  for (let index = 1; index <= 64; index++) await handle({ messageId: `m-${index}`, body: report(`made-up-${index}`) } as SQSRecord);

  const parked = [...puts.values()].map((stored) => JSON.parse(stored) as { reason: string; count: number; message: string });
  assert.equal(parked.map((failure) => [failure.reason, failure.count]), [["unknown-job", 64]]);
  assert.is(parked[0]!.message, report("made-up-1"), "the first report is kept as sent");
  assert.is(parking.tally.total, 64);
});

/** A handler over an in-memory store holding one DRAFT campaign; what it parks is in `puts`. */
async function handlerWithCampaign() {
  const { s3, puts } = recordingS3();
  const parking = { s3, bucket: "data", tally: new ParkedTally() };
  const store = memoryCampaignStore();
  const documents = { publish: async () => "jobs/x.json", withdraw: async () => {}, releaseExists: async () => true };
  const deps = { store, documents, tally: new UpdateTally(), registry: memoryVehicleRegistry(), log: silentLog, now: () => new Date("2026-12-01T19:00:00Z") };
  const handle = updateRecordHandler(deps as unknown as UpdateServiceDeps, parking, { commandQueueArn: COMMAND_QUEUE });
  const { campaignId } = await store.campaigns.create(definition(), { now: "2026-12-01T18:00:00Z" });
  return { puts, parking, store, handle, campaignId };
}

/** A handler whose store holds a RUNNING campaign that admitted A (its job on attempt 1). */
async function withOwnJob() {
  const { puts, parking, store, handle, campaignId } = await handlerWithCampaign();
  await handle({ messageId: "start", body: JSON.stringify({ kind: "command", idempotencyKey: "start#alice", command: "start", campaignId, requestedBy: "alice", requestedAt: "2026-12-01T18:59:00Z" }), eventSourceARN: COMMAND_QUEUE } as unknown as SQSRecord);
  await store.jobs.admit(job({ campaignId, jobId: `${campaignId}:${A}`, vin: A }), { capacity: 10, firstSighting: vehicle({ vin: A }) });
  const report = (attempt: number, sequence: number) =>
    JSON.stringify({ kind: "status-report", idempotencyKey: `${campaignId}:${A}#${attempt}#${sequence}`, vin: A, campaignId, jobId: `${campaignId}:${A}`, attempt, sequence, status: "FAILED", firmwareVersion: "2.3.1", reportedAt: "2026-12-01T18:59:00Z" });
  const send = (messageId: string, body: string) => handle({ messageId, body, eventSourceARN: REPORT_QUEUE } as unknown as SQSRecord);
  const parked = () => [...puts.entries()].filter(([key]) => key.startsWith("parked/")).map(([, stored]) => JSON.parse(stored) as ParkedFailure);
  return { send, report, parked, parking };
}

test("a vehicle's 64 reports on made-up attempts of its own job park one record that counts 64, keeping the first and the last (review 18, R18-P1)", async () => {
  const { send, report, parked, parking } = await withOwnJob();
  for (let sequence = 1; sequence <= 64; sequence++) await send(`m-${sequence}`, report(2, sequence));
  await send("m-7-again", report(2, 7));

  assert.equal(parked().map((failure) => [failure.reason, failure.count]), [["unknown-attempt", 64]]);
  assert.is(parked()[0]!.message, report(2, 1), "the first report as sent");
  assert.is(parked()[0]!.lastMessage, report(2, 64), "and the last");
  assert.match(parked()[0]!.lastDetail!, /attempt 2/);
  assert.equal(parking.tally.byReason(), { "unknown-attempt": 64 });
});

test("a vehicle's 64 sequence jumps on its own job's attempt park one record that counts 64 (review 18, R18-P1)", async () => {
  const { send, report, parked, parking } = await withOwnJob();
  for (let index = 1; index <= 64; index++) await send(`m-${index}`, report(1, 1_000_000 + index * 2_000)); // each past MAX_SEQUENCE_STEP

  assert.equal(parked().map((failure) => [failure.reason, failure.count]), [["sequence-jump", 64]]);
  assert.is(parked()[0]!.lastMessage, report(1, 1_128_000));
  assert.equal(parking.tally.byReason(), { "sequence-jump": 64 });
});

test("a vehicle's 64 candidates that need expired image targets in a day park one record that counts 64, keeping the first and the last (R18-P1)", async () => {
  const { s3, puts } = recordingS3();
  const parking = { s3, bucket: "data", tally: new ParkedTally() };
  const store = memoryCampaignStore();
  const expired = new ImageTargetsExpiredError(3, "2026-11-30T00:00:00Z");
  const documents = { read: async (vin: string) => ({ key: `jobs/${vin}.json` }), publish: async () => Promise.reject(expired), withdraw: async () => {}, releaseExists: async () => true };
  const registry = memoryVehicleRegistry();
  for (const vin of [A, B]) registry.register(factsAsDescribed(vehicle({ vin })));
  const deps = { store, documents, tally: new UpdateTally(), registry, log: silentLog, now: () => new Date("2026-12-01T19:00:00Z") };
  const handle = updateRecordHandler(deps as unknown as UpdateServiceDeps, parking, { commandQueueArn: COMMAND_QUEUE });
  const { campaignId } = await store.campaigns.create(definition(), { now: "2026-12-01T18:00:00Z" });
  await handle({ messageId: "start", body: JSON.stringify({ kind: "command", idempotencyKey: "start#alice", command: "start", campaignId, requestedBy: "alice", requestedAt: "2026-12-01T18:59:00Z" }), eventSourceARN: COMMAND_QUEUE } as unknown as SQSRecord);
  // Each upload a new observation; the job goes QUEUED (its document due, and refused) on every other one, DEFERRED between.
  const candidate = (upload: number, vin = A) => {
    const observedAt = new Date(Date.parse("2026-12-01T00:00:00Z") + upload * 1_000).toISOString();
    return JSON.stringify({ kind: "candidate", idempotencyKey: `candidate#${vin}#${observedAt}`, vehicle: vehicle({ vin, observedAt, stateOfCharge: upload % 2 === 0 ? 80 : 10 }) });
  };
  const send = (messageId: string, body: string) => handle({ messageId, body, eventSourceARN: REPORT_QUEUE } as unknown as SQSRecord);

  for (let upload = 0; upload < 128; upload++) await send(`m-${upload}`, candidate(upload));
  await send("m-2-again", candidate(2));
  await send("b-0", candidate(0, B));

  const parked = [...puts.entries()].filter(([key]) => key.startsWith("parked/")).map(([, stored]) => JSON.parse(stored) as ParkedFailure);
  assert.equal(parked.map((failure) => [failure.reason, failure.count]), [["image-targets-expired", 64], ["image-targets-expired", 1]], "another vehicle's candidate is its own record");
  assert.is(parked[0]!.message, candidate(0), "the first candidate as sent");
  assert.is(parked[0]!.lastMessage, candidate(126), "and the last");
  assert.match(parked[0]!.detail, "image targets expired: run fleetota release refresh");
  assert.is(parked[1]!.message, candidate(0, B));
  assert.equal(parking.tally.byReason(), { "image-targets-expired": 65 });
  assert.is((await store.jobs.get(campaignId, A))?.documentPublishedAttempt, undefined, "no document went out");
});

test("a command or tick on the vehicle-report queue is parked, counted and not applied whoever sent it; the same on the command queue applies", async () => {
  const { puts, parking, store, handle, campaignId } = await handlerWithCampaign();
  const command = (name: string, key: string) =>
    JSON.stringify({ kind: "command", idempotencyKey: key, command: name, campaignId, requestedBy: "alice", requestedAt: "2026-12-01T18:59:00Z" });
  const on = (queueArn: string | undefined, messageId: string, body: string, senderId: string) =>
    ({ messageId, body, eventSourceARN: queueArn, attributes: { SenderId: senderId } }) as unknown as SQSRecord;
  const state = async () => (await store.campaigns.get(campaignId))?.state;

  // An operator's own credentials (a redrive of an old update-DLQ letter) do not make the report queue carry commands.
  await handle(on(REPORT_QUEUE, "m-1", command("start", "start#operator-on-reports"), "AIDAOPERATOR000000001"));
  await handle(on(REPORT_QUEUE, "m-2", command("tick", "tick#forged"), "AROAPROCESSOR00000001:fleetota-dev-telemetry-processor"));
  await handle(on(undefined, "m-3", command("start", "start#nowhere"), "AIDAOPERATOR000000001"));
  assert.is(await state(), "DRAFT", "no command off the command queue moved the campaign");
  assert.equal(parking.tally.byReason(), { "command-off-command-queue": 3 });
  const parked = [...puts.values()].map((stored) => JSON.parse(stored) as { reason: string; detail: string });
  assert.match(parked[0]!.detail, `start of campaign ${campaignId} arrived on ${REPORT_QUEUE}, not the command queue`);

  await handle(on(COMMAND_QUEUE, "m-4", command("start", "start#alice"), "AIDAOPERATOR000000001"));
  assert.is(await state(), "RUNNING", "an operator's start on the command queue applies");
  await handle(on(COMMAND_QUEUE, "m-5", command("pause", "pause#ticker"), "AROATICKER0000000001:fleetota-dev-rollout-ticker"));
  assert.is(await state(), "PAUSED", "the ticker's role on the command queue applies");
  assert.is(parking.tally.total, 3);
});


test("a vehicle's report or candidate on the command queue is parked and not applied, whoever sent it; on the report queue it is not", async () => {
  const { s3, puts } = recordingS3();
  const parking = { s3, bucket: "data", tally: new ParkedTally() };
  const deps = { store: memoryCampaignStore(), documents: undefined, tally: new UpdateTally(), registry: memoryVehicleRegistry(), log: silentLog, now: () => new Date("2026-12-01T19:00:00Z") };
  const handle = updateRecordHandler(deps as unknown as UpdateServiceDeps, parking, { commandQueueArn: COMMAND_QUEUE });
  const report = JSON.stringify({ kind: "status-report", idempotencyKey: `c-1:${A}#1#1`, vin: A, campaignId: "c-1", jobId: `c-1:${A}`, attempt: 1, sequence: 1, status: "SUCCEEDED", firmwareVersion: "2.4.0", reportedAt: "2026-12-01T18:59:00Z" });
  const vehicle = { vin: B, make: "Tesla", model: "Model 3", modelYear: 2022, region: "us-west", hardware: "TM3-HW4", firmwareVersion: "2.3.0", parked: true, stateOfCharge: 80, connectivity: "good", observedAt: "2026-12-01T18:59:00Z" };
  const candidate = JSON.stringify({ kind: "candidate", idempotencyKey: `candidate#${B}#2026-12-01T18:59:00Z`, vehicle });
  const on = (queueArn: string, messageId: string, body: string) => ({ messageId, body, eventSourceARN: queueArn, attributes: { SenderId: "AROATICKER0000000001:fleetota-dev-rollout-ticker" } }) as unknown as SQSRecord;

  await handle(on(COMMAND_QUEUE, "m-1", report));
  await handle(on(COMMAND_QUEUE, "m-2", candidate));
  assert.equal(parking.tally.byReason(), { "vehicle-message-on-command-queue": 2 });
  const details = [...puts.values()].map((stored) => (JSON.parse(stored) as { detail: string }).detail);
  assert.ok(details.some((detail) => detail.includes("a status-report arrived on the command queue")), details.join(" | "));
  assert.ok(details.every((detail) => detail.includes("sent by AROATICKER0000000001:fleetota-dev-rollout-ticker")), "the detail names the sender the remedy sends the operator to");
  assert.ok(details.some((detail) => detail.includes("a candidate arrived on the command queue")), details.join(" | "));

  await handle(on(REPORT_QUEUE, "m-3", report));
  await handle(on(REPORT_QUEUE, "m-4", candidate));
  assert.is(parking.tally.byReason()["vehicle-message-on-command-queue"], 2, "the same messages on the report queue are the update service's to judge");
});

test("a report on the command queue is parked per sender, apart from the same report refused on the report queue: each record names its sender", async () => {
  const { puts, parking, store, handle, campaignId } = await handlerWithCampaign();
  const on = (queueArn: string, messageId: string, body: string, senderId: string) => ({ messageId, body, eventSourceARN: queueArn, attributes: { SenderId: senderId } }) as unknown as SQSRecord;
  const start = JSON.stringify({ kind: "command", idempotencyKey: "start#alice", command: "start", campaignId, requestedBy: "alice", requestedAt: "2026-12-01T18:59:00Z" });
  await handle(on(COMMAND_QUEUE, "m-0", start, "AIDAOPERATOR000000001"));
  await store.jobs.admit(job({ campaignId, jobId: `${campaignId}:${A}`, vin: A }), { capacity: 10, firstSighting: vehicle({ vin: A }) });
  // Attempt 2 of a job on attempt 1: refused for good, parked under [vehicle, reason, day].
  const report = JSON.stringify({ kind: "status-report", idempotencyKey: `${campaignId}:${A}#2#1`, vin: A, campaignId, jobId: `${campaignId}:${A}`, attempt: 2, sequence: 1, status: "DOWNLOADING", firmwareVersion: "2.3.1", reportedAt: "2026-12-01T18:59:00Z" });
  const processor = "AROAPROCESSOR00000001:fleetota-dev-telemetry-processor";
  const ticker = "AROATICKER0000000001:fleetota-dev-rollout-ticker";
  const operator = "AIDAOTHEROPERATOR0001";

  await handle(on(REPORT_QUEUE, "m-1", report, processor));
  await handle(on(COMMAND_QUEUE, "m-2", report, ticker));
  await handle(on(COMMAND_QUEUE, "m-3", report, operator));
  await handle(on(COMMAND_QUEUE, "m-4", report, operator)); // the same sender again: its record already names it

  const parked = [...puts.values()].map((stored) => JSON.parse(stored) as { reason: string; detail: string });
  assert.equal(parked.map((failure) => failure.reason).sort(), ["unknown-attempt", "vehicle-message-on-command-queue", "vehicle-message-on-command-queue"]);
  const onCommandQueue = parked.filter((failure) => failure.reason === "vehicle-message-on-command-queue").map((failure) => failure.detail);
  assert.ok(onCommandQueue.some((detail) => detail.includes(ticker)), "the ticker's send is on record");
  assert.ok(onCommandQueue.some((detail) => detail.includes(operator)), "and so is the other sender's");
  assert.equal(parking.tally.byReason(), { "unknown-attempt": 1, "vehicle-message-on-command-queue": 2 });
});

test.run();
