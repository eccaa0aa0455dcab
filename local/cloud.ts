/**
 * The local cloud in one call: the emulator (moto), the SQS proxy that adds the message-move API,
 * the synthesized stack applied to it, and (by default) the local runtime running the Lambda bundles,
 * event source mappings, schedules and alarm evaluation. `stop()` tears everything down.
 */
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { silentLog, type Log } from "../lib/logger.js";
import { applyStack } from "./apply/index.js";
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, type ClientConfig } from "./apply/context.js";
import { ensureSynthesizedStack, type SynthesizeOptions } from "./apply/synthesized-stack.js";
import { startEmulator, type Emulator } from "./emulator.js";
import { startCredentialsProvider, type CredentialsProvider } from "./identity/credentials-provider.js";
import { refusal, vehicleAuthorizer, type FrontDoorStats, type Refusal } from "./identity/front-door.js";
import { eitherBodyAuthorizer, functionSqsAuthorizer } from "./identity/function-policy.js";
import { functionDynamoDbAuthorizer } from "./identity/function-dynamodb-policy.js";
import { functionKmsAuthorizer } from "./identity/function-kms-policy.js";
import { functionS3Authorizer } from "./identity/function-s3-policy.js";
import { rolePolicyFromDescription } from "./identity/role-policies.js";
import { VehicleSessions } from "./identity/sessions.js";
import { startSqsProxy, type SqsProxy } from "./message-moves/proxy.js";
import { FaultInjector } from "./fault-injection.js";
import type { RequestCensus } from "./request-census.js";
import { LOCAL_STATE_FILE, type LocalCloudDescription } from "./model.js";
import { startRuntime, type LocalRuntime, type RuntimeOptions } from "./runtime/index.js";
import { removeStateFile, writeStateFile } from "./state-file.js";

export type { ClientConfig } from "./apply/context.js";
export type { LocalRuntime } from "./runtime/index.js";

export interface LocalCloudOptions {
  /** Start the local runtime (Lambdas, mappings, schedules, alarms); default true. */
  runtime?: boolean;
  log?: Log;
  /** Where to write the description; default `.fleetota/local.json` in the project; false writes none. */
  stateFile?: string | false;
  projectRoot?: string;
  stackName?: string;
  /** When to build + synthesize first; default `if-stale`. */
  synth?: SynthesizeOptions["mode"];
  /** Passed to startRuntime (schedule speed-up, alarm interval, poll wait …). */
  runtimeOptions?: Partial<Omit<RuntimeOptions, "clientConfig" | "log">>;
}

