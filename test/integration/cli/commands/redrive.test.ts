/**
 * `fleetota redrive` against the local cloud (moto + the message-move proxy), with the real SDK:
 * poison messages dead-lettered by SQS itself, then listed, moved selectively and moved whole.
 * The Lambda runtime stays off so the update-job queue keeps what is moved back, to be counted.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { describeDeadLetter } from "../../../../contracts/dead-letter.js";
import { peekDeadLetters } from "../../../../cli/redrive/dlq-reader.js";
import { MOVE_STEP, MoveJournal } from "../../../../cli/redrive/journal.js";
import { namesFromLocalDescription, type StackNames } from "../../../../cli/target.js";
import { startLocalCloud, type LocalCloud } from "../../../../local/cloud.js";
import { cliIn } from "../../support/cli.js";

const VIN = "1HGCM82633A004352";
const workspace = mkdtempSync(join(tmpdir(), "fleetota-redrive-"));
let cloud: LocalCloud;
let sqs: SQSClient;
let names: StackNames;
const fleetota = cliIn(workspace, {});

/** A status report (business key `<jobId>#<sequence>`) of one campaign, by `vin` (the job's own vehicle unless forged). */
function statusReport(campaignId: string, sequence: number, vin = VIN): string {
  return JSON.stringify({
    kind: "status-report",
    idempotencyKey: `${campaignId}:${VIN}#${sequence}`,
    vin,
    campaignId,
    jobId: `${campaignId}:${VIN}`,
    attempt: 1,
    sequence,
    status: "DOWNLOADING",
    firmwareVersion: "2.3.0",
    reportedAt: "2026-12-02T06:00:00.000Z",
  });
}

/** Sends bodies to a work queue (the update-job queue unless given) and receives them past maxReceiveCount, so SQS dead-letters them. */
async function poison(bodies: string[], queueUrl = names.updateQueueUrl): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(start, start + 10).map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
  }
  for (let round = 0; round < 100 && (await depth(queueUrl)) > 0; round++) {
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
  }
}

/** An operator command of one campaign, as `fleetota campaign …` sends it. */
function operatorCommand(campaignId: string, command: string, key = `cmd:${campaignId}:${command}:${Math.random()}`): string {
  return JSON.stringify({ kind: "command", idempotencyKey: key, command, campaignId, requestedBy: "alice", requestedAt: new Date().toISOString(), expectedRevision: 2 });
}

