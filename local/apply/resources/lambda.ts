/**
 * Lambda functions and SQS event source mappings are not created in the emulator (moto cannot run Node
 * code without Docker); they become LocalFunction / LocalEventSourceMapping entries for the local runtime.
 */
import { randomUUID } from "node:crypto";
import { isAbsolute, join } from "node:path";
import { InvalidResourceConfigError } from "../errors.js";
import { block, optionalBoolean, optionalNumber, optionalString, stringList, stringMap } from "../config.js";
import { findApplied, type ResourceApplier } from "../context.js";

/** Lambda's defaults when the stack leaves an argument out. */
const LAMBDA_DEFAULTS = { timeoutSeconds: 3, memorySizeMb: 128, batchSize: 10 } as const;

const lambdaFunction: ResourceApplier = (config, node, context) => {
  const functionName = String(config.function_name);
  const filename = optionalString(config.filename);
  if (!filename) throw new InvalidResourceConfigError(node.address, "has no filename (only zip deployments run locally)");
  const arn = `arn:aws:lambda:${context.region}:${context.accountId}:function:${functionName}`;
  const reserved = optionalNumber(config.reserved_concurrent_executions);
  context.description.functions.push({
    address: node.address,
    functionName,
    functionArn: arn,
    handler: optionalString(config.handler) ?? "index.handler",
    archivePath: isAbsolute(filename) ? filename : join(context.stackDir, filename),
    environment: stringMap(block(config.environment)?.variables),
    timeoutSeconds: optionalNumber(config.timeout) ?? LAMBDA_DEFAULTS.timeoutSeconds,
    memorySizeMb: optionalNumber(config.memory_size) ?? LAMBDA_DEFAULTS.memorySizeMb,
    ...(reserved !== undefined && reserved >= 0 ? { reservedConcurrency: reserved } : {}),
  });
  return {
    id: functionName,
    function_name: functionName,
    arn,
    qualified_arn: `${arn}:$LATEST`,
    invoke_arn: `arn:aws:apigateway:${context.region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
    version: "$LATEST",
    // The execution role's ARN, as Terraform reports it: the front door judges the function's SQS calls by that role's policy.
    ...(optionalString(config.role) !== undefined ? { role: optionalString(config.role) } : {}),
  };
};

function functionNameOf(reference: string): string {
  return /:function:([^:]+)/.exec(reference)?.[1] ?? reference;
}

const eventSourceMapping: ResourceApplier = (config, node, context) => {
  const queueArn = String(config.event_source_arn);
  const queue = findApplied(context, "aws_sqs_queue", "arn", queueArn);
  if (!queue) throw new InvalidResourceConfigError(node.address, `event source ${queueArn} is not an SQS queue of this stack`);
  const functionName = functionNameOf(String(config.function_name));
  const maximumConcurrency = optionalNumber(block(config.scaling_config)?.maximum_concurrency);
  const uuid = randomUUID();
  context.description.eventSourceMappings.push({
    address: node.address,
    functionName,
    queueArn,
    queueUrl: String(queue.url),
    batchSize: optionalNumber(config.batch_size) ?? LAMBDA_DEFAULTS.batchSize,
    maximumBatchingWindowSeconds: optionalNumber(config.maximum_batching_window_in_seconds) ?? 0,
    ...(maximumConcurrency !== undefined ? { maximumConcurrency } : {}),
    reportBatchItemFailures: stringList(config.function_response_types).includes("ReportBatchItemFailures"),
    enabled: optionalBoolean(config.enabled) ?? true,
  });
  return {
    id: uuid,
    uuid,
    function_arn: `arn:aws:lambda:${context.region}:${context.accountId}:function:${functionName}`,
    event_source_arn: queueArn,
  };
};

export const lambdaAppliers: Record<string, ResourceApplier> = {
  aws_lambda_function: lambdaFunction,
  aws_lambda_event_source_mapping: eventSourceMapping,
};
