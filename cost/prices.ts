/**
 * AWS list prices the cost model uses: us-east-1, on-demand, no free tier, as published on each
 * service's pricing page on the date below. Everything the model prices comes from here; a price
 * change is a one-line edit. `free` marks what AWS does not charge for, with the reason.
 */
export const PRICE_REGION = "us-east-1";
export const PRICE_DATE = "2026-12-01";

export interface Price {
  readonly usd: number;
  /** What one `usd` buys. */
  readonly per: string;
  readonly note?: string;
}

const perMillion = (usd: number, what: string, note?: string): Price => ({ usd: usd / 1e6, per: what, note });

export const PRICES = {
  // Amazon S3 Standard
  s3PutRequest: perMillion(5.0, "PUT, COPY, POST or LIST request", "$0.005 per 1,000"),
  s3GetRequest: perMillion(0.4, "GET, HEAD or other request", "$0.0004 per 1,000"),
  s3StorageGbMonth: { usd: 0.023, per: "GB-month (first 50 TB)" },
  // AWS Lambda, arm64 (the stack deploys arm64)
  lambdaRequest: perMillion(0.2, "invocation"),
  lambdaGbSecond: { usd: 0.0000133334, per: "GB-second, arm64" },
  // Amazon SQS standard queues: each API action is a request (a batch of up to 10 counts once, per 64 KB)
  sqsRequest: perMillion(0.4, "request (64 KB chunk)"),
  // Amazon DynamoDB on-demand (prices after the November 2024 reduction)
  dynamoDbWriteUnit: perMillion(0.625, "write request unit"),
  dynamoDbReadUnit: perMillion(0.125, "read request unit"),
  // Amazon CloudWatch
  cloudWatchMetricMonth: { usd: 0.3, per: "custom metric-month (first 10,000)" },
  cloudWatchApiRequest: perMillion(10, "PutMetricData, DescribeAlarms … request", "$0.01 per 1,000"),
  cloudWatchGetMetricDataMetric: perMillion(10, "metric requested by GetMetricData", "$0.01 per 1,000 metrics"),
  cloudWatchAlarmMetricMonth: { usd: 0.1, per: "standard-resolution alarm metric-month" },
  cloudWatchLogsIngestGb: { usd: 0.5, per: "GB of logs ingested (Lambda logs, Standard class, first 10 TB)", note: "EMF metric lines: their extraction into metrics costs no request; the metrics are custom metrics as before" },
  // AWS KMS
  kmsKeyMonth: { usd: 1.0, per: "customer managed key-month" },
  kmsAsymmetricRequest: perMillion(15, "asymmetric (ECC) Sign request", "$0.15 per 10,000"),
  // Amazon EventBridge
  eventBridgeS3Event: { usd: 0, per: "S3 event on the default bus", note: "free: AWS service events delivered to the default event bus are not charged" },
  eventBridgeScheduledRule: { usd: 0, per: "scheduled rule invocation", note: "free: scheduled rules on the default bus are not charged (EventBridge Scheduler is)" },
  // Amazon SNS
  snsPublish: perMillion(0.5, "publish"),
  // AWS IoT Core
  iotConnectionMinute: perMillion(0.08, "connection-minute"),
  iotMessage: perMillion(1.0, "message of up to 5 KB (first billion a month)"),
  iotRuleTriggered: perMillion(0.15, "rule triggered"),
  iotRuleAction: perMillion(0.15, "rule action executed"),
  iotBasicIngestMessage: { usd: 0, per: "message to a $aws/rules/… topic", note: "free: Basic Ingest has no messaging charge; the rule and its action are charged" },
  iotRegistryOperation: perMillion(1.25, "registry operation (DescribeThing, ListThings …; 1 KB record increments)"),
  iotCredentialRequest: { usd: 0, per: "credentials-provider request", note: "no charge listed for the credentials provider" },
  // AWS IoT Device Management
  iotJobExecution: { usd: 0.003, per: "job execution (remote action)" },
  // Amazon Data Firehose, Direct PUT
  firehoseIngestGb: { usd: 0.029, per: "GB ingested (records rounded up to 5 KB)" },
  // Amazon EC2 / RDS on-demand, for the self-hosted comparison (hawkBit, Mender)
  ec2T3MediumMonth: { usd: 0.0416 * 730, per: "t3.medium instance-month (730 h)" },
  ec2T3LargeMonth: { usd: 0.0832 * 730, per: "t3.large instance-month (730 h)" },
  rdsT3SmallMonth: { usd: 0.034 * 730, per: "db.t3.small MySQL single-AZ instance-month" },
  ebsGp3GbMonth: { usd: 0.08, per: "GB-month of gp3" },
  albMonth: { usd: 0.0225 * 730, per: "Application Load Balancer-month, before LCUs" },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
