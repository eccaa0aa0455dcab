/**
 * The local runtime: what moto cannot run, supplied faithfully to AWS. It runs each function's deployed
 * artifact in worker-thread sandboxes, the SQS event source mappings, the EventBridge schedules, and
 * CloudWatch alarm evaluation (with the AWS/SQS and AWS/Lambda metrics moto does not emit).
 * Started by `startLocalCloud` (local/cloud.ts) after the stack is applied to the emulator.
 */
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Log } from "../../lib/logger.js";
import type { LocalCloudDescription } from "../model.js";
import { LOCAL_PRINCIPAL_KEY } from "../identity/local-principals.js";
import { AlarmEvaluator, type AlarmEvaluation } from "./alarms/alarm-evaluator.js";
import { EmfExtractor, type EmfCounters } from "./emf-extraction.js";
import { IdleTimeoutError, RuntimeStoppedError, UnknownFunctionError } from "./errors.js";
import { FunctionHost, type ClientConfig, type FunctionCounters } from "./lambda/function-host.js";
import { compileSandboxWorker, type OutputStream } from "./lambda/sandbox.js";
import { Scheduler, type TargetOutcome } from "./schedule/scheduler.js";
import { ServiceMetricsPublisher } from "./service-metrics.js";
import { EventSourcePoller, type MappingCounters } from "./sqs/event-source-poller.js";

export type { AlarmEvaluation } from "./alarms/alarm-evaluator.js";
export type { FunctionCounters, ClientConfig } from "./lambda/function-host.js";
export type { MappingCounters } from "./sqs/event-source-poller.js";
export type { EmfCounters } from "./emf-extraction.js";
export type { TargetOutcome } from "./schedule/scheduler.js";
export * from "./errors.js";

export interface RuntimeOptions {
  clientConfig: ClientConfig;
  log: Log;
  /** Where artifacts are unpacked (`<workDir>/functions/<name>/`); default `.fleetota` in the working directory. */
  workDir?: string;
  /** Schedules run this many times faster than real time (tests, demos); default 1. */
  scheduleSpeedUp?: number;
  /** Run the schedules on their timers; default true (`fireSchedule` works either way). */
  runSchedules?: boolean;
  /** Publish service metrics and evaluate alarms this often; default 60 000 (CloudWatch evaluates every minute); 0 = only on `evaluateAlarms()`. */
  alarmEvaluationIntervalMs?: number;
  /** Long-poll wait of the SQS pollers; default 20 s as AWS. */
  pollWaitSeconds?: number;
  /** Concurrency of a function without reserved concurrency; default 4 (this is one machine). */
  defaultFunctionConcurrency?: number;
  /** Concurrent batches of a mapping without maximum concurrency; default 2. */
  defaultMappingConcurrency?: number;
  /** Where the functions' own output goes (besides EMF extraction, which reads every line); default the log, prefixed with the function name. */
  onFunctionOutput?: (functionName: string, stream: OutputStream, line: string) => void;
}

export interface RuntimeCounters {
  functions: Record<string, FunctionCounters>;
  /** By `<functionName> <- <queue name>`. */
  mappings: Record<string, MappingCounters>;
  /** Times each schedule rule fired. */
  schedules: Record<string, number>;
  /** EMF documents extracted from each function's output (what CloudWatch Logs does on AWS). */
  emf: Record<string, EmfCounters>;
}

export interface LocalRuntime {
  /** Invokes a function synchronously and resolves with its result (rejects with the typed error). */
  invoke(functionName: string, event: unknown): Promise<unknown>;
  /** Fires a schedule rule now; resolves when its targets finished. */
  fireSchedule(ruleName: string): Promise<TargetOutcome[]>;
  /**
   * Publishes the service metrics (stamped now), then evaluates every alarm once, as CloudWatch would at `atMs` (default
   * the same now). A test
   * names the time of its data (test/integration/support/alarm-at-data.ts): an alarm evaluates the period holding that
   * time, so a period boundary passed since the data, on a slow machine, cannot decide the outcome.
   */
  evaluateAlarms(atMs?: number): Promise<AlarmEvaluation[]>;
  /** Resolves once every mapped queue is empty (visible, in flight, delayed) and nothing runs. */
  waitForIdle(timeoutMs: number): Promise<void>;
  counters(): RuntimeCounters;
  /** Kills a function's sandboxes mid-work, as a crash would (fault tests); resolves with how many. */
  killSandboxes(functionName: string): Promise<number>;
  stop(): Promise<void>;
}

