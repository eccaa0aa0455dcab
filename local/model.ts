/**
 * What the applier (local/apply) hands to the local runtime (local/runtime) after applying the
 * synthesized stack to the emulator: everything the emulator cannot run itself, with every Terraform
 * reference already resolved to a concrete value. Written to `.fleetota/local.json` as well, so the
 * CLI, tests and anyone else can reach the running stack.
 */
export interface LocalFunction {
  /** Terraform address, e.g. `aws_lambda_function.telemetry-processor_function_ABC123`. */
  address: string;
  functionName: string;
  functionArn: string;
  /** `index.handler` → module `index.mjs`, export `handler`. */
  handler: string;
  /** Absolute path of the deployed artifact (the zip the stack uploads). */
  archivePath: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySizeMb: number;
  reservedConcurrency?: number;
}

export interface LocalEventSourceMapping {
  address: string;
  functionName: string;
  queueArn: string;
  queueUrl: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  maximumConcurrency?: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

export interface LocalSchedule {
  address: string;
  ruleName: string;
  /** `rate(1 minute)` or `cron(0/5 * * * ? *)`. */
  scheduleExpression: string;
  enabled: boolean;
  targets: Array<{ functionName: string; input?: string }>;
}

export interface LocalCloudDescription {
  /** moto (or the proxy in front of it) as the AWS SDK should reach it. */
  endpoint: string;
  region: string;
  accountId: string;
  stackName: string;
  /** Every applied resource's attributes by Terraform address (`aws_sqs_queue.x` → { url, arn, name, … }). */
  resources: Record<string, Record<string, unknown>>;
  /** Terraform outputs, resolved. */
  outputs: Record<string, unknown>;
  functions: LocalFunction[];
  eventSourceMappings: LocalEventSourceMapping[];
  schedules: LocalSchedule[];
  /** Resources with no local meaning (IAM, CloudFront, log groups …), by address. */
  skipped: string[];
  /** The local AWS IoT credentials provider (mutual TLS) vehicles exchange their certificate at. */
  credentialsProvider?: LocalCredentialsProvider;
  /** URL of the locally served dashboard, once it is up. */
  dashboardUrl?: string;
}

export interface LocalCredentialsProvider {
  /** `https://127.0.0.1:<port>`; on AWS: `DescribeEndpoint(iot:CredentialProvider)`. */
  endpoint: string;
  /** The provider's server certificate, which vehicles trust (on AWS: Amazon Root CA 1). */
  caCertificatePem: string;
}

export const LOCAL_STATE_FILE = ".fleetota/local.json";
