/**
 * StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask with SQS's semantics, on top of the
 * emulator's queues: the source must be the dead-letter queue of some queue, one active task per source,
 * the destination defaults to the queue the messages came from, up to 500 messages per second, an opaque
 * task handle, and the ten most recent tasks per source listed newest first.
 */
import { randomUUID } from "node:crypto";
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  QueueDoesNotExist,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Log } from "../../lib/logger.js";
import { SQS_ERROR_CODE, SqsApiError } from "./errors.js";
import { MessageMoveTask, MOVE_TASK_STATUS } from "./move-task.js";

const MAX_RATE = 500;
const MAX_LISTED = 10;

export interface StartMessageMoveTaskInput {
  SourceArn?: string;
  DestinationArn?: string;
  MaxNumberOfMessagesPerSecond?: number;
}

export interface ListMessageMoveTasksInput {
  SourceArn?: string;
  MaxResults?: number;
}

export interface CancelMessageMoveTaskInput {
  TaskHandle?: string;
}

function parseQueueArn(arn: string | undefined, parameter: string): { region: string; accountId: string; queueName: string } {
  const match = /^arn:aws[\w-]*:sqs:([^:]+):(\d{12}):([\w.-]+)$/.exec(arn ?? "");
  if (!match) throw new SqsApiError(SQS_ERROR_CODE.InvalidParameterValue, `Value ${String(arn)} for parameter ${parameter} is invalid. Reason: not an SQS queue ARN.`);
  return { region: match[1]!, accountId: match[2]!, queueName: match[3]! };
}

function encodeHandle(taskId: string, sourceArn: string): string {
  return Buffer.from(JSON.stringify({ taskId, sourceArn })).toString("base64");
}

export class MessageMoveTaskRegistry {
  /** Tasks by source ARN, oldest first. */
  private readonly tasksBySource = new Map<string, MessageMoveTask[]>();
  private readonly tasksByHandle = new Map<string, MessageMoveTask>();

  /** `sqsFor(region)` gives a client of the emulator in that region (queues live in one region). */
  constructor(
    private readonly sqsFor: (region: string) => SQSClient,
    private readonly log: Log,
  ) {}

  private async queueUrl(arn: string | undefined, parameter: string): Promise<string> {
    const { region, accountId, queueName } = parseQueueArn(arn, parameter);
    try {
      const { QueueUrl } = await this.sqsFor(region).send(new GetQueueUrlCommand({ QueueName: queueName, QueueOwnerAWSAccountId: accountId }));
      return QueueUrl!;
    } catch (error) {
      if (error instanceof QueueDoesNotExist || (error as Error).name.includes("NonExistentQueue")) {
        throw new SqsApiError(SQS_ERROR_CODE.ResourceNotFound, `The resource that you specified for the ${parameter} parameter doesn't exist.`);
      }
      throw error;
    }
  }

  private async queueArnOf(sqs: SQSClient, url: string): Promise<string> {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
    return Attributes!.QueueArn!;
  }

