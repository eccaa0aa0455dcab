/**
 * The message-move loop against an in-memory queue pair that can fail a step, to show what a failure
 * between "sent" and "deleted" does: the message is deleted later, never sent twice, never lost.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { silentLog } from "../../../../lib/logger.js";
import { MessageMoveTask, MOVE_TASK_STATUS, type MoveTaskSpec } from "../../../../local/message-moves/move-task.js";

interface StoredMessage {
  id: string;
  body: string;
  visibleAt: number;
}

/** Two queues in memory answering the four calls the task makes; `failures` fails that many delete or send calls. */
function queuePair(bodies: string[], failures: { deletes?: number; sends?: number } = {}) {
  const queues: Record<string, StoredMessage[]> = {
    dlq: bodies.map((body, index) => ({ id: `m${index}`, body, visibleAt: 0 })),
    source: [],
  };
  let clock = 0;
  let receipts = 0;
  const inFlight = new Map<string, StoredMessage>();
  let deletesToFail = failures.deletes ?? 0;
  let sendsToFail = failures.sends ?? 0;
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const input = command.input as { QueueUrl: string; MaxNumberOfMessages?: number; VisibilityTimeout?: number; Entries?: Array<Record<string, unknown>> };
      clock += 1_000;
      switch (command.constructor.name) {
        case "ReceiveMessageCommand": {
          const visible = queues[input.QueueUrl]!.filter((message) => message.visibleAt <= clock).slice(0, input.MaxNumberOfMessages);
          return {
            Messages: visible.map((message) => {
              message.visibleAt = clock + (input.VisibilityTimeout ?? 30) * 1_000;
              const handle = `r${(receipts += 1)}`;
              inFlight.set(handle, message);
              return { MessageId: message.id, Body: message.body, ReceiptHandle: handle, Attributes: {} };
            }),
          };
        }
        case "SendMessageBatchCommand": {
          if (sendsToFail > 0) {
            sendsToFail -= 1;
            return { Successful: [], Failed: input.Entries!.map((entry) => ({ Id: entry.Id, Code: "InternalError", SenderFault: false })) };
          }
          for (const entry of input.Entries!) queues[input.QueueUrl]!.push({ id: `new-${entry.Id}-${clock}`, body: String(entry.MessageBody), visibleAt: 0 });
          return { Successful: input.Entries!.map((entry) => ({ Id: entry.Id })), Failed: [] };
        }
        case "DeleteMessageBatchCommand": {
          if (deletesToFail > 0) {
            deletesToFail -= 1;
            throw new Error("connection reset while deleting");
          }
          for (const entry of input.Entries!) {
            const message = inFlight.get(String(entry.ReceiptHandle));
            queues[input.QueueUrl] = queues[input.QueueUrl]!.filter((stored) => stored !== message);
          }
          return { Successful: input.Entries!.map((entry) => ({ Id: entry.Id })), Failed: [] };
        }
        case "ChangeMessageVisibilityBatchCommand":
          for (const entry of input.Entries!) inFlight.get(String(entry.ReceiptHandle))!.visibleAt = clock;
          return { Successful: [], Failed: [] };
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  };
  return { queues, sqs: client as unknown as SQSClient };
}

function spec(count: number): MoveTaskSpec {
  return { taskHandle: "h", sourceArn: "arn:dlq", sourceUrl: "dlq", destinationUrl: "source", approximateNumberOfMessagesToMove: count };
}

function bodies(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `body-${index}`);
}

test("all messages move once when nothing fails", async () => {
  const { queues, sqs } = queuePair(bodies(25));

  const task = new MessageMoveTask(spec(25), sqs, silentLog).start();
  await task.done();

  assert.is(task.status, MOVE_TASK_STATUS.Completed);
  assert.is(task.moved, 25);
  assert.equal(queues.source!.map((message) => message.body).sort(), bodies(25).sort());
  assert.is(queues.dlq!.length, 0);
});

test("deletes failing after the send are retried, then done on redelivery; nothing is sent twice", async () => {
  const { queues, sqs } = queuePair(bodies(12), { deletes: 4 });

  const task = new MessageMoveTask(spec(12), sqs, silentLog).start();
  await task.done();

  assert.is(task.status, MOVE_TASK_STATUS.Completed);
  assert.is(task.moved, 12);
  assert.equal(queues.source!.map((message) => message.body).sort(), bodies(12).sort(), "each body exactly once");
  assert.is(queues.dlq!.length, 0);
});

test("a refused send leaves the messages in the DLQ, visible again, and the next batch moves them", async () => {
  const { queues, sqs } = queuePair(bodies(8), { sends: 1 });

  const task = new MessageMoveTask(spec(8), sqs, silentLog).start();
  await task.done();

  assert.is(task.status, MOVE_TASK_STATUS.Completed);
  assert.is(task.moved, 8);
  assert.equal(queues.source!.map((message) => message.body).sort(), bodies(8).sort());
});

test.run();
