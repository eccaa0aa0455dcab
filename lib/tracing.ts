import { Tracer } from "@aws-lambda-powertools/tracer";

let tracer: Tracer | undefined;

/**
 * X-Ray for the handlers' AWS calls, with Powertools Tracer: the stack turns Active tracing on for every
 * Lambda, the runtime opens each invocation's segment, and every SDK client made by lib/aws-clients.ts
 * records its calls as subsegments (service, operation, status, latency) — so the handlers stay as they
 * are. The service name is the function's (POWERTOOLS_SERVICE_NAME, set by the stack). Outside Lambda,
 * and in the local cloud (which sets POWERTOOLS_TRACE_ENABLED=false: there is no X-Ray daemon), Tracer
 * switches itself off and the clients are returned as they are.
 *
 * @example
 * import { S3Client } from "@aws-sdk/client-s3";
 * const s3 = traced(new S3Client({}));
 */
export function traced<Client extends object>(client: Client): Client {
  tracer ??= new Tracer();
  return tracer.isTracingEnabled() ? tracer.captureAWSv3Client(client) : client;
}
