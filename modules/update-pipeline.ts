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
 * The update manager's two queues (contracts/update-messages.ts), each with its DLQ and redrive allow policy:
 * - `work`, the vehicle-report (update-job) queue: candidates and OTA status reports, sent by the telemetry processor;
 * - `commands`, the command queue: operator commands (the CLI) and the rollout ticker's ticks. The processor, which
 *   parses hostile telemetry, gets no SendMessage on it, and the manager applies a command only from this queue.
 *
 * @example
 * const updates = new UpdatePipeline(this, "updates", { namePrefix: "fleetota-dev", managerTimeoutSeconds: 30, maxReceiveCount: 5 });
 * updates.attachManager(manager, { reports: { batchSize: 10, maximumBatchingWindowSeconds: 1, maximumConcurrency: 5 }, commands: { batchSize: 10, maximumBatchingWindowSeconds: 1, maximumConcurrency: 2 } });
 * updates.grantSendReports(processor); updates.grantSendCommands(ticker);
 */
export class UpdatePipeline extends Construct {
  readonly work: WorkQueue;
  readonly commands: WorkQueue;

  constructor(scope: Construct, id: string, props: UpdatePipelineProps) {
    super(scope, id);
    this.work = new WorkQueue(this, "queue", {
      queueName: `${props.namePrefix}-update-jobs`,
      logicalId: "update",
      consumerTimeoutSeconds: props.managerTimeoutSeconds,
      maxReceiveCount: props.maxReceiveCount,
    });
    this.commands = new WorkQueue(this, "commands", {
      queueName: `${props.namePrefix}-commands`,
      logicalId: "command",
      consumerTimeoutSeconds: props.managerTimeoutSeconds,
      maxReceiveCount: props.maxReceiveCount,
    });
  }

  /** Wires the update manager to both queues (an event source mapping and consume permissions each). */
  attachManager(manager: BundledFunction, settings: { reports: QueueConsumerSettings; commands: QueueConsumerSettings }): QueueConsumer[] {
    return [
      new QueueConsumer(this, "manager", { queue: this.work, consumer: manager, settings: settings.reports, logicalId: "update_manager_mapping" }),
      new QueueConsumer(this, "manager-commands", { queue: this.commands, consumer: manager, settings: settings.commands, logicalId: "update_manager_command_mapping" }),
    ];
  }

  /** Lets a function enqueue vehicle reports and candidates (the telemetry processor). */
  grantSendReports(producer: BundledFunction): void {
    producer.addToPolicy({ Sid: "SendUpdateJobs", Effect: "Allow", Action: "sqs:SendMessage", Resource: this.work.queueArn });
  }

  /** Lets a function enqueue commands (the rollout ticker's ticks). */
  grantSendCommands(producer: BundledFunction): void {
    producer.addToPolicy({ Sid: "SendCommands", Effect: "Allow", Action: "sqs:SendMessage", Resource: this.commands.queueArn });
  }
}
