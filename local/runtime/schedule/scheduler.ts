import { randomUUID } from "node:crypto";
import type { ScheduledEvent } from "aws-lambda";
import type { Log } from "../../../lib/logger.js";
import type { LocalSchedule } from "../../model.js";
import { UnknownFunctionError, UnknownScheduleError } from "../errors.js";
import type { FunctionHost } from "../lambda/function-host.js";
import { nextFireTime, parseScheduleExpression, type ScheduleExpression } from "./expression.js";

export interface SchedulerOptions {
  accountId: string;
  region: string;
  log: Log;
  /** Schedule time runs this many times faster than the wall clock (1 = real time). */
  speedUp: number;
}

/** What one target invocation of a fired rule returned. */
export type TargetOutcome = { functionName: string; ok: true; payload: unknown } | { functionName: string; ok: false; error: Error };

/**
 * The payload EventBridge sends to a scheduled rule's target, unless the target has a constant input.
 *
 * @example
 * scheduledEvent({ ruleName: "fleetota-dev-rollout-tick", accountId: "123456789012", region: "us-east-1" });
 * // → { version: "0", "detail-type": "Scheduled Event", source: "aws.events", resources: ["arn:aws:events:…:rule/fleetota-dev-rollout-tick"], detail: {} … }
 */
export function scheduledEvent(rule: { ruleName: string; accountId: string; region: string }, at = new Date()): ScheduledEvent {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: rule.accountId,
    time: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: rule.region,
    resources: [`arn:aws:events:${rule.region}:${rule.accountId}:rule/${rule.ruleName}`],
    detail: {},
  };
}

interface ArmedRule {
  schedule: LocalSchedule;
  expression: ScheduleExpression;
  timer?: NodeJS.Timeout;
  fired: number;
}

/**
 * Fires EventBridge schedule rules at their times (rate or cron, UTC) and invokes their Lambda targets
 * asynchronously, on a clock that can run `speedUp` times faster than real time. The event's `time` is
 * the wall-clock time of the firing, so handlers comparing it with `Date.now()` stay consistent.
 * Expressions are parsed when the scheduler is built, so a bad one fails at startup, naming the rule.
 *
 * @example
 * const scheduler = new Scheduler(description.schedules, hosts, { accountId, region, log, speedUp: 60 });
 * scheduler.start();         // rate(1 minute) now fires every second
 * await scheduler.fire("fleetota-dev-rollout-tick");
 */
export class Scheduler {
  private readonly rules = new Map<string, ArmedRule>();
  private readonly pending = new Set<Promise<TargetOutcome[]>>();
  private readonly realStartMs = Date.now();
  private stopped = false;

  constructor(
    schedules: LocalSchedule[],
    private readonly hosts: ReadonlyMap<string, FunctionHost>,
    private readonly options: SchedulerOptions,
  ) {
    if (!(options.speedUp > 0)) throw new RangeError(`schedule speed-up must be a positive number, got ${options.speedUp}`);
    for (const schedule of schedules) {
      for (const target of schedule.targets) {
        if (!hosts.has(target.functionName)) throw new UnknownFunctionError(target.functionName);
      }
      this.rules.set(schedule.ruleName, { schedule, expression: parseScheduleExpression(schedule.scheduleExpression), fired: 0 });
    }
  }

  /** Invocations started by schedules and not finished yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Times each rule has fired (by timer or `fire`). */
  firedCounts(): Record<string, number> {
    return Object.fromEntries([...this.rules].map(([name, rule]) => [name, rule.fired]));
  }

  start(): void {
    for (const rule of this.rules.values()) {
      if (rule.schedule.enabled) this.arm(rule, this.scheduleNow());
    }
  }

  /** Fires a rule now (whatever its schedule) and resolves when every target invocation finished. */
  fire(ruleName: string): Promise<TargetOutcome[]> {
    const rule = this.rules.get(ruleName);
    if (!rule) return Promise.reject(new UnknownScheduleError(ruleName));
    return this.invokeTargets(rule);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const rule of this.rules.values()) clearTimeout(rule.timer);
    await Promise.allSettled([...this.pending]);
  }

  /** Time on the (possibly accelerated) schedule clock. */
  private scheduleNow(): number {
    return this.realStartMs + (Date.now() - this.realStartMs) * this.options.speedUp;
  }

  private arm(rule: ArmedRule, afterMs: number): void {
    if (this.stopped) return;
    const due = nextFireTime(rule.expression, afterMs, this.realStartMs);
    if (due === undefined) {
      this.options.log.info(`[schedule ${rule.schedule.ruleName}] never fires again`);
      return;
    }
    const delayMs = Math.max(0, (due - this.scheduleNow()) / this.options.speedUp);
    rule.timer = setTimeout(() => {
      void this.invokeTargets(rule);
      this.arm(rule, Math.max(due, this.scheduleNow()));
    }, Math.min(delayMs, 2 ** 31 - 1));
    rule.timer.unref();
  }

  private invokeTargets(rule: ArmedRule): Promise<TargetOutcome[]> {
    rule.fired += 1;
    const { ruleName, targets } = rule.schedule;
    const event = scheduledEvent({ ruleName, accountId: this.options.accountId, region: this.options.region });
    const run = Promise.all(
      targets.map(async (target): Promise<TargetOutcome> => {
        const host = this.hosts.get(target.functionName)!;
        try {
          const payload = await host.invoke(target.input === undefined ? event : JSON.parse(target.input));
          return { functionName: target.functionName, ok: true, payload };
        } catch (error) {
          this.options.log.warn(`[schedule ${ruleName}] target ${target.functionName} failed: ${(error as Error).message}`);
          return { functionName: target.functionName, ok: false, error: error as Error };
        }
      }),
    );
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
    return run;
  }
}
