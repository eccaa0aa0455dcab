import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target/index.js";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";
import type { BundledFunction } from "./bundled-function.js";
import { GuardedQueuePolicy, type StackRoleName, type StackRoles } from "./guarded-queue-policy.js";
import { named, snake } from "./logical-id.js";
import { refuseDeadLettersFromOtherQueues } from "./work-queue.js";

export interface ScheduledInvocationProps {
  /** Rule name, e.g. `fleetota-dev-rollout-ticker-schedule`. */
  readonly ruleName: string;
  /** `rate(1 minute)` or `cron(…)`. */
  readonly scheduleExpression: string;
  readonly target: BundledFunction;
  readonly description: string;
  /** The stack's roles, for the failure queue's policy. */
  readonly roles: StackRoles;
  /** Which of them the target runs as: the only stack role that sends to the failure queue. */
  readonly targetRole: StackRoleName;
}

/**
 * Runs a Lambda on an EventBridge schedule: the rule, its target and the permission letting exactly
 * that rule invoke the function. A failed run is not retried and a stale event is dropped: the next
 * tick does the same work with fresher state, and the function's Errors alarm reports the failure; the
 * failed invocation's record goes to the schedule's on-failure queue (`<rule>-failures`, 14 days,
 * encrypted, no queue's DLQ), sent with the function's role, so what failed and why can be read afterwards.
 * Only operators read it: its policy refuses every other stack role sending there, and every stack role taking,
 * purging or administering it (GuardedQueuePolicy).
 *
 * @example
 * new ScheduledInvocation(this, "ticker-schedule", { ruleName: "fleetota-dev-rollout-ticker-schedule", scheduleExpression: "rate(1 minute)", target: ticker, description: "…", roles, targetRole: "rolloutTicker" });
 */
export class ScheduledInvocation extends Construct {
  readonly rule: CloudwatchEventRule;
  readonly failureQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: ScheduledInvocationProps) {
    super(scope, id);
    const logicalId = snake(id);
    this.rule = named(
      new CloudwatchEventRule(this, "rule", {
        name: props.ruleName,
        description: props.description,
        scheduleExpression: props.scheduleExpression,
      }),
      logicalId,
    );
    named(
      new LambdaPermission(this, "permission", {
        statementId: "AllowScheduleInvoke",
        action: "lambda:InvokeFunction",
        functionName: props.target.functionName,
        principal: "events.amazonaws.com",
        sourceArn: this.rule.arn,
      }),
      `${logicalId}_permission`,
    );
    this.failureQueue = named(
      new SqsQueue(this, "failures", {
        name: `${props.ruleName}-failures`,
        messageRetentionSeconds: 14 * 86_400,
        sqsManagedSseEnabled: true,
      }),
      `${logicalId}_failures`,
    );
    refuseDeadLettersFromOtherQueues(this, "failures-redrive-allow", this.failureQueue.url, `${logicalId}_failures_redrive_allow`);
    // Lambda sends the on-failure record with the function's own role (a session of it, not a service principal).
    props.target.addToPolicy({ Sid: "SendFailedInvocations", Effect: "Allow", Action: "sqs:SendMessage", Resource: this.failureQueue.arn });
    new GuardedQueuePolicy(this, "failures-policy", { queue: this.failureQueue, logicalId: `${logicalId}_failures_policy`, roles: props.roles, senders: [props.targetRole], takers: [] });
    named(
      new LambdaFunctionEventInvokeConfig(this, "invoke-config", {
        functionName: props.target.functionName,
        maximumRetryAttempts: 0,
        maximumEventAgeInSeconds: 60,
        destinationConfig: { onFailure: { destination: this.failureQueue.arn } },
      }),
      `${logicalId}_invoke_config`,
    );
    named(
      new CloudwatchEventTarget(this, "target", {
        rule: this.rule.name,
        targetId: "function",
        arn: props.target.functionArn,
      }),
      `${logicalId}_target`,
    );
  }
}
