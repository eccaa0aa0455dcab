import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target/index.js";
import { DATA_LAKE_PREFIX } from "./data-lake-storage.js";
import { GuardedQueuePolicy, type StackRoles } from "./guarded-queue-policy.js";
import { named } from "./logical-id.js";
import { QueueConsumer } from "./queue-consumer.js";
import type { BundledFunction } from "./bundled-function.js";
import type { QueueConsumerSettings } from "./stack-config.js";
import { WorkQueue } from "./work-queue.js";

/** How long and how often EventBridge retries delivering to the queue before using the target DLQ. */
const TARGET_RETRY = { maximumEventAgeInSeconds: 24 * 60 * 60, maximumRetryAttempts: 185 } as const;

export interface TelemetryPipelineProps {
  readonly namePrefix: string;
  readonly dataBucketName: string;
  readonly processorTimeoutSeconds: number;
  readonly maxReceiveCount: number;
}

/**
 * From "a telemetry object was created" to "a batch of those events waits for the processor":
 * an EventBridge rule on the data-lake bucket's `telemetry/` prefix targets the telemetry queue (with
 * retries and the telemetry DLQ as the target dead-letter queue). `attachProcessor` wires the processor Lambda to the
 * queue; `guardQueues` gives both queues their policies: only that rule sends, and the stack's roles are refused
 * what they never do there (a fake S3 event from a misused role would make the processor read and count an object).
 *
 * Events that EventBridge cannot deliver and messages the processor keeps failing both land in the
 * same DLQ with the same body (the S3 event), so one redrive returns both to the queue.
 *
 * @example
 * const telemetry = new TelemetryPipeline(this, "telemetry", { namePrefix: "fleetota-dev", dataBucketName: storage.bucketName, processorTimeoutSeconds: 60, maxReceiveCount: 5 });
 * telemetry.attachProcessor(processor, { batchSize: 10, maximumBatchingWindowSeconds: 5, maximumConcurrency: 10 });
 * telemetry.guardQueues({ accountId: "123456789012", telemetryProcessor: processor.role.arn, updateManager: manager.role.arn, rolloutTicker: ticker.role.arn,
 *   dashboardPublisher: publisher.role.arn, vehicles: vehicleIdentity.role.arn, gateways: gatewayIdentity.role.arn });
 */
export class TelemetryPipeline extends Construct {
  readonly work: WorkQueue;
  readonly rule: CloudwatchEventRule;
  readonly ruleArn: string;

  constructor(scope: Construct, id: string, props: TelemetryPipelineProps) {
    super(scope, id);
    this.work = new WorkQueue(this, "queue", {
      queueName: `${props.namePrefix}-telemetry`,
      logicalId: "telemetry",
      consumerTimeoutSeconds: props.processorTimeoutSeconds,
      maxReceiveCount: props.maxReceiveCount,
    });

    this.rule = named(
      new CloudwatchEventRule(this, "rule", {
        name: `${props.namePrefix}-telemetry-object-created`,
        description: "Telemetry batches created in the data lake go to the telemetry queue",
        eventPattern: JSON.stringify({
          source: ["aws.s3"],
          "detail-type": ["Object Created"],
          detail: {
            bucket: { name: [props.dataBucketName] },
            object: { key: [{ prefix: DATA_LAKE_PREFIX.telemetry }] },
          },
        }),
      }),
      "telemetry_object_created",
    );
    this.ruleArn = this.rule.arn;

    named(
      new CloudwatchEventTarget(this, "target", {
        rule: this.rule.name,
        targetId: "telemetry-queue",
        arn: this.work.queueArn,
        retryPolicy: { ...TARGET_RETRY },
        deadLetterConfig: { arn: this.work.deadLetterQueueArn },
      }),
      "telemetry_object_created_target",
    );
  }

  /** Wires the telemetry processor to the queue (event source mapping + consume permissions). */
  attachProcessor(processor: BundledFunction, settings: QueueConsumerSettings): QueueConsumer {
    return new QueueConsumer(this, "processor", {
      queue: this.work,
      consumer: processor,
      settings,
      logicalId: "telemetry_processor_mapping",
    });
  }

  /**
   * The queues' resource policies (GuardedQueuePolicy): EventBridge sends for this rule only (to the queue, and to the
   * DLQ what it could not deliver), no stack role sends or administers either queue, only the processor takes from
   * the queue, and from the DLQ none (the dashboard publisher peeks; operators redrive with their own permission).
   */
  guardQueues(roles: StackRoles): void {
    const eventRuleArn = this.rule.arn;
    new GuardedQueuePolicy(this, "telemetry_queue_policy", { queue: this.work.queue, logicalId: "telemetry_queue_policy", roles, eventRuleArn, senders: [], takers: ["telemetryProcessor"] });
    new GuardedQueuePolicy(this, "telemetry_dlq_policy", { queue: this.work.deadLetterQueue, logicalId: "telemetry_dlq_policy", roles, eventRuleArn, senders: [], takers: [], peekers: ["dashboardPublisher"] });
  }
}
