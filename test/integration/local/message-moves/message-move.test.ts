/**
 * The SQS message-move task API the proxy adds in front of moto, called with the real SDK:
 * every DLQ message returns to its source, none lost, none duplicated; List and Cancel as on AWS.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
} from "@aws-sdk/client-sqs";
import { startTestEmulator, type TestEmulator } from "../../support/local-cloud.js";

let world: TestEmulator;
let pairCount = 0;

interface QueuePair {
  sourceUrl: string;
  sourceArn: string;
  dlqUrl: string;
  dlqArn: string;
}

async function queueArn(url: string): Promise<string> {
  const { Attributes } = await world.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return Attributes!.QueueArn!;
}

/** A work queue whose redrive policy dead-letters after one receive, and its DLQ. */
async function queuePair(): Promise<QueuePair> {
  pairCount += 1;
  const dlq = await world.clients.sqs.send(new CreateQueueCommand({ QueueName: `moves-${pairCount}-dlq` }));
  const dlqArn = await queueArn(dlq.QueueUrl!);
  const source = await world.clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `moves-${pairCount}`,
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
    }),
  );
  return { sourceUrl: source.QueueUrl!, sourceArn: await queueArn(source.QueueUrl!), dlqUrl: dlq.QueueUrl!, dlqArn };
}

async function depth(url: string): Promise<number> {
  const { Attributes } = await world.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
}

/** Sends `count` numbered bodies and receives them past maxReceiveCount, so SQS itself dead-letters them. */
async function deadLetter(pair: QueuePair, count: number): Promise<string[]> {
  const bodies = Array.from({ length: count }, (_, index) => `message-${pairCount}-${index}`);
  for (let start = 0; start < count; start += 10) {
    await world.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: pair.sourceUrl,
        Entries: bodies.slice(start, start + 10).map((body, index) => ({
          Id: String(index),
          MessageBody: body,
          MessageAttributes: { origin: { DataType: "String", StringValue: "test" } },
        })),
      }),
    );
  }
  for (let round = 0; round < 50 && (await depth(pair.dlqUrl)) < count; round++) {
    await world.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: pair.sourceUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
  }
  assert.is(await depth(pair.dlqUrl), count, "all messages dead-lettered");
  return bodies;
}

async function drain(url: string): Promise<Array<{ body: string; origin?: string }>> {
  const drained: Array<{ body: string; origin?: string }> = [];
  for (;;) {
    const { Messages = [] } = await world.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60, MessageAttributeNames: ["All"] }),
    );
    if (Messages.length === 0) return drained;
    drained.push(...Messages.map((message) => ({ body: message.Body!, origin: message.MessageAttributes?.origin?.StringValue })));
  }
}

async function latestTask(sourceArn: string): Promise<ListMessageMoveTasksResultEntry> {
  const { Results = [] } = await world.clients.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }));
  return Results[0]!;
}

async function waitForEnd(sourceArn: string, timeoutMs = 30_000): Promise<ListMessageMoveTasksResultEntry> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await latestTask(sourceArn);
    if (task.Status !== "RUNNING" && task.Status !== "CANCELLING") return task;
    if (Date.now() > deadline) throw new Error(`task still ${task.Status} after ${timeoutMs} ms`);
    await sleep(200);
  }
}

test.before(async () => {
  world = await startTestEmulator();
});

test.after(async () => {
  await world?.stop();
});

test("a task without destination returns every DLQ message to its source, once, with its attributes", async () => {
  const pair = await queuePair();
  const bodies = await deadLetter(pair, 23);

  const { TaskHandle } = await world.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: pair.dlqArn }));
  const task = await waitForEnd(pair.dlqArn);

  assert.ok(TaskHandle);
  assert.is(task.Status, "COMPLETED");
  assert.is(task.ApproximateNumberOfMessagesMoved, bodies.length);
  assert.is(task.ApproximateNumberOfMessagesToMove, bodies.length);
  assert.is(task.TaskHandle, undefined, "a finished task is listed without its handle");
  const returned = await drain(pair.sourceUrl);
  assert.equal(returned.map((message) => message.body).sort(), [...bodies].sort());
  assert.ok(returned.every((message) => message.origin === "test"), "message attributes kept");
  assert.is(await depth(pair.dlqUrl), 0);
});

