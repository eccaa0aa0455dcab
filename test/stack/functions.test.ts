import { test } from "uvu";
import * as assert from "uvu/assert";
import { ENV } from "../../contracts/environment.js";
import { FUNCTION } from "../../modules/fleet-functions.js";
import { defaults as stackDefaults } from "../../modules/stack-config.js";
import { App } from "cdktf";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FleetOtaStack } from "../../main.js";
import { fakeDist, ref, synthStack, temporaryDir, TEST_DEPLOYMENT } from "./support/synth.js";

const stack = synthStack();
const functions = stack.resources("aws_lambda_function") as Record<string, Record<string, any>>;

function environmentOf(shortName: string): Record<string, string> {
  return functions[shortName.replace(/-/g, "_")]!.environment.variables;
}

test("every function is a bundle on nodejs22.x with index.handler, tagged with its short name", () => {
  assert.equal(Object.keys(functions).sort(), Object.values(FUNCTION).map((name) => name.replace(/-/g, "_")).sort());
  for (const shortName of Object.values(FUNCTION)) {
    const fn = functions[shortName.replace(/-/g, "_")]!;
    assert.is(fn.runtime, "nodejs22.x");
    assert.is(fn.handler, "index.handler");
    assert.is(fn.function_name, `fleetota-dev-${shortName}`);
    assert.equal(fn.tags, { "fleetota:function": shortName });
    assert.match(fn.filename, /^assets\/.+\.zip$/);
    assert.ok(fn.source_code_hash);
    assert.ok(fn.timeout > 0 && fn.memory_size >= 128);
  }
});

test("the dashboard publisher has the configured memory and timeout (512 MB: its fleet state at the cap, measured)", () => {
  const { memoryMb, timeoutSeconds } = stackDefaults.functions.dashboardPublisher;

  assert.is(functions.dashboard_publisher!.memory_size, memoryMb);
  assert.is(functions.dashboard_publisher!.timeout, timeoutSeconds);
  assert.is(memoryMb, 512);
});

test("scheduled functions run one at a time; queue consumers are bounded by their mappings instead", () => {
  assert.is(functions.rollout_ticker!.reserved_concurrent_executions, 1);
  assert.is(functions.dashboard_publisher!.reserved_concurrent_executions, 1);
  assert.is(functions.telemetry_processor!.reserved_concurrent_executions, undefined);
  assert.is(functions.update_manager!.reserved_concurrent_executions, undefined);
});

test("the source code hash follows the bundle content", () => {
  const other = synthStack();

  assert.is.not(other.resource("aws_lambda_function", "update_manager").source_code_hash, undefined);
  // Each synth writes the same stub, so the hash must be stable across synths…
  assert.is(other.resource("aws_lambda_function", "update_manager").source_code_hash, functions.update_manager!.source_code_hash);
  // …and differ between functions whose bundles differ.
  assert.is.not(functions.update_manager!.source_code_hash, functions.rollout_ticker!.source_code_hash);
});

test("each function logs to its own log group, kept for the configured days", () => {
  const custom = synthStack({ logRetentionDays: 30 });
  for (const id of Object.keys(functions)) {
    const logGroup = stack.resource("aws_cloudwatch_log_group", `${id}_logs`);
    assert.is(logGroup.name, `/aws/lambda/${functions[id]!.function_name}`);
    assert.is(functions[id]!.logging_config.log_group, ref("aws_cloudwatch_log_group", `${id}_logs`, "name"));
    assert.is(custom.resource("aws_cloudwatch_log_group", `${id}_logs`).retention_in_days, 30);
  }
});

/**
 * The functions' metrics are EMF log lines (lib/emf-metrics.ts), and the local runtime extracts them from
 * every output line whatever the function's logging settings. On AWS two settings would drop them before
 * CloudWatch Logs reads them, silently: every alarm on them treats missing data as not breaching, so the
 * failure-rate alarm (and the campaign pause it drives) would never fire, while every local test passes.
 * - Lambda's application log-level filter: with the JSON log format Lambda gives a JSON line without a
 *   `level` (an EMF document has none) the level INFO, so a filter at WARN or above drops every metric.
 * - The log group's class: Infrequent Access supports only a subset of CloudWatch Logs (a cheaper class, so
 *   a tempting cost lever), without metric extraction.
 */
