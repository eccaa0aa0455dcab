import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { IoTClient } from "@aws-sdk/client-iot";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { KMSClient } from "@aws-sdk/client-kms";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { Log } from "../lib/logger.js";
import type { CliIo } from "./output.js";
import { resolveTarget, type Target, type TargetOptions } from "./target.js";

/** Options every command accepts (declared once on the program). */
export interface GlobalOptions {
  local?: boolean;
  stackOutputs?: string;
  json?: boolean;
  verbose?: boolean;
}

/** What a command's action works with; AWS clients are created on first use, for the resolved target. */
export interface CommandContext {
  io: CliIo;
  json: boolean;
  log: Log;
  target(): Target;
  sqs(): SQSClient;
  s3(): S3Client;
  dynamo(): DynamoDBClient;
  ssm(): SSMClient;
  iot(): IoTClient;
  kms(): KMSClient;
  /** Who the commands are recorded as (`requestedBy`). */
  operator: string;
  env: NodeJS.ProcessEnv;
}

export interface ContextSettings extends Omit<TargetOptions, "local" | "stackOutputs"> {
  io: CliIo;
}

/**
 * Builds the per-invocation context from the global options.
 *
 * @example
 * const context = createContext({ local: true, json: true }, { io: processIo });
 * import { ListQueuesCommand } from "@aws-sdk/client-sqs";
 * await context.sqs().send(new ListQueuesCommand({}));
 */
export function createContext(options: GlobalOptions, settings: ContextSettings): CommandContext {
  const { io } = settings;
  let target: Target | undefined;
  const resolved = (): Target => (target ??= resolveTarget({ ...settings, local: options.local, stackOutputs: options.stackOutputs }));
  const memo = <T>(make: () => T): (() => T) => {
    let value: T | undefined;
    return () => (value ??= make());
  };
  const env = settings.env ?? process.env;
  return {
    io,
    json: options.json === true,
    log: stderrLog(io, options.verbose === true),
    target: resolved,
    sqs: memo(() => new SQSClient(resolved().clientConfig)),
    s3: memo(() => new S3Client({ ...resolved().clientConfig, forcePathStyle: resolved().kind === "local" })),
    dynamo: memo(() => new DynamoDBClient(resolved().clientConfig)),
    ssm: memo(() => new SSMClient(resolved().clientConfig)),
    iot: memo(() => new IoTClient(resolved().clientConfig)),
    kms: memo(() => new KMSClient(resolved().clientConfig)),
    operator: env.FLEETOTA_OPERATOR ?? env.USER ?? "operator",
    env,
  };
}

function stderrLog(io: CliIo, verbose: boolean): Log {
  const write = (level: string) => (message: string, ...extra: unknown[]) =>
    io.stderr(`${level} ${message}${extra.length ? ` ${extra.map((item) => JSON.stringify(item)).join(" ")}` : ""}\n`);
  const quiet = () => {};
  return { debug: verbose ? write("debug") : quiet, info: verbose ? write("info") : quiet, warn: write("warning:"), error: write("error:") };
}
