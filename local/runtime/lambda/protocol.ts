/**
 * Messages between the runtime (main thread) and a Lambda sandbox (worker thread). Type-only: the
 * worker is compiled on its own and imports nothing from the project at run time.
 */

/** What the sandbox needs to load the handler (`workerData`). */
export interface SandboxInit {
  /** Absolute path of the handler module, e.g. `<code dir>/index.mjs`. */
  modulePath: string;
  /** The export to call, e.g. `handler` for `index.handler`. */
  exportName: string;
}

/** The serialisable part of the Lambda context; the worker adds `getRemainingTimeInMillis`. */
export interface ContextFields {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  /** Epoch milliseconds at which the invocation times out. */
  deadlineMs: number;
}

export interface InvokeRequest {
  type: "invoke";
  invocationId: number;
  /** The event as JSON text, exactly as Lambda hands it to the runtime. */
  eventJson: string;
  context: ContextFields;
}

export interface SerializedError {
  errorType: string;
  errorMessage: string;
  stack?: string;
}

export type SandboxMessage =
  | { type: "ready" }
  | { type: "init-error"; error: SerializedError }
  | { type: "result"; invocationId: number; ok: true; payloadJson: string }
  | { type: "result"; invocationId: number; ok: false; error: SerializedError };