test("a rate-limited task can be cancelled; moved plus remaining equals what there was", async () => {
  const pair = await queuePair();
  // 12 s of moving at 5 a second, so the cancel 1.2 s in comes before the end on a loaded machine too (30 left 4.8 s).
  const bodies = await deadLetter(pair, 60);

  const { TaskHandle } = await world.clients.sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: pair.dlqArn, DestinationArn: pair.sourceArn, MaxNumberOfMessagesPerSecond: 5 }),
  );
  await sleep(1_200);
  const running = await latestTask(pair.dlqArn);
  const cancelled = await world.clients.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
  const ended = await waitForEnd(pair.dlqArn);

  assert.is(running.Status, "RUNNING");
  assert.is(running.TaskHandle, TaskHandle);
  assert.is(running.MaxNumberOfMessagesPerSecond, 5);
  assert.is(ended.Status, "CANCELLED");
  assert.ok(ended.ApproximateNumberOfMessagesMoved! < bodies.length, "cancelled before the end");
  assert.ok(ended.ApproximateNumberOfMessagesMoved! >= (cancelled.ApproximateNumberOfMessagesMoved ?? 0));
  const inSource = await drain(pair.sourceUrl);
  const inDlq = await drain(pair.dlqUrl);
  assert.is(inSource.length, ended.ApproximateNumberOfMessagesMoved);
  assert.equal([...inSource, ...inDlq].map((message) => message.body).sort(), [...bodies].sort());
});

test("List shows the newest task first and only up to MaxResults", async () => {
  const pair = await queuePair();
  await deadLetter(pair, 2);
  await world.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: pair.dlqArn }));
  await waitForEnd(pair.dlqArn);
  await drain(pair.sourceUrl);
  await deadLetter(pair, 3);
  await world.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: pair.dlqArn }));
  await waitForEnd(pair.dlqArn);

  const { Results = [] } = await world.clients.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: pair.dlqArn, MaxResults: 10 }));
  const { Results: defaultListing = [] } = await world.clients.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: pair.dlqArn }));

  assert.equal(Results.map((task) => task.ApproximateNumberOfMessagesMoved), [3, 2]);
  assert.ok(Results[0]!.StartedTimestamp! >= Results[1]!.StartedTimestamp!);
  assert.is(defaultListing.length, 1);
});

test("refusals as on AWS: a queue that is no DLQ, a second task while one runs, an unknown queue or handle", async () => {
  const pair = await queuePair();
  await deadLetter(pair, 20);
  const refusal = async (call: () => Promise<unknown>): Promise<string> =>
    call().then(
      () => "accepted",
      (error: Error) => error.name,
    );

  const notADlq = await refusal(() => world.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: pair.sourceArn })));
  await world.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: pair.dlqArn, MaxNumberOfMessagesPerSecond: 2 }));
  const second = await refusal(() => world.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: pair.dlqArn })));
  const unknownArn = pair.dlqArn.replace(/[^:]+$/, "no-such-queue");
  const unknownQueue = await refusal(() => world.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: unknownArn })));
  const unknownHandle = await refusal(() => world.clients.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: "bm8tc3VjaC10YXNr" })));
  const badRate = await refusal(() => world.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: pair.dlqArn, MaxNumberOfMessagesPerSecond: 501 })));
  await world.clients.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: (await latestTask(pair.dlqArn)).TaskHandle }));
  await waitForEnd(pair.dlqArn);

  assert.is(notADlq, "UnsupportedOperation");
  assert.is(second, "UnsupportedOperation");
  assert.is(unknownQueue, "ResourceNotFoundException");
  assert.is(unknownHandle, "ResourceNotFoundException");
  assert.is(badRate, "InvalidParameterValue");
});

test("every other SQS call passes through the proxy to the emulator untouched", async () => {
  const pair = await queuePair();
  const attributes = await world.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: pair.sourceUrl, AttributeNames: ["RedrivePolicy"] }));
  assert.is(JSON.parse(attributes.Attributes!.RedrivePolicy!).deadLetterTargetArn, pair.dlqArn);
  assert.ok(pair.sourceUrl.startsWith(world.clientConfig.endpoint), "queue URLs point at the proxy");
});

test.run();
