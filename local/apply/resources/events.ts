/**
 * EventBridge rules and targets on the default bus. Rules with an event pattern go to the emulator; schedule-only
 * rules (and their targets) become LocalSchedule entries for the local runtime, because moto matches a
 * schedule-only rule against every event.
 */
import { PutRuleCommand, PutTargetsCommand, type Target } from "@aws-sdk/client-eventbridge";
import { InvalidResourceConfigError } from "../errors.js";
import { block, defined, optionalBoolean, optionalNumber, optionalString, stringMap, tagList } from "../config.js";
import type { ResourceApplier } from "../context.js";

const DEFAULT_BUS = "default";

function ruleArn(region: string, accountId: string, bus: string, name: string): string {
  return `arn:aws:events:${region}:${accountId}:rule/${bus === DEFAULT_BUS ? "" : `${bus}/`}${name}`;
}

const rule: ResourceApplier = async (config, node, context) => {
  const name = optionalString(config.name) ?? context.uniqueName(optionalString(config.name_prefix) ?? "terraform-");
  const busName = optionalString(config.event_bus_name) ?? DEFAULT_BUS;
  const schedule = optionalString(config.schedule_expression);
  const enabled = optionalString(config.state) ? config.state === "ENABLED" : (optionalBoolean(config.is_enabled) ?? true);
  const arn = ruleArn(context.region, context.accountId, busName, name);
  if (schedule && !config.event_pattern) {
    const entry = { address: node.address, ruleName: name, scheduleExpression: schedule, enabled, targets: [] };
    context.schedules.set(name, entry);
    context.description.schedules.push(entry);
    return { id: name, name, arn, schedule_expression: schedule };
  }
  if (!config.event_pattern) throw new InvalidResourceConfigError(node.address, "has neither event_pattern nor schedule_expression");
  await context.clients.events.send(
    new PutRuleCommand(
      defined({
        Name: name,
        EventBusName: busName,
        EventPattern: String(config.event_pattern),
        State: enabled ? ("ENABLED" as const) : ("DISABLED" as const),
        Description: optionalString(config.description),
        Tags: tagList(config.tags).length ? tagList(config.tags) : undefined,
      }),
    ),
  );
  return { id: name, name, arn };
};

function functionNameFromArn(arn: string): string | undefined {
  return /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(arn)?.[1];
}

const target: ResourceApplier = async (config, node, context) => {
  const ruleName = String(config.rule);
  const targetArn = String(config.arn);
  const targetId = optionalString(config.target_id) ?? context.uniqueName("terraform-");
  const attributes = { id: `${ruleName}-${targetId}`, rule: ruleName, target_id: targetId, arn: targetArn };
  const schedule = context.schedules.get(ruleName);
  if (schedule) {
    const functionName = functionNameFromArn(targetArn);
    if (!functionName) {
      throw new InvalidResourceConfigError(node.address, `schedule targets must be Lambda functions locally, got ${targetArn}`);
    }
    schedule.targets.push(defined({ functionName, input: optionalString(config.input) }));
    return attributes;
  }
  const transformer = block(config.input_transformer);
  const sqsParameters = block(config.sqs_target);
  const deadLetter = block(config.dead_letter_config);
  const retry = block(config.retry_policy);
  const entry: Target = defined({
    Id: targetId,
    Arn: targetArn,
    Input: optionalString(config.input),
    InputPath: optionalString(config.input_path),
    InputTransformer: transformer
      ? { InputTemplate: String(transformer.input_template), InputPathsMap: stringMap(transformer.input_paths) }
      : undefined,
    SqsParameters: sqsParameters ? { MessageGroupId: optionalString(sqsParameters.message_group_id) } : undefined,
    DeadLetterConfig: deadLetter ? { Arn: optionalString(deadLetter.arn) } : undefined,
    RetryPolicy: retry
      ? defined({
          MaximumEventAgeInSeconds: optionalNumber(retry.maximum_event_age_in_seconds),
          MaximumRetryAttempts: optionalNumber(retry.maximum_retry_attempts),
        })
      : undefined,
  });
  const result = await context.clients.events.send(
    new PutTargetsCommand({ Rule: ruleName, EventBusName: optionalString(config.event_bus_name), Targets: [entry] }),
  );
  if (result.FailedEntryCount) {
    throw new InvalidResourceConfigError(node.address, `PutTargets refused the target: ${JSON.stringify(result.FailedEntries)}`);
  }
  return attributes;
};

export const eventAppliers: Record<string, ResourceApplier> = {
  aws_cloudwatch_event_rule: rule,
  aws_cloudwatch_event_target: target,
};
