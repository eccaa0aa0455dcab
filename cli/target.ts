import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ENV } from "../contracts/environment.js";
import { LOCAL_CREDENTIALS } from "../local/identity/local-principals.js";
import { LOCAL_STATE_FILE, type LocalCloudDescription } from "../local/model.js";
import { InputFileError, TargetResolutionError } from "./errors.js";

/** Where the CLI's commands go: the local cloud (emulator endpoint) or real AWS. */
export const TARGET_KIND = { Local: "local", Aws: "aws" } as const;
export type TargetKind = (typeof TARGET_KIND)[keyof typeof TARGET_KIND];

/** The stack's resource names the operator commands need. */
export interface StackNames {
  namePrefix: string;
  dataBucket: string;
  stateTable: string;
  /** The vehicle-report (update-job) queue and its DLQ. */
  updateQueueUrl: string;
  updateDlqUrl: string;
  /** The command queue (every `fleetota campaign` command goes there) and its DLQ. */
  commandQueueUrl: string;
  commandDlqUrl: string;
  /** The stack's director KMS key (ARN). */
  directorKeyId: string;
  /**
   * The telemetry queue and its DLQ (outputs `telemetry_queue_url`, `telemetry_dlq_url`). Optional:
   * only `redrive --queue telemetry` needs them, so settings made before they were known still work.
   */
  telemetryQueueUrl?: string;
  telemetryDlqUrl?: string;
}

