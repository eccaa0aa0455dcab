import { existsSync } from "node:fs";
import { join } from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import type { Log } from "../../../lib/logger.js";
import type { LocalFunction } from "../../model.js";
import { LOCAL_PRINCIPAL_KEY } from "../../identity/local-principals.js";
import { FunctionInitError, FunctionThrottledError, FunctionTimeoutError, RuntimeStoppedError } from "../errors.js";
import { extractArchive, functionCodeDir } from "./archive.js";
import type { ContextFields } from "./protocol.js";
import { Sandbox, type OutputStream } from "./sandbox.js";

export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface FunctionHostOptions {
  workDir: string;
  workerScript: string;
  clientConfig: ClientConfig;
  log: Log;
  onOutput: (functionName: string, stream: OutputStream, line: string) => void;
  /** Concurrency when the function has no reserved concurrency. */
  defaultConcurrency: number;
}

/** Per-function totals since the runtime started (for summaries). */
export interface FunctionCounters {
  invocations: number;
  errors: number;
  timeouts: number;
  /** Invocations Lambda would have throttled: waiting at the function's reserved concurrency, or refused at 0. */
  throttles: number;
  /**
   * Invocations that waited for the local machine's limit on a function without reserved concurrency. Not
   * throttles: Lambda would have run them at once (up to the account's limit), so no Throttles metric.
   */
  localWaits: number;
  coldStarts: number;
  /** Measured wall time of every invocation (cold start included, as Lambda now bills the init phase). */
  durationMs: number;
  /** `durationMs` × configured memory: what Lambda would bill, in GB-seconds. */
  gbSeconds: number;
}

/** One finished (or throttled) invocation, drained by the AWS/Lambda metrics publisher. */
export interface InvocationRecord {
  timestampMs: number;
  durationMs: number;
  error: boolean;
  throttled: boolean;
}

/** Lambda resolves `index.handler` to the first of these files that exists. */
const MODULE_EXTENSIONS = [".js", ".mjs", ".cjs"] as const;

function splitHandler(handler: string): { moduleBase: string; exportName: string } {
  const dot = handler.lastIndexOf(".");
  if (dot <= 0 || dot === handler.length - 1) {
    throw new Error(`handler "${handler}" is not of the form <module>.<export>`);
  }
  return { moduleBase: handler.slice(0, dot), exportName: handler.slice(dot + 1) };
}

function logStreamName(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll("-", "/");
  return `${day}/[$LATEST]${randomBytes(16).toString("hex")}`;
}

/**
 * Runs one function's deployed artifact: unpacks it, keeps warm sandboxes (worker threads) for reuse,
 * limits concurrency (reserved concurrency, else a default), enforces the timeout and replaces a
 * sandbox that timed out or crashed.
 *
 * @example
 * const host = new FunctionHost(description.functions[0], options);
 * host.prepare();
 * const result = await host.invoke({ Records: [] });
 */
export class FunctionHost {
  readonly counters: FunctionCounters = { invocations: 0, errors: 0, timeouts: 0, throttles: 0, localWaits: 0, coldStarts: 0, durationMs: 0, gbSeconds: 0 };
  private readonly idle: Sandbox[] = [];
  private readonly busy = new Set<Sandbox>();
  private readonly waiters: Array<{ grant(): void; refuse(error: Error): void }> = [];
  private activity: InvocationRecord[] = [];
  private running = 0;
  private stopped = false;
  private modulePath = "";
  private exportName = "";
  readonly concurrencyLimit: number;

  constructor(
    readonly definition: LocalFunction,
    private readonly options: FunctionHostOptions,
  ) {
    this.concurrencyLimit = definition.reservedConcurrency ?? options.defaultConcurrency;
  }

  get functionName(): string {
    return this.definition.functionName;
  }

  /** Invocations running now (including those starting a sandbox). */
  get inFlight(): number {
    return this.running;
  }

  /** Unpacks the artifact into `<workDir>/functions/<name>/` and locates the handler module. */
  prepare(): void {
    const codeDir = functionCodeDir(this.options.workDir, this.functionName);
    extractArchive(this.definition.archivePath, codeDir);
    const { moduleBase, exportName } = splitHandler(this.definition.handler);
    const candidates = MODULE_EXTENSIONS.map((extension) => join(codeDir, moduleBase + extension));
    const found = candidates.find((path) => existsSync(path));
    if (!found) {
      throw new FunctionInitError(this.functionName, `handler module not found (looked for ${candidates.join(", ")})`);
    }
    this.modulePath = found;
    this.exportName = exportName;
  }

  /** Invokes the function synchronously (RequestResponse) and resolves with its JSON result. */
  async invoke(event: unknown): Promise<unknown> {
    return JSON.parse(await this.invokeJson(JSON.stringify(event ?? null)));
  }

  /** Everything recorded since the previous call. */
  drainActivity(): InvocationRecord[] {
    const drained = this.activity;
    this.activity = [];
    return drained;
  }

