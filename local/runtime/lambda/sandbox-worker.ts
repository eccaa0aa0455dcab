/**
 * The inside of one Lambda sandbox: runs in a worker thread whose `process.env` is the function's own
 * environment. Loads the handler module once (the "init" phase), then answers invoke requests one at a
 * time, like a Lambda execution environment. Compiled to plain JavaScript by sandbox.ts and started
 * without the project's TypeScript loader, so the bundle runs in plain Node as it does on Lambda.
 * Only Node built-ins are imported at run time.
 */
import { parentPort, workerData } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import type { ContextFields, InvokeRequest, SandboxInit, SandboxMessage, SerializedError } from "./protocol.js";

type Handler = (event: unknown, context: object, callback?: (error?: unknown, result?: unknown) => void) => unknown;

const init = workerData as SandboxInit;
const port = parentPort;
if (!port) throw new Error("sandbox-worker must run in a worker thread");

function send(message: SandboxMessage): void {
  port!.postMessage(message);
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { errorType: error.name || "Error", errorMessage: error.message, stack: error.stack };
  return { errorType: typeof error === "string" ? "string" : "Error", errorMessage: String(error) };
}

function lambdaContext(fields: ContextFields): object {
  const { deadlineMs, ...rest } = fields;
  return {
    ...rest,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
}

/** Lambda's Node runtime supports async handlers and (up to nodejs22.x) callback-style handlers. */
function callHandler(handler: Handler, event: unknown, context: object): Promise<unknown> {
  if (handler.length < 3) return Promise.resolve().then(() => handler(event, context));
  return new Promise((resolve, reject) => {
    const settled = handler(event, context, (error, result) => (error ? reject(error) : resolve(result)));
    if (settled && typeof (settled as Promise<unknown>).then === "function") (settled as Promise<unknown>).then(resolve, reject);
  });
}

async function loadHandler(): Promise<Handler> {
  const module = (await import(pathToFileURL(init.modulePath).href)) as Record<string, unknown>;
  const candidate = module[init.exportName];
  if (typeof candidate !== "function") {
    throw new Error(`${init.modulePath} does not export a function named "${init.exportName}"`);
  }
  return candidate as Handler;
}

/**
 * Resolves once what the invocation wrote to `stream` has reached the runtime: a worker's output travels
 * to the parent apart from its messages, and the runtime reads the output (EMF metrics among it) as the
 * invocation's own, as Lambda flushes an invocation's logs before reporting it done.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

async function invoke(handler: Handler, request: InvokeRequest): Promise<void> {
  let message: SandboxMessage;
  try {
    const result = await callHandler(handler, JSON.parse(request.eventJson), lambdaContext(request.context));
    message = { type: "result", invocationId: request.invocationId, ok: true, payloadJson: JSON.stringify(result ?? null) };
  } catch (error) {
    message = { type: "result", invocationId: request.invocationId, ok: false, error: serializeError(error) };
  }
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  send(message);
}

loadHandler().then(
  (handler) => {
    port.on("message", (request: InvokeRequest) => void invoke(handler, request));
    send({ type: "ready" });
  },
  (error: unknown) => send({ type: "init-error", error: serializeError(error) }),
);
