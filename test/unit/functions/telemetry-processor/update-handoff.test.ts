import type { SQSClient } from "@aws-sdk/client-sqs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseCampaignDefinition } from "../../../../campaigns/model.js";
import { updateMessageSchema, type AgentStatus, type StatusReportMessage } from "../../../../contracts/update-messages.js";
import { decideJobEvent, MAX_SEQUENCE_STEP, newJob } from "../../../../campaigns/job-machine.js";
import { candidatesOf, MAX_STATUS_REPORTS_PER_OBJECT, sendUpdateMessages, statusReportsOf, UpdateQueueSendError } from "../../../../functions/telemetry-processor/update-handoff.js";
import { FLEET_SOURCE, latestEntryOf } from "../../../../telemetry/aggregate.js";
import { validateRecord } from "../../../../telemetry/schema.js";
import { enriched, NOW_MS } from "../../telemetry/support/factories.js";

const UPLOADER = "1HGCM82633A004352"; // the factories' default VIN
const at = (minutesAgo: number) => new Date(NOW_MS - minutesAgo * 60_000).toISOString();
const campaign = (overrides: Record<string, unknown> = {}) => parseCampaignDefinition({ name: "bms", targetVersion: "2.4.1", ...overrides });

/** Records SendMessageBatch calls; refuses the entries whose body contains `refuse` the first `times` times. */
function recordingSqs(refuse?: { text: string; times: number }) {
  const calls: Array<Array<{ Id: string; MessageBody: string }>> = [];
  let refusals = 0;
  const client = {
    async send(command: { input: { Entries: Array<{ Id: string; MessageBody: string }> } }) {
      const entries = command.input.Entries;
      calls.push(entries);
      const failed = entries.filter((entry) => refuse && entry.MessageBody.includes(refuse.text) && refusals++ < refuse.times);
      return { Successful: [], Failed: failed.map((entry) => ({ Id: entry.Id, Code: "ServiceUnavailable", SenderFault: false, Message: "busy" })) };
    },
  };
  return { client: client as unknown as SQSClient, calls };
}

test("every record with an ota block becomes a valid status report keyed on job and sequence", () => {
  const records = [
    enriched({ seq: 1 }),
    enriched({ seq: 2, ota: { jobId: "job-1", campaignId: "c-1", attempt: 1, sequence: 4, status: "FAILED", reason: "checksum", targetVersion: "2.4.1" } }),
  ];
  const { reports, withheld } = statusReportsOf(records, UPLOADER);
  assert.is(reports.length, 1);
  assert.is(withheld, 0);
  assert.is(reports[0]!.idempotencyKey, "job-1#1#4");
  assert.is(reports[0]!.reason, "checksum");
  assert.is(reports[0]!.vin, UPLOADER);
  assert.is(reports[0]!.attempt, 1);
  assert.ok(updateMessageSchema.safeParse(reports[0]).success);
});

test("a status report is made only for the uploader's VIN: another VIN's record carrying one yields none", () => {
  const forged = enriched({ vin: "1M8GDM9AXKP042788", ota: { jobId: "c-1:1M8GDM9AXKP042788", campaignId: "c-1", attempt: 1, sequence: 4, status: "SUCCEEDED", targetVersion: "2.4.1" } });
  assert.equal(statusReportsOf([forged], UPLOADER).reports, []);
  assert.is(statusReportsOf([forged], "1M8GDM9AXKP042788").reports[0]?.vin, "1M8GDM9AXKP042788");
});

const otaRecord = (jobId: string, sequence: number, status: AgentStatus, firmware = "2.4.0", attempt = 1, reason?: string) =>
  enriched({ firmware: { version: firmware }, ota: { jobId, campaignId: "c-1", attempt, sequence, status, targetVersion: "2.4.1", ...(reason === undefined ? {} : { reason }) } });