  /**
   * Kills every sandbox of the function, busy or idle, as a crash or an out-of-memory would: a running
   * invocation fails (its batch returns to the queue), the next one starts a fresh sandbox.
   * For fault tests. Returns how many sandboxes were killed.
   */
  async killSandboxes(): Promise<number> {
    const sandboxes = [...this.idle.splice(0), ...this.busy];
    await Promise.all(sandboxes.map((sandbox) => sandbox.terminate()));
    return sandboxes.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.waiters.splice(0)) waiter.refuse(new RuntimeStoppedError(`invoke ${this.functionName}`));
    const sandboxes = [...this.idle.splice(0), ...this.busy];
    this.busy.clear();
    await Promise.all(sandboxes.map((sandbox) => sandbox.terminate()));
  }

  private async invokeJson(eventJson: string): Promise<string> {
    await this.acquireSlot();
    const startedMs = Date.now();
    let sandbox: Sandbox | undefined;
    let failed = false;
    try {
      this.counters.invocations += 1;
      sandbox = this.idle.pop() ?? (await this.startSandbox());
      this.busy.add(sandbox);
      // The init phase of a cold start is not part of the function timeout, as on Lambda.
      const context = this.contextFields(Date.now());
      return await sandbox.invoke(eventJson, context, this.definition.timeoutSeconds * 1000);
    } catch (error) {
      failed = true;
      // A sandbox terminated by stop() is not the function's failure.
      if (this.stopped) throw error;
      this.counters.errors += 1;
      if (error instanceof FunctionTimeoutError) this.counters.timeouts += 1;
      this.options.log.warn(`[${this.functionName}] invocation failed: ${(error as Error).message}`);
      throw error;
    } finally {
      this.record(startedMs, failed);
      if (sandbox) this.recycle(sandbox);
      this.releaseSlot();
    }
  }

  private record(startedMs: number, error: boolean): void {
    const durationMs = Date.now() - startedMs;
    this.counters.durationMs += durationMs;
    this.counters.gbSeconds += (durationMs / 1000) * (this.definition.memorySizeMb / 1024);
    this.activity.push({ timestampMs: startedMs, durationMs, error, throttled: false });
  }

  private recycle(sandbox: Sandbox): void {
    this.busy.delete(sandbox);
    if (sandbox.alive && !this.stopped) this.idle.push(sandbox);
    else void sandbox.terminate();
  }

  private acquireSlot(): Promise<void> {
    if (this.stopped) return Promise.reject(new RuntimeStoppedError(`invoke ${this.functionName}`));
    if (this.concurrencyLimit <= 0) {
      this.counters.throttles += 1;
      this.activity.push({ timestampMs: Date.now(), durationMs: 0, error: false, throttled: true });
      return Promise.reject(new FunctionThrottledError(this.functionName));
    }
    if (this.running < this.concurrencyLimit) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.definition.reservedConcurrency === undefined) {
      this.counters.localWaits += 1;
    } else {
      this.counters.throttles += 1;
      this.activity.push({ timestampMs: Date.now(), durationMs: 0, error: false, throttled: true });
    }
    return new Promise((grant, refuse) => this.waiters.push({ grant, refuse }));
  }

  private releaseSlot(): void {
    const next = this.waiters.shift();
    if (next) next.grant();
    else this.running -= 1;
  }

  private contextFields(invokeStartMs: number): ContextFields {
    const { functionName, functionArn, memorySizeMb, timeoutSeconds } = this.definition;
    return {
      awsRequestId: randomUUID(),
      functionName,
      functionVersion: "$LATEST",
      invokedFunctionArn: functionArn,
      memoryLimitInMB: String(memorySizeMb),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: logStreamName(),
      deadlineMs: invokeStartMs + timeoutSeconds * 1000,
    };
  }

  private async startSandbox(): Promise<Sandbox> {
    this.counters.coldStarts += 1;
    const { functionName } = this.definition;
    return Sandbox.start({
      functionName,
      modulePath: this.modulePath,
      exportName: this.exportName,
      env: this.sandboxEnvironment(),
      memorySizeMb: this.definition.memorySizeMb,
      workerScript: this.options.workerScript,
      onOutput: (stream, line) => this.options.onOutput(functionName, stream, line),
    });
  }

  /** The function's own variables, then the ones Lambda reserves (which a function cannot override). */
  private sandboxEnvironment(): Record<string, string> {
    const { functionName, memorySizeMb, handler } = this.definition;
    const { endpoint, region, credentials } = this.options.clientConfig;
    return {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      LANG: "en_US.UTF-8",
      // Lambda runs nodejs22.x; this machine's Node 20 would make the SDK print a support warning
      // at every cold start that the deployed function never prints.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...this.definition.environment,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      // Each function signs with its own key, as each has its own role on AWS (the census tells them apart).
      AWS_ACCESS_KEY_ID: `${LOCAL_PRINCIPAL_KEY.functionPrefix}${functionName}`,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySizeMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(),
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
      // No X-Ray locally: Powertools Tracer stays off instead of asking for a trace id nobody sets.
      POWERTOOLS_TRACE_ENABLED: "false",
      LAMBDA_TASK_ROOT: functionCodeDir(this.options.workDir, functionName),
      _HANDLER: handler,
    };
  }
}
