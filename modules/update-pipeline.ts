import { Construct } from "constructs";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy/index.js";
import type { BundledFunction } from "./bundled-function.js";
import { policyJson, type PolicyStatement } from "./iam.js";
import { named } from "./logical-id.js";
import { QueueConsumer } from "./queue-consumer.js";
import type { QueueConsumerSettings } from "./stack-config.js";
import { WorkQueue } from "./work-queue.js";

/**
 * Actions a stack role that never sends to a queue is refused there by the queue itself: sending (SendMessageBatch is
 * authorized as sqs:SendMessage), and changing the queue's policy (SetQueueAttributes with `Policy`, Add/RemovePermission),
 * which would lift the refusal.
 */
export const REFUSED_SENDER_ACTIONS = ["sqs:SendMessage", "sqs:SetQueueAttributes", "sqs:AddPermission", "sqs:RemovePermission"] as const;
/** What only the command queue's consumer (the update manager) does there: taking, hiding or dropping a command. */
export const COMMAND_TAKING_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:PurgeQueue"] as const;

/** The role ARNs of the stack's principals, for the queues' resource policies (`refuseSenders`). */
export interface StackRoles {
  readonly accountId: string;
  readonly telemetryProcessor: string;
  readonly updateManager: string;
  readonly rolloutTicker: string;
  readonly dashboardPublisher: string;
  /** Vehicles' and fleet gateways' roles (IoT credentials provider): hostile by assumption. */
  readonly vehicles: string;
  readonly gateways: string;
}

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
 * `refuseSenders` gives all four queues a resource policy, so that who may send does not rest on role policies alone
 * (one over-broad grant on the processor's role would otherwise let hostile-telemetry code enqueue commands): no
 * principal of another account sends, and the stack's roles that never send to a queue are refused there by it.
 *
 * @example
 * const updates = new UpdatePipeline(this, "updates", { namePrefix: "fleetota-dev", managerTimeoutSeconds: 30, maxReceiveCount: 5 });
 * updates.attachManager(manager, { reports: { batchSize: 10, maximumBatchingWindowSeconds: 1, maximumConcurrency: 5 }, commands: { batchSize: 10, maximumBatchingWindowSeconds: 1, maximumConcurrency: 2 } });
 * updates.grantSendReports(processor); updates.grantSendCommands(ticker);
 * updates.refuseSenders({ accountId: "123456789012", telemetryProcessor: processor.role.arn, updateManager: manager.role.arn, rolloutTicker: ticker.role.arn,
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
   * The queues' resource policies (Deny only: operators, any principal of the account with its own IAM permission,
   * still send, move dead letters back and redrive). On the command queue and its DLQ no role of the stack but the
   * rollout ticker sends, and no role but the update manager takes a command off the queue; on the vehicle-report
   * queue and its DLQ none but the telemetry processor sends. A DLQ is guarded like its queue: a dead letter placed
   * there would be moved into the queue by an operator's redrive. Messages SQS itself moves to a DLQ are not sends.
   */
  refuseSenders(roles: StackRoles): void {
    const { telemetryProcessor, updateManager, rolloutTicker, dashboardPublisher, vehicles, gateways } = roles;
    const neverCommand = [telemetryProcessor, updateManager, dashboardPublisher, vehicles, gateways];
    const neverReport = [updateManager, rolloutTicker, dashboardPublisher, vehicles, gateways];
    const neverTakeCommands = [telemetryProcessor, rolloutTicker, dashboardPublisher, vehicles, gateways];
    for (const [queueArn, queueUrl, logicalId, refused, notTaking] of [
      [this.commands.queueArn, this.commands.queueUrl, "command_queue_policy", neverCommand, neverTakeCommands],
      [this.commands.deadLetterQueueArn, this.commands.deadLetterQueueUrl, "command_dlq_policy", neverCommand, undefined],
      [this.work.queueArn, this.work.queueUrl, "update_queue_policy", neverReport, undefined],
      [this.work.deadLetterQueueArn, this.work.deadLetterQueueUrl, "update_dlq_policy", neverReport, undefined],
    ] as const) {
      const statements: PolicyStatement[] = [
        { Sid: "NoSenderOfAnotherAccount", Effect: "Deny", Principal: "*", Action: "sqs:SendMessage", Resource: queueArn, Condition: { StringNotEquals: { "aws:PrincipalAccount": roles.accountId } } },
        { Sid: "NoSenderAmongStackRolesThatNeverSendHere", Effect: "Deny", Principal: "*", Action: REFUSED_SENDER_ACTIONS, Resource: queueArn, Condition: { ArnEquals: { "aws:PrincipalArn": refused } } },
      ];
      if (notTaking) {
        statements.push({ Sid: "OnlyTheUpdateManagerTakesCommands", Effect: "Deny", Principal: "*", Action: COMMAND_TAKING_ACTIONS, Resource: queueArn, Condition: { ArnEquals: { "aws:PrincipalArn": notTaking } } });
      }
      named(new SqsQueuePolicy(this, logicalId, { queueUrl, policy: policyJson(statements) }), logicalId);
    }
  }
}
