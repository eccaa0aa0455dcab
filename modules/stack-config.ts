import { DEFAULT_PARKED_RETENTION_DAYS } from "../contracts/parked-failure.js";
import { InvalidTrendsIntervalError, trendsIntervalMinutes } from "../functions/dashboard-publisher/trend-cadence.js";
import { DEADLINE_RESERVE_MS } from "../functions/telemetry-processor/deadline.js";

/**
 * Everything about the FleetOTA stack that differs between environments, with the defaults of the
 * `fleetota-dev` stack. main.ts passes a partial override; every construct receives resolved values.
 */
export interface AlarmThresholds {
  /** Messages visible in a work queue before its depth alarm fires. */
  readonly queueDepthMessages: number;
  /** Age of the oldest message in a work queue, in seconds, before its age alarm fires. */
  readonly queueAgeSeconds: number;
  /** Failed + timed-out + rolled-back updates as a percentage of finished updates. */
  readonly updateFailureRatePercent: number;
  /** Finished updates an evaluation window needs before the failure rate counts (small-sample guard). */
  readonly updateFailureMinimumSamples: number;
  /** Average telemetry processing latency (object created → processed), in milliseconds. */
  readonly processingLatencyMs: number;
  /** Connected vehicles as a percentage of the fleet below which the connectivity alarm fires. */
  readonly connectivityMinimumPercent: number;
  /** Lambda errors (or throttles) per function within one evaluation period. */
  readonly lambdaErrorsPerPeriod: number;
}

