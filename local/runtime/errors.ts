/**
 * One error class per failure kind of the local runtime. Each message names what was wrong and where.
 */

/** `invoke`, `fireSchedule` or a mapping named a function the description does not hold. */
export class UnknownFunctionError extends Error {
  override readonly name = "UnknownFunctionError";
  constructor(readonly functionName: string) {
    super(`no function named "${functionName}" is registered with the local runtime`);
  }
}

/** `fireSchedule` named a rule the description does not hold. */
export class UnknownScheduleError extends Error {
  override readonly name = "UnknownScheduleError";
  constructor(readonly ruleName: string) {
    super(`no schedule rule named "${ruleName}" is registered with the local runtime`);
  }
}

/** The deployed artifact could not be read or unpacked. */
export class ArchiveExtractionError extends Error {
  override readonly name = "ArchiveExtractionError";
  constructor(readonly archivePath: string, reason: string) {
    super(`cannot extract Lambda artifact ${archivePath}: ${reason}`);
  }
}

/** The handler module failed to load (import threw, or the export is not a function). */
export class FunctionInitError extends Error {
  override readonly name = "FunctionInitError";
  constructor(readonly functionName: string, reason: string) {
    super(`function ${functionName} failed to initialise: ${reason}`);
  }
}

/** The handler threw or rejected; `errorType` is the handler error's own name, as Lambda reports it. */
export class FunctionInvocationError extends Error {
  override readonly name = "FunctionInvocationError";
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    readonly errorMessage: string,
    readonly handlerStack?: string,
  ) {
    super(`function ${functionName} failed: ${errorType}: ${errorMessage}`);
  }
}

/** The invocation ran past the function's timeout; its sandbox was terminated. */
export class FunctionTimeoutError extends Error {
  override readonly name = "FunctionTimeoutError";
  constructor(readonly functionName: string, readonly timeoutSeconds: number) {
    super(`function ${functionName} timed out after ${timeoutSeconds} seconds (sandbox reset)`);
  }
}

/** The function has a reserved concurrency of 0: Lambda throttles every invocation. */
export class FunctionThrottledError extends Error {
  override readonly name = "FunctionThrottledError";
  constructor(readonly functionName: string) {
    super(`function ${functionName} is throttled (reserved concurrency 0)`);
  }
}

/** The sandbox died under the invocation (process.exit, out of memory, uncaught error in a callback). */
export class SandboxCrashError extends Error {
  override readonly name = "SandboxCrashError";
  constructor(readonly functionName: string, reason: string) {
    super(`function ${functionName} sandbox crashed: ${reason}`);
  }
}

/** A schedule expression outside `rate(...)` / the supported `cron(...)` subset. */
export class ScheduleExpressionError extends Error {
  override readonly name = "ScheduleExpressionError";
  constructor(readonly expression: string, reason: string) {
    super(`unsupported schedule expression "${expression}": ${reason}`);
  }
}

/** A metric-math expression outside the supported subset (see alarms/metric-math.ts). */
export class MetricMathError extends Error {
  override readonly name = "MetricMathError";
  constructor(readonly expression: string, reason: string) {
    super(`unsupported metric math "${expression}": ${reason}`);
  }
}

/** An alarm that the local evaluator cannot evaluate faithfully (percentiles, anomaly detection …). */
export class UnsupportedAlarmError extends Error {
  override readonly name = "UnsupportedAlarmError";
  constructor(readonly alarmName: string, reason: string) {
    super(`alarm ${alarmName} cannot be evaluated locally: ${reason}`);
  }
}

/** `waitForIdle` ran out of time; the message says what was still busy. */
export class IdleTimeoutError extends Error {
  override readonly name = "IdleTimeoutError";
  constructor(readonly timeoutMs: number, readonly busy: string[]) {
    super(`local runtime not idle after ${timeoutMs} ms: ${busy.join("; ")}`);
  }
}

/** A call arrived after `stop()`. */
export class RuntimeStoppedError extends Error {
  override readonly name = "RuntimeStoppedError";
  constructor(operation: string) {
    super(`local runtime is stopped; cannot ${operation}`);
  }
}