test("no function's logging settings drop its EMF metric lines on AWS (application log level at most INFO, Standard log group)", () => {
  const keepsInfoLines = new Set([undefined, "TRACE", "DEBUG", "INFO"]);
  for (const id of Object.keys(functions)) {
    const { logging_config: logging } = functions[id]!;
    assert.is(logging.log_format, "JSON", `${id}: the JSON log format (EMF lines are written to stdout as they are)`);
    assert.ok(keepsInfoLines.has(logging.application_log_level), `${id}: application log level ${logging.application_log_level} drops lines without a level`);
    const logGroup = stack.resource("aws_cloudwatch_log_group", `${id}_logs`);
    assert.ok([undefined, "STANDARD"].includes(logGroup.log_group_class as string | undefined), `${id}: log group class ${logGroup.log_group_class} extracts no metrics`);
  }
});

test("every function learns its resources through the shared ENV names", () => {
  const known = new Set<string>(Object.values(ENV));
  for (const shortName of Object.values(FUNCTION)) {
    const environment = environmentOf(shortName);
    assert.ok(Object.keys(environment).every((name) => known.has(name)), `${shortName}: ${Object.keys(environment).join(",")}`);
    assert.is(environment[ENV.NAME_PREFIX], "fleetota-dev");
    assert.is(environment[ENV.METRICS_NAMESPACE], "FleetOTA");
    assert.is(environment[ENV.SERVICE_NAME], shortName);
    assert.is(environment[ENV.STATE_TABLE], ref("aws_dynamodb_table", "state_table", "name"));
  }
  for (const shortName of [FUNCTION.telemetryProcessor, FUNCTION.updateManager, FUNCTION.dashboardPublisher]) {
    assert.is(environmentOf(shortName)[ENV.DATA_BUCKET], ref("aws_s3_bucket", "data_lake", "bucket"));
  }
  assert.is(environmentOf(FUNCTION.rolloutTicker)[ENV.DATA_BUCKET], undefined, "the ticker never touches the data lake");
  assert.is(environmentOf(FUNCTION.telemetryProcessor)[ENV.UPDATE_QUEUE_URL], ref("aws_sqs_queue", "update_queue", "url"));
  assert.is(environmentOf(FUNCTION.updateManager)[ENV.DIRECTOR_KEY_ID], ref("aws_kms_key", "director_key", "arn"));
  // The update manager applies a command only from the command queue; the ticker sends its ticks there.
  assert.is(environmentOf(FUNCTION.updateManager)[ENV.COMMAND_QUEUE_ARN], ref("aws_sqs_queue", "command_queue", "arn"));
  assert.is(environmentOf(FUNCTION.rolloutTicker)[ENV.COMMAND_QUEUE_URL], ref("aws_sqs_queue", "command_queue", "url"));
  assert.is(environmentOf(FUNCTION.telemetryProcessor)[ENV.COMMAND_QUEUE_URL], undefined, "the processor is not told the command queue");
  const publisher = environmentOf(FUNCTION.dashboardPublisher);
  assert.is(publisher[ENV.DASHBOARD_BUCKET], ref("aws_s3_bucket", "dashboard", "bucket"));
  assert.is(publisher[ENV.DASHBOARD_DATA_PREFIX], "data/");
  assert.is(publisher[ENV.ALARM_PREFIX], "fleetota-dev-");
  assert.is(publisher[ENV.TELEMETRY_DLQ_URL], ref("aws_sqs_queue", "telemetry_dlq", "url"));
  assert.is(publisher[ENV.UPDATE_DLQ_URL], ref("aws_sqs_queue", "update_dlq", "url"));
  assert.is(publisher[ENV.COMMAND_QUEUE_URL], ref("aws_sqs_queue", "command_queue", "url"));
  assert.is(publisher[ENV.COMMAND_DLQ_URL], ref("aws_sqs_queue", "command_dlq", "url"));
});

test("the ticker and the publisher run on their configured schedules", () => {
  const custom = synthStack({ schedules: { rolloutTicker: "rate(5 minutes)" } });

  assert.is(custom.resource("aws_cloudwatch_event_rule", "rollout_ticker_schedule").schedule_expression, "rate(5 minutes)");
  assert.is(custom.resource("aws_cloudwatch_event_rule", "dashboard_publisher_schedule").schedule_expression, "rate(1 minute)");
  assert.is(stack.resource("aws_cloudwatch_event_rule", "rollout_ticker_schedule").name, "fleetota-dev-rollout-ticker-schedule");
});

