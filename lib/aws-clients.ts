import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { IoTClient } from "@aws-sdk/client-iot";
import { KMSClient } from "@aws-sdk/client-kms";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { traced } from "./tracing.js";

/**
 * The one way the Lambda handlers make their AWS SDK clients, once per container (module scope). Region,
 * credentials and endpoint come from the environment, as Lambda sets them and the local cloud sets them
 * for its sandboxes (`AWS_ENDPOINT_URL`). One function per client, so a bundle holds only the clients its
 * handler makes. Each client is traced (lib/tracing.ts) when X-Ray tracing is on.
 *
 * @example
 * const s3 = s3Client();
 * const doc = documentClient();
 */

/**
 * S3 in path style whenever the endpoint is overridden (the emulator serves buckets on paths, whatever
 * its host name), virtual-hosted on AWS.
 */
export function s3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  return traced(new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) }));
}

export function sqsClient(): SQSClient {
  return traced(new SQSClient({}));
}

export function cloudWatchClient(): CloudWatchClient {
  return traced(new CloudWatchClient({}));
}

export function kmsClient(): KMSClient {
  return traced(new KMSClient({}));
}

/** AWS IoT's control plane (the registry: things and their attributes). */
export function iotClient(): IoTClient {
  return traced(new IoTClient({}));
}

/** DynamoDB with plain JavaScript values; attributes left `undefined` are not written. */
export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(traced(new DynamoDBClient({})), { marshallOptions: { removeUndefinedValues: true } });
}
