/**
 * One message-move task, as SQS runs it: receive from the dead-letter queue, send to the destination,
 * delete from the dead-letter queue, at most MaxNumberOfMessagesPerSecond, until the messages that were
 * there when it started are moved, it is cancelled, or it fails.
 *
 * Nothing lost: a message leaves the DLQ only after the destination accepted it. Nothing duplicated: every
 * DLQ message id the destination accepted is journaled before the delete, so a message whose delete failed
 * (retried, then it reappears after its visibility timeout) is deleted then, never sent twice. The journal
 * lives as long as the emulator's in-memory queues do (a crash ends both), so no crash can separate the two.
 * Only a send whose reply is lost (an exception, outcome unknown) is sent again, as SQS itself would.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Log } from "../../lib/logger.js";
import { MOVE_TASK_STATUS, type MoveTaskStatus } from "../../contracts/message-move-task.js";

export { MOVE_TASK_STATUS, type MoveTaskStatus };

export interface MoveTaskSpec {
  taskHandle: string;
  sourceArn: string;
  sourceUrl: string;
  /** As given by the caller (absent: back to the queue the messages came from). */
  destinationArn?: string;
  destinationUrl: string;
  maxNumberOfMessagesPerSecond?: number;
  approximateNumberOfMessagesToMove: number;
}

const defaults = {
  /** Long enough for a batch's send + delete; a message whose delete failed reappears after it. */
  visibilityTimeoutSeconds: 30,
  /** Consecutive failed batches before the task gives up with FAILED. */
  maxConsecutiveFailures: 5,
  /** Empty receives (each a 1 s long poll) before the DLQ counts as drained. */
  emptyReceivesToFinish: 2,
  /** Attempts of a batch delete (its receipt handles stay valid for the visibility timeout). */
  deleteAttempts: 3,
} as const;

export class MessageMoveTask {
  status: MoveTaskStatus = MOVE_TASK_STATUS.Running;
  moved = 0;
  failureReason?: string;
  readonly startedTimestamp = Date.now();
  /** DLQ message ids the destination accepted. */
  private readonly sentIds = new Set<string>();
  private finished: Promise<void> = Promise.resolve();

  constructor(
    readonly spec: MoveTaskSpec,
    private readonly sqs: SQSClient,
    private readonly log: Log,
  ) {}

  /** Starts moving in the background; `done()` resolves when the task ended (any status). */
  start(): this {
    this.finished = this.run().catch((error: unknown) => {
      this.status = MOVE_TASK_STATUS.Failed;
      this.failureReason = error instanceof Error ? error.message : String(error);
      this.log.error("message move task failed", { taskHandle: this.spec.taskHandle, reason: this.failureReason });
    });
    return this;
  }

  done(): Promise<void> {
    return this.finished;
  }

  cancel(): void {
    if (this.status === MOVE_TASK_STATUS.Running) this.status = MOVE_TASK_STATUS.Cancelling;
  }

  get active(): boolean {
    return this.status === MOVE_TASK_STATUS.Running || this.status === MOVE_TASK_STATUS.Cancelling;
  }

  private remaining(): number {
    return this.spec.approximateNumberOfMessagesToMove - this.moved;
  }

  private async run(): Promise<void> {
    const started = performance.now();
    let failures = 0;
    let emptyReceives = 0;
    while (this.status === MOVE_TASK_STATUS.Running && this.remaining() > 0) {
      const rate = this.spec.maxNumberOfMessagesPerSecond;
      const batchSize = Math.min(10, this.remaining(), rate ?? 10);
      const messages = await this.receive(batchSize);
      if (messages.length === 0) {
        emptyReceives += 1;
        // Sent but not yet deleted: they come back after the visibility timeout and are deleted then.
        const awaitingRedelivery = this.sentIds.size > 0 && emptyReceives <= defaults.visibilityTimeoutSeconds + 5;
        if (!awaitingRedelivery && emptyReceives >= defaults.emptyReceivesToFinish) break;
        continue;
      }
      emptyReceives = 0;
      const movedNow = await this.moveBatch(messages);
      failures = movedNow === 0 ? failures + 1 : 0;
      if (failures >= defaults.maxConsecutiveFailures) {
        throw new Error(`no message of ${failures} batches in a row could be moved to ${this.spec.destinationUrl}`);
      }
      if (rate) {
        const dueMs = (this.moved / rate) * 1000 - (performance.now() - started);
        if (dueMs > 0) await sleep(dueMs);
      }
    }
    this.status = this.status === MOVE_TASK_STATUS.Cancelling ? MOVE_TASK_STATUS.Cancelled : MOVE_TASK_STATUS.Completed;
    this.log.info("message move task ended", { taskHandle: this.spec.taskHandle, status: this.status, moved: this.moved });
  }

