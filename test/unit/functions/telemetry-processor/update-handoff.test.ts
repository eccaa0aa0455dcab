import type { SQSClient } from "@aws-sdk/client-sqs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseCampaignDefinition } from "../../../../campaigns/model.js";
import { updateMessageSchema } from "../../../../contracts/update-messages.js";
import { candidatesOf, sendUpdateMessages, statusReportsOf, UpdateQueueSendError } from "../../../../functions/telemetry-processor/update-handoff.js";
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
  const reports = statusReportsOf(records, UPLOADER);
  assert.is(reports.length, 1);
  assert.is(reports[0]!.idempotencyKey, "job-1#1#4");
  assert.is(reports[0]!.reason, "checksum");
  assert.is(reports[0]!.vin, UPLOADER);
  assert.is(reports[0]!.attempt, 1);
  assert.ok(updateMessageSchema.safeParse(reports[0]).success);
});

test("a status report is made only for the uploader's VIN: another VIN's record carrying one yields none", () => {
  const forged = enriched({ vin: "1M8GDM9AXKP042788", ota: { jobId: "c-1:1M8GDM9AXKP042788", campaignId: "c-1", attempt: 1, sequence: 4, status: "SUCCEEDED", targetVersion: "2.4.1" } });
  assert.equal(statusReportsOf([forged], UPLOADER), []);
  assert.is(statusReportsOf([forged], "1M8GDM9AXKP042788")[0]?.vin, "1M8GDM9AXKP042788");
});

test("candidates: one per vehicle from its latest record, only when a running campaign targets it", () => {
  const records = [
    enriched({ vin: "1HGCM82633A004352", ts: at(3), firmware: { version: "2.3.0" } }),
    enriched({ vin: "1HGCM82633A004352", ts: at(1), firmware: { version: "2.3.0" } }),
    enriched({ vin: "1M8GDM9AXKP042788", ts: at(1), firmware: { version: "2.4.1" } }),
    enriched({ vin: "WP0ZZZ99ZTS392124", ts: at(1), vehicle: { make: "Porsche" }, firmware: { version: "2.1.0" } }),
  ];
  const candidates = candidatesOf(records, [campaign({ selector: { makes: ["Honda"] } })]);
  assert.equal(candidates.map((candidate) => candidate.vehicle.vin), ["1HGCM82633A004352"]);
  assert.is(candidates[0]!.idempotencyKey, `candidate#1HGCM82633A004352#${at(1)}`);
  assert.ok(updateMessageSchema.safeParse(candidates[0]).success);
  assert.equal(candidatesOf(records, []), []);
});

test("messages go out in batches of 10", async () => {
  const sqs = recordingSqs();
  const messages = statusReportsOf(
    Array.from({ length: 23 }, (_, sequence) => enriched({ ota: { jobId: "job-1", campaignId: "c-1", attempt: 1, sequence, status: "DOWNLOADING", targetVersion: "2.4.1" } })),
    UPLOADER,
  );
  assert.is(await sendUpdateMessages(sqs.client, "queue", messages), 23);
  assert.equal(sqs.calls.map((entries) => entries.length), [10, 10, 3]);
});

test("refused entries are retried alone, and a persistent refusal is an UpdateQueueSendError", async () => {
  const messages = statusReportsOf([
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
