import { Construct } from "constructs";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping/index.js";
import type { BundledFunction } from "./bundled-function.js";
import type { QueueConsumerSettings } from "./stack-config.js";
import { VISIBILITY_TIMEOUT_FACTOR, type WorkQueue } from "./work-queue.js";
import { named } from "./logical-id.js";

function pascal(label: string): string {
  return label.split(/[^A-Za-z0-9]+/).map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join("");
}

export class VisibilityTimeoutTooShortError extends Error {
  override readonly name = "VisibilityTimeoutTooShortError";
}

export interface QueueConsumerProps {
  readonly queue: WorkQueue;
  readonly consumer: BundledFunction;
  readonly settings: QueueConsumerSettings;
  readonly logicalId: string;
}

/**
 * Connects a Lambda to an SQS queue: an event source mapping that reports partial batch failures
 * (only the failed messages return to the queue), with a batching window and a concurrency cap, and
 * the consume permissions on exactly that queue.
 *
 * @example
 * new QueueConsumer(this, "processor-mapping", { queue, consumer: processor, settings, logicalId: "telemetry_processor_mapping" });
 */
export class QueueConsumer extends Construct {
  readonly mapping: LambdaEventSourceMapping;

  constructor(scope: Construct, id: string, props: QueueConsumerProps) {
    super(scope, id);
    if (props.queue.visibilityTimeoutSeconds < VISIBILITY_TIMEOUT_FACTOR * props.consumer.timeoutSeconds) {
      throw new VisibilityTimeoutTooShortError(
        `visibility timeout ${props.queue.visibilityTimeoutSeconds}s is below ${VISIBILITY_TIMEOUT_FACTOR}× the consumer timeout ${props.consumer.timeoutSeconds}s`,
      );
    }
    props.consumer.addToPolicy({
      Sid: `Consume${pascal(props.queue.queueLabel)}Queue`,
      Effect: "Allow",
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
      Resource: props.queue.queueArn,
    });
    this.mapping = named(
      new LambdaEventSourceMapping(this, "mapping", {
        eventSourceArn: props.queue.queueArn,
        functionName: props.consumer.functionArn,
        batchSize: props.settings.batchSize,
        maximumBatchingWindowInSeconds: props.settings.maximumBatchingWindowSeconds,
        functionResponseTypes: ["ReportBatchItemFailures"],
        scalingConfig: { maximumConcurrency: props.settings.maximumConcurrency },
        enabled: true,
      }),
      props.logicalId,
    );
  }
}