export interface LocalCloud {
  description: LocalCloudDescription;
  /** Give it to any AWS SDK v3 client: `new SQSClient(cloud.clientConfig)`. S3 needs `forcePathStyle: true`. */
  clientConfig: ClientConfig;
  runtime?: LocalRuntime;
  /** Requests seen by the front door, by service and operation (`census.snapshot()`). */
  census: RequestCensus;
  /** The loopback IoT credentials provider and the vehicle sessions it issued (see local/identity/). */
  identity: { provider: CredentialsProvider; sessions: VehicleSessions; frontDoor: FrontDoorStats };
  /** Faults injected between the functions and the emulator (none until rules are given); see local/fault-injection.ts. */
  faults: FaultInjector;
  /** How long each startup phase took, in milliseconds. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

const defaults = { projectRoot: resolve(import.meta.dirname, "..") } as const;

/**
 * Starts a complete local cloud on free loopback ports.
 *
 * @example
 * import { SQSClient } from "@aws-sdk/client-sqs";
 * const cloud = await startLocalCloud({ log, stateFile: false });
 * const sqs = new SQSClient(cloud.clientConfig);
 * await cloud.runtime?.waitForIdle(30_000);
 * await cloud.stop();
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const log = options.log ?? silentLog;
  const projectRoot = options.projectRoot ?? defaults.projectRoot;
  const stateFile = options.stateFile === false ? undefined : resolve(projectRoot, options.stateFile ?? LOCAL_STATE_FILE);
  const timings: Record<string, number> = {};
  const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings[phase] = Math.round(performance.now() - started);
    }
  };

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      await stop().catch((error: unknown) => log.warn("stopping part of the local cloud failed", { error: String(error) }));
    }
  };

  try {
    const [stack, emulator] = await Promise.all([
      timed("synth", () => ensureSynthesizedStack({ projectRoot, stackName: options.stackName, log, mode: options.synth })),
      timed("emulator", () => startEmulator({ projectRoot, log })).then((started: Emulator) => {
        stops.push(() => started.stop());
        return started;
      }),
    ]);
    const sessions = new VehicleSessions();
    const frontDoor: FrontDoorStats = { vehicleRequests: 0, allowed: 0, refused: 0, unauthenticated: 0 };
    const vehicles = vehicleAuthorizer({ sessions, accountId: LOCAL_ACCOUNT_ID, log, stats: frontDoor });
    const faults = new FaultInjector();
    // Once the stack is applied, each local function's SQS, S3, DynamoDB and KMS calls are judged by its role's policy, as IAM judges them on AWS.
    let applied: LocalCloudDescription | undefined;
    const functionRoles = {
      description: () => applied,
      accountId: LOCAL_ACCOUNT_ID,
      onRefusal: (refused: Refusal) => {
        frontDoor.refused++;
        log.warn("front door refused a request", { code: refused.code, reason: refused.reason });
      },
    };
    const functionSqs = functionSqsAuthorizer(functionRoles);
    const functionS3 = functionS3Authorizer(functionRoles);
    const functionDynamoDb = functionDynamoDbAuthorizer(functionRoles);
    const functionKms = functionKmsAuthorizer(functionRoles);
    const proxy: SqsProxy = await startSqsProxy({
      upstream: emulator.endpoint,
      credentials: LOCAL_CREDENTIALS,
      log,
      authorize: (request) => vehicles(request) ?? functionS3.authorize(request),
      authorizeBody: eitherBodyAuthorizer(functionSqs, functionS3, functionDynamoDb, functionKms),
      // Asked once per 404 from the emulator: a yes is S3's 403 to a function that may not list the key, counted as a refusal.
      missingIsDenied: (request) => {
        if (!functionS3.answersMissingWith403(request)) return false;
        functionRoles.onRefusal(refusal("s3", 403, "AccessDenied", "Access Denied", `a function's read of a missing key it may not list: ${request.method} ${request.url}`));
        return true;
      },
      faults,
    });
    stops.push(() => proxy.stop());
    const description = await timed("apply", () => applyStack(stack.document, { endpoint: proxy.endpoint, stackDir: stack.stackDir, log }));
    applied = description;
    const clientConfig: ClientConfig = { endpoint: proxy.endpoint, region: description.region, credentials: { ...LOCAL_CREDENTIALS } };
    const provider = await startCredentialsProvider({
      clientConfig,
      accountId: LOCAL_ACCOUNT_ID,
      sessions,
      rolePolicy: (roleArn) => rolePolicyFromDescription(description, roleArn),
      log,
    });
    stops.push(() => provider.stop());
    description.credentialsProvider = { endpoint: provider.endpoint, caCertificatePem: provider.caCertificatePem };

    let runtime: LocalRuntime | undefined;
    if (options.runtime !== false) {
      // Each cloud unpacks its functions in its own folder, so clouds started side by side do not collide.
      const workDir = join(projectRoot, ".fleetota", "clouds", String(proxy.port));
      stops.push(async () => rmSync(workDir, { recursive: true, force: true }));
      runtime = await timed("runtime", () => startRuntime(description, { workDir, ...options.runtimeOptions, clientConfig, log }));
      stops.push(() => runtime!.stop());
    }
    if (stateFile) {
      writeStateFile(stateFile, description);
      stops.push(async () => removeStateFile(stateFile, description.endpoint));
    }
    log.info("local cloud ready", { endpoint: proxy.endpoint, region: description.region, timings });
    return { description, clientConfig, runtime, census: proxy.census, identity: { provider, sessions, frontDoor }, faults, timings, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

