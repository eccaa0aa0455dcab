/** SQS queues and the resources that set a queue's policy or who may use it as a dead-letter queue. */
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, type QueueAttributeName } from "@aws-sdk/client-sqs";
import { InvalidResourceConfigError } from "../errors.js";
import { defined, optionalBoolean, optionalString, stringMap, type Config } from "../config.js";
import type { ApplyContext, ResourceApplier } from "../context.js";
import type { ResourceNode } from "../stack-document.js";

/** Terraform argument → SQS queue attribute. */
const QUEUE_ATTRIBUTES: Record<string, QueueAttributeName> = {
  delay_seconds: "DelaySeconds",
  max_message_size: "MaximumMessageSize",
  message_retention_seconds: "MessageRetentionPeriod",
  receive_wait_time_seconds: "ReceiveMessageWaitTimeSeconds",
  visibility_timeout_seconds: "VisibilityTimeout",
  redrive_policy: "RedrivePolicy",
  redrive_allow_policy: "RedriveAllowPolicy",
  policy: "Policy",
  fifo_queue: "FifoQueue",
  content_based_deduplication: "ContentBasedDeduplication",
  deduplication_scope: "DeduplicationScope",
  fifo_throughput_limit: "FifoThroughputLimit",
  kms_master_key_id: "KmsMasterKeyId",
  kms_data_key_reuse_period_seconds: "KmsDataKeyReusePeriodSeconds",
  sqs_managed_sse_enabled: "SqsManagedSseEnabled",
};

/** What the AWS provider (5.x) sends when a queue leaves max_message_size out; SQS and moto would use 1 MiB. */
const PROVIDER_DEFAULT_MAX_MESSAGE_SIZE = "262144";

function queueAttributes(config: Config): Partial<Record<QueueAttributeName, string>> {
  const attributes: Partial<Record<QueueAttributeName, string>> = { MaximumMessageSize: PROVIDER_DEFAULT_MAX_MESSAGE_SIZE };
  for (const [argument, attribute] of Object.entries(QUEUE_ATTRIBUTES)) {
    const value = config[argument];
    if (value === undefined || value === null || value === "") continue;
    if (attribute === "FifoQueue" && !optionalBoolean(value)) continue;
    attributes[attribute] = String(value);
  }
  return attributes;
}

const queue: ResourceApplier = async (config, _node, context) => {
  const fifo = optionalBoolean(config.fifo_queue) ?? false;
  const name =
    optionalString(config.name) ?? `${context.uniqueName(optionalString(config.name_prefix) ?? "terraform-")}${fifo ? ".fifo" : ""}`;
  const tags = stringMap(config.tags);
  const created = await context.clients.sqs.send(
    new CreateQueueCommand(
      defined({ QueueName: name, Attributes: queueAttributes(config), tags: Object.keys(tags).length ? tags : undefined }),
    ),
  );
  const url = created.QueueUrl!;
  const { Attributes } = await context.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return { id: url, url, arn: Attributes?.QueueArn ?? `arn:aws:sqs:${context.region}:${context.accountId}:${name}`, name };
};

function queueUrlOf(config: Config, node: ResourceNode): string {
  const url = optionalString(config.queue_url);
  if (!url) throw new InvalidResourceConfigError(node.address, "has no queue_url");
  return url;
}

function setAttribute(attribute: QueueAttributeName, argument: string): ResourceApplier {
  return async (config: Config, node: ResourceNode, context: ApplyContext) => {
    const url = queueUrlOf(config, node);
    await context.clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { [attribute]: String(config[argument]) } }));
    return { id: url, queue_url: url };
  };
}

export const sqsAppliers: Record<string, ResourceApplier> = {
  aws_sqs_queue: queue,
  aws_sqs_queue_policy: setAttribute("Policy", "policy"),
  aws_sqs_queue_redrive_allow_policy: setAttribute("RedriveAllowPolicy", "redrive_allow_policy"),
};