test("the publisher learns the trends' refresh interval from the stack setting (5 minutes by default)", () => {
  const custom = synthStack({ dashboardTrendsEveryMinutes: 15 });
  const customPublisher = (custom.resource("aws_lambda_function", "dashboard_publisher") as Record<string, any>).environment.variables;

  assert.is(environmentOf(FUNCTION.dashboardPublisher)[ENV.DASHBOARD_TRENDS_EVERY_MINUTES], "5");
  assert.is(customPublisher[ENV.DASHBOARD_TRENDS_EVERY_MINUTES], "15");
  for (const shortName of [FUNCTION.telemetryProcessor, FUNCTION.updateManager, FUNCTION.rolloutTicker]) {
    assert.is(environmentOf(shortName)[ENV.DASHBOARD_TRENDS_EVERY_MINUTES], undefined, shortName);
  }
});

test("the publisher learns how long parked records are kept from the stack setting the bucket's lifecycle rule uses", () => {
  const custom = synthStack({ parkedRetentionDays: 30 });
  const customPublisher = (custom.resource("aws_lambda_function", "dashboard_publisher") as Record<string, any>).environment.variables;

  assert.is(environmentOf(FUNCTION.dashboardPublisher)[ENV.PARKED_RETENTION_DAYS], "90");
  assert.is(customPublisher[ENV.PARKED_RETENTION_DAYS], "30");
});

test("the outputs name the buckets, queues, table and dashboard URL", () => {
  const outputs = stack.json.output;

  assert.is(outputs.data_bucket_name?.value, ref("aws_s3_bucket", "data_lake", "bucket"));
  assert.is(outputs.dashboard_bucket_name?.value, ref("aws_s3_bucket", "dashboard", "bucket"));
  assert.is(outputs.telemetry_queue_url?.value, ref("aws_sqs_queue", "telemetry_queue", "url"));
  assert.is(outputs.telemetry_dlq_url?.value, ref("aws_sqs_queue", "telemetry_dlq", "url"));
  assert.is(outputs.update_queue_url?.value, ref("aws_sqs_queue", "update_queue", "url"));
  assert.is(outputs.update_dlq_url?.value, ref("aws_sqs_queue", "update_dlq", "url"));
  assert.is(outputs.command_queue_url?.value, ref("aws_sqs_queue", "command_queue", "url"));
  assert.is(outputs.command_dlq_url?.value, ref("aws_sqs_queue", "command_dlq", "url"));
  assert.is(outputs.state_table_name?.value, ref("aws_dynamodb_table", "state_table", "name"));
  assert.is(outputs.dashboard_url?.value, `https://${ref("aws_cloudfront_distribution", "dashboard_distribution", "domain_name")}`);
});

test("the stack uses no data sources and pins the provider region (plus us-east-1 for CloudFront's WAF)", () => {
  const custom = synthStack({ region: "eu-west-1" });

  assert.is(custom.json.data, undefined);
  const providers = custom.json.provider.aws as Array<{ region: string; alias?: string }>;
  assert.equal(providers.map((provider) => `${provider.alias ?? "default"}:${provider.region}`), ["default:eu-west-1", "us_east_1:us-east-1"]);
});

test("the deployment archive holds the bundle without its source map, unless source maps are asked for", () => {
  const archiveOf = (lambdaSourceMaps: boolean) => {
    const outdir = temporaryDir("stack-test-out");
    const app = new App({ outdir });
    new FleetOtaStack(app, "fleetota-test", { distDir: fakeDist(), ...TEST_DEPLOYMENT, lambdaSourceMaps });
    app.synth();
    const synthesized = JSON.parse(readFileSync(join(outdir, "stacks", "fleetota-test", "cdk.tf.json"), "utf8"));
    const fn = synthesized.resource.aws_lambda_function.update_manager;
    return { fn, zip: readFileSync(join(outdir, "stacks", "fleetota-test", fn.filename)) };
  };

  const lean = archiveOf(false);
  const debuggable = archiveOf(true);

  assert.ok(lean.zip.includes("index.mjs"));
  assert.not.ok(lean.zip.includes("index.mjs.map"));
  assert.is(lean.fn.environment.variables.NODE_OPTIONS, undefined);
  assert.ok(debuggable.zip.includes("index.mjs.map"));
  assert.is(debuggable.fn.environment.variables.NODE_OPTIONS, "--enable-source-maps");
});

test.run();
