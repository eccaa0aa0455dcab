/**
 * What every resource applier gets: the SDK clients pointed at the emulator, where the stack lives, the
 * attributes of everything applied so far, and the description being built for the local runtime.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { IoTClient } from "@aws-sdk/client-iot";
import { KMSClient } from "@aws-sdk/client-kms";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { Log } from "../../lib/logger.js";
import type { LocalCloudDescription, LocalSchedule } from "../model.js";
import type { Config } from "./config.js";
import type { ResourceNode } from "./stack-document.js";

export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  events: EventBridgeClient;
  dynamodb: DynamoDBClient;
  sns: SNSClient;
  cloudwatch: CloudWatchClient;
  ssm: SSMClient;
  iot: IoTClient;
  kms: KMSClient;
}

/**
 * SDK clients for the emulator (S3 path-style, since bucket subdomains of 127.0.0.1 do not resolve).
 *
 * @example
 * import { LOCAL_CREDENTIALS } from "../identity/local-principals.js";
 * const clients = createClients({ endpoint, region: "eu-west-1", credentials: LOCAL_CREDENTIALS });
 */
export function createClients(config: ClientConfig): AwsClients {
  return {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sqs: new SQSClient(config),
    events: new EventBridgeClient(config),
    dynamodb: new DynamoDBClient(config),
    sns: new SNSClient(config),
    cloudwatch: new CloudWatchClient(config),
    ssm: new SSMClient(config),
    iot: new IoTClient(config),
    kms: new KMSClient(config),
  };
}

/** The operator's credentials on the local cloud (defined with the other local principals). */
export { LOCAL_CREDENTIALS } from "../identity/local-principals.js";

/** moto's default account (the stack's `local` target uses it in its ARNs). */
export { LOCAL_ACCOUNT_ID } from "../../modules/stack-config.js";

export interface ApplyContext {
  clients: AwsClients;
  region: string;
  accountId: string;
  /** Directory of cdk.tf.json; relative asset paths are relative to it. */
  stackDir: string;
  log: Log;
  description: LocalCloudDescription;
  /** Schedule-only rules, by rule name; their targets attach here instead of in the emulator. */
  schedules: Map<string, LocalSchedule>;
  /** Attributes of every resource applied so far, by address. */
  applied: Map<string, Record<string, unknown>>;
  /** A unique name for `name_prefix`/`bucket_prefix` arguments, as Terraform makes one. */
  uniqueName(prefix: string): string;
}

export type Attributes = Record<string, unknown>;

/** Applies one resource (its configuration already resolved) and returns the attributes others reference. */
export type ResourceApplier = (config: Config, node: ResourceNode, context: ApplyContext) => Promise<Attributes> | Attributes;

/** Finds an applied resource of a type by one of its attributes (e.g. a queue by its ARN). */
export function findApplied(context: ApplyContext, type: string, attribute: string, value: unknown): Attributes | undefined {
  for (const [address, attributes] of context.applied) {
    if (address.startsWith(`${type}.`) && attributes[attribute] === value) return attributes;
  }
  return undefined;
}
