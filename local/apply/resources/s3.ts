/** S3 buckets, the configuration resources the stack gives them, and objects. */
import { readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketLoggingCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type LifecycleRule,
  type ObjectOwnership,
} from "@aws-sdk/client-s3";
import { InvalidResourceConfigError } from "../errors.js";
import { block, blocks, defined, optionalBoolean, optionalNumber, optionalString, stringList, stringMap, tagList, type Config } from "../config.js";
import type { ApplyContext, Attributes, ResourceApplier } from "../context.js";
import type { ResourceNode } from "../stack-document.js";

function bucketAttributes(bucket: string, context: ApplyContext): Attributes {
  return {
    id: bucket,
    bucket,
    arn: `arn:aws:s3:::${bucket}`,
    region: context.region,
    bucket_domain_name: `${bucket}.s3.amazonaws.com`,
    bucket_regional_domain_name: `${bucket}.s3.${context.region}.amazonaws.com`,
  };
}

function bucketOf(config: Config, node: ResourceNode): string {
  const bucket = optionalString(config.bucket);
  if (!bucket) throw new InvalidResourceConfigError(node.address, "has no bucket");
  return bucket;
}

/** An applier for a resource that configures an existing bucket (its `bucket` argument). */
function bucketSetting(
  configure: (bucket: string, config: Config, context: ApplyContext, node: ResourceNode) => Promise<unknown>,
): ResourceApplier {
  return async (config, node, context) => {
    const name = bucketOf(config, node);
    await configure(name, config, context, node);
    return { id: name, bucket: name };
  };
}

const bucket: ResourceApplier = async (config, _node, context) => {
  const name =
    optionalString(config.bucket) ?? context.uniqueName(optionalString(config.bucket_prefix) ?? "terraform-").toLowerCase();
  await context.clients.s3.send(
    new CreateBucketCommand({
      Bucket: name,
      CreateBucketConfiguration:
        context.region === "us-east-1" ? undefined : { LocationConstraint: context.region as BucketLocationConstraint },
      ObjectLockEnabledForBucket: optionalBoolean(config.object_lock_enabled) === true ? true : undefined,
    }),
  );
  const tags = tagList(config.tags);
  if (tags.length) await context.clients.s3.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: tags } }));
  return bucketAttributes(name, context);
};

/** The stack routes S3 events through EventBridge only; queue, topic and Lambda targets are refused by name. */
const notification = bucketSetting(async (name, config, context, node) => {
  const direct = ["queue", "topic", "lambda_function"].filter((target) => blocks(config[target]).length > 0);
  if (direct.length) {
    throw new InvalidResourceConfigError(node.address, `direct ${direct.join("/")} notifications are not applied locally; route S3 events through EventBridge`);
  }
  await context.clients.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: name,
      NotificationConfiguration: { EventBridgeConfiguration: optionalBoolean(config.eventbridge) ? {} : undefined },
    }),
  );
});

const encryption = bucketSetting(async (name, config, context) => {
  await context.clients.s3.send(
    new PutBucketEncryptionCommand({
      Bucket: name,
      ServerSideEncryptionConfiguration: {
        Rules: blocks(config.rule).map((rule) => {
          const byDefault = block(rule.apply_server_side_encryption_by_default);
          return {
            BucketKeyEnabled: optionalBoolean(rule.bucket_key_enabled),
            ApplyServerSideEncryptionByDefault: byDefault
              ? defined({
                  SSEAlgorithm: String(byDefault.sse_algorithm) as "AES256",
                  KMSMasterKeyID: optionalString(byDefault.kms_master_key_id),
                })
              : undefined,
          };
        }),
      },
    }),
  );
});

/** Rules filter by key prefix in this stack; tag, size and `and` filters are refused by name. */
function lifecycleFilter(rule: Config, node: ResourceNode): LifecycleRule["Filter"] {
  const filter = block(rule.filter);
  const other = ["and", "tag", "object_size_greater_than", "object_size_less_than"].filter((key) => filter?.[key] !== undefined && filter[key] !== null);
  if (other.length) throw new InvalidResourceConfigError(node.address, `lifecycle filter ${other.join(", ")} is not applied locally (prefix only)`);
  return { Prefix: optionalString(filter?.prefix) ?? optionalString(rule.prefix) ?? "" };
}

function lifecycleRule(rule: Config, node: ResourceNode): LifecycleRule {
  const expiration = block(rule.expiration);
  const noncurrentExpiration = block(rule.noncurrent_version_expiration);
  const abort = block(rule.abort_incomplete_multipart_upload);
  return defined({
    ID: optionalString(rule.id),
    Status: (optionalString(rule.status) ?? "Enabled") as "Enabled",
    Filter: lifecycleFilter(rule, node),
    Expiration: expiration
      ? defined({
          Days: optionalNumber(expiration.days),
          Date: expiration.date ? new Date(String(expiration.date)) : undefined,
          ExpiredObjectDeleteMarker: optionalBoolean(expiration.expired_object_delete_marker),
        })
      : undefined,
    Transitions: blocks(rule.transition).map((transition) =>
      defined({ Days: optionalNumber(transition.days), StorageClass: String(transition.storage_class) as "GLACIER" }),
    ),
    NoncurrentVersionExpiration: noncurrentExpiration
      ? defined({
          NoncurrentDays: optionalNumber(noncurrentExpiration.noncurrent_days),
          NewerNoncurrentVersions: optionalNumber(noncurrentExpiration.newer_noncurrent_versions),
        })
      : undefined,
    AbortIncompleteMultipartUpload: abort ? { DaysAfterInitiation: optionalNumber(abort.days_after_initiation) } : undefined,
  });
}

