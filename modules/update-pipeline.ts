import { Construct } from "constructs";
import type { BundledFunction } from "./bundled-function.js";
import { GuardedQueuePolicy, type StackRoles } from "./guarded-queue-policy.js";
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
 * `guardQueues` gives all four queues a resource policy (GuardedQueuePolicy), so that who may send does not rest on role
 * policies alone (one over-broad grant on the processor's role would otherwise let hostile-telemetry code enqueue
 * commands): no principal of another account sends, the stack's roles that never send to a queue are refused there by
 * it, no stack role administers a queue, and none but a queue's consumer takes messages off it.
 *
 * @example
 * const updates = new UpdatePipeline(this, "updates", { namePrefix: "fleetota-dev", managerTimeoutSeconds: 30, maxReceiveCount: 5 });
 * updates.attachManager(manager, { reports: { batchSize: 10, maximumBatchingWindowSeconds: 1, maximumConcurrency: 5 }, commands: { batchSize: 10, maximumBatchingWindowSeconds: 1, maximumConcurrency: 2 } });
 * updates.grantSendReports(processor); updates.grantSendCommands(ticker);
 * updates.guardQueues({ accountId: "123456789012", telemetryProcessor: processor.role.arn, updateManager: manager.role.arn, rolloutTicker: ticker.role.arn,
 *   dashboardPublisher: publisher.role.arn, vehicles: vehicleIdentity.role.arn, gateways: gatewayIdentity.role.arn });
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

  /**
   * The queues' resource policies (GuardedQueuePolicy: Deny only, so operators, any principal of the account with its own
   * IAM permission, still send, move dead letters back and redrive). On the command queue no role of the stack but the
   * rollout ticker sends and none but the update manager takes a command off it; on the vehicle-report queue none but
   * the telemetry processor sends and none but the manager takes. No stack role sends to a DLQ (a dead letter placed
   * there would be moved into its queue by an operator's redrive; messages SQS itself moves there are not sends) or
   * takes from one; the dashboard publisher peeks at them.
   */
  guardQueues(roles: StackRoles): void {
    const publisher = ["dashboardPublisher"] as const;
    for (const [queue, logicalId, senders, takers, peekers] of [
      [this.commands.queue, "command_queue_policy", ["rolloutTicker"], ["updateManager"], []],
      [this.commands.deadLetterQueue, "command_dlq_policy", [], [], publisher],
      [this.work.queue, "update_queue_policy", ["telemetryProcessor"], ["updateManager"], []],
      [this.work.deadLetterQueue, "update_dlq_policy", [], [], publisher],
    ] as const) {
      new GuardedQueuePolicy(this, logicalId, { queue, logicalId, roles, senders, takers, peekers });
    }
  }
}
