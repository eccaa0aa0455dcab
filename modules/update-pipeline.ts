import { Construct } from "constructs";
import type { BundledFunction } from "./bundled-function.js";
import { QueueConsumer } from "./queue-consumer.js";
import type { QueueConsumerSettings } from "./stack-config.js";
import { WorkQueue } from "./work-queue.js";

export interface UpdatePipelineProps {
  readonly namePrefix: string;
  readonly managerTimeoutSeconds: number;
  readonly maxReceiveCount: number;
}

/**
 * The update-job queue (candidates, OTA status reports, commands — contracts/update-messages.ts)
 * with its DLQ and redrive allow policy, consumed by the update manager.
 *
 * @example
 * const updates = new UpdatePipeline(this, "updates", { namePrefix: "fleetota-dev", managerTimeoutSeconds: 30, maxReceiveCount: 5 });
 * updates.attachManager(manager, { batchSize: 10, maximumBatchingWindowSeconds: 1, maximumConcurrency: 5 });
 */
export class UpdatePipeline extends Construct {
  readonly work: WorkQueue;

  constructor(scope: Construct, id: string, props: UpdatePipelineProps) {
    super(scope, id);
    this.work = new WorkQueue(this, "queue", {
      queueName: `${props.namePrefix}-update-jobs`,
      logicalId: "update",
      consumerTimeoutSeconds: props.managerTimeoutSeconds,
      maxReceiveCount: props.maxReceiveCount,
    });
  }

  /** Wires the update manager to the queue (event source mapping + consume permissions). */
  attachManager(manager: BundledFunction, settings: QueueConsumerSettings): QueueConsumer {
    return new QueueConsumer(this, "manager", {
      queue: this.work,
      consumer: manager,
      settings,
      logicalId: "update_manager_mapping",
    });
  }

  /** Lets a function enqueue update-job messages. */
  grantSend(producer: BundledFunction): void {
    producer.addToPolicy({ Sid: "SendUpdateJobs", Effect: "Allow", Action: "sqs:SendMessage", Resource: this.work.queueArn });
  }
}
