/** DynamoDB tables: keys, GSIs/LSIs, billing, streams, TTL, point-in-time recovery. */
import {
  CreateTableCommand,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type Projection,
} from "@aws-sdk/client-dynamodb";
import { block, blocks, defined, optionalBoolean, optionalNumber, optionalString, stringList, tagList, type Config } from "../config.js";
import type { ResourceApplier } from "../context.js";

function keySchema(hashKey: unknown, rangeKey: unknown): KeySchemaElement[] {
  return [
    { AttributeName: String(hashKey), KeyType: "HASH" },
    ...(optionalString(rangeKey) ? [{ AttributeName: String(rangeKey), KeyType: "RANGE" as const }] : []),
  ];
}

function projection(index: Config): Projection {
  const nonKey = stringList(index.non_key_attributes);
  return defined({
    ProjectionType: (optionalString(index.projection_type) ?? "ALL") as "ALL",
    NonKeyAttributes: nonKey.length ? nonKey : undefined,
  });
}

function throughput(config: Config, provisioned: boolean) {
  if (!provisioned) return undefined;
  return { ReadCapacityUnits: optionalNumber(config.read_capacity) ?? 1, WriteCapacityUnits: optionalNumber(config.write_capacity) ?? 1 };
}

const table: ResourceApplier = async (config, _node, context) => {
  const name = String(config.name);
  const provisioned = (optionalString(config.billing_mode) ?? "PROVISIONED") === "PROVISIONED";
  const globalIndexes: GlobalSecondaryIndex[] = blocks(config.global_secondary_index).map((index) =>
    defined({
      IndexName: String(index.name),
      KeySchema: keySchema(index.hash_key, index.range_key),
      Projection: projection(index),
      ProvisionedThroughput: throughput(index, provisioned),
    }),
  );
  const localIndexes = blocks(config.local_secondary_index).map((index) => ({
    IndexName: String(index.name),
    KeySchema: keySchema(config.hash_key, index.range_key),
    Projection: projection(index),
  }));
  const streamEnabled = optionalBoolean(config.stream_enabled) ?? false;
  const created = await context.clients.dynamodb.send(
    new CreateTableCommand(
      defined({
        TableName: name,
        AttributeDefinitions: blocks(config.attribute).map((attribute) => ({
          AttributeName: String(attribute.name),
          AttributeType: String(attribute.type) as "S",
        })),
        KeySchema: keySchema(config.hash_key, config.range_key),
        BillingMode: provisioned ? ("PROVISIONED" as const) : ("PAY_PER_REQUEST" as const),
        ProvisionedThroughput: throughput(config, provisioned),
        GlobalSecondaryIndexes: globalIndexes.length ? globalIndexes : undefined,
        LocalSecondaryIndexes: localIndexes.length ? localIndexes : undefined,
        StreamSpecification: streamEnabled
          ? { StreamEnabled: true, StreamViewType: (optionalString(config.stream_view_type) ?? "NEW_AND_OLD_IMAGES") as "NEW_IMAGE" }
          : undefined,
        DeletionProtectionEnabled: optionalBoolean(config.deletion_protection_enabled),
        SSESpecification: optionalBoolean(block(config.server_side_encryption)?.enabled) ? { Enabled: true } : undefined,
        Tags: tagList(config.tags).length ? tagList(config.tags) : undefined,
      }),
    ),
  );
  const ttl = block(config.ttl);
  if (ttl && (optionalBoolean(ttl.enabled) ?? true) && optionalString(ttl.attribute_name)) {
    await context.clients.dynamodb.send(
      new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: String(ttl.attribute_name), Enabled: true } }),
    );
  }
  if (optionalBoolean(block(config.point_in_time_recovery)?.enabled)) {
    await context.clients.dynamodb.send(
      new UpdateContinuousBackupsCommand({ TableName: name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
    );
  }
  const description = created.TableDescription;
  return {
    id: name,
    name,
    arn: description?.TableArn ?? `arn:aws:dynamodb:${context.region}:${context.accountId}:table/${name}`,
    stream_arn: description?.LatestStreamArn ?? "",
    hash_key: config.hash_key,
    range_key: config.range_key ?? "",
  };
};

export const dynamodbAppliers: Record<string, ResourceApplier> = { aws_dynamodb_table: table };
