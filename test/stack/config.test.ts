import { test } from "uvu";
import * as assert from "uvu/assert";
import { Testing } from "cdktf";
import { FleetOtaStack } from "../../main.js";
import { MissingBundleError } from "../../modules/bundled-function.js";
import {
  defaults,
  DEPLOY_TARGET,
  InvalidStackPropsError,
  LOCAL_ACCOUNT_ID,
  MissingAccountIdError,
  resolveStackProps,
  stackOverridesFromEnv,
} from "../../modules/stack-config.js";
import { fakeDist, synthStack, TEST_DEPLOYMENT } from "./support/synth.js";

const account = TEST_DEPLOYMENT;

test("overrides merge into the defaults, nested groups included", () => {
  const props = resolveStackProps({ ...account, namePrefix: "fleetota-prod", alarms: { queueAgeSeconds: 60 } });

  assert.is(props.namePrefix, "fleetota-prod");
  assert.is(props.alarms.queueAgeSeconds, 60);
  assert.is(props.alarms.updateFailureRatePercent, defaults.alarms.updateFailureRatePercent);
  assert.equal(props.functions, defaults.functions);
});

test("values AWS would refuse are rejected at synth time with the reason", () => {
  const invalid = [
    { namePrefix: "Fleet_OTA" },
    { telemetryConsumer: { batchSize: 10, maximumBatchingWindowSeconds: 1, maximumConcurrency: 1 } },
    { updateConsumer: { batchSize: 100, maximumBatchingWindowSeconds: 0, maximumConcurrency: 5 } },
    { telemetryInfrequentAccessAfterDays: 10 },
    { telemetryRetentionDays: 20 },
    { fleetSize: 0 },
    { alarms: { processingLatencyMs: 20_000 } },
    { target: DEPLOY_TARGET.local, alarms: { processingLatencyMs: 1000 } },
    { dashboardTrendsEveryMinutes: 0 },
    { dashboardTrendsEveryMinutes: 7 },
    { dashboardTrendsEveryMinutes: 2.5 },
    { dashboardTrendsEveryMinutes: 120 },
    { dashboardTrendsEveryMinutes: 5, schedules: { dashboardPublisher: "rate(5 minutes)" } },
    { fleetStateMaxVehicles: 0 },
    { fleetStateMaxVehicles: 1.5 },
    { fleetStateRetentionDays: 0 },
    { fleetSize: 5000, fleetStateMaxVehicles: 4000 },
    { functions: { ...defaults.functions, telemetryProcessor: { timeoutSeconds: 15, memoryMb: 512 } } },
  ];
  for (const overrides of invalid) {
    assert.throws(
      () => resolveStackProps({ ...account, ...overrides }),
      (error: unknown) => error instanceof InvalidStackPropsError && !(error instanceof MissingAccountIdError),
      JSON.stringify(overrides),
    );
  }
});

test("the trends' refresh interval: whole minutes dividing an hour, and a publisher running every minute unless 1", () => {
  assert.is(resolveStackProps(account).dashboardTrendsEveryMinutes, 5);
  for (const minutes of [1, 2, 10, 15, 30, 60]) assert.is(resolveStackProps({ ...account, dashboardTrendsEveryMinutes: minutes }).dashboardTrendsEveryMinutes, minutes);
  assert.is(resolveStackProps({ ...account, dashboardTrendsEveryMinutes: 1, schedules: { dashboardPublisher: "rate(5 minutes)" } }).schedules.dashboardPublisher, "rate(5 minutes)");
  assert.throws(() => resolveStackProps({ ...account, dashboardTrendsEveryMinutes: 7 }), /dashboardTrendsEveryMinutes: .*divides 60.*got 7/);
  assert.throws(() => resolveStackProps({ ...account, schedules: { dashboardPublisher: "cron(0/5 * * * ? *)" } }), /needs the dashboard publisher scheduled "rate\(1 minute\)"/);
  assert.equal(stackOverridesFromEnv({ FLEETOTA_STACK_DASHBOARD_TRENDS_EVERY_MINUTES: "15" }), { dashboardTrendsEveryMinutes: 15 });
  assert.throws(() => stackOverridesFromEnv({ FLEETOTA_STACK_DASHBOARD_TRENDS_EVERY_MINUTES: "5m" }), /whole number of minutes/);
});

