/**
 * For integration tests: a local cloud (or only the emulator behind the SQS proxy) with ready SDK clients.
 * Each test file starts its own on free loopback ports and stops it at the end; no state file is written.
 */
import type { RequestCensus } from "../../../local/request-census.js";
import { createClients, LOCAL_CREDENTIALS, type AwsClients, type ClientConfig } from "../../../local/apply/context.js";
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from "../../../local/cloud.js";
import { startEmulator } from "../../../local/emulator.js";
import { startSqsProxy } from "../../../local/message-moves/proxy.js";

export interface TestCloud {
  cloud: LocalCloud;
  clients: AwsClients;
  /** The stack's Terraform outputs (bucket names, queue URLs, function names …). */
  outputs: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the whole local cloud for a test file (runtime off unless asked for).
 *
 * @example
 * import { SendMessageCommand } from "@aws-sdk/client-sqs";
 * const { clients, outputs, stop } = await startTestCloud();
 * await clients.sqs.send(new SendMessageCommand({ QueueUrl: outputs.update_queue_url, MessageBody: "{}" }));
 * await stop();
 */
export async function startTestCloud(options: LocalCloudOptions = {}): Promise<TestCloud> {
  const cloud = await startLocalCloud({ runtime: false, stateFile: false, ...options });
  const clients = createClients(cloud.clientConfig);
  return {
    cloud,
    clients,
    outputs: Object.fromEntries(Object.entries(cloud.description.outputs).map(([key, value]) => [key, String(value)])),
    async stop() {
      for (const client of Object.values(clients)) client.destroy();
      await cloud.stop();
    },
  };
}

export interface TestEmulator {
  clientConfig: ClientConfig;
  clients: AwsClients;
  /** moto itself, without the proxy (what the applier and the proxy talk to). */
  emulatorEndpoint: string;
  /** The front door's request census. */
  census: RequestCensus;
  stop(): Promise<void>;
}

/**
 * Starts only the emulator and the SQS proxy (no stack): for tests that build their own resources.
 *
 * @example
 * const { clients, stop } = await startTestEmulator();
 */
export async function startTestEmulator(region = "eu-central-1"): Promise<TestEmulator> {
  const emulator = await startEmulator();
  const proxy = await startSqsProxy({ upstream: emulator.endpoint, credentials: LOCAL_CREDENTIALS });
  const clientConfig: ClientConfig = { endpoint: proxy.endpoint, region, credentials: { ...LOCAL_CREDENTIALS } };
  const clients = createClients(clientConfig);
  return {
    clientConfig,
    clients,
    emulatorEndpoint: emulator.endpoint,
    census: proxy.census,
    async stop() {
      for (const client of Object.values(clients)) client.destroy();
      await proxy.stop();
      await emulator.stop();
    },
  };
}
