/**
 * For integration tests that make the telemetry processor fail and watch SQS retry it: a local cloud with the
 * runtime on and the telemetry queue's visibility timeout cut to seconds (five failed receives take seconds,
 * not 30 minutes), the processor's function name (for fault rules) and its mapping's failed deliveries.
 */
import { SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { startTestCloud, type TestCloud } from "./local-cloud.js";

export interface RetryingTelemetryCloud {
  world: TestCloud;
  /** The telemetry processor's function name, as fault rules name it (`function:<name>`). */
  processorName: string;
  /** Messages the processor's mapping saw fail so far (each is retried after the visibility timeout). */
  failedDeliveries(): number;
  /** Messages the mapping handed to the processor so far (counted as each invocation starts), and those of them that failed. */
  deliveries(): { delivered: number; failed: number };
}

/**
 * @example
 * const { world, processorName, failedDeliveries } = await startRetryingTelemetryCloud({ stateFile: "/tmp/fleetota-test/local.json", visibilitySeconds: 2, pollWaitSeconds: 1 });
 */
export async function startRetryingTelemetryCloud(options: { stateFile: string; visibilitySeconds: number; pollWaitSeconds: number }): Promise<RetryingTelemetryCloud> {
  const world = await startTestCloud({
    runtime: true,
    stateFile: options.stateFile,
    runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0, pollWaitSeconds: options.pollWaitSeconds },
  });
  const processorName = Object.keys(world.cloud.runtime!.counters().functions).find((name) => name.endsWith("telemetry-processor"))!;
  await world.clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: world.outputs.telemetry_queue_url, Attributes: { VisibilityTimeout: String(options.visibilitySeconds) } }));
  await new Promise((resolve) => setTimeout(resolve, options.pollWaitSeconds * 1000 + 500)); // a long poll begun before the change keeps the old timeout
  const mappingCounters = () => Object.entries(world.cloud.runtime!.counters().mappings).find(([name]) => name.includes("telemetry-processor"))?.[1];
  return {
    world,
    processorName,
    failedDeliveries: () => mappingCounters()?.recordsFailed ?? 0,
    deliveries: () => ({ delivered: mappingCounters()?.recordsDelivered ?? 0, failed: mappingCounters()?.recordsFailed ?? 0 }),
  };
}