test("deployments set region, account, environment, protection and fleet size through FLEETOTA_STACK_*", () => {
  const overrides = stackOverridesFromEnv({
    FLEETOTA_STACK_REGION: "eu-west-1",
    FLEETOTA_STACK_ACCOUNT_ID: "123456789012",
    FLEETOTA_STACK_ENVIRONMENT: "prod",
    FLEETOTA_STACK_PROTECT_DATA: "true",
    FLEETOTA_STACK_FLEET_SIZE: "5000",
  });

  assert.equal(overrides, { region: "eu-west-1", accountId: "123456789012", environment: "prod", protectData: true, fleetSize: 5000 });
  assert.equal(stackOverridesFromEnv({ FLEETOTA_STACK_REGION: "" }), {});
  assert.throws(() => stackOverridesFromEnv({ FLEETOTA_STACK_ACCOUNT_ID: "12345" }), /12-digit/);
  assert.throws(() => stackOverridesFromEnv({ FLEETOTA_STACK_FLEET_SIZE: "many" }), /whole number/);
});

test("deploying to AWS without an account id is refused with what to set; the local target uses the emulator's account", () => {
  for (const attempt of [() => resolveStackProps({}), () => synthStack({ accountId: undefined })]) {
    assert.throws(attempt, (error: unknown) => error instanceof MissingAccountIdError && /FLEETOTA_STACK_ACCOUNT_ID/.test((error as Error).message));
  }
  assert.throws(() => resolveStackProps({ accountId: "*" }), /12-digit/);
  assert.throws(() => stackOverridesFromEnv({ FLEETOTA_STACK_TARGET: "staging" }), /aws, local/);

  const local = synthStack({ accountId: undefined, ...stackOverridesFromEnv({ FLEETOTA_STACK_TARGET: "local" }) });
  const policies = JSON.stringify(local.resources("aws_iam_role_policy"));
  assert.match(policies, new RegExp(`:${LOCAL_ACCOUNT_ID}:alarm:`));
  assert.not.match(policies, /arn:aws:[a-z0-9-]+:[a-z0-9-]*:\*:/);
  assert.is(local.resource("aws_s3_bucket", "data_lake").bucket, "fleetota-dev-data-lake");
});

test("a missing bundle stops the synth and says to build", () => {
  const app = Testing.app();
  const dist = fakeDist({ functions: ["telemetry-processor", "update-manager", "rollout-ticker"] });

  assert.throws(
    () => new FleetOtaStack(app, "fleetota-test", { ...account, distDir: dist }),
    (error: unknown) => error instanceof MissingBundleError && error.functionShortName === "dashboard-publisher" && /npm run build/.test(error.message),
  );
});

test("a missing web build still synthesizes the site, without objects", () => {
  const app = Testing.app();
  const stack = new FleetOtaStack(app, "fleetota-test", { ...account, distDir: fakeDist({ web: false }) });
  const json = JSON.parse(Testing.synth(stack)) as { resource: Record<string, unknown> };

  assert.ok(json.resource.aws_cloudfront_distribution);
  assert.is(json.resource.aws_s3_object, undefined);
});

test("the fleet-state bounds reach the processor (per part) and the publisher (at compaction)", () => {
  const stack = synthStack({ fleetStateMaxVehicles: 250_000, fleetStateRetentionDays: 14 });
  const variables = (fn: string) => (stack.resource("aws_lambda_function", fn).environment as { variables: Record<string, string> }).variables;

  assert.is(variables("telemetry_processor").FLEETOTA_FLEET_STATE_MAX_VEHICLES, "250000");
  assert.is(variables("dashboard_publisher").FLEETOTA_FLEET_STATE_MAX_VEHICLES, "250000");
  assert.is(variables("dashboard_publisher").FLEETOTA_FLEET_STATE_RETENTION_DAYS, "14");
  assert.equal([defaults.fleetStateMaxVehicles, defaults.fleetStateRetentionDays], [100_000, 30]);
});

test.run();
