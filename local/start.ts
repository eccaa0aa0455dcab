/**
 * `npm start`: the whole pipeline on this machine, no AWS account. Builds and synthesizes (when stale),
 * starts the emulator, applies the stack, starts the Lambda runtime, serves the dashboard, runs the fleet
 * simulator, prints the dashboard URL. Ctrl-C (or the end of `--duration`) stops everything; with
 * `--duration` the last line is a JSON summary.
 *
 *   npm start
 *   npm start -- --vehicles 500 --duration 2m --port 8080
 */
import { join, resolve } from "node:path";
import { GetMetricStatisticsCommand, DescribeAlarmsCommand, CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { KMSClient } from "@aws-sdk/client-kms";
import { Command, InvalidArgumentError } from "commander";
import { ENV } from "../contracts/environment.js";
import type { Log } from "../lib/logger.js";
import { silenceSdkNodeVersionNotice } from "../lib/node-version-notice.js";
import { DEFAULT_METRICS_NAMESPACE, METRIC } from "../contracts/metrics.js";
import { parseDuration } from "../simulator/cli.js";
import { createOtaAgent } from "../simulator/ota-agent/ota-agent.js";
import { DEFAULT_SIMULATION, startSimulation, type RunningSimulation, type SimulationSummary, type VehicleAgent } from "../simulator/simulation.js";
import { UPLOAD_MODE } from "../simulator/batch.js";
import type { VehicleIdentities } from "../simulator/vehicle-identities.js";
import { startLocalCloud, type LocalCloud } from "./cloud.js";
import { provisionLocalFleet } from "./identity/simulated-fleet.js";
import { serveDashboard, type DashboardServer } from "./dashboard-server.js";
import { LOCAL_STATE_FILE } from "./model.js";
import { writeStateFile } from "./state-file.js";
import { LOCAL_KEYS_DIR, provisionLocalTrust } from "./trust.js";

silenceSdkNodeVersionNotice();

const projectRoot = resolve(import.meta.dirname, "..");
/** How long the pipeline may take to drain after the simulator stops, before the summary is taken. */
const DRAIN_TIMEOUT_MS = 120_000;
/** A second interrupt within this window is the same Ctrl-C delivered twice, not a request to force. */
const SIGNAL_REPEAT_GRACE_MS = 2_000;

export interface StartOptions {
  vehicles: number;
  duration?: number;
  port: number;
  interval: number;
  seed: number;
  verbose: boolean;
  /** Run the vehicles' OTA agent (polls signed job documents, reports update progress); default true. */
  ota?: boolean;
  /** Where the description goes; default `.fleetota/local.json`; false writes none (tests). */
  stateFile?: string | false;
  /** Called once the dashboard is up (tests look at the running cloud here). */
  onReady?: (cloud: LocalCloud, dashboardUrl: string) => void | Promise<void>;
}

/** The one-line result of a `--duration` run. */
export interface RunSummary {
  durationSeconds: number;
  startupMs: number;
  vehicles: number;
  recordsProduced: number;
  recordsProcessed: number;
  recordsQuarantined: number;
  objectsQuarantined: number;
  messagesDeadLettered: number;
  alarmsInAlarm: string[];
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError(`"${text}" is not a positive integer`);
  return value;
}

function port(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new InvalidArgumentError(`"${text}" is not a port`);
  return value;
}

/** Plain console lines with a timestamp; details only with --verbose. */
function consoleLog(verbose: boolean): Log {
  const line = (level: string, message: string, extra: unknown[]): string => {
    const details = extra.length && verbose ? ` ${extra.map((item) => JSON.stringify(item)).join(" ")}` : "";
    return `${new Date().toISOString().slice(11, 19)} ${level} ${message}${details}`;
  };
  return {
    debug: (message, ...extra) => verbose && console.log(line("debug", message, extra)),
    info: (message, ...extra) => console.log(line("info ", message, extra)),
    warn: (message, ...extra) => console.warn(line("warn ", message, extra)),
    error: (message, ...extra) => console.error(line("error", message, extra)),
  };
}

/** A value every Lambda of the stack carries in its environment (bucket names, queue URLs …). */
function stackSetting(cloud: LocalCloud, variable: string): string {
  for (const fn of cloud.description.functions) {
    const value = fn.environment[variable];
    if (value) return value;
  }
  throw new Error(`no function of the stack has ${variable} in its environment`);
}

async function metricSum(cloudwatch: CloudWatchClient, namespace: string, metricName: string, sinceMs: number): Promise<number> {
  const { Datapoints = [] } = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: namespace,
      MetricName: metricName,
      StartTime: new Date(sinceMs - 3_600_000),
      EndTime: new Date(Date.now() + 3_600_000),
      Period: 60,
      Statistics: ["Sum"],
    }),
  );
  return Datapoints.reduce((total, point) => total + (point.Sum ?? 0), 0);
}

