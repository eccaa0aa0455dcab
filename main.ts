/**
 * The FleetOTA cdktf app: one stack, `fleetota-dev`, composed from the constructs in modules/.
 *
 *   npm run synth   → build the bundles, then write cdktf.out/stacks/fleetota-dev/cdk.tf.json
 *   npx cdktf deploy (needs Terraform or OpenTofu and AWS credentials)
 */
import { App, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { join, resolve } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { ENV } from "./functions/shared/environment.js";
import { FleetAlarms } from "./modules/alarms.js";
import { BundledFunction } from "./modules/bundled-function.js";
import { DashboardSite } from "./modules/dashboard-site.js";
import { DATA_LAKE_PREFIX, DataLakeStorage } from "./modules/data-lake-storage.js";
import type { PolicyStatement } from "./modules/iam.js";
import { ScheduledInvocation } from "./modules/scheduled-invocation.js";
import { StateTable } from "./modules/state-table.js";
import { resolveStackProps, STACK_NAME, type FleetOtaStackOverrides, type FleetOtaStackProps } from "./modules/stack-config.js";
import { TelemetryPipeline } from "./modules/telemetry-pipeline.js";
import { UpdatePipeline } from "./modules/update-pipeline.js";

const projectRoot = import.meta.dirname;

/** The short names of the Lambdas: folders under functions/ and the `fleetota:function` tag. */
export const FUNCTION = {
  telemetryProcessor: "telemetry-processor",
  updateManager: "update-manager",
  rolloutTicker: "rollout-ticker",
  dashboardPublisher: "dashboard-publisher",
} as const;

const DYNAMODB_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan"];
const DYNAMODB_WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"];

/**
 * The whole FleetOTA topology. Every name derives from `namePrefix`, so two stacks with different
 * prefixes can share an account.
 *
 * @example
 * const app = new App();
 * new FleetOtaStack(app, "fleetota-prod", { namePrefix: "fleetota-prod", environment: "prod", accountId: "123456789012", protectData: true });
 * app.synth();
 */
export class FleetOtaStack extends TerraformStack {
  readonly props: FleetOtaStackProps;
  readonly storage: DataLakeStorage;
  readonly state: StateTable;
  readonly telemetry: TelemetryPipeline;
  readonly updates: UpdatePipeline;
  readonly dashboard: DashboardSite;
  readonly functions: Readonly<Record<keyof typeof FUNCTION, BundledFunction>>;
  readonly alarms: FleetAlarms;

  constructor(scope: Construct, id: string, overrides: FleetOtaStackOverrides = {}) {
    super(scope, id);
    const props = resolveStackProps(overrides);
    this.props = props;
    const prefix = props.namePrefix;
    const accountSuffix = props.accountId ? `-${props.accountId}` : "";
    const distDir = props.distDir ?? join(projectRoot, "dist");

    // Relative to the stack's synth folder, so the JSON carries no machine-specific path.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    new AwsProvider(this, "aws", {
      region: props.region,
      defaultTags: [{ tags: { project: "fleetota", environment: props.environment, "fleetota:stack": prefix } }],
    });

    this.storage = new DataLakeStorage(this, "data-lake", {
      bucketName: `${prefix}-data-lake${accountSuffix}`,
      telemetryInfrequentAccessAfterDays: props.telemetryInfrequentAccessAfterDays,
      telemetryRetentionDays: props.telemetryRetentionDays,
      quarantineRetentionDays: props.quarantineRetentionDays,
      forceDestroy: !props.protectData,
    });
    this.state = new StateTable(this, "state", { tableName: `${prefix}-state`, deletionProtection: props.protectData });
    this.telemetry = new TelemetryPipeline(this, "telemetry", {
      namePrefix: prefix,
      dataBucketName: this.storage.bucketName,
      processorTimeoutSeconds: props.functions.telemetryProcessor.timeoutSeconds,
      maxReceiveCount: props.maxReceiveCount,
    });
    this.updates = new UpdatePipeline(this, "updates", {
      namePrefix: prefix,
      managerTimeoutSeconds: props.functions.updateManager.timeoutSeconds,
      maxReceiveCount: props.maxReceiveCount,
    });
    this.dashboard = new DashboardSite(this, "dashboard", {
      namePrefix: prefix,
      bucketName: `${prefix}-dashboard${accountSuffix}`,
      webBuildDir: join(distDir, "web"),
      priceClass: props.dashboardPriceClass,
      forceDestroy: !props.protectData,
    });

    this.functions = this.createFunctions(join(distDir, "functions"));
    this.grantPermissions();

    this.telemetry.attachProcessor(this.functions.telemetryProcessor, props.telemetryConsumer);
    this.updates.attachManager(this.functions.updateManager, props.updateConsumer);
    new ScheduledInvocation(this, "rollout-ticker-schedule", {
      ruleName: `${prefix}-rollout-ticker-schedule`,
      scheduleExpression: props.schedules.rolloutTicker,
      target: this.functions.rolloutTicker,
      description: "Advances rollout waves, times out silent vehicles, auto-aborts failing campaigns",
    });
    new ScheduledInvocation(this, "dashboard-publisher-schedule", {
      ruleName: `${prefix}-dashboard-publisher-schedule`,
      scheduleExpression: props.schedules.dashboardPublisher,
      target: this.functions.dashboardPublisher,
      description: "Writes the dashboard data JSON",
    });

    this.alarms = new FleetAlarms(this, "alarms", {
      namePrefix: prefix,
      metricsNamespace: props.metricsNamespace,
      thresholds: props.alarms,
      telemetryQueue: this.telemetry.work,
      updateQueue: this.updates.work,
      functions: (Object.keys(FUNCTION) as Array<keyof typeof FUNCTION>).map((key) => ({ shortName: FUNCTION[key], fn: this.functions[key] })),
      fleetSize: props.fleetSize,
    });

    this.createOutputs();
  }

  private signingKeyParameterName(): string {
    return `/${this.props.namePrefix}/signing-key`;
  }

  private createFunctions(bundlesDir: string): Record<keyof typeof FUNCTION, BundledFunction> {
    const props = this.props;
    const prefix = props.namePrefix;
    const telemetry = this.telemetry.work;
    const updates = this.updates.work;
    const common = (shortName: string): Record<string, string> => ({
      [ENV.NAME_PREFIX]: prefix,
      [ENV.METRICS_NAMESPACE]: props.metricsNamespace,
      [ENV.LOG_LEVEL]: props.logLevel,
      [ENV.SERVICE_NAME]: shortName,
    });
    const create = (key: keyof typeof FUNCTION, description: string, environment: Record<string, string>) =>
      new BundledFunction(this, FUNCTION[key], {
        shortName: FUNCTION[key],
        functionName: `${prefix}-${FUNCTION[key]}`,
        description,
        timeoutSeconds: props.functions[key].timeoutSeconds,
        memoryMb: props.functions[key].memoryMb,
        environment: { ...common(FUNCTION[key]), ...environment },
        logRetentionDays: props.logRetentionDays,
        bundlesDir,
      });

    return {
      telemetryProcessor: create("telemetryProcessor", "Validates telemetry batches, publishes fleet metrics, feeds the update queue", {
        [ENV.DATA_BUCKET]: this.storage.bucketName,
        [ENV.STATE_TABLE]: this.state.tableName,
        [ENV.UPDATE_QUEUE_URL]: updates.queueUrl,
      }),
      updateManager: create("updateManager", "Drives campaigns and vehicle update jobs; signs job documents", {
        [ENV.DATA_BUCKET]: this.storage.bucketName,
        [ENV.STATE_TABLE]: this.state.tableName,
        [ENV.UPDATE_QUEUE_URL]: updates.queueUrl,
        [ENV.SIGNING_KEY_PARAMETER]: this.signingKeyParameterName(),
      }),
      rolloutTicker: create("rolloutTicker", "Scheduled: rollout waves, timeouts, auto-abort", {
        [ENV.STATE_TABLE]: this.state.tableName,
        [ENV.UPDATE_QUEUE_URL]: updates.queueUrl,
      }),
      dashboardPublisher: create("dashboardPublisher", "Scheduled: writes the dashboard data JSON", {
        [ENV.DATA_BUCKET]: this.storage.bucketName,
        [ENV.STATE_TABLE]: this.state.tableName,
        [ENV.DASHBOARD_BUCKET]: this.dashboard.bucketName,
        [ENV.DASHBOARD_DATA_PREFIX]: this.dashboard.dataPrefix,
        [ENV.ALARM_PREFIX]: `${prefix}-`,
        [ENV.TELEMETRY_QUEUE_URL]: telemetry.queueUrl,
        [ENV.TELEMETRY_DLQ_URL]: telemetry.deadLetterQueueUrl,
        [ENV.UPDATE_QUEUE_URL]: updates.queueUrl,
        [ENV.UPDATE_DLQ_URL]: updates.deadLetterQueueUrl,
      }),
    };
  }

  /** Least privilege: exact ARNs, object prefixes, and `*` only where AWS allows nothing narrower (with a condition). */
  private grantPermissions(): void {
    const { telemetryProcessor, updateManager, rolloutTicker, dashboardPublisher } = this.functions;
    const props = this.props;
    const lake = this.storage;
    const account = props.accountId ?? "*";
    const putMetrics: PolicyStatement = {
      Sid: "PutMetricsInOwnNamespace",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": props.metricsNamespace } },
    };
    const listDataLake: PolicyStatement = { Sid: "ListDataLake", Effect: "Allow", Action: "s3:ListBucket", Resource: lake.bucketArn };
    const readWriteState: PolicyStatement = {
      Sid: "ReadWriteState",
      Effect: "Allow",
      Action: [...DYNAMODB_READ, ...DYNAMODB_WRITE],
      Resource: this.state.tableAndIndexArns,
    };
    // Fleet state is parts plus a snapshot; whoever reads it may compact the parts into the snapshot.
    const keepFleetState: PolicyStatement = {
      Sid: "KeepFleetState",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      Resource: lake.objectsArn(DATA_LAKE_PREFIX.fleetState),
    };
    const grant = (fn: BundledFunction, statements: PolicyStatement[]) => statements.forEach((statement) => fn.addToPolicy(statement));

    grant(telemetryProcessor, [
      putMetrics,
      listDataLake,
      readWriteState,
      { Sid: "ReadTelemetry", Effect: "Allow", Action: "s3:GetObject", Resource: lake.objectsArn(DATA_LAKE_PREFIX.telemetry) },
      { Sid: "WriteQuarantine", Effect: "Allow", Action: "s3:PutObject", Resource: lake.objectsArn(DATA_LAKE_PREFIX.quarantine) },
      keepFleetState,
    ]);
    this.updates.grantSend(telemetryProcessor);

    grant(updateManager, [
      putMetrics,
      listDataLake,
      readWriteState,
      { Sid: "ReadFirmware", Effect: "Allow", Action: "s3:GetObject", Resource: lake.objectsArn(DATA_LAKE_PREFIX.firmware) },
      { Sid: "PublishJobDocuments", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: lake.objectsArn(DATA_LAKE_PREFIX.jobs) },
      {
        Sid: "ReadSigningKey",
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: `arn:aws:ssm:${props.region}:${account}:parameter${this.signingKeyParameterName()}`,
      },
    ]);
    this.updates.grantSend(updateManager);

    grant(rolloutTicker, [putMetrics, readWriteState]);
    this.updates.grantSend(rolloutTicker);

    const queues = [this.telemetry.work, this.updates.work];
    grant(dashboardPublisher, [
      putMetrics,
      listDataLake,
      { Sid: "ReadState", Effect: "Allow", Action: DYNAMODB_READ, Resource: this.state.tableAndIndexArns },
      keepFleetState,
      { Sid: "WriteDashboardData", Effect: "Allow", Action: "s3:PutObject", Resource: `${this.dashboard.bucketArn}/${this.dashboard.dataPrefix}*` },
      {
        Sid: "ReadQueueDepths",
        Effect: "Allow",
        Action: "sqs:GetQueueAttributes",
        Resource: queues.flatMap((work) => [work.queueArn, work.deadLetterQueueArn]),
      },
      {
        Sid: "DescribeOwnAlarms",
        Effect: "Allow",
        Action: "cloudwatch:DescribeAlarms",
        Resource: `arn:aws:cloudwatch:${props.region}:${account}:alarm:${props.namePrefix}-*`,
      },
      {
        Sid: "ReadMetricsInOwnRegion",
        Effect: "Allow",
        Action: "cloudwatch:GetMetricData",
        Resource: "*",
        Condition: { StringEquals: { "aws:RequestedRegion": props.region } },
      },
    ]);
  }

  private createOutputs(): void {
    const outputs: Record<string, { value: string; description: string }> = {
      name_prefix: { value: this.props.namePrefix, description: "Prefix of every resource name" },
      region: { value: this.props.region, description: "AWS region of the stack" },
      data_bucket_name: { value: this.storage.bucketName, description: "Data lake: telemetry/, quarantine/, fleet-state/, firmware/, jobs/" },
      dashboard_bucket_name: { value: this.dashboard.bucketName, description: "Static dashboard site; data JSON under data/" },
      dashboard_url: { value: this.dashboard.url, description: "The fleet dashboard (CloudFront)" },
      telemetry_queue_url: { value: this.telemetry.work.queueUrl, description: "Telemetry work queue" },
      telemetry_dlq_url: { value: this.telemetry.work.deadLetterQueueUrl, description: "Telemetry dead-letter queue" },
      update_queue_url: { value: this.updates.work.queueUrl, description: "Update-job queue" },
      update_dlq_url: { value: this.updates.work.deadLetterQueueUrl, description: "Update-job dead-letter queue" },
      state_table_name: { value: this.state.tableName, description: "Campaigns, vehicle jobs, idempotency markers" },
      alarm_topic_arn: { value: this.alarms.topicArn, description: "SNS topic every alarm notifies" },
      signing_key_parameter: { value: this.signingKeyParameterName(), description: "SSM SecureString holding the job-signing key" },
      metrics_namespace: { value: this.props.metricsNamespace, description: "CloudWatch namespace of the custom metrics" },
    };
    for (const [key, fn] of Object.entries(this.functions)) {
      outputs[`${FUNCTION[key as keyof typeof FUNCTION].replace(/-/g, "_")}_function_name`] = { value: fn.functionName, description: `Lambda ${FUNCTION[key as keyof typeof FUNCTION]}` };
    }
    for (const [id, output] of Object.entries(outputs)) new TerraformOutput(this, id, output);
  }
}

/**
 * Synthesizes the app: into `outdir` when given, else where the cdktf CLI asks (CDKTF_OUTDIR) or
 * ./cdktf.out.
 *
 * @example
 * synthesize({ region: "eu-west-1" }); // cdktf.out/stacks/fleetota-dev/cdk.tf.json
 */
export function synthesize(overrides: FleetOtaStackOverrides = {}, outdir?: string): void {
  const app = new App(outdir ? { outdir } : {});
  new FleetOtaStack(app, STACK_NAME, overrides);
  app.synth();
}

if (import.meta.url === `file://${process.argv[1]}` || resolve(process.argv[1] ?? "") === resolve(projectRoot, "main.ts")) {
  synthesize();
}