test("one object cannot flood the update queue: at most MAX_STATUS_REPORTS_PER_OBJECT reports, the last ones, the rest counted", () => {
  // 10,000 lines naming 10,000 jobs: each would be a read and a parked object in the update manager.
  const distinctJobs = statusReportsOf(Array.from({ length: 10_000 }, (_, index) => otaRecord(`c-1:job-${index}`, 1, "FAILED")), UPLOADER);
  assert.is(distinctJobs.reports.length, MAX_STATUS_REPORTS_PER_OBJECT);
  assert.is(distinctJobs.withheld, 10_000 - MAX_STATUS_REPORTS_PER_OBJECT);
  assert.is(distinctJobs.reports.at(-1)!.jobId, "c-1:job-9999");
  // 10,000 alternating statuses of one job, each a transition.
  const flapping = statusReportsOf(Array.from({ length: 10_000 }, (_, index) => otaRecord(JOB, index + 1, index % 2 ? "INSTALLING" : "DOWNLOADING")), UPLOADER);
  assert.equal([flapping.reports.length, flapping.withheld, flapping.reports.at(-1)!.sequence], [MAX_STATUS_REPORTS_PER_OBJECT, 10_000 - MAX_STATUS_REPORTS_PER_OBJECT, 10_000]);
  // A week of 5-minute heartbeats while offline, then the end: a run's first and last within each 1,000 sequences, nothing withheld.
  const offline = statusReportsOf([...Array.from({ length: 2_016 }, (_, index) => otaRecord(JOB, index + 1, "DOWNLOADING")), otaRecord(JOB, 2_017, "FAILED", "2.4.0", 1, "battery")], UPLOADER);
  assert.equal(offline.reports.map((report) => report.sequence), [1, 1_001, 1_002, 2_002, 2_003, 2_016, 2_017]);
  assert.equal([offline.withheld, offline.reports.at(-1)!.status, offline.reports.at(-1)!.reason], [0, "FAILED", "battery"]);
});

const JOB = `c-1:${UPLOADER}`;

test("collapsing repeated statuses leaves every job exactly where all the reports would have (random objects through the real job machine)", () => {
  const definition = parseCampaignDefinition({ name: "bms", targetVersion: "2.4.1" });
  const at = new Date(NOW_MS);
  const applied = (reports: readonly StatusReportMessage[]) => {
    let job = newJob({ campaignId: "c-1", vin: UPLOADER, wave: 0, targetVersion: "2.4.1", firmwareVersion: "2.4.0", hardware: "hu-3" }, { met: true }, at).job;
    for (const report of reports) {
      const decision = decideJobEvent(job, { type: "report", status: report.status, attempt: report.attempt, sequence: report.sequence, firmwareVersion: report.firmwareVersion, ...(report.reason ? { reason: report.reason } : {}), at }, definition);
      if (decision.kind === "applied") job = decision.job;
    }
    const { state, substate, attempt, lastSequence, firmwareVersion, stateReason, nextRetryAt, inProgressSince } = job;
    return { state, substate, attempt, lastSequence, firmwareVersion, stateReason, nextRetryAt, inProgressSince, transitions: job.history.map((record) => `${record.from}>${record.to}`) };
  };
  let seed = 7;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const statuses: AgentStatus[] = ["DEFERRED", "DOWNLOADING", "DOWNLOADING", "INSTALLING", "VERIFYING", "SUCCEEDED", "FAILED", "ROLLED_BACK"];
  let collapsedSome = 0;
  for (let round = 0; round < 3_000; round++) {
    let sequence = Math.floor(random() * 3);
    let status = pick(statuses);
    const records = Array.from({ length: 1 + Math.floor(random() * 20) }, () => {
      const roll = random();
      sequence = roll < 0.08 ? Math.max(0, sequence - Math.floor(random() * 4)) : roll < 0.12 ? sequence + MAX_SEQUENCE_STEP + Math.floor(random() * 3) - 1 : sequence + 1 + Math.floor(random() * 3);
      if (random() < 0.35) status = pick(statuses);
      return otaRecord(JOB, sequence, status, random() < 0.7 ? "2.4.1" : "2.4.0", random() < 0.05 ? 2 : 1, random() < 0.3 ? pick(["low battery", "driving", "checksum"]) : undefined);
    });
    const all = records.map((record) => statusReportsOf([record], UPLOADER).reports[0]!);
    const { reports } = statusReportsOf(records, UPLOADER);
    if (reports.length < all.length) collapsedSome++;
    assert.equal(applied(reports), applied(all), `round ${round}`);
  }
  assert.ok(collapsedSome > 1_000, `collapsed in ${collapsedSome} rounds`);
});

