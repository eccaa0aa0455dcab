import { setTimeout as sleep } from "node:timers/promises";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import { silentLog } from "../../../../../lib/logger.js";
import type { FunctionHost } from "../../../../../local/runtime/lambda/function-host.js";
import { EventSourcePoller } from "../../../../../local/runtime/sqs/event-source-poller.js";

/**
 * The poller's own scheduling, against a queue kept in memory (the mapping against the emulator is
 * test/integration/local/runtime/sqs/sqs-mapping.test.ts): an idle mapping polls with one loop, never
 * none, and every loop is back at work as soon as records arrive.
 */
const LONG_POLL_MS = 20;

function memoryQueue() {
  const waiting: Message[] = [];
  const arrivals: Array<() => void> = [];
  let receives = 0;
  let next = 0;
  const client = {
    async send(command: unknown, options?: { abortSignal?: AbortSignal }) {
      if (command instanceof DeleteMessageBatchCommand) return { Successful: command.input.Entries!.map((entry) => ({ Id: entry.Id })) };
      if (!(command instanceof ReceiveMessageCommand)) throw new Error("unexpected command");
      receives++;
      if (waiting.length === 0 && (command.input.WaitTimeSeconds ?? 0) > 0) {
        // A long poll: back at the first arrival, or empty after the wait.
        await new Promise<void>((resolveWait) => {
          const done = () => {
            clearTimeout(timer);
            options?.abortSignal?.removeEventListener("abort", done);
            resolveWait();
          };
          const timer = setTimeout(done, LONG_POLL_MS);
          arrivals.push(done);
          options?.abortSignal?.addEventListener("abort", done, { once: true });
        });
      }
      return { Messages: waiting.splice(0, command.input.MaxNumberOfMessages ?? 1) };
    },
  };
  return {
    client: client as unknown as SQSClient,
    get receives() {
      return receives;
    },
    put(count: number) {
      for (let index = 0; index < count; index++) waiting.push({ MessageId: `m${next}`, ReceiptHandle: `r${next++}`, Body: "{}", Attributes: { SentTimestamp: String(Date.now()) } });
      for (const arrive of arrivals.splice(0)) arrive();
    },
  };
}

function slowHost() {
  let running = 0;
  const stats = { invocations: 0, records: 0, mostAtOnce: 0 };
  const host = {
    async invoke(event: { Records: unknown[] }) {
      running++;
      stats.mostAtOnce = Math.max(stats.mostAtOnce, running);
      await sleep(30);
      running--;
      stats.invocations++;
      stats.records += event.Records.length;
      return undefined;
    },
  };
  return { host: host as unknown as FunctionHost, stats };
}

const mapping = { address: "aws_lambda_event_source_mapping.m", functionName: "fn", queueArn: "arn:aws:sqs:us-east-1:123456789012:q", queueUrl: "http://127.0.0.1/123456789012/q", batchSize: 2, maximumBatchingWindowSeconds: 0, maximumConcurrency: 5, reportBatchItemFailures: true, enabled: true };

test("an idle mapping polls with one loop (the others parked), and every loop takes records once they arrive", async () => {
  const queue = memoryQueue();
  const { host, stats } = slowHost();
  const poller = new EventSourcePoller(mapping, host, { sqs: queue.client, region: "us-east-1", log: silentLog, pollWaitSeconds: 1, defaultConcurrency: 2 });
  poller.start();
  try {
    await sleep(LONG_POLL_MS * 10);
    assert.is(poller.parkedLoops, 4, "four of five loops parked while the queue is empty");
    const idleReceives = queue.receives;
    assert.ok(idleReceives <= 5 + 12, `${idleReceives} receives in ${LONG_POLL_MS * 10} ms: more than one loop kept polling`);

    queue.put(40);
    for (let waited = 0; stats.records < 40 && waited < 5_000; waited += 10) await sleep(10);
    assert.is(stats.records, 40);
    assert.is(stats.mostAtOnce, 5, "the burst met all five loops");
    assert.is(poller.counters.recordsDeleted, 40);

    await sleep(LONG_POLL_MS * 5);
    assert.is(poller.parkedLoops, 4, "idle again: one loop polls");
  } finally {
    await poller.stop();
  }
  assert.is(poller.parkedLoops, 0, "stop wakes the parked loops");
});

test("records arriving while the only polling loop is busy still reach the others: a loop with records wakes the parked", async () => {
  const queue = memoryQueue();
  const { host, stats } = slowHost();
  const poller = new EventSourcePoller({ ...mapping, batchSize: 1 }, host, { sqs: queue.client, region: "us-east-1", log: silentLog, pollWaitSeconds: 1, defaultConcurrency: 2 });
  poller.start();
  try {
    for (let round = 0; round < 3; round++) {
      await sleep(LONG_POLL_MS * 3);
      queue.put(1); // one record: one loop takes it; the rest must not stay parked behind its invocation
      queue.put(9);
      for (let waited = 0; stats.records < (round + 1) * 10 && waited < 5_000; waited += 10) await sleep(10);
      assert.is(stats.records, (round + 1) * 10);
    }
    assert.is(stats.mostAtOnce, 5);
  } finally {
    await poller.stop();
  }
});

test.run();
