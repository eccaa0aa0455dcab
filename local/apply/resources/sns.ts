/** SNS topics (the alarms' topic; nothing subscribes to it locally). */
import { CreateTopicCommand } from "@aws-sdk/client-sns";
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

export const snsAppliers: Record<string, ResourceApplier> = {
  aws_sns_topic: topic,
};