export interface ClientConfig {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface Target {
  kind: TargetKind;
  names: StackNames;
  /** Spread into every AWS SDK client: empty on AWS (default chain), the emulator locally. */
  clientConfig: ClientConfig;
  /** Human description of where the names came from, for `--verbose` and error messages. */
  source: string;
}

export interface TargetOptions {
  local?: boolean;
  stackOutputs?: string;
  /** Directory holding `.fleetota/local.json`; the current directory by default. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const NAME_VARIABLES = {
  namePrefix: ENV.NAME_PREFIX,
  dataBucket: ENV.DATA_BUCKET,
  stateTable: ENV.STATE_TABLE,
  updateQueueUrl: ENV.UPDATE_QUEUE_URL,
  updateDlqUrl: ENV.UPDATE_DLQ_URL,
  commandQueueUrl: ENV.COMMAND_QUEUE_URL,
  commandDlqUrl: ENV.COMMAND_DLQ_URL,
  directorKeyId: ENV.DIRECTOR_KEY_ID,
} as const satisfies Record<RequiredName, string>;

/** Names that only some commands need; a command that needs one says so when it is missing. */
const OPTIONAL_NAME_VARIABLES = {
  telemetryQueueUrl: ENV.TELEMETRY_QUEUE_URL,
  telemetryDlqUrl: ENV.TELEMETRY_DLQ_URL,
} as const satisfies Record<OptionalName, string>;

type OptionalName = "telemetryQueueUrl" | "telemetryDlqUrl";
type RequiredName = Exclude<keyof StackNames, OptionalName>;
const ALL_NAME_VARIABLES = { ...NAME_VARIABLES, ...OPTIONAL_NAME_VARIABLES } as const;

/**
 * A name only some commands need, or a TargetResolutionError saying how to give it.
 *
 * @example
 * requireName(context.target(), "telemetryDlqUrl"); // "https://sqs.eu-central-1.amazonaws.com/…/fleetota-dev-telemetry-dlq"
 */
export function requireName(target: Target, name: OptionalName): string {
  const value = target.names[name];
  if (!value) {
    const variable = OPTIONAL_NAME_VARIABLES[name];
    throw new TargetResolutionError(
      target.kind === TARGET_KIND.Local
        ? `no local Lambda has ${variable} in its environment (${target.source})`
        : `${variable} is not set (give --stack-outputs <file> with the stack's outputs, or set it)`,
    );
  }
  return value;
}


/**
 * Decides where the commands go. `--local`, or an existing `.fleetota/local.json` without
 * `--stack-outputs`, means the local cloud; otherwise AWS with the default credential chain and
 * names from `--stack-outputs <file>` (the file `cdktf deploy --outputs-file` writes), overridden
 * by `FLEETOTA_*` environment variables (the ones the Lambdas read).
 *
 * @example
 * import { SQSClient } from "@aws-sdk/client-sqs";
 * const target = resolveTarget({ local: true });
 * new SQSClient(target.clientConfig); // talks to the emulator
 */
export function resolveTarget(options: TargetOptions = {}): Target {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const localFile = resolve(cwd, LOCAL_STATE_FILE);
  const wantsLocal = options.local === true || (options.stackOutputs === undefined && existsSync(localFile));
  if (wantsLocal) return localTarget(localFile);
  return awsTarget(options.stackOutputs === undefined ? undefined : resolve(cwd, options.stackOutputs), env);
}

function localTarget(localFile: string): Target {
  if (!existsSync(localFile)) {
    throw new TargetResolutionError(`no local cloud: ${LOCAL_STATE_FILE} is missing (start one with \`npm start\`)`);
  }
  const description = readJson(localFile) as LocalCloudDescription;
  return {
    kind: TARGET_KIND.Local,
    names: namesFromLocalDescription(description),
    clientConfig: { endpoint: description.endpoint, region: description.region, credentials: { ...LOCAL_CREDENTIALS } },
    source: localFile,
  };
}

/**
 * Reads the stack names out of the local cloud description: every Lambda carries them in its
 * environment (the same variables it reads on AWS), so the CLI needs no second list of names.
 *
 * @example
 * namesFromLocalDescription(JSON.parse(readFileSync(".fleetota/local.json", "utf8"))).updateDlqUrl;
 */
export function namesFromLocalDescription(description: LocalCloudDescription): StackNames {
  const merged: Record<string, string> = {};
  for (const fn of description.functions ?? []) Object.assign(merged, fn.environment);
  return pickNames(merged, (variable) => `no local Lambda has ${variable} in its environment`, description.stackName);
}

function awsTarget(outputsFile: string | undefined, env: NodeJS.ProcessEnv): Target {
  const fromOutputs = outputsFile === undefined ? {} : namesFromStackOutputs(readJson(outputsFile), outputsFile);
  const merged: Record<string, string> = { ...fromOutputs };
  for (const variable of Object.values(ALL_NAME_VARIABLES)) {
    const value = env[variable];
    if (value) merged[variable] = value;
  }
  const where = outputsFile ?? "the environment";
  return {
    kind: TARGET_KIND.Aws,
    names: pickNames(merged, (variable) => `${variable} is not set (give --stack-outputs <file>, set it, or use --local)`),
    clientConfig: {},
    source: where,
  };
}

function pickNames(values: Record<string, string>, missing: (variable: string) => string, stackName?: string): StackNames {
  const names = {} as StackNames;
  for (const [key, variable] of Object.entries(NAME_VARIABLES) as Array<[RequiredName, string]>) {
    const value = values[variable] ?? (key === "namePrefix" ? stackName : undefined);
    if (!value) throw new TargetResolutionError(missing(variable));
    names[key] = value;
  }
  for (const [key, variable] of Object.entries(OPTIONAL_NAME_VARIABLES) as Array<[OptionalName, string]>) {
    const value = values[variable];
    if (value) names[key] = value;
  }
  return names;
}

/**
 * Maps `cdktf deploy --outputs-file` output (`{ "<stack>": { "<output>": value } }`) onto the
 * Lambda environment variable names: an output matches a variable when their names agree ignoring
 * case and separators, with or without a `_name` suffix (`update_dlq_url` → FLEETOTA_UPDATE_DLQ_URL,
 * `data_bucket_name` → FLEETOTA_DATA_BUCKET), as main.ts names its outputs.
 *
 * @example
 * namesFromStackOutputs({ "fleetota-dev": { dataBucket: "b" } }, "outputs.json"); // { FLEETOTA_DATA_BUCKET: "b" }
 */
export function namesFromStackOutputs(outputs: unknown, file: string): Record<string, string> {
  if (typeof outputs !== "object" || outputs === null) throw new InputFileError(file, "expected a JSON object of stack outputs");
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(outputs)) {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) Object.assign(flat, value);
    else flat[key] = value;
  }
  const byNormalized = new Map(Object.entries(flat).map(([key, value]) => [normalize(key), value]));
  const result: Record<string, string> = {};
  for (const [key, variable] of Object.entries(ALL_NAME_VARIABLES)) {
    const value = byNormalized.get(normalize(key)) ?? byNormalized.get(`${normalize(key)}name`);
    if (typeof value === "string" && value) result[variable] = value;
  }
  return result;
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new InputFileError(path, `cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputFileError(path, `not valid JSON (${(error as Error).message})`);
  }
}