const IDLE_CHECK_MS = 100;
const DEFAULT_ACCOUNT = "123456789012";

function queueNameOf(queueUrl: string): string {
  return queueUrl.slice(queueUrl.lastIndexOf("/") + 1);
}

/**
 * Starts the local runtime for an applied stack: unpacks every function, initialises every alarm to
 * INSUFFICIENT_DATA, and starts the SQS pollers, the schedules and periodic alarm evaluation.
 *
 * @example
 * const runtime = await startRuntime(description, { clientConfig, log });
 * await runtime.invoke("fleetota-dev-dashboard-publisher", {});
 * await runtime.waitForIdle(30_000);
 * await runtime.stop();
 */
export async function startRuntime(description: LocalCloudDescription, options: RuntimeOptions): Promise<LocalRuntime> {
  const { clientConfig, log } = options;
  const region = description.region || clientConfig.region;
  const accountId = description.accountId || DEFAULT_ACCOUNT;
  const workDir = resolve(options.workDir ?? ".fleetota");
  // Keys that tell the front door's census who calls: the mappings' polling is billed on AWS, the
  // emulation of AWS's own work (alarm evaluation, AWS/* metrics) is not.
  const signedAs = (accessKeyId: string) => ({ endpoint: clientConfig.endpoint, region, credentials: { ...clientConfig.credentials, accessKeyId } });
  const sdkConfig = signedAs(LOCAL_PRINCIPAL_KEY.emulation);
  const sqs = new SQSClient(sdkConfig);
  const mappingSqs = new SQSClient(signedAs(LOCAL_PRINCIPAL_KEY.eventSourceMapping));
  const cloudwatch = new CloudWatchClient(sdkConfig);
  const sns = new SNSClient(sdkConfig);
  const showOutput =
    options.onFunctionOutput ??
    ((functionName: string, stream: OutputStream, line: string) => (stream === "stderr" ? log.warn : log.info)(`[${functionName}] ${line}`));
  // Every line goes to the log group on AWS, where CloudWatch Logs extracts EMF metrics from it.
  const emf = new EmfExtractor({ cloudwatch, log });
  const onOutput = (functionName: string, stream: OutputStream, line: string): void => {
    emf.offer(functionName, stream, line);
    showOutput(functionName, stream, line);
  };

  const workerScript = compileSandboxWorker(workDir);
  const hosts = new Map<string, FunctionHost>();
  for (const definition of description.functions) {
    const host = new FunctionHost(definition, {
      workDir,
      workerScript,
      clientConfig: { ...clientConfig, region },
      log,
      onOutput,
      defaultConcurrency: options.defaultFunctionConcurrency ?? 4,
    });
    host.prepare();
    hosts.set(definition.functionName, host);
  }
  const hostNamed = (functionName: string): FunctionHost => {
    const host = hosts.get(functionName);
    if (!host) throw new UnknownFunctionError(functionName);
    return host;
  };

  const pollers = description.eventSourceMappings.map(
    (mapping) =>
      new EventSourcePoller(mapping, hostNamed(mapping.functionName), {
        sqs: mappingSqs,
        region,
        log,
        pollWaitSeconds: options.pollWaitSeconds ?? 20,
        defaultConcurrency: options.defaultMappingConcurrency ?? 2,
      }),
  );
  const scheduler = new Scheduler(description.schedules, hosts, { accountId, region, log, speedUp: options.scheduleSpeedUp ?? 1 });
  const metrics = new ServiceMetricsPublisher({ sqs, cloudwatch, hosts: [...hosts.values()], pollers, log });
  const alarms = new AlarmEvaluator({ cloudwatch, sns, accountId, region, log });
  const alarmCount = await alarms.initialize();

  let stopped = false;
  let evaluation: Promise<AlarmEvaluation[]> | undefined;
  const evaluateAlarms = (atMs?: number): Promise<AlarmEvaluation[]> => {
    if (stopped) return Promise.reject(new RuntimeStoppedError("evaluate alarms"));
    // One evaluation at a time; a caller arriving during one gets a fresh one after it.
    const previous = evaluation ?? Promise.resolve([]);
    const next = previous.catch(() => []).then(async () => {
      await emf.settled();
      // One instant for the service metrics' stamp and an evaluation at now: stamped before a period boundary and
      // evaluated after it, they fell outside the period evaluated (missing data, not their value, decided).
      const nowMs = Date.now();
      await metrics.publish(new Date(nowMs));
      return alarms.evaluate(atMs ?? nowMs);
    });
    evaluation = next;
    return next;
  };

  for (const poller of pollers) poller.start();
  if (options.runSchedules ?? true) scheduler.start();
  const intervalMs = options.alarmEvaluationIntervalMs ?? 60_000;
  const alarmTimer =
    intervalMs > 0
      ? setInterval(() => evaluateAlarms().catch((error: Error) => log.warn(`alarm evaluation failed: ${error.message}`)), intervalMs)
      : undefined;
  alarmTimer?.unref();
  log.info(
    `local runtime started: ${hosts.size} function(s), ${pollers.length} SQS mapping(s), ${description.schedules.length} schedule(s), ${alarmCount} alarm(s)`,
  );

  /** What runs in this process right now (no emulator call). */
  function localBusyParts(): string[] {
    const busy: string[] = [];
    for (const host of hosts.values()) if (host.inFlight > 0) busy.push(`${host.functionName}: ${host.inFlight} invocation(s) running`);
    if (scheduler.inFlight > 0) busy.push(`${scheduler.inFlight} scheduled invocation(s) running`);
    for (const poller of pollers) if (poller.busy) busy.push(`${poller.mapping.functionName}: batch in hand`);
    if (emf.pending > 0) busy.push(`${emf.pending} EMF metric publish(es) under way`);
    return busy;
  }

  async function busyParts(): Promise<string[]> {
    const busy = localBusyParts();
    for (const poller of pollers) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: poller.mapping.queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        }),
      );
      const visible = Number(Attributes.ApproximateNumberOfMessages ?? 0);
      const inFlight = Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
      const delayed = Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
      if (visible + inFlight + delayed > 0) {
        busy.push(`${queueNameOf(poller.mapping.queueUrl)}: ${visible} visible, ${inFlight} in flight, ${delayed} delayed`);
      }
    }
    return busy;
  }

  return {
    invoke(functionName, event) {
      if (stopped) return Promise.reject(new RuntimeStoppedError(`invoke ${functionName}`));
      try {
        return hostNamed(functionName).invoke(event);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    fireSchedule(ruleName) {
      if (stopped) return Promise.reject(new RuntimeStoppedError(`fire ${ruleName}`));
      return scheduler.fire(ruleName);
    },
    evaluateAlarms,
    async waitForIdle(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // While something runs here the answer is "busy" without asking the queues (saves the emulator
        // two GetQueueAttributes per check); the queues are asked once nothing runs, and for the error.
        const idleHere = localBusyParts().length === 0;
        const busy = idleHere || Date.now() >= deadline ? await busyParts() : ["running"];
        if (busy.length === 0) return;
        if (Date.now() >= deadline) throw new IdleTimeoutError(timeoutMs, busy);
        await sleep(IDLE_CHECK_MS);
      }
    },
    async killSandboxes(functionName) {
      const host = hosts.get(functionName);
      if (!host) throw new UnknownFunctionError(functionName);
      return host.killSandboxes();
    },
    counters() {
      return {
        functions: Object.fromEntries([...hosts].map(([name, host]) => [name, { ...host.counters }])),
        mappings: Object.fromEntries(pollers.map((poller) => [`${poller.mapping.functionName} <- ${queueNameOf(poller.mapping.queueUrl)}`, { ...poller.counters }])),
        schedules: scheduler.firedCounts(),
        emf: emf.counters(),
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(alarmTimer);
      await Promise.all([...pollers.map((poller) => poller.stop()), scheduler.stop(), ...[...hosts.values()].map((host) => host.stop())]);
      await evaluation?.catch(() => undefined);
      await emf.settled();
      for (const client of [sqs, mappingSqs, cloudwatch, sns]) client.destroy();
      log.info("local runtime stopped");
    },
  };
}
