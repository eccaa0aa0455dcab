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
import { AccessLogBucket } from "./modules/access-log-bucket.js";
import { AlarmTopicKey } from "./modules/alarm-topic-key.js";
import { DashboardAccess, InvalidCidrError } from "./modules/dashboard-access.js";
import { FleetAlarms } from "./modules/alarms.js";
import { DashboardSite } from "./modules/dashboard-site.js";
import { DATA_LAKE_PREFIX, DataLakeStorage } from "./modules/data-lake-storage.js";
import { DirectorSigningKey } from "./modules/director-signing-key.js";
import { FleetFunctions } from "./modules/fleet-functions.js";
import type { StackRoles } from "./modules/guarded-queue-policy.js";
import { ScheduledInvocation } from "./modules/scheduled-invocation.js";
import { StateTable } from "./modules/state-table.js";
import {
  DEPLOY_TARGET,
  InvalidStackPropsError,
  resolveStackProps,
  STACK_NAME,
  stackOverridesFromEnv,
  type FleetOtaStackOverrides,
  type FleetOtaStackProps,
} from "./modules/stack-config.js";
import { TelemetryPipeline } from "./modules/telemetry-pipeline.js";
import { UpdatePipeline } from "./modules/update-pipeline.js";
import { VehicleIdentity } from "./modules/vehicle-identity.js";
import { GatewayIdentity } from "./modules/gateway-identity.js";
import { FLEET_TELEMETRY_PREFIX, VEHICLE_TELEMETRY_PREFIX } from "./contracts/telemetry-keys.js";

const projectRoot = import.meta.dirname;
/** Lifetime of a vehicle's (and a gateway's) credentials: the shortest AWS IoT allows, so a revoked one is out within 15 minutes. */
const VEHICLE_CREDENTIAL_SECONDS = 900;

