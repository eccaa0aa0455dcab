import {
  CancelMessageMoveTaskCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Log } from "../../lib/logger.js";
import { CloudOperationError } from "../errors.js";
import { realSleep, type Sleep } from "./pacer.js";
import { MOVE_TASK_STATUS } from "../../contracts/message-move-task.js";

export { MOVE_TASK_STATUS };

const FINISHED: ReadonlySet<string> = new Set([MOVE_TASK_STATUS.Completed, MOVE_TASK_STATUS.Cancelled, MOVE_TASK_STATUS.Failed]);

export interface MoveTaskProgress {
  status: string;
  moved: number;
  toMove: number;
}

export interface MoveTaskParams {
  sqs: SQSClient;
  dlqUrl: string;
  sourceUrl: string;
  log: Log;
  maxPerSecond?: number;
  pollIntervalMs?: number;
  onProgress?: (progress: MoveTaskProgress) => void;
  /** Aborting it cancels the task (CancelMessageMoveTask) and waits for it to stop. */
  signal?: AbortSignal;
  sleep?: Sleep;
}

export interface MoveTaskResult extends MoveTaskProgress {
  taskHandle: string;
  failureReason?: string;
}

/**
 * Moves the whole DLQ back to its source with SQS's own message-move task and follows it with
 * ListMessageMoveTasks until it finishes. SQS moves each message once and keeps its attributes.
 *
 * @example
 * const result = await moveAllWithTask({ sqs, dlqUrl, sourceUrl, log, onProgress: (p) => bar.update(p.moved) });
 */
export async function moveAllWithTask(params: MoveTaskParams): Promise<MoveTaskResult> {
  const { sqs, log } = params;
  const sleep = params.sleep ?? realSleep;
  const [dlqArn, sourceArn] = await Promise.all([queueArn(sqs, params.dlqUrl), queueArn(sqs, params.sourceUrl)]);
  let taskHandle: string;
  try {
    const started = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: sourceArn, MaxNumberOfMessagesPerSecond: params.maxPerSecond }),
    );
    taskHandle = started.TaskHandle ?? "";
  } catch (error) {
    throw new CloudOperationError(`StartMessageMoveTask on ${dlqArn} failed: ${(error as Error).message}`);
  }
  log.info("message move task started", { taskHandle, dlqArn, sourceArn });
  let cancelRequested = false;
  for (;;) {
    if (params.signal?.aborted && !cancelRequested) {
      cancelRequested = true;
      await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: taskHandle }));
      log.warn("message move task cancel requested", { taskHandle });
    }
    const task = await findTask(sqs, dlqArn, taskHandle);
    const progress = {
      status: task?.Status ?? MOVE_TASK_STATUS.Running,
      moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
      toMove: task?.ApproximateNumberOfMessagesToMove ?? 0,
    };
    params.onProgress?.(progress);
    if (FINISHED.has(progress.status)) return { ...progress, taskHandle, failureReason: task?.FailureReason };
    await sleep(params.pollIntervalMs ?? 1000);
  }
}

async function findTask(sqs: SQSClient, dlqArn: string, taskHandle: string): Promise<ListMessageMoveTasksResultEntry | undefined> {
  const listed = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 }));
  const tasks = listed.Results ?? [];
  // Only the running task carries a TaskHandle in the listing; a finished one is the most recent entry.
  return tasks.find((task) => task.TaskHandle === taskHandle) ?? tasks[0];
}

/**
 * The ARN of a queue given its URL.
 *
 * @example
 * await queueArn(sqs, "http://127.0.0.1:4566/000000000000/fleetota-dev-update-dlq");
 */
export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const response = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  const arn = response.Attributes?.QueueArn;
  if (!arn) throw new CloudOperationError(`queue ${queueUrl} has no ARN (does it exist?)`);
  return arn;
}
