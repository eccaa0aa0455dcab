import { Construct } from "constructs";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy/index.js";
import { named } from "./logical-id.js";

/** AWS's advice: a queue's visibility timeout at least six times its consumer function's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
const FOURTEEN_DAYS_SECONDS = 14 * 24 * 60 * 60;
const FOUR_DAYS_SECONDS = 4 * 24 * 60 * 60;
/**
 * Written out so the queue does not depend on who fills the default: the AWS provider 5.x sends 256 KiB,
 * SQS itself (and moto) default to 1 MiB. The queues carry S3 events and update jobs, a few KiB each.
 */
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface WorkQueueProps {
  /** Queue name; the DLQ is `<queueName>-dlq`. */
  readonly queueName: string;
  /** Logical id prefix, e.g. `telemetry` → `aws_sqs_queue.telemetry_queue` and `.telemetry_dlq`. */
  readonly logicalId: string;
  /** Timeout of the Lambda that consumes the queue; sets the visibility timeout. */
  readonly consumerTimeoutSeconds: number;
  /** Receives before a message moves to the DLQ. */
  readonly maxReceiveCount: number;
}

/**
 * A work queue with its dead-letter queue: SSE on both, the DLQ keeps messages 14 days (the maximum),
 * and a redrive allow policy lets exactly this queue use the DLQ, so a redrive can move messages back. The queue
 * itself is no queue's DLQ (`refuseDeadLettersFromOtherQueues`).
 *
 * @example
 * const work = new WorkQueue(this, "update", { queueName: "fleetota-dev-update-jobs", logicalId: "update", consumerTimeoutSeconds: 30, maxReceiveCount: 5 });
 * work.queueUrl; work.deadLetterQueueArn;
 */
export class WorkQueue extends Construct {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly queueArn: string;
  readonly queueUrl: string;
  readonly queueName: string;
  readonly deadLetterQueueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueName: string;
  readonly visibilityTimeoutSeconds: number;
  /** The logical id prefix (`telemetry`, `update`), used to name what belongs to this queue. */
  readonly queueLabel: string;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    this.queueLabel = props.logicalId;
    this.visibilityTimeoutSeconds = VISIBILITY_TIMEOUT_FACTOR * props.consumerTimeoutSeconds;
    this.deadLetterQueue = named(
      new SqsQueue(this, "dlq", {
        name: `${props.queueName}-dlq`,
        messageRetentionSeconds: FOURTEEN_DAYS_SECONDS,
        maxMessageSize: MAX_MESSAGE_BYTES,
        sqsManagedSseEnabled: true,
      }),
      `${props.logicalId}_dlq`,
    );
    this.queue = named(
      new SqsQueue(this, "queue", {
        name: props.queueName,
        visibilityTimeoutSeconds: this.visibilityTimeoutSeconds,
        messageRetentionSeconds: FOUR_DAYS_SECONDS,
        maxMessageSize: MAX_MESSAGE_BYTES,
        sqsManagedSseEnabled: true,
        redrivePolicy: JSON.stringify({
          deadLetterTargetArn: this.deadLetterQueue.arn,
          maxReceiveCount: props.maxReceiveCount,
        }),
      }),
      `${props.logicalId}_queue`,
    );
    // A separate resource: the DLQ naming its source queue inline would be a reference cycle.
    named(
      new SqsQueueRedriveAllowPolicy(this, "redrive-allow", {
        queueUrl: this.deadLetterQueue.url,
        redriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [this.queue.arn] }),
      }),
      `${props.logicalId}_dlq_redrive_allow`,
    );
    refuseDeadLettersFromOtherQueues(this, "queue-redrive-allow", this.queue.url, `${props.logicalId}_queue_redrive_allow`);
    this.queueArn = this.queue.arn;
    this.queueUrl = this.queue.url;
    this.queueName = this.queue.name;
    this.deadLetterQueueArn = this.deadLetterQueue.arn;
    this.deadLetterQueueUrl = this.deadLetterQueue.url;
    this.deadLetterQueueName = this.deadLetterQueue.name;
  }
}

/**
 * Makes a queue no queue's DLQ (redrive allow policy `denyAll`): SQS's own dead-letter move is no SendMessage a queue
 * policy could judge, so with the default (`allowAll`) any principal able to create a queue in the account could make
 * one whose redrive policy names this queue, and have SQS move its own messages in after maxReceiveCount receives.
 *
 * @example
 * refuseDeadLettersFromOtherQueues(this, "queue-redrive-allow", queue.url, "update_queue_redrive_allow");
 */
export function refuseDeadLettersFromOtherQueues(scope: Construct, id: string, queueUrl: string, logicalId: string): SqsQueueRedriveAllowPolicy {
  return named(new SqsQueueRedriveAllowPolicy(scope, id, { queueUrl, redriveAllowPolicy: JSON.stringify({ redrivePermission: "denyAll" }) }), logicalId);
}
