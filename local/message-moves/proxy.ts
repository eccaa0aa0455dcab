/**
 * A thin loopback proxy in front of moto: it answers the SQS actions moto lacks (the message-move task
 * API, SQS JSON protocol, `X-Amz-Target: AmazonSQS.StartMessageMoveTask` …) and forwards every other
 * request untouched, Host header included, so URLs moto builds (queue URLs) point at the proxy.
 * The AWS SDK's endpoint is the proxy: the CLI calls the same API locally and on AWS.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from "node:http";
import { SQSClient } from "@aws-sdk/client-sqs";
import { silentLog, type Log } from "../../lib/logger.js";
import { refusal, type RequestAuthorizer } from "../identity/front-door.js";
import type { BodyAuthorizer } from "../identity/function-policy.js";
import { classifyRequest, RequestCensus } from "../request-census.js";
import { faultResponse, FAULT, type FaultInjector } from "../fault-injection.js";
import { SQS_ERROR_CODE, SqsApiError } from "./errors.js";
import { MessageMoveTaskRegistry } from "./task-registry.js";

export interface SqsProxyOptions {
  /** moto's endpoint, e.g. http://127.0.0.1:41873. */
  upstream: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  log?: Log;
  /** Port to listen on (127.0.0.1); 0 or absent picks a free one. */
  port?: number;
  /** Judges each request before anything else (local/identity/front-door.ts); a refusal is sent instead of forwarding. */
  authorize?: RequestAuthorizer;
  /** Judges, with its body, a request `authorize` let through that needs it (local/identity/function-policy.ts). */
  authorizeBody?: BodyAuthorizer;
  /** Faults to inject between callers and the emulator (local/fault-injection.ts); none when absent. */
  faults?: FaultInjector;
  /** True for a request whose 404 from the emulator is answered 403 AccessDenied, as S3 answers a caller that may not list the key. */
  missingIsDenied?: (request: IncomingMessage) => boolean;
}