async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
}

async function summarize(cloud: LocalCloud, simulated: SimulationSummary, startedMs: number, startupMs: number): Promise<RunSummary> {
  const cloudwatch = new CloudWatchClient(cloud.clientConfig);
  const sqs = new SQSClient(cloud.clientConfig);
  try {
    const namespace = stackSetting(cloud, ENV.METRICS_NAMESPACE) || DEFAULT_METRICS_NAMESPACE;
    const alarmPrefix = stackSetting(cloud, ENV.ALARM_PREFIX);
    const [processed, rejected, quarantinedObjects, telemetryDlq, updateDlq, commandDlq, alarms] = await Promise.all([
      metricSum(cloudwatch, namespace, METRIC.DataPoints, startedMs),
      metricSum(cloudwatch, namespace, METRIC.RecordsRejected, startedMs),
      metricSum(cloudwatch, namespace, METRIC.ObjectsQuarantined, startedMs),
      queueDepth(sqs, stackSetting(cloud, ENV.TELEMETRY_DLQ_URL)),
      queueDepth(sqs, stackSetting(cloud, ENV.UPDATE_DLQ_URL)),
      queueDepth(sqs, stackSetting(cloud, ENV.COMMAND_DLQ_URL)),
      cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: alarmPrefix, StateValue: "ALARM", MaxRecords: 100 })),
    ]);
    return {
      durationSeconds: Math.round((Date.now() - startedMs) / 1000),
      startupMs,
      vehicles: simulated.vehicles,
      recordsProduced: simulated.records,
      recordsProcessed: processed,
      recordsQuarantined: rejected,
      objectsQuarantined: quarantinedObjects,
      messagesDeadLettered: telemetryDlq + updateDlq + commandDlq,
      // moto ignores StateValue when a name prefix is given, so filter here.
      alarmsInAlarm: (alarms.MetricAlarms ?? [])
        .filter((alarm) => alarm.StateValue === "ALARM")
        .map((alarm) => alarm.AlarmName!)
        .sort(),
    };
  } finally {
    cloudwatch.destroy();
    sqs.destroy();
  }
}

async function startDashboard(cloud: LocalCloud, portNumber: number): Promise<DashboardServer> {
  const s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
  const bucket = stackSetting(cloud, ENV.DASHBOARD_BUCKET);
  const readData = async (key: string): Promise<Buffer | undefined> => {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await object.Body!.transformToByteArray());
    } catch (error) {
      if (error instanceof NoSuchKey || (error as Error).name === "NoSuchKey") return undefined;
      throw error;
    }
  };
  const server = await serveDashboard({ port: portNumber, webDir: join(projectRoot, "dist", "web"), readData });
  return {
    url: server.url,
    async close() {
      await server.close();
      s3.destroy();
    },
  };
}

/**
 * The vehicles' OTA agent, provisioned with the two roots of the local key ceremony (run now when the
 * emulator has none; the development keys live in `.fleetota/keys/`), so `fleetota release` with those
 * keys and `campaign create` reach the simulated fleet.
 */
async function otaAgent(cloud: LocalCloud, s3: S3Client, seed: number, log: Log, vehicleS3: (vin: string) => S3Client | undefined): Promise<VehicleAgent> {
  const kms = new KMSClient(cloud.clientConfig);
  try {
    const bucket = stackSetting(cloud, ENV.DATA_BUCKET);
    const local = await provisionLocalTrust({ s3, kms, bucket, directorKeyId: stackSetting(cloud, ENV.DIRECTOR_KEY_ID), keysDir: join(projectRoot, LOCAL_KEYS_DIR), log });
    // Each vehicle polls its own job document with its own credentials.
    return createOtaAgent({ s3, s3ForVehicle: (vin) => vehicleS3(vin) ?? s3, bucket, trust: local.trust, seed, log });
  } finally {
    kms.destroy();
  }
}

/**
 * Runs the local cloud with the simulator and the dashboard until stopped or `duration` elapses.
 * Resolves with the summary (also when stopped by a signal).
 *
 * @example
 * const summary = await runLocal({ vehicles: 100, duration: 120_000, port: 0, interval: 60_000, seed: 42, verbose: false }, log, signal);
 */