  private async receive(maxMessages: number): Promise<Message[]> {
    const received = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.spec.sourceUrl,
        MaxNumberOfMessages: maxMessages,
        VisibilityTimeout: defaults.visibilityTimeoutSeconds,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    return received.Messages ?? [];
  }

  /** Sends what was not sent before, deletes what the destination holds; returns how many moved. */
  private async moveBatch(messages: Message[]): Promise<number> {
    const unsent = messages.filter((message) => !this.sentIds.has(message.MessageId!));
    const refused = await this.sendToDestination(unsent);
    const accepted = messages.filter((message) => this.sentIds.has(message.MessageId!));
    const deleted = await this.deleteFromSource(accepted);
    if (refused.length) await this.makeVisibleAgain(refused);
    return deleted;
  }

  /** Journals every message the destination accepted; returns the refused ones. */
  private async sendToDestination(messages: Message[]): Promise<Message[]> {
    if (messages.length === 0) return [];
    try {
      const result = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.spec.destinationUrl, Entries: messages.map(toSendEntry) }));
      for (const success of result.Successful ?? []) this.sentIds.add(messages[Number(success.Id)]!.MessageId!);
      return (result.Failed ?? []).map((failure) => messages[Number(failure.Id)]!);
    } catch (error) {
      // Unknown outcome: nothing is journaled, so they are sent again (SQS's own at-least-once on a lost reply).
      this.log.warn("sending to the destination failed", { taskHandle: this.spec.taskHandle, error: String(error) });
      return messages;
    }
  }

  /** Deletes journaled messages, retrying; what stays undeleted reappears later and is deleted then. */
  private async deleteFromSource(messages: Message[]): Promise<number> {
    let remaining = messages;
    for (let attempt = 1; remaining.length > 0 && attempt <= defaults.deleteAttempts; attempt++) {
      try {
        const result = await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.spec.sourceUrl,
            Entries: remaining.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
          }),
        );
        const deleted = new Set((result.Successful ?? []).map((success) => Number(success.Id)));
        for (const index of deleted) this.sentIds.delete(remaining[index]!.MessageId!);
        this.moved += deleted.size;
        remaining = remaining.filter((_, index) => !deleted.has(index));
      } catch (error) {
        this.log.warn("deleting moved messages failed", { taskHandle: this.spec.taskHandle, attempt, error: String(error) });
        await sleep(100 * attempt);
      }
    }
    return messages.length - remaining.length;
  }

  /** Makes refused messages visible at once rather than after the visibility timeout. */
  private async makeVisibleAgain(messages: Message[]): Promise<void> {
    await this.sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.spec.sourceUrl,
          Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 })),
        }),
      )
      .catch((error: unknown) => this.log.warn("could not make refused messages visible again", { error: String(error) }));
  }
}

function toSendEntry(message: Message, index: number): SendMessageBatchRequestEntry {
  const attributes = message.Attributes ?? {};
  return {
    Id: String(index),
    MessageBody: message.Body ?? "",
    MessageAttributes: message.MessageAttributes,
    ...(attributes.AWSTraceHeader
      ? { MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: attributes.AWSTraceHeader } } }
      : {}),
    ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
    ...(attributes.MessageDeduplicationId ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
  };
}
