import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { transformSync } from "esbuild";
import { FunctionInitError, FunctionInvocationError, FunctionTimeoutError, SandboxCrashError } from "../errors.js";
import type { ContextFields, SandboxInit, SandboxMessage } from "./protocol.js";

export type OutputStream = "stdout" | "stderr";

export interface SandboxSpec {
  functionName: string;
  modulePath: string;
  exportName: string;
  /** The complete `process.env` of the sandbox. */
  env: Record<string, string>;
  memorySizeMb: number;
  /** Compiled worker script (see `compileSandboxWorker`). */
  workerScript: string;
  onOutput: (stream: OutputStream, line: string) => void;
  /** Lambda allows 10 s for the init phase of an on-demand sandbox. */
  initTimeoutMs?: number;
}

/**
 * Lambda runs the handler on the Node main thread, whose stack V8 limits to 984 KiB by default; a
 * worker thread gets 4 MiB unless told otherwise. With the main thread's limit, code that overflows the
 * stack on AWS (JSON.stringify of arrays nested 5,000 deep) overflows here too.
 */
export const LAMBDA_MAIN_THREAD_STACK_MB = 984 / 1024;

const SANDBOX_WORKER_SOURCE = join(dirname(fileURLToPath(import.meta.url)), "sandbox-worker.ts");

/**
 * Compiles sandbox-worker.ts to `<workDir>/runtime/sandbox-worker.mjs`, so sandboxes start in plain Node
 * (no TypeScript loader in the worker), as the bundle runs on Lambda.
 *
 * @example
 * const workerScript = compileSandboxWorker(".fleetota");
 */
export function compileSandboxWorker(workDir: string): string {
  const target = join(workDir, "runtime", "sandbox-worker.mjs");
  const { code } = transformSync(readFileSync(SANDBOX_WORKER_SOURCE, "utf8"), {
    loader: "ts",
    format: "esm",
    target: "node20",
    sourcefile: SANDBOX_WORKER_SOURCE,
  });
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, code);
  return target;
}

function pipeLines(stream: Readable | null, name: OutputStream, onOutput: SandboxSpec["onOutput"]): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => onOutput(name, line));
}

interface PendingInvocation {
  invocationId: number;
  resolve(payloadJson: string): void;
  reject(error: Error): void;
}

/**
 * One Lambda execution environment: a worker thread that imported the handler once and serves one
 * invocation at a time. A timeout or crash kills it; the owner then starts a fresh one (sandbox reset).
 *
 * @example
 * const sandbox = await Sandbox.start(spec);
 * const payloadJson = await sandbox.invoke(JSON.stringify(event), contextFields, 3000);
 */
export class Sandbox {
  private pending: PendingInvocation | undefined;
  private nextInvocationId = 1;
  private deadReason: string | undefined;

  private constructor(
    private readonly spec: SandboxSpec,
    private readonly worker: Worker,
  ) {
    worker.on("message", (message: SandboxMessage) => this.onMessage(message));
    worker.on("error", (error) => this.onDeath(`${error.name}: ${error.message}`));
    worker.on("exit", (code) => this.onDeath(`exited with code ${code}`));
  }

  static start(spec: SandboxSpec): Promise<Sandbox> {
    const init: SandboxInit = { modulePath: spec.modulePath, exportName: spec.exportName };
    const worker = new Worker(spec.workerScript, {
      workerData: init,
      env: spec.env,
      execArgv: [],
      stdout: true,
      stderr: true,
      // Lambda's limits: the function's memory for the heap (a sandbox that passes it dies, as on AWS, and
      // the next invocation starts a fresh one), the main thread's stack.
      resourceLimits: { maxOldGenerationSizeMb: spec.memorySizeMb, stackSizeMb: LAMBDA_MAIN_THREAD_STACK_MB },
    });
    pipeLines(worker.stdout, "stdout", spec.onOutput);
    pipeLines(worker.stderr, "stderr", spec.onOutput);
    return new Promise((resolve, reject) => {
      const fail = (reason: string): void => {
        clearTimeout(timer);
        void worker.terminate();
        reject(new FunctionInitError(spec.functionName, reason));
      };
      const timer = setTimeout(() => fail(`init phase exceeded ${spec.initTimeoutMs ?? 10_000} ms`), spec.initTimeoutMs ?? 10_000);
      const onEarlyExit = (code: number): void => fail(`sandbox exited with code ${code} during init`);
      const onEarlyError = (error: Error): void => fail(`${error.name}: ${error.message}`);
      worker.once("exit", onEarlyExit);
      worker.once("error", onEarlyError);
      worker.once("message", (message: SandboxMessage) => {
        worker.off("exit", onEarlyExit);
        worker.off("error", onEarlyError);
        if (message.type === "ready") {
          clearTimeout(timer);
          resolve(new Sandbox(spec, worker));
        } else if (message.type === "init-error") {
          fail(`${message.error.errorType}: ${message.error.errorMessage}`);
        } else {
          fail(`unexpected message "${message.type}" during init`);
        }
      });
    });
  }

  get alive(): boolean {
    return this.deadReason === undefined;
  }

  /** Runs one invocation; resolves with the handler's result as JSON text. */
  invoke(eventJson: string, context: ContextFields, timeoutMs: number): Promise<string> {
    if (!this.alive) return Promise.reject(new SandboxCrashError(this.spec.functionName, this.deadReason ?? "dead"));
    if (this.pending) throw new Error(`sandbox of ${this.spec.functionName} is already busy`);
    const invocationId = this.nextInvocationId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.deadReason = "terminated after timeout";
        void this.worker.terminate();
        reject(new FunctionTimeoutError(this.spec.functionName, timeoutMs / 1000));
      }, timeoutMs);
      this.pending = {
        invocationId,
        resolve: (payload) => (clearTimeout(timer), resolve(payload)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      this.worker.postMessage({ type: "invoke", invocationId, eventJson, context });
    });
  }

  async terminate(): Promise<void> {
    this.deadReason ??= "terminated";
    await this.worker.terminate();
  }

  private onMessage(message: SandboxMessage): void {
    if (message.type !== "result" || !this.pending || message.invocationId !== this.pending.invocationId) return;
    const pending = this.pending;
    this.pending = undefined;
    if (message.ok) {
      pending.resolve(message.payloadJson);
    } else {
      const { errorType, errorMessage, stack } = message.error;
      pending.reject(new FunctionInvocationError(this.spec.functionName, errorType, errorMessage, stack));
    }
  }

  private onDeath(reason: string): void {
    this.deadReason ??= reason;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new SandboxCrashError(this.spec.functionName, reason));
  }
}