async function depth(queueUrl: string): Promise<number> {
  const response = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  return Number(response.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** Drains a work queue (the update-job queue unless given) and returns the business keys found on it (it is purged after). */
async function businessKeysOnSource(queueUrl = names.updateQueueUrl): Promise<string[]> {
  const letters = await peekDeadLetters(sqs, queueUrl, { visibilityTimeoutSeconds: 120 });
  return letters.map((letter) => letter.businessKey).sort();
}

async function reset(): Promise<void> {
  for (const queueUrl of [names.updateQueueUrl, names.updateDlqUrl, names.commandQueueUrl, names.commandDlqUrl]) {
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  }
}

test.before(async () => {
  cloud = await startLocalCloud({ runtime: false, stateFile: join(workspace, ".fleetota", "local.json") });
  sqs = new SQSClient(cloud.clientConfig);
  names = namesFromLocalDescription(cloud.description);
});

test.after(async () => {
  await cloud?.stop();
});

test("poison messages end in the update DLQ, and a dry run lists each with its error and moves nothing", async () => {
  await reset();
  const requestedAt = new Date(Date.now() - 3 * 3600_000).toISOString();
  const resume = JSON.stringify({ kind: "command", idempotencyKey: "cmd:c-a:resume:1", command: "resume", campaignId: "c-a", requestedBy: "alice", requestedAt, expectedRevision: 4 });
  const bodies = [statusReport("c-a", 1), statusReport("c-a", 2), statusReport("c-b", 1), "{ not json", JSON.stringify({ kind: "status-report", idempotencyKey: "x" }), resume];
  await poison(bodies);

  const { code, json } = await fleetota("redrive", "--dry-run");

  assert.is(code, 0);
  assert.is(json.inDlq, bodies.length);
  const kinds = json.messages.map((message: { errorKind: string }) => message.errorKind).sort();
  assert.equal(kinds, ["invalid-json", "invalid-message", "processing-failed", "processing-failed", "processing-failed", "processing-failed"]);
  const command = json.messages.find((message: { kind: string }) => message.kind === "command");
  assert.is(command?.requestedAt, requestedAt);
  assert.match(command?.age, /^3 h( \d+ min)? ago$/);
  assert.ok(json.messages.filter((message: { kind: string }) => message.kind !== "command").every((message: { age: string }) => message.age === ""));
  assert.is(await depth(names.updateDlqUrl), bodies.length);
  assert.is(await depth(names.updateQueueUrl), 0);
});

test("a selective redrive by campaign moves exactly that campaign's messages, each once", async () => {
  await reset();
  await poison([statusReport("c-a", 1), statusReport("c-a", 2), statusReport("c-b", 1), statusReport("c-b", 2), "garbage"]);

  const { code, json } = await fleetota("redrive", "--campaign", "c-a", "--journal", join(workspace, "journal-a.ndjson"));

  assert.is(code, 0);
  assert.is(json.moved, 2);
  assert.is(json.leftInDlq, 3);
  assert.equal(await businessKeysOnSource(), [`c-a:${VIN}#1`, `c-a:${VIN}#2`]);
  assert.is(await depth(names.updateDlqUrl), 3);
});

test("a selective redrive by error kind moves only that kind", async () => {
  await reset();
  await poison([statusReport("c-a", 1), "garbage-1", "garbage-2"]);

  const { json } = await fleetota("redrive", "--error-kind", "invalid-json", "--journal", join(workspace, "journal-b.ndjson"));

  assert.is(json.moved, 2);
  assert.is((await businessKeysOnSource()).filter((key) => key.startsWith("sha256:")).length, 2);
  assert.is(await depth(names.updateDlqUrl), 1);
});

test("two byte-identical DLQ copies are moved once", async () => {
  await reset();
  await poison([statusReport("c-a", 7), statusReport("c-a", 7), statusReport("c-a", 8)]);

  const { json } = await fleetota("redrive", "--client-side", "--journal", join(workspace, "journal-c.ndjson"));

  assert.is(json.moved, 2);
  assert.is(json.duplicatesDropped, 1);
  assert.equal(await businessKeysOnSource(), [`c-a:${VIN}#7`, `c-a:${VIN}#8`]);
  assert.is(await depth(names.updateDlqUrl), 0);
});

test("another vehicle's report under the same idempotency key does not get the genuine one dropped: both move", async () => {
  await reset();
  const forger = "1M8GDM9AXKP042788";
  await poison([statusReport("c-a", 7, forger), statusReport("c-a", 7)]);

  const { json } = await fleetota("redrive", "--campaign", "c-a", "--journal", join(workspace, "journal-e.ndjson"));

  assert.is(json.moved, 2);
  assert.is(json.duplicatesDropped, 0);
  const onSource = await peekDeadLetters(sqs, names.updateQueueUrl, { visibilityTimeoutSeconds: 120 });
  assert.equal(onSource.map((letter) => JSON.parse(letter.body).vin).sort(), [VIN, forger].sort());
  assert.is(await depth(names.updateDlqUrl), 0);
});

test("a move interrupted after its send is finished by the next run without a second send", async () => {
  await reset();
  await poison([statusReport("c-a", 1), statusReport("c-a", 2)]);
  const [interrupted] = await peekDeadLetters(sqs, names.updateDlqUrl);
  assert.ok(interrupted);
  // What a crash between "send to source" and "delete from DLQ" leaves behind:
  await sqs.send(new SendMessageCommand({ QueueUrl: names.updateQueueUrl, MessageBody: interrupted.body }));
  const journalPath = join(workspace, "journal-d.ndjson");
  MoveJournal.open(journalPath).record({ messageId: interrupted.messageId, businessKey: interrupted.businessKey, step: MOVE_STEP.Sent });

  const { json } = await fleetota("redrive", "--client-side", "--journal", journalPath);

  assert.is(json.moved, 1);
  assert.is(json.finishedFromEarlierRun, 1);
  assert.equal(await businessKeysOnSource(), [`c-a:${VIN}#1`, `c-a:${VIN}#2`]);
  assert.is(await depth(names.updateDlqUrl), 0);
});

test("a whole-queue redrive uses SQS's message-move task and brings every message back once", async () => {
  await reset();
  const bodies = Array.from({ length: 25 }, (_, index) => statusReport(index % 2 ? "c-a" : "c-b", index + 1));
  await poison(bodies);
  const expected = bodies.map((body) => describeDeadLetter({ Body: body }).businessKey).sort();

  const { code, json, err } = await fleetota("redrive", "--max-per-second", "50");

  assert.is(code, 0, err);
  assert.is(json.mode, "move-task");
  assert.is(json.status, "COMPLETED");
  assert.equal(await businessKeysOnSource(), expected);
  assert.is(await depth(names.updateDlqUrl), 0);
});

test("the command DLQ goes back to the command queue only: a move task and a selective move by campaign", async () => {
  await reset();
  const commands = [operatorCommand("c-a", "pause", "cmd:c-a:pause"), operatorCommand("c-b", "resume", "cmd:c-b:resume"), operatorCommand("c-a", "cancel", "cmd:c-a:cancel")];
  await poison(commands, names.commandQueueUrl);
  assert.is(await depth(names.commandDlqUrl), 3, "SQS dead-letters commands into the command DLQ");

  const dry = await fleetota("redrive", "--queue", "commands", "--dry-run");
  const selective = await fleetota("redrive", "--queue", "commands", "--campaign", "c-a", "--journal", join(workspace, "journal-commands.ndjson"));
  const movedSelectively = await businessKeysOnSource(names.commandQueueUrl); // looked at, left there
  const task = await fleetota("redrive", "--queue", "commands", "--max-per-second", "50");

  assert.equal([dry.json.queue, dry.json.inDlq], ["commands", 3]);
  assert.equal(selective.json.moved, 2);
  assert.equal(movedSelectively, ["cmd:c-a:cancel", "cmd:c-a:pause"], "the campaign's commands are on the command queue");
  assert.is(task.code, 0, task.err);
  assert.equal([task.json.mode, task.json.status], ["move-task", "COMPLETED"]);
  assert.equal(await businessKeysOnSource(names.commandQueueUrl), ["cmd:c-a:cancel", "cmd:c-a:pause", "cmd:c-b:resume"], "the task moved the rest there");
  assert.is(await depth(names.commandDlqUrl), 0);
  assert.is(await depth(names.updateQueueUrl), 0, "nothing went to the update-job (vehicle-report) queue");
  assert.is(await depth(names.updateDlqUrl), 0);
});

test.run();