const lifecycle = bucketSetting(async (name, config, context, node) => {
  await context.clients.s3.send(
    new PutBucketLifecycleConfigurationCommand({ Bucket: name, LifecycleConfiguration: { Rules: blocks(config.rule).map((rule) => lifecycleRule(rule, node)) } }),
  );
});

/** Versioning (the data lake's, which Object Lock needs); only `Enabled` is used by the stack. */
const versioning = bucketSetting(async (name, config, context) => {
  const status = optionalString(block(config.versioning_configuration)?.status) ?? "Enabled";
  await context.clients.s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: status as "Enabled" } }));
});

/**
 * Server access logging into the access-log bucket (the stack orders it after that bucket's policy, which
 * must allow logging.s3.amazonaws.com to write under the prefix). Applied so the bucket answers
 * GetBucketLogging as on AWS; the emulator delivers no logs (local/emulator-patches/serve.py). Target grants
 * and key formats are refused by name.
 */
const logging = bucketSetting(async (name, config, context, node) => {
  for (const unsupported of ["target_grant", "target_object_key_format", "expected_bucket_owner"]) {
    if (config[unsupported] !== undefined && config[unsupported] !== null) throw new InvalidResourceConfigError(node.address, `uses ${unsupported}, which the local cloud does not apply`);
  }
  const targetBucket = optionalString(config.target_bucket);
  if (!targetBucket) throw new InvalidResourceConfigError(node.address, "has no target_bucket");
  await context.clients.s3.send(
    new PutBucketLoggingCommand({ Bucket: name, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: targetBucket, TargetPrefix: optionalString(config.target_prefix) ?? "" } } }),
  );
});

/** Put as written, as Terraform does: the emulator (serve.py) does not apply a Deny with a Condition, which moto would apply unconditionally. */
const policy = bucketSetting(async (name, config, context) => {
  await context.clients.s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: String(config.policy) }));
});

const publicAccessBlock = bucketSetting(async (name, config, context) => {
  await context.clients.s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: name,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: optionalBoolean(config.block_public_acls) ?? false,
        BlockPublicPolicy: optionalBoolean(config.block_public_policy) ?? false,
        IgnorePublicAcls: optionalBoolean(config.ignore_public_acls) ?? false,
        RestrictPublicBuckets: optionalBoolean(config.restrict_public_buckets) ?? false,
      },
    }),
  );
});

const ownership = bucketSetting(async (name, config, context) => {
  await context.clients.s3.send(
    new PutBucketOwnershipControlsCommand({
      Bucket: name,
      OwnershipControls: {
        Rules: blocks(config.rule).map((rule) => ({ ObjectOwnership: String(rule.object_ownership) as ObjectOwnership })),
      },
    }),
  );
});

async function objectBody(config: Config, node: ResourceNode, context: ApplyContext): Promise<Uint8Array | string> {
  if (config.source !== undefined) {
    const source = String(config.source);
    return readFile(isAbsolute(source) ? source : join(context.stackDir, source));
  }
  if (config.content !== undefined) return String(config.content);
  if (config.content_base64 !== undefined) return Buffer.from(String(config.content_base64), "base64");
  throw new InvalidResourceConfigError(node.address, "has neither source, content nor content_base64");
}

const object: ResourceApplier = async (config, node, context) => {
  const name = bucketOf(config, node);
  const key = String(config.key);
  const written = await context.clients.s3.send(
    new PutObjectCommand(
      defined({
        Bucket: name,
        Key: key,
        Body: await objectBody(config, node, context),
        ContentType: optionalString(config.content_type),
        CacheControl: optionalString(config.cache_control),
        ContentEncoding: optionalString(config.content_encoding),
        Metadata: config.metadata ? stringMap(config.metadata) : undefined,
      }),
    ),
  );
  return { id: key, bucket: name, key, etag: written.ETag?.replaceAll('"', ""), version_id: written.VersionId ?? "" };
};

export const s3Appliers: Record<string, ResourceApplier> = {
  aws_s3_bucket: bucket,
  aws_s3_bucket_notification: notification,
  aws_s3_bucket_server_side_encryption_configuration: encryption,
  aws_s3_bucket_lifecycle_configuration: lifecycle,
  aws_s3_bucket_policy: policy,
  aws_s3_bucket_public_access_block: publicAccessBlock,
  aws_s3_bucket_ownership_controls: ownership,
  aws_s3_bucket_versioning: versioning,
  aws_s3_bucket_logging: logging,
  aws_s3_object: object,
};
