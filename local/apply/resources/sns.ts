/** SNS topics, topic policies and subscriptions. */
import { CreateTopicCommand, SetTopicAttributesCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { defined, optionalBoolean, optionalString, tagList } from "../config.js";
import type { ResourceApplier } from "../context.js";

const TOPIC_ATTRIBUTES: Record<string, string> = {
  display_name: "DisplayName",
  policy: "Policy",
  delivery_policy: "DeliveryPolicy",
  kms_master_key_id: "KmsMasterKeyId",
  fifo_topic: "FifoTopic",
  content_based_deduplication: "ContentBasedDeduplication",
};

const topic: ResourceApplier = async (config, _node, context) => {
  const fifo = optionalBoolean(config.fifo_topic) ?? false;
  const name = optionalString(config.name) ?? `${context.uniqueName(optionalString(config.name_prefix) ?? "terraform-")}${fifo ? ".fifo" : ""}`;
  const attributes = Object.fromEntries(
    Object.entries(TOPIC_ATTRIBUTES)
      .filter(([argument]) => config[argument] !== undefined && config[argument] !== null && config[argument] !== "")
      .filter(([argument]) => argument !== "fifo_topic" || fifo)
      .map(([argument, attribute]) => [attribute, String(config[argument])]),
  );
  const created = await context.clients.sns.send(
    new CreateTopicCommand(defined({ Name: name, Attributes: attributes, Tags: tagList(config.tags).length ? tagList(config.tags) : undefined })),
  );
  const arn = created.TopicArn!;
  return { id: arn, arn, name };
};

const topicPolicy: ResourceApplier = async (config, _node, context) => {
  const arn = String(config.arn);
  await context.clients.sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: "Policy", AttributeValue: String(config.policy) }));
  return { id: arn, arn };
};

const subscription: ResourceApplier = async (config, _node, context) => {
  const attributes: Record<string, string> = defined({
    RawMessageDelivery: optionalString(config.raw_message_delivery),
    FilterPolicy: optionalString(config.filter_policy),
    FilterPolicyScope: optionalString(config.filter_policy_scope),
    RedrivePolicy: optionalString(config.redrive_policy),
  }) as Record<string, string>;
  const created = await context.clients.sns.send(
    new SubscribeCommand({
      TopicArn: String(config.topic_arn),
      Protocol: String(config.protocol),
      Endpoint: optionalString(config.endpoint),
      Attributes: attributes,
      ReturnSubscriptionArn: true,
    }),
  );
  const arn = created.SubscriptionArn ?? "";
  return { id: arn, arn, topic_arn: config.topic_arn };
};

export const snsAppliers: Record<string, ResourceApplier> = {
  aws_sns_topic: topic,
  aws_sns_topic_policy: topicPolicy,
  aws_sns_topic_subscription: subscription,
};