export interface SqsProxy {
  endpoint: string;
  port: number;
  tasks: MessageMoveTaskRegistry;
  /** Every request that came through, by service and operation (for the cost model). */
  census: RequestCensus;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
/** DynamoDB's largest request (a BatchWriteItem): its body is read whole when a function's call is judged. */
const DYNAMODB_MAX_BODY_BYTES = 16 * 1024 * 1024;
const DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810.";

type Handler = (registry: MessageMoveTaskRegistry, input: Record<string, unknown>) => Promise<unknown>;

const HANDLED_ACTIONS: Record<string, Handler> = {
  "AmazonSQS.StartMessageMoveTask": (registry, input) => registry.start(input),
  "AmazonSQS.ListMessageMoveTasks": (registry, input) => registry.list(input),
  "AmazonSQS.CancelMessageMoveTask": (registry, input) => registry.cancel(input),
};

function readBody(request: IncomingMessage, maxBytes: number = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolveBody, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) reject(new SqsApiError(SQS_ERROR_CODE.InvalidParameterValue, "request body too large"));
      else chunks.push(chunk);
    });
    request.on("end", () => resolveBody(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, statusCode: number, headers: Record<string, string>, body: string): void {
  response.writeHead(statusCode, { ...headers, "content-length": Buffer.byteLength(body), "x-amzn-requestid": crypto.randomUUID() });
  response.end(body);
}

/**
 * Starts the proxy on 127.0.0.1.
 *
 * @example
 * const proxy = await startSqsProxy({ upstream: emulator.endpoint, credentials, log });
 * new SQSClient({ endpoint: proxy.endpoint, region, credentials }); // message-move tasks work
 */
export async function startSqsProxy(options: SqsProxyOptions): Promise<SqsProxy> {
  const log = options.log ?? silentLog;
  const upstream = new URL(options.upstream);
  const clients = new Map<string, SQSClient>();
  const sqsFor = (region: string): SQSClient => {
    const client = clients.get(region) ?? new SQSClient({ endpoint: options.upstream, region, credentials: options.credentials });
    clients.set(region, client);
    return client;
  };
  const registry = new MessageMoveTaskRegistry(sqsFor, log);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const census = new RequestCensus();

  const answer = async function answerMoveTaskAction(handler: Handler, request: IncomingMessage, response: ServerResponse, body?: Buffer) {
    try {
      const text = body === undefined ? await readBody(request) : body.toString("utf8");
      const input = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      const output = await handler(registry, input);
      send(response, 200, { "content-type": "application/x-amz-json-1.0" }, JSON.stringify(output));
    } catch (error) {
      const apiError =
        error instanceof SqsApiError
          ? error
          : new SqsApiError(SQS_ERROR_CODE.InvalidAddress, error instanceof Error ? error.message : String(error), 500);
      if (!(error instanceof SqsApiError)) log.error("message-move action failed", { error: apiError.message });
      const { statusCode, headers, body } = apiError.toResponse();
      send(response, statusCode, headers, body);
    }
  };

  /** Forwards the request, its body as it streams in, or `body` when it was read already. */
  const forward = function forwardToEmulator(request: IncomingMessage, response: ServerResponse, body?: Buffer): Promise<void> {
    const finished = new Promise<void>((resolveFinished) => response.once("close", () => resolveFinished()));
    const upstreamRequest = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers, agent },
      (upstreamResponse) => {
        if (upstreamResponse.statusCode === 404 && options.missingIsDenied?.(request)) {
          upstreamResponse.resume();
          const denied = refusal("s3", 403, "AccessDenied", "Access Denied", "a read of a missing key by a caller that may not list it");
          return send(response, denied.statusCode, denied.headers, request.method === "HEAD" ? "" : denied.body);
        }
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    upstreamRequest.on("error", (error) => {
      if (!response.headersSent) send(response, 502, { "content-type": "text/plain" }, `emulator unreachable: ${error.message}`);
      else response.destroy(error);
    });
    if (body === undefined) request.pipe(upstreamRequest);
    else upstreamRequest.end(body);
    return finished;
  };

  // moto's TransactWriteItems deep-copies the table for rollback and breaks under concurrent requests
  // (crashes, or silently undoes another request's write). DynamoDB calls therefore go one at a time.
  // A caller that goes away while waiting (a Lambda sandbox reset at its timeout) is skipped: its
  // response has already closed, so forwarding it would wait for a close event that never comes.
  let dynamoDbQueue: Promise<void> = Promise.resolve();
  const forwardDynamoDbInTurn = function forwardDynamoDbInTurn(request: IncomingMessage, response: ServerResponse, body?: Buffer): void {
    request.pause();
    let callerGone = false;
    response.once("close", () => (callerGone = true));
    dynamoDbQueue = dynamoDbQueue.then(() => (callerGone ? undefined : forward(request, response, body))).catch(() => undefined);
  };

  const server = createServer((request, response) => {
    census.observe(request);
    const refused = options.authorize?.(request);
    if (refused) {
      request.resume();
      return send(response, refused.statusCode, refused.headers, refused.body);
    }
    if (options.authorizeBody?.needsBody(request)) {
      const target = request.headers["x-amz-target"];
      const isDynamoDb = typeof target === "string" && target.startsWith(DYNAMODB_TARGET_PREFIX);
      readBody(request, isDynamoDb ? DYNAMODB_MAX_BODY_BYTES : MAX_BODY_BYTES).then(
        (text) => {
          let judged: ReturnType<NonNullable<typeof options.authorizeBody>["judge"]>;
          try {
            judged = options.authorizeBody!.judge(request, text);
          } catch (error) {
            // A request the judge cannot read is refused, never passed on: and a throw here would end the local cloud.
            return send(response, 500, { "content-type": "text/plain" }, `the local cloud could not judge this request: ${String(error)}`);
          }
          if (judged) send(response, judged.statusCode, judged.headers, judged.body);
          else proceed(request, response, Buffer.from(text, "utf8"));
        },
        (error: unknown) => {
          const apiError = error instanceof SqsApiError ? error : new SqsApiError(SQS_ERROR_CODE.InvalidParameterValue, String(error));
          const { statusCode, headers, body } = apiError.toResponse();
          send(response, statusCode, headers, body);
        },
      );
      return;
    }
    proceed(request, response);
  });
  /** After authorization: fault injection, then the request's handler. */
  const proceed = function proceedWithRequest(request: IncomingMessage, response: ServerResponse, body?: Buffer): void {
    const target = request.headers["x-amz-target"];
    const fault = options.faults?.decide(classifyRequest(request.method ?? "GET", request.url ?? "/", request.headers));
    if (!fault) return dispatch(request, response, target, body);
    if (fault.fault === FAULT.Slow) {
      request.pause();
      setTimeout(() => dispatch(request, response, target, body), fault.delayMs);
      return;
    }
    request.resume();
    const faulted = faultResponse(fault.service, typeof target === "string", fault.fault);
    send(response, faulted.statusCode, faulted.headers, faulted.body);
  };
  const dispatch = function dispatchRequest(request: IncomingMessage, response: ServerResponse, target: string | string[] | undefined, body?: Buffer): void {
    const handler = typeof target === "string" ? HANDLED_ACTIONS[target] : undefined;
    if (handler) void answer(handler, request, response, body);
    else if (typeof target === "string" && target.startsWith(DYNAMODB_TARGET_PREFIX)) forwardDynamoDbInTurn(request, response, body);
    else void forward(request, response, body);
  };
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  const stop = async (): Promise<void> => {
    await registry.stopAll().catch(() => undefined);
    await new Promise<void>((resolveClose) => {
      server.close(() => resolveClose());
      server.closeAllConnections();
    });
    agent.destroy();
    for (const client of clients.values()) client.destroy();
  };
  return { endpoint: `http://127.0.0.1:${port}`, port, tasks: registry, census, stop };
}