export interface FunctionSizing {
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface QueueConsumerSettings {
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  /** SQS event source mapping scaling limit (2…1000). */
  readonly maximumConcurrency: number;
}

export interface FleetOtaStackProps {
  /** Prefix of every resource name, e.g. `fleetota-dev`. */
  readonly namePrefix: string;
  /** Environment label put into the default tags (`dev`, `prod` …). */
  readonly environment: string;
  readonly region: string;
  /**
   * `aws` (the default) deploys to an AWS account; `local` is the stack the local cloud applies to the
   * emulator (its account is the emulator's, its bucket names carry no account suffix).
   */
  readonly target: DeployTarget;
  /**
   * The account the stack deploys to: IAM ARNs that cannot reference a resource (SSM parameters, alarms)
   * name it, and it is appended to the bucket names (globally unique on AWS). Required for `aws`.
   */
  readonly accountId?: string;
  /** Days telemetry objects stay in the data lake before expiring. */
  readonly telemetryRetentionDays: number;
  /** Days telemetry stays in S3 Standard before moving to Standard-IA. */
  readonly telemetryInfrequentAccessAfterDays: number;
  readonly quarantineRetentionDays: number;
  /** Days parked failure records (`parked/…`) stay before expiring. */
  readonly parkedRetentionDays: number;
  readonly logRetentionDays: number;
  /** CloudWatch namespace of every custom metric (see contracts/metrics.ts). */
  readonly metricsNamespace: string;
  readonly logLevel: "DEBUG" | "INFO" | "WARN" | "ERROR";
  /** Deploy the bundles' source maps and enable them (readable traces, slower cold starts). */
  readonly lambdaSourceMaps: boolean;
  readonly alarms: AlarmThresholds;
  /**
   * When set, the connectivity alarm compares `FleetHealth/VehiclesOnline` with this fleet size;
   * otherwise it watches the processor's own `FleetHealth/ConnectivityRate` (percent).
   */
  readonly fleetSize?: number;
  /**
   * Most vehicles the fleet state holds (the processor's parts and the publisher's snapshot): past it a gateway's
   * new VINs are dropped first (counted: FleetHealth/FleetStateEntriesDropped). The dashboard publisher's memory
   * bounds it (see the README's fleet-state paragraph for the measured figure); at least the fleet's size.
   */
  readonly fleetStateMaxVehicles: number;
  /** Days a vehicle stays in the fleet state (and on the dashboard) after its last record. */
  readonly fleetStateRetentionDays: number;
  readonly telemetryConsumer: QueueConsumerSettings;
  readonly updateConsumer: QueueConsumerSettings;
  /** The update manager's mapping on the command queue: commands and ticks are few, so two batches at a time (AWS's least). */
  readonly commandConsumer: QueueConsumerSettings;
  readonly functions: {
    readonly telemetryProcessor: FunctionSizing;
    readonly updateManager: FunctionSizing;
    readonly rolloutTicker: FunctionSizing;
    readonly dashboardPublisher: FunctionSizing;
  };
  /** EventBridge schedule expressions. */
  readonly schedules: {
    readonly rolloutTicker: string;
    readonly dashboardPublisher: string;
  };
  /**
   * Minutes between two refreshes of the dashboard's telemetry trends (1-60, a divisor of 60). The trends
   * are 14 CloudWatch metrics, billed per metric each time they are read; everything else the publisher
   * writes stays at every run. Above 1 the publisher must run every minute (it picks the refreshing runs
   * by their scheduled minute).
   */
  readonly dashboardTrendsEveryMinutes: number;
  /** maxReceiveCount of both work queues before a message moves to its DLQ. */
  readonly maxReceiveCount: number;
  /**
   * Networks (CIDRs) allowed to open the dashboard on AWS (a WAF allow-list, on by default). Empty:
   * the dashboard answers 403 to everyone until the operators' networks are listed.
   */
  readonly dashboardAllowedCidrs: readonly string[];
  /** A custom domain for the dashboard with its issued ACM certificate (us-east-1): TLS 1.2+ only. */
  readonly dashboardDomain?: { readonly name: string; readonly certificateArn: string };
  /** Days the access logs (S3 server access, CloudFront) are kept. */
  readonly accessLogRetentionDays: number;
  /** CloudFront price class of the dashboard distribution. */
  readonly dashboardPriceClass: "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
  /**
   * The IAM roles (or users) that deploy this stack (`arn:aws:iam::<accountId>:role/…`; `*` patterns allowed): only
   * they, and the account's root user, may change the director key's policy. Required for the `aws` target
   * (MissingKeyAdministratorsError): unset, any principal in the account whose identity policy allows
   * `kms:PutKeyPolicy` could rewrite it (and give itself `kms:Sign`). The `local` target may leave it unset.
   */
  readonly keyAdministratorArns?: readonly string[];
  /** Protects the state table and buckets against `terraform destroy` (on in production). */
  readonly protectData: boolean;
  /** Where scripts/build.ts put the bundles (`functions/<name>/`) and the web app (`web/`); default `<project>/dist`. */
  readonly distDir?: string;
}

export type FleetOtaStackOverrides = Partial<Omit<FleetOtaStackProps, "alarms" | "functions" | "schedules">> & {
  readonly alarms?: Partial<AlarmThresholds>;
  readonly functions?: Partial<FleetOtaStackProps["functions"]>;
  readonly schedules?: Partial<FleetOtaStackProps["schedules"]>;
};

export const STACK_NAME = "fleetota-dev";

export const DEPLOY_TARGET = { aws: "aws", local: "local" } as const;
export type DeployTarget = (typeof DEPLOY_TARGET)[keyof typeof DEPLOY_TARGET];

/** The emulator's (moto's) account, the account of the `local` target. */
export const LOCAL_ACCOUNT_ID = "123456789012";

export const defaults: FleetOtaStackProps = {
  namePrefix: STACK_NAME,
  environment: "dev",
  region: "eu-central-1",
  target: DEPLOY_TARGET.aws,
  telemetryRetentionDays: 365,
  telemetryInfrequentAccessAfterDays: 30,
  quarantineRetentionDays: 90,
  parkedRetentionDays: DEFAULT_PARKED_RETENTION_DAYS,
  logRetentionDays: 14,
  metricsNamespace: "FleetOTA",
  logLevel: "INFO",
  fleetStateMaxVehicles: 100_000,
  fleetStateRetentionDays: 30,
  lambdaSourceMaps: false,
  alarms: {
    queueDepthMessages: 1000,
    queueAgeSeconds: 900,
    updateFailureRatePercent: 5,
    updateFailureMinimumSamples: 20,
    // The batching window (20 s) plus processing: an average above it means the processor is falling behind.
    processingLatencyMs: 30_000,
    connectivityMinimumPercent: 80,
    lambdaErrorsPerPeriod: 1,
  },
  // Up to 100 objects an invocation, gathered for up to 20 s: one fleet-state part, one set of EMF metric lines and
  // one invocation for many objects (the largest per-object cost after the vehicle's own PUT); telemetry is
  // then processed up to 20 s later, far inside an upload period. The local target keeps 10 and 1 s.
  telemetryConsumer: { batchSize: 100, maximumBatchingWindowSeconds: 20, maximumConcurrency: 10 },
  updateConsumer: { batchSize: 10, maximumBatchingWindowSeconds: 1, maximumConcurrency: 5 },
  commandConsumer: { batchSize: 10, maximumBatchingWindowSeconds: 1, maximumConcurrency: 2 },
  functions: {
    // 512 MB, checked against measurement (bench/processor-offline.ts, run by `npm run bench -- cost`; the last
    // run's figures are in bench/results.json and the README): the worst batch the read limits accept (100 objects
    // of 10,000 records) peaks at about 300-320 MB RSS, with the heap capped at the function's memory. 384 MB
    // would hold that, but memory is also CPU: that batch takes 6-11 CPU-seconds (runs of 2026-12-02), 22-37 s at
    // 512 MB's share of a vCPU (0.29) and 29-50 s at 384 MB's against the 60 s timeout; 256 MB fits neither. Nor
    // would less memory save much: on AWS the processor is mostly CPU (its SDK calls), and CPU-bound GB-seconds are
    // the same at any memory below 1,769 MB; only the waiting part shrinks (well under $0.0001 a vehicle-month).
    telemetryProcessor: { timeoutSeconds: 60, memoryMb: 512 },
    updateManager: { timeoutSeconds: 30, memoryMb: 256 },
    rolloutTicker: { timeoutSeconds: 60, memoryMb: 256 },
    // 512 MB, checked against measurement (bench/dashboard-publisher-memory.bench.ts, `npm run bench --
    // dashboard-publisher-memory`: the fleet path as bundled, V8's heap limits as Lambda sets them; figures in
    // bench/results.json and the README): at the fleet-state cap (100,000 vehicles) with every string at the schema's
    // limit the process peaks at about 190-200 MB RSS in a steady minute and 250-280 MB under a gateway's flood of
    // 300,000 invented VINs (runs of 2026-12-02), before the Lambda runtime's own memory. The bench holds the peak to
    // 70 % of the memory: 384 MB (269 MB) does not hold the flood, 256 MB not even the steady minute. Memory is CPU
    // too: that flood takes about 12 CPU-seconds, some 43 s at 512 MB's share of a vCPU against the 60 s timeout
    // (85 s at 256 MB). The cost model prices the publisher's compute at this memory.
    dashboardPublisher: { timeoutSeconds: 60, memoryMb: 512 },
  },
  schedules: {
    rolloutTicker: "rate(1 minute)",
    dashboardPublisher: "rate(1 minute)",
  },
  // 14 metrics × 43,800 runs a month is $6.13 a month read every minute; every 5 minutes $1.23, and the
  // trends (one point a minute over three hours) are at most 5 minutes behind, which the page shows.
  dashboardTrendsEveryMinutes: 5,
  maxReceiveCount: 5,
  dashboardPriceClass: "PriceClass_100",
  dashboardAllowedCidrs: [],
  accessLogRetentionDays: 90,
  protectData: true,
};

/**
 * What the local target changes in the defaults: the local cloud answers within seconds (tests and the
 * end-to-end benchmark wait for each object), so the telemetry mapping gathers for 1 s, not 20 s, and the
 * latency alarm is set to match. Explicit overrides still win.
 */
export const localTargetDefaults = {
  telemetryConsumer: { batchSize: 10, maximumBatchingWindowSeconds: 1, maximumConcurrency: 10 },
  alarms: { processingLatencyMs: 5000 },
} as const satisfies Pick<FleetOtaStackOverrides, "telemetryConsumer" | "alarms">;

export class InvalidStackPropsError extends Error {
  override readonly name: string = "InvalidStackPropsError";
}

/** An AWS deployment without an account id would need `*` for the account in its IAM ARNs: refused. */
export class MissingAccountIdError extends InvalidStackPropsError {
  override readonly name = "MissingAccountIdError";
  constructor() {
    super(
      `deploying to AWS needs the account id (its IAM ARNs name the account instead of "*"): ` +
        `set FLEETOTA_STACK_ACCOUNT_ID to the 12-digit id of the account you deploy to ` +
        `(aws sts get-caller-identity --query Account --output text), or pass accountId`,
    );
  }
}

/**
 * An AWS deployment without key administrators would leave the director key's policy to every principal of the
 * account whose identity policy allows `kms:PutKeyPolicy` (AdministratorAccess, many CI roles): one policy write,
 * and that principal signs job documents for any vehicle. Refused; the local target keeps the emulator default.
 */
export class MissingKeyAdministratorsError extends InvalidStackPropsError {
  override readonly name = "MissingKeyAdministratorsError";
  constructor() {
    super(
      `deploying to AWS needs the roles that deploy the stack, the only principals (with the root user) that may change the director key's policy: ` +
        `set FLEETOTA_STACK_KEY_ADMINISTRATOR_ARNS to their comma-separated IAM role ARNs (e.g. arn:aws:iam::<account>:role/fleetota-deploy; ` +
        `the role you deploy with: aws sts get-caller-identity), or pass keyAdministratorArns`,
    );
  }
}

/**
 * Merges overrides into the defaults and rejects values AWS would refuse at deploy time.
 *
 * @example
 * const props = resolveStackProps({ namePrefix: "fleetota-prod", environment: "prod", protectData: true });
 */
export function resolveStackProps(overrides: FleetOtaStackOverrides = {}): FleetOtaStackProps {
  const local = overrides.target === DEPLOY_TARGET.local ? localTargetDefaults : undefined;
  let props: FleetOtaStackProps = {
    ...defaults,
    ...(local ? { telemetryConsumer: local.telemetryConsumer } : {}),
    ...overrides,
    alarms: { ...defaults.alarms, ...local?.alarms, ...overrides.alarms },
    functions: { ...defaults.functions, ...overrides.functions },
    schedules: { ...defaults.schedules, ...overrides.schedules },
  };
  if (!/^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/.test(props.namePrefix)) {
    throw new InvalidStackPropsError(`namePrefix "${props.namePrefix}" must be 3-40 lowercase letters, digits or dashes`);
  }
  for (const [name, consumer] of [["telemetryConsumer", props.telemetryConsumer], ["updateConsumer", props.updateConsumer], ["commandConsumer", props.commandConsumer]] as const) {
    if (consumer.maximumConcurrency < 2 || consumer.maximumConcurrency > 1000) {
      throw new InvalidStackPropsError(`${name}.maximumConcurrency must be between 2 and 1000, got ${consumer.maximumConcurrency}`);
    }
    if (consumer.batchSize > 10 && consumer.maximumBatchingWindowSeconds < 1) {
      throw new InvalidStackPropsError(`${name}: a batch size above 10 needs a batching window of at least 1 s`);
    }
  }
  if (props.alarms.processingLatencyMs <= props.telemetryConsumer.maximumBatchingWindowSeconds * 1000) {
    throw new InvalidStackPropsError(
      `alarms.processingLatencyMs (${props.alarms.processingLatencyMs}) must exceed the telemetry batching window ` +
        `(${props.telemetryConsumer.maximumBatchingWindowSeconds} s): the window alone would fire the alarm`,
    );
  }
  if (props.functions.telemetryProcessor.timeoutSeconds * 1000 < 2 * DEADLINE_RESERVE_MS) {
    throw new InvalidStackPropsError(
      `functions.telemetryProcessor.timeoutSeconds (${props.functions.telemetryProcessor.timeoutSeconds}) must be at least ${(2 * DEADLINE_RESERVE_MS) / 1000}: ` +
        `the processor stops starting objects ${DEADLINE_RESERVE_MS / 1000} s before its timeout (functions/telemetry-processor/deadline.ts), and would defer most of every batch`,
    );
  }
  if (props.telemetryInfrequentAccessAfterDays < 30 || props.telemetryRetentionDays <= props.telemetryInfrequentAccessAfterDays) {
    throw new InvalidStackPropsError("telemetry moves to Standard-IA after at least 30 days and expires after that");
  }
  try {
    trendsIntervalMinutes(props.dashboardTrendsEveryMinutes);
  } catch (error) {
    if (error instanceof InvalidTrendsIntervalError) throw new InvalidStackPropsError(`dashboardTrendsEveryMinutes: ${error.message}`);
    throw error;
  }
  if (props.dashboardTrendsEveryMinutes > 1 && props.schedules.dashboardPublisher !== "rate(1 minute)") {
    throw new InvalidStackPropsError(
      `dashboardTrendsEveryMinutes (${props.dashboardTrendsEveryMinutes}) needs the dashboard publisher scheduled "rate(1 minute)" ` +
        `(it refreshes the trends on the run in the first minute of each window), got "${props.schedules.dashboardPublisher}"; ` +
        `set dashboardTrendsEveryMinutes: 1 with another schedule`,
    );
  }
  if (props.fleetSize !== undefined && props.fleetSize <= 0) {
    throw new InvalidStackPropsError(`fleetSize must be positive, got ${props.fleetSize}`);
  }
  for (const name of ["fleetStateMaxVehicles", "fleetStateRetentionDays"] as const) {
    if (!Number.isInteger(props[name]) || props[name] <= 0) throw new InvalidStackPropsError(`${name} must be a whole number above 0, got ${props[name]}`);
  }
  if (props.fleetSize !== undefined && props.fleetStateMaxVehicles < props.fleetSize) {
    throw new InvalidStackPropsError(`fleetStateMaxVehicles (${props.fleetStateMaxVehicles}) is below fleetSize (${props.fleetSize}): real vehicles would be dropped from the fleet state`);
  }
  if (props.target === DEPLOY_TARGET.local) props = { ...props, accountId: props.accountId ?? LOCAL_ACCOUNT_ID };
  if (props.accountId === undefined) throw new MissingAccountIdError();
  if (!/^\d{12}$/.test(props.accountId)) throw new InvalidStackPropsError(`accountId must be a 12-digit AWS account id, got "${props.accountId}"`);
  if (props.target === DEPLOY_TARGET.aws && (props.keyAdministratorArns ?? []).length === 0) throw new MissingKeyAdministratorsError();
  for (const arn of props.keyAdministratorArns ?? []) {
    // Only the account's own principals: the key policy lets no other account administer the key at all.
    if (!new RegExp(`^arn:aws[a-z-]*:iam::${props.accountId}:(role|user)/[\\w+=,.@/*?-]+$`).test(arn)) {
      throw new InvalidStackPropsError(`keyAdministratorArns: "${arn}" is not an IAM role or user ARN of account ${props.accountId}`);
    }
  }
  return props;
}

/** Synth-time settings read by main.ts (not Lambda variables: those are ENV in contracts/environment.ts). */
export const STACK_ENV = {
  region: "FLEETOTA_STACK_REGION",
  accountId: "FLEETOTA_STACK_ACCOUNT_ID",
  /** Comma-separated CIDRs allowed to open the dashboard on AWS. */
  dashboardAllowedCidrs: "FLEETOTA_STACK_DASHBOARD_ALLOWED_CIDRS",
  /** The dashboard's custom domain, with FLEETOTA_STACK_DASHBOARD_CERTIFICATE_ARN. */
  dashboardDomain: "FLEETOTA_STACK_DASHBOARD_DOMAIN",
  dashboardCertificateArn: "FLEETOTA_STACK_DASHBOARD_CERTIFICATE_ARN",
  /** `local` for the stack the local cloud applies (see DEPLOY_TARGET). */
  target: "FLEETOTA_STACK_TARGET",
  environment: "FLEETOTA_STACK_ENVIRONMENT",
  protectData: "FLEETOTA_STACK_PROTECT_DATA",
  fleetSize: "FLEETOTA_STACK_FLEET_SIZE",
  /** Minutes between two refreshes of the dashboard's telemetry trends (dashboardTrendsEveryMinutes). */
  dashboardTrendsEveryMinutes: "FLEETOTA_STACK_DASHBOARD_TRENDS_EVERY_MINUTES",
  /** Comma-separated ARNs of the roles that deploy the stack (keyAdministratorArns). */
  keyAdministratorArns: "FLEETOTA_STACK_KEY_ADMINISTRATOR_ARNS",
} as const;

/**
 * The overrides a deployment sets through the environment, e.g. the account id that makes the
 * bucket names globally unique.
 *
 * @example
 * stackOverridesFromEnv({ FLEETOTA_STACK_ACCOUNT_ID: "123456789012", FLEETOTA_STACK_REGION: "eu-west-1" })
 * // { accountId: "123456789012", region: "eu-west-1" }
 */
export function stackOverridesFromEnv(env: NodeJS.ProcessEnv = process.env): FleetOtaStackOverrides {
  const value = (name: string) => (env[name] === undefined || env[name] === "" ? undefined : env[name]);
  const accountId = value(STACK_ENV.accountId);
  if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
    throw new InvalidStackPropsError(`${STACK_ENV.accountId} must be a 12-digit AWS account id, got "${accountId}"`);
  }
  const fleetSizeText = value(STACK_ENV.fleetSize);
  const fleetSize = fleetSizeText === undefined ? undefined : Number(fleetSizeText);
  if (fleetSize !== undefined && !Number.isInteger(fleetSize)) {
    throw new InvalidStackPropsError(`${STACK_ENV.fleetSize} must be a whole number, got "${fleetSizeText}"`);
  }
  const trendsText = value(STACK_ENV.dashboardTrendsEveryMinutes);
  const dashboardTrendsEveryMinutes = trendsText === undefined ? undefined : Number(trendsText);
  if (dashboardTrendsEveryMinutes !== undefined && !Number.isInteger(dashboardTrendsEveryMinutes)) {
    throw new InvalidStackPropsError(`${STACK_ENV.dashboardTrendsEveryMinutes} must be a whole number of minutes, got "${trendsText}"`);
  }
  const protectData = value(STACK_ENV.protectData);
  const target = value(STACK_ENV.target);
  if (target !== undefined && !Object.values(DEPLOY_TARGET).includes(target as DeployTarget)) {
    throw new InvalidStackPropsError(`${STACK_ENV.target} must be one of ${Object.values(DEPLOY_TARGET).join(", ")}, got "${target}"`);
  }
  const cidrs = value(STACK_ENV.dashboardAllowedCidrs);
  const keyAdministrators = value(STACK_ENV.keyAdministratorArns);
  const domain = value(STACK_ENV.dashboardDomain);
  const certificateArn = value(STACK_ENV.dashboardCertificateArn);
  if ((domain === undefined) !== (certificateArn === undefined)) {
    throw new InvalidStackPropsError(`${STACK_ENV.dashboardDomain} and ${STACK_ENV.dashboardCertificateArn} go together (an ACM certificate in us-east-1 for the domain)`);
  }
  if (certificateArn !== undefined && !/^arn:aws:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(certificateArn)) {
    throw new InvalidStackPropsError(`${STACK_ENV.dashboardCertificateArn} must be an ACM certificate ARN in us-east-1 (CloudFront's region), got "${certificateArn}"`);
  }
  const overrides = {
    target: target as DeployTarget | undefined,
    dashboardAllowedCidrs: cidrs?.split(",").map((cidr) => cidr.trim()).filter(Boolean),
    keyAdministratorArns: keyAdministrators?.split(",").map((arn) => arn.trim()).filter(Boolean),
    dashboardDomain: domain !== undefined && certificateArn !== undefined ? { name: domain, certificateArn } : undefined,
    region: value(STACK_ENV.region),
    accountId,
    environment: value(STACK_ENV.environment),
    protectData: protectData === undefined ? undefined : ["1", "true", "yes"].includes(protectData.toLowerCase()),
    fleetSize,
    dashboardTrendsEveryMinutes,
  };
  return Object.fromEntries(Object.entries(overrides).filter(([, setting]) => setting !== undefined));
}