  /**
   * Starts a task; resolves with its handle while the messages move in the background.
   *
   * @example
   * const { TaskHandle } = await registry.start({ SourceArn: dlqArn });
   */
  async start(input: StartMessageMoveTaskInput): Promise<{ TaskHandle: string }> {
    const rate = input.MaxNumberOfMessagesPerSecond;
    if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > MAX_RATE)) {
      throw new SqsApiError(SQS_ERROR_CODE.InvalidParameterValue, `MaxNumberOfMessagesPerSecond must be an integer from 1 to ${MAX_RATE}.`);
    }
    const sourceUrl = await this.queueUrl(input.SourceArn, "SourceArn");
    const sourceArn = input.SourceArn!;
    const sqs = this.sqsFor(parseQueueArn(sourceArn, "SourceArn").region);
    const { queueUrls: redriveSources = [] } = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: sourceUrl }));
    if (redriveSources.length === 0) {
      throw new SqsApiError(SQS_ERROR_CODE.UnsupportedOperation, "Source queue must be configured as a Dead Letter Queue.");
    }
    if ((this.tasksBySource.get(sourceArn) ?? []).some((task) => task.active)) {
      throw new SqsApiError(
        SQS_ERROR_CODE.UnsupportedOperation,
        "There is already a task running. Only one active task is allowed for each source queue arn at a given time.",
      );
    }
    let destinationUrl: string;
    if (input.DestinationArn) {
      destinationUrl = await this.queueUrl(input.DestinationArn, "DestinationArn");
    } else if (redriveSources.length === 1) {
      destinationUrl = redriveSources[0]!;
    } else {
      // AWS remembers each message's original queue; the emulator does not, so ask for a destination.
      const names = await Promise.all(redriveSources.map((url) => this.queueArnOf(sqs, url)));
      throw new SqsApiError(
        SQS_ERROR_CODE.UnsupportedOperation,
        `Several queues dead-letter into this queue (${names.join(", ")}); the local cloud cannot tell which one each message came from, so give DestinationArn.`,
      );
    }
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: sourceUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    const taskHandle = encodeHandle(randomUUID(), sourceArn);
    const task = new MessageMoveTask(
      {
        taskHandle,
        sourceArn,
        sourceUrl,
        destinationArn: input.DestinationArn,
        destinationUrl,
        maxNumberOfMessagesPerSecond: rate,
        approximateNumberOfMessagesToMove: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
      },
      sqs,
      this.log,
    ).start();
    const tasks = [...(this.tasksBySource.get(sourceArn) ?? []), task].slice(-MAX_LISTED);
    this.tasksBySource.set(sourceArn, tasks);
    this.tasksByHandle.set(taskHandle, task);
    this.log.info("message move task started", { sourceArn, destinationUrl, toMove: task.spec.approximateNumberOfMessagesToMove });
    return { TaskHandle: taskHandle };
  }

  /** The most recent tasks of a source queue, newest first (ListMessageMoveTasks). */
  async list(input: ListMessageMoveTasksInput): Promise<{ Results: Array<Record<string, unknown>> }> {
    const maxResults = input.MaxResults ?? 1;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_LISTED) {
      throw new SqsApiError(SQS_ERROR_CODE.InvalidParameterValue, `MaxResults must be an integer from 1 to ${MAX_LISTED}.`);
    }
    await this.queueUrl(input.SourceArn, "SourceArn");
    const tasks = [...(this.tasksBySource.get(input.SourceArn!) ?? [])].reverse().slice(0, maxResults);
    return {
      Results: tasks.map((task) => ({
        ...(task.status === MOVE_TASK_STATUS.Running ? { TaskHandle: task.spec.taskHandle } : {}),
        Status: task.status,
        SourceArn: task.spec.sourceArn,
        ...(task.spec.destinationArn ? { DestinationArn: task.spec.destinationArn } : {}),
        ...(task.spec.maxNumberOfMessagesPerSecond ? { MaxNumberOfMessagesPerSecond: task.spec.maxNumberOfMessagesPerSecond } : {}),
        ApproximateNumberOfMessagesMoved: task.moved,
        ApproximateNumberOfMessagesToMove: task.spec.approximateNumberOfMessagesToMove,
        ...(task.failureReason ? { FailureReason: task.failureReason } : {}),
        StartedTimestamp: task.startedTimestamp,
      })),
    };
  }

  /** Cancels a running task (CancelMessageMoveTask); messages already moved stay moved. */
  async cancel(input: CancelMessageMoveTaskInput): Promise<{ ApproximateNumberOfMessagesMoved: number }> {
    const task = this.tasksByHandle.get(input.TaskHandle ?? "");
    if (!task) throw new SqsApiError(SQS_ERROR_CODE.ResourceNotFound, "The task handle does not refer to a message movement task.");
    if (task.status !== MOVE_TASK_STATUS.Running) {
      throw new SqsApiError(SQS_ERROR_CODE.UnsupportedOperation, `Only a RUNNING task can be cancelled; this one is ${task.status}.`);
    }
    task.cancel();
    return { ApproximateNumberOfMessagesMoved: task.moved };
  }

  /** Cancels every running task and waits for them to stop (used at shutdown). */
  async stopAll(): Promise<void> {
    const tasks = [...this.tasksByHandle.values()];
    for (const task of tasks) task.cancel();
    await Promise.all(tasks.map((task) => task.done()));
  }
}