export async function runLocal(options: StartOptions, log: Log, signal: AbortSignal): Promise<RunSummary> {
  const started = performance.now();
  const startedMs = Date.now();
  let cloud: LocalCloud | undefined;
  let dashboard: DashboardServer | undefined;
  let simulation: RunningSimulation | undefined;
  let s3: S3Client | undefined;
  let identities: VehicleIdentities | undefined;
  try {
    const stateFile = options.stateFile === false ? undefined : resolve(projectRoot, options.stateFile ?? LOCAL_STATE_FILE);
    cloud = await startLocalCloud({
      log,
      projectRoot,
      stateFile: stateFile ?? false,
      runtimeOptions: options.verbose
        ? {}
        : { onFunctionOutput: (name, stream, line) => stream === "stderr" && line.trim() !== "" && log.warn(`[${name}] ${line}`) },
    });
    signal.throwIfAborted();
    dashboard = await startDashboard(cloud, options.port);
    cloud.description.dashboardUrl = dashboard.url;
    if (stateFile) writeStateFile(stateFile, cloud.description);
    const startupMs = Math.round(performance.now() - started);
    log.info(`dashboard ready at ${dashboard.url} (startup ${(startupMs / 1000).toFixed(1)} s: ${JSON.stringify(cloud.timings)})`);
    console.log(`\n  FleetOTA local cloud: dashboard ${dashboard.url}  ·  endpoint ${cloud.clientConfig.endpoint}  ·  Ctrl-C stops\n`);

    await options.onReady?.(cloud, dashboard.url);

    s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
    const agent = options.ota === false ? undefined : await otaAgent(cloud, s3, options.seed, log, (vin) => identities?.s3For(vin));
    const running = cloud;
    simulation = startSimulation({
      vehicles: options.vehicles,
      intervalMs: options.interval,
      seed: options.seed,
      batchSize: DEFAULT_SIMULATION.batchSize,
      bucket: stackSetting(cloud, ENV.DATA_BUCKET),
      s3,
      // Every vehicle registered in IoT and uploading its own objects with its own credentials.
      uploadMode: UPLOAD_MODE.PerVehicle,
      prepare: async (fleet) => void (identities = await provisionLocalFleet(running, fleet.vehicles, log)),
      vehicleS3: (vin) => identities!.s3For(vin),
      realtime: true,
      agent,
      log,
      onBatch: (_batch, summary) => log.info(`simulator: interval ${summary.batches}, ${summary.records} records in ${summary.objects} objects`),
    });

    await new Promise<void>((resolveWait) => {
      if (signal.aborted) return resolveWait();
      const timer = options.duration === undefined ? undefined : setTimeout(resolveWait, options.duration);
      signal.addEventListener("abort", () => (clearTimeout(timer), resolveWait()), { once: true });
    });
    log.info("stopping: simulator first, then letting the pipeline drain");
    const simulated = await simulation.stop();
    simulation = undefined;
    await cloud.runtime?.waitForIdle(DRAIN_TIMEOUT_MS).catch((error: Error) => log.warn(`pipeline not idle: ${error.message}`));
    await cloud.runtime?.evaluateAlarms().catch((error: Error) => log.warn(`alarm evaluation failed: ${error.message}`));
    return await summarize(cloud, simulated, startedMs, startupMs);
  } finally {
    await simulation?.stop().catch(() => undefined);
    s3?.destroy();
    identities?.destroy();
    await dashboard?.close().catch(() => undefined);
    await cloud?.stop();
  }
}

async function main(argv: string[]): Promise<void> {
  const program = new Command("start")
    .description("Run FleetOTA on this machine: emulator, stack, Lambdas, simulator and dashboard")
    .option("--vehicles <n>", "simulated fleet size", positiveInteger, DEFAULT_SIMULATION.vehicles)
    .option("--duration <time>", "stop after this long (90s, 2m) and print a JSON summary", parseDuration)
    .option("--port <port>", "dashboard port (0 picks a free one)", port, 0)
    .option("--interval <time>", "time between two records of a vehicle", parseDuration, DEFAULT_SIMULATION.intervalMs)
    .option("--seed <n>", "simulator seed", positiveInteger, DEFAULT_SIMULATION.seed)
    .option("--no-ota", "vehicles do not run the OTA agent (telemetry only)")
    .option("--verbose", "show every Lambda log line and log details", false)
    .parse(argv);
  const options = program.opts<StartOptions>();
  const log = consoleLog(options.verbose);

  const stopping = new AbortController();
  let firstSignalAt: number | undefined;
  const onSignal = (): void => {
    // Ctrl-C reaches this process twice (from the terminal's process group and relayed by tsx).
    if (firstSignalAt !== undefined && Date.now() - firstSignalAt < SIGNAL_REPEAT_GRACE_MS) return;
    if (firstSignalAt !== undefined) {
      log.warn("second interrupt: exiting now");
      process.exit(130);
    }
    firstSignalAt = Date.now();
    log.info("interrupt received, stopping (press Ctrl-C again to force)");
    stopping.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const summary = await runLocal(options, log, stopping.signal);
  if (options.duration !== undefined) console.log(JSON.stringify(summary));
  else log.info("stopped", summary);
  process.removeListener("SIGINT", onSignal);
  process.removeListener("SIGTERM", onSignal);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv).then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      if (error instanceof Error && error.name === "AbortError") {
        console.error("start: interrupted before the local cloud was ready; everything is stopped");
        process.exit(130);
      }
      console.error(`start: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
