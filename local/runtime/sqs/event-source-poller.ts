import { setMaxListeners } from "node:events";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import { abortableSleep } from "../../../lib/abortable-sleep.js";
import type { Log } from "../../../lib/logger.js";
import type { LocalEventSourceMapping } from "../../model.js";
import type { FunctionHost } from "../lambda/function-host.js";
import { decideBatch, type InvocationResult } from "./batch-response.js";
import { toSqsRecord } from "./records.js";

export interface PollerOptions {
  sqs: SQSClient;
  region: string;
  log: Log;
  /** Long-poll wait of each ReceiveMessage while nothing is buffered (AWS's pollers use 20 s). */
  pollWaitSeconds: number;
  /** Concurrent batches when the mapping sets no maximum concurrency. */
  defaultConcurrency: number;
}

/** Per-mapping totals since the runtime started. */
export interface MappingCounters {
  batches: number;
  recordsDelivered: number;
  recordsDeleted: number;
  recordsFailed: number;
  pollErrors: number;
}

const RECEIVE_MAX = 10;
const DELETE_MAX = 10;
const ERROR_BACKOFF_MS = 1000;

/**
 * Runs one SQS event source mapping as Lambda does: `concurrency` poll loops (the mapping's maximum
 * concurrency, else a default), each long-polling the queue, gathering up to `batchSize` records within
 * the batching window, invoking the function, deleting what succeeded and leaving the rest to the
 * visibility timeout. The loops keep receiving, which is also what makes moto apply the redrive policy.
 *
 * An idle mapping scales down, as Lambda's pollers scale with the backlog: a loop whose long poll came back
 * empty while another loop is polling parks, and every parked loop resumes as soon as any loop receives a
 * record. So one loop per idle mapping polls, never none, and a burst still meets every loop within one
 * receive (the emulator is one process: 17 idle loops were 17 requests a second at a 1 s wait).
 *
 * @example
 * const poller = new EventSourcePoller(mapping, host, options);
 * poller.start();
 * await poller.stop();
 */
export class EventSourcePoller {
  readonly counters: MappingCounters = { batches: 0, recordsDelivered: 0, recordsDeleted: 0, recordsFailed: 0, pollErrors: 0 };
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private batchesInHand = 0;
  /** Loops waiting in their first receive of a batch. */
  private pollingLoops = 0;
  /** Wakes of the loops parked after an empty receive. */
  private parked: Array<() => void> = [];
  private oldestAgeSeconds: number | undefined;

  constructor(
    readonly mapping: LocalEventSourceMapping,
    private readonly host: FunctionHost,
    private readonly options: PollerOptions,
  ) {}

  get concurrency(): number {
    return this.mapping.maximumConcurrency ?? this.options.defaultConcurrency;
  }

  /** Loops parked while the mapping is idle (another loop polls for them). */
  get parkedLoops(): number {
    return this.parked.length;
  }

  /** True while a received batch is being processed (invocation or deletion). */
  get busy(): boolean {
    return this.batchesInHand > 0;
  }

  /**
   * Age (seconds since sent) of the oldest message received since the previous call: the local stand-in
   * for AWS/SQS ApproximateAgeOfOldestMessage, which moto does not compute.
   */
  drainOldestAgeSeconds(): number | undefined {
    const age = this.oldestAgeSeconds;
    this.oldestAgeSeconds = undefined;
    return age;
  }