export { FUNCTION } from "./modules/fleet-functions.js";
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
  readonly functions: FleetFunctions;
  readonly directorKey: DirectorSigningKey;
  readonly alarms: FleetAlarms;
  readonly vehicleIdentity: VehicleIdentity;
  readonly gatewayIdentity: GatewayIdentity;

  constructor(scope: Construct, id: string, overrides: FleetOtaStackOverrides = {}) {
    super(scope, id);
    const props = resolveStackProps(overrides);
    this.props = props;
    const prefix = props.namePrefix;
    // Bucket names are global on AWS: the account id makes them unique there; the emulator needs no suffix.
    const accountSuffix = props.target === DEPLOY_TARGET.aws ? `-${props.accountId}` : "";
    const distDir = props.distDir ?? join(projectRoot, "dist");

    // Relative to the stack's synth folder, so the JSON carries no machine-specific path.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    const defaultTags = [{ tags: { project: "fleetota", environment: props.environment, "fleetota:stack": prefix } }];
    new AwsProvider(this, "aws", { region: props.region, defaultTags });
    // CloudFront's WAF web ACLs and certificates live in us-east-1.
    const usEast1 = new AwsProvider(this, "aws-us-east-1", { region: "us-east-1", alias: "us_east_1", defaultTags });
    const accessLogs = new AccessLogBucket(this, "access-logs", {
      bucketName: `${prefix}-access-logs${accountSuffix}`,
      accountId: props.accountId!,
      retentionDays: props.accessLogRetentionDays,
      forceDestroy: !props.protectData,
    });

    this.storage = new DataLakeStorage(this, "data-lake", {
      bucketName: `${prefix}-data-lake${accountSuffix}`,
      telemetryInfrequentAccessAfterDays: props.telemetryInfrequentAccessAfterDays,
      telemetryRetentionDays: props.telemetryRetentionDays,
      quarantineRetentionDays: props.quarantineRetentionDays,
      parkedRetentionDays: props.parkedRetentionDays,
      forceDestroy: !props.protectData,
      accountId: props.accountId,
      administratorArns: props.keyAdministratorArns,
    });
    this.vehicleIdentity = new VehicleIdentity(this, "vehicle-identity", {
      namePrefix: prefix,
      dataBucketArn: this.storage.bucketArn,
      telemetryPrefix: VEHICLE_TELEMETRY_PREFIX,
      jobsPrefix: DATA_LAKE_PREFIX.jobs,
      firmwarePrefix: DATA_LAKE_PREFIX.firmware,
      credentialDurationSeconds: VEHICLE_CREDENTIAL_SECONDS,
    });
    this.gatewayIdentity = new GatewayIdentity(this, "gateway-identity", {
      namePrefix: prefix,
      dataBucketArn: this.storage.bucketArn,
      fleetTelemetryPrefix: FLEET_TELEMETRY_PREFIX,
      credentialDurationSeconds: VEHICLE_CREDENTIAL_SECONDS,
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
      webAclArn: new DashboardAccess(this, "dashboard-access", { namePrefix: prefix, allowedCidrs: props.dashboardAllowedCidrs, usEast1 }).webAclArn,
      logBucketDomainName: accessLogs.bucketDomainName,
      domain: props.dashboardDomain,
    });
    accessLogs.receiveServerAccessLogs("data_lake", this.storage.bucketName, this.storage.bucketArn);
    accessLogs.receiveServerAccessLogs("dashboard", this.dashboard.bucketName, this.dashboard.bucketArn);

    this.directorKey = new DirectorSigningKey(this, "director-key", {
      namePrefix: prefix,
      accountId: props.accountId!,
      generation: 1,
      deletionWindowDays: 30,
      keyAdministratorArns: props.keyAdministratorArns,
    });
    this.functions = new FleetFunctions(this, "functions", {
      directorKey: this.directorKey,
      stack: props,
      bundlesDir: join(distDir, "functions"),
      storage: this.storage,
      state: this.state,
      telemetryQueue: this.telemetry.work,
      updates: this.updates,
      dashboard: this.dashboard,
    });
    const { telemetryProcessor, updateManager, rolloutTicker, dashboardPublisher } = this.functions.byKey;

    this.telemetry.attachProcessor(telemetryProcessor, props.telemetryConsumer);
    this.updates.attachManager(updateManager, { reports: props.updateConsumer, commands: props.commandConsumer });
    const stackRoles: StackRoles = {
      accountId: props.accountId!,
      telemetryProcessor: telemetryProcessor.role.arn,
      updateManager: updateManager.role.arn,
      rolloutTicker: rolloutTicker.role.arn,
      dashboardPublisher: dashboardPublisher.role.arn,
      vehicles: this.vehicleIdentity.role.arn,
      gateways: this.gatewayIdentity.role.arn,
    };
    this.telemetry.guardQueues(stackRoles);
    this.updates.guardQueues(stackRoles);
    new ScheduledInvocation(this, "rollout-ticker-schedule", {
      ruleName: `${prefix}-rollout-ticker-schedule`,
      scheduleExpression: props.schedules.rolloutTicker,
      target: rolloutTicker,
      description: "Advances rollout waves, times out silent vehicles, auto-aborts failing campaigns",
      roles: stackRoles,
      targetRole: "rolloutTicker",
    });
    new ScheduledInvocation(this, "dashboard-publisher-schedule", {
      ruleName: `${prefix}-dashboard-publisher-schedule`,
      scheduleExpression: props.schedules.dashboardPublisher,
      target: dashboardPublisher,
      description: "Writes the dashboard data JSON",
      roles: stackRoles,
      targetRole: "dashboardPublisher",
    });

    this.alarms = new FleetAlarms(this, "alarms", {
      namePrefix: prefix,
      metricsNamespace: props.metricsNamespace,
      thresholds: props.alarms,
      telemetryQueue: this.telemetry.work,
      updateQueue: this.updates.work,
      commandQueue: this.updates.commands,
      functions: this.functions.all,
      fleetSize: props.fleetSize,
      topicKeyArn: new AlarmTopicKey(this, "alarm-topic-key", { namePrefix: prefix, region: props.region, accountId: props.accountId! }).keyArn,
    });

    this.createOutputs();
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
      update_queue_url: { value: this.updates.work.queueUrl, description: "Update-job (vehicle-report) queue: candidates and status reports from the telemetry processor" },
      update_dlq_url: { value: this.updates.work.deadLetterQueueUrl, description: "Update-job dead-letter queue" },
      command_queue_url: { value: this.updates.commands.queueUrl, description: "Command queue: operator commands (fleetota campaign …) and rollout ticks" },
      command_dlq_url: { value: this.updates.commands.deadLetterQueueUrl, description: "Command dead-letter queue" },
      state_table_name: { value: this.state.tableName, description: "Campaigns, vehicle jobs, idempotency markers" },
      alarm_topic_arn: { value: this.alarms.topicArn, description: "SNS topic every alarm notifies" },
      director_key_id: { value: this.directorKey.keyArn, description: "KMS key (ECC_NIST_P256) signing director metadata; only the update manager may sign" },
      vehicle_role_alias: { value: this.vehicleIdentity.roleAliasName, description: "IoT role alias vehicles exchange their certificate for credentials at" },
      vehicle_iot_policy: { value: this.vehicleIdentity.iotPolicyName, description: "IoT policy attached to every vehicle certificate" },
      vehicle_thing_type: { value: this.vehicleIdentity.thingTypeName, description: "IoT thing type of every vehicle (the vehicle role refuses things of any other type)" },
      gateway_role_alias: { value: this.gatewayIdentity.roleAliasName, description: "IoT role alias fleet gateways exchange their certificate for credentials at" },
      gateway_iot_policy: { value: this.gatewayIdentity.iotPolicyName, description: "IoT policy attached to every fleet-gateway certificate" },
      gateway_thing_type: { value: this.gatewayIdentity.thingTypeName, description: "IoT thing type of every fleet gateway (the gateway role requires it)" },
      metrics_namespace: { value: this.props.metricsNamespace, description: "CloudWatch namespace of the custom metrics" },
    };
    for (const { shortName, fn } of this.functions.all) {
      outputs[`${shortName.replace(/-/g, "_")}_function_name`] = { value: fn.functionName, description: `Lambda ${shortName}` };
    }
    for (const [id, output] of Object.entries(outputs)) new TerraformOutput(this, id, output);
  }
}

/**
 * Synthesizes the app: into `outdir` when given, else where the cdktf CLI asks (CDKTF_OUTDIR) or
 * ./cdktf.out. Run as a script, it takes its overrides from the FLEETOTA_STACK_* variables.
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
  try {
    synthesize(stackOverridesFromEnv());
  } catch (error) {
    // A setting the deployment must fix (missing account id, bad CIDR …): one line saying what, no stack trace.
    if (!(error instanceof InvalidStackPropsError || error instanceof InvalidCidrError)) throw error;
    console.error(`fleetota synth: ${error.message}`);
    process.exitCode = 1;
  }
}
