/** Resource type → applier: the whole list of what the local cloud can apply. */
import type { ResourceApplier } from "../context.js";
import { cloudwatchAppliers } from "./cloudwatch.js";
import { dataSourceAppliers } from "./data-sources.js";
import { dynamodbAppliers } from "./dynamodb.js";
import { eventAppliers } from "./events.js";
import { iotAppliers } from "./iot.js";
import { kmsAppliers } from "./kms.js";
import { lambdaAppliers } from "./lambda.js";
import { s3Appliers } from "./s3.js";
import { SKIPPED_TYPES, skipResource } from "./skipped.js";
import { snsAppliers } from "./sns.js";
import { sqsAppliers } from "./sqs.js";

export const RESOURCE_APPLIERS: Readonly<Record<string, ResourceApplier>> = {
  ...s3Appliers,
  ...sqsAppliers,
  ...eventAppliers,
  ...dynamodbAppliers,
  ...snsAppliers,
  ...cloudwatchAppliers,
  ...iotAppliers,
  ...kmsAppliers,
  ...lambdaAppliers,
  ...Object.fromEntries([...SKIPPED_TYPES].map((type) => [type, skipResource])),
};

export const DATA_SOURCE_APPLIERS: Readonly<Record<string, ResourceApplier>> = dataSourceAppliers;

export { SKIPPED_TYPES };