  start(): void {
    if (!this.mapping.enabled || this.loops.length > 0) return;
    // Every loop listens on the one abort signal with a receive or a sleep in flight: more than Node's
    // default of 10 listeners once a mapping's concurrency passes 5, and no leak.
    setMaxListeners(Math.max(10, this.concurrency * 3), this.abort.signal);
    this.loops = Array.from({ length: this.concurrency }, (_, index) => this.pollLoop(index));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeParked();
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async pollLoop(index: number): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const messages = await this.gatherBatch(signal);
        if (signal.aborted) continue;
        if (messages.length === 0) {
          if (this.pollingLoops > 0) await this.park();
          continue;
        }
        this.batchesInHand += 1;
        try {
          await this.processBatch(messages);
        } finally {
          this.batchesInHand -= 1;
        }
      } catch (error) {
        if (signal.aborted) break;
        this.counters.pollErrors += 1;
        this.options.log.warn(`[esm ${this.mapping.functionName}#${index}] poll failed: ${(error as Error).message}`);
        await abortableSleep(ERROR_BACKOFF_MS, signal);
      }
    }
  }

  private receive(maxMessages: number, waitSeconds: number, signal: AbortSignal): Promise<Message[]> {
    const command = new ReceiveMessageCommand({
      QueueUrl: this.mapping.queueUrl,
      MaxNumberOfMessages: Math.min(RECEIVE_MAX, maxMessages),
      WaitTimeSeconds: waitSeconds,
      AttributeNames: ["All"],
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    });
    return this.options.sqs.send(command, { abortSignal: signal }).then((output) => output.Messages ?? []);
  }

  /** Until a loop receives a record (or the mapping stops). */
  private park(): Promise<void> {
    return new Promise((resolveWake) => this.parked.push(resolveWake));
  }

  private wakeParked(): void {
    for (const wake of this.parked.splice(0)) wake();
  }

  /** Long-polls for the first records, then keeps gathering until the batch is full or the window closes. */
  private async gatherBatch(signal: AbortSignal): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.mapping;
    this.pollingLoops += 1;
    let batch: Message[];
    try {
      batch = await this.receive(batchSize, this.options.pollWaitSeconds, signal);
    } finally {
      this.pollingLoops -= 1;
    }
    if (batch.length === 0) return batch;
    this.wakeParked();
    const windowEnds = Date.now() + maximumBatchingWindowSeconds * 1000;
    while (batch.length < batchSize && Date.now() < windowEnds && !signal.aborted) {
      const waitSeconds = Math.min(20, Math.floor((windowEnds - Date.now()) / 1000));
      const more = await this.receive(batchSize - batch.length, waitSeconds, signal);
      batch.push(...more);
      if (more.length === 0 && waitSeconds === 0) await abortableSleep(Math.min(100, windowEnds - Date.now()), signal);
    }
    return batch;
  }

  private async processBatch(messages: Message[]): Promise<void> {
    const source = { queueArn: this.mapping.queueArn, region: this.options.region };
    const records = messages.map((message) => toSqsRecord(message, source));
    this.counters.batches += 1;
    this.counters.recordsDelivered += records.length;
    const oldestSent = Math.min(...records.map((record) => Number(record.attributes.SentTimestamp) || Date.now()));
    this.oldestAgeSeconds = Math.max(this.oldestAgeSeconds ?? 0, Math.max(0, (Date.now() - oldestSent) / 1000));
    let result: InvocationResult;
    try {
      result = { ok: true, payload: await this.host.invoke({ Records: records }) };
    } catch (error) {
      result = { ok: false, error: error as Error };
    }
    const decision = decideBatch(
      records.map((record) => record.messageId),
      result,
      this.mapping.reportBatchItemFailures,
    );
    if (decision.failed.length > 0) {
      this.counters.recordsFailed += decision.failed.length;
      this.options.log.info(
        `[esm ${this.mapping.functionName}] ${decision.failed.length} of ${records.length} record(s) left for redelivery: ${decision.reason}`,
      );
    }
    const receiptById = new Map(records.map((record) => [record.messageId, record.receiptHandle]));
    await this.deleteMessages(decision.succeeded.map((id) => ({ Id: id, ReceiptHandle: receiptById.get(id) ?? "" })));
  }

  private async deleteMessages(entries: Array<{ Id: string; ReceiptHandle: string }>): Promise<void> {
    for (let start = 0; start < entries.length; start += DELETE_MAX) {
      const chunk = entries.slice(start, start + DELETE_MAX).map((entry, index) => ({ ...entry, Id: `m${start + index}` }));
      const output = await this.options.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.mapping.queueUrl, Entries: chunk }));
      this.counters.recordsDeleted += output.Successful?.length ?? 0;
      for (const failure of output.Failed ?? []) {
        this.options.log.warn(`[esm ${this.mapping.functionName}] delete failed: ${failure.Code}: ${failure.Message}`);
      }
    }
  }
}