test("a vehicle's U+FFFE or U+FFFF (printable to the schema) reaches SQS escaped, and parses back to the same message", async () => {
  const records = [
    enriched({ vehicle: { make: "Honda\uffff" }, firmware: { version: "2.3.0" }, ota: { jobId: `c-1\ufffe:${UPLOADER}`, campaignId: "c-1\ufffe", attempt: 1, sequence: 1, status: "FAILED", reason: "flash \uffff\ufffe", targetVersion: "2.4.1" } }),
  ];
  assert.ok(validateRecord(JSON.parse(JSON.stringify(records[0]!.record)), NOW_MS).valid, "the processor accepts the record");
  const messages = [...statusReportsOf(records, UPLOADER).reports, ...candidatesOf(records.map((record) => latestEntryOf(record.record, record.tsMs, FLEET_SOURCE.Vehicle)), UPLOADER, [campaign()])];
  assert.is(messages.length, 2);
  const sqs = recordingSqs();
  await sendUpdateMessages(sqs.client, "queue", messages);
  // What SQS accepts in a body (its documentation): XML's characters.
  const sqsCharacters = /^[\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;
  for (const [index, entry] of sqs.calls.flat().entries()) {
    assert.ok(sqsCharacters.test(entry.MessageBody), entry.MessageBody);
    assert.equal(JSON.parse(entry.MessageBody), messages[index]);
  }
});

test("a candidate is the uploader's own: from its latest record, only when a running campaign targets it; another VIN's records make none", () => {
  const records = [
    enriched({ vin: UPLOADER, ts: at(3), firmware: { version: "2.3.0" } }),
    enriched({ vin: UPLOADER, ts: at(1), firmware: { version: "2.3.0" } }),
    enriched({ vin: "1M8GDM9AXKP042788", ts: at(0), firmware: { version: "2.3.0" } }),
    enriched({ vin: "WP0ZZZ99ZTS392124", ts: at(1), vehicle: { make: "Porsche" }, firmware: { version: "2.1.0" } }),
  ];
  const entries = records.map((record) => latestEntryOf(record.record, record.tsMs, FLEET_SOURCE.Vehicle));
  const honda = campaign({ selector: { makes: ["Honda"] } });
  const candidates = candidatesOf(entries, UPLOADER, [honda]);
  assert.equal(candidates.map((candidate) => candidate.vehicle.vin), [UPLOADER]);
  assert.is(candidates[0]!.idempotencyKey, `candidate#${UPLOADER}#${at(1)}`);
  assert.ok(updateMessageSchema.safeParse(candidates[0]).success);
  // A Honda described as campaign-worthy in the uploader's object, but not the uploader: not its word to give.
  assert.equal(candidatesOf(entries.slice(2), UPLOADER, [honda]), []);
  assert.equal(candidatesOf(entries, "1M8GDM9AXKP042788", [honda]).map((candidate) => candidate.vehicle.vin), ["1M8GDM9AXKP042788"]);
  assert.equal(candidatesOf(entries, "WP0ZZZ99ZTS392124", [honda]), [], "targeting still applies");
  assert.equal(candidatesOf(entries, UPLOADER, []), []);
});

test("messages go out in batches of 10", async () => {
  const sqs = recordingSqs();
  const { reports: messages } = statusReportsOf(
    Array.from({ length: 23 }, (_, index) => enriched({ ota: { jobId: `job-${index}`, campaignId: "c-1", attempt: 1, sequence: 1, status: "DOWNLOADING", targetVersion: "2.4.1" } })),
    UPLOADER,
  );
  assert.is(await sendUpdateMessages(sqs.client, "queue", messages), 23);
  assert.equal(sqs.calls.map((entries) => entries.length), [10, 10, 3]);
});

test("refused entries are retried alone, and a persistent refusal is an UpdateQueueSendError", async () => {
  const { reports: messages } = statusReportsOf([
    enriched({ ota: { jobId: "job-1", campaignId: "c-1", attempt: 1, sequence: 1, status: "INSTALLING", targetVersion: "2.4.1" } }),
    enriched({ ota: { jobId: "job-2", campaignId: "c-1", attempt: 1, sequence: 1, status: "INSTALLING", targetVersion: "2.4.1" } }),
  ], UPLOADER);
  const flaky = recordingSqs({ text: "job-2", times: 1 });
  await sendUpdateMessages(flaky.client, "queue", messages);
  assert.equal(flaky.calls.map((entries) => entries.length), [2, 1]);
  const broken = recordingSqs({ text: "job-2", times: 99 });
  try {
    await sendUpdateMessages(broken.client, "queue", messages);
    assert.unreachable("should have thrown");
  } catch (error) {
    assert.instance(error, UpdateQueueSendError);
    assert.is((error as UpdateQueueSendError).failed, 1);
  }
});

test.run();
