/**
 * The hardening checkov asked for, as invariants on the synthesized JSON, each tried against a way to
 * break it: the dashboard behind a WAF allow-list (on by default), its security headers, TLS with a custom
 * domain, access logs, the alarm topic's KMS key, tracing, on-failure destinations of scheduled runs.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DASHBOARD_CONTENT_SECURITY_POLICY, DASHBOARD_SECURITY_HEADERS } from "../../contracts/dashboard-headers.js";
import { InvalidCidrError, splitCidrs } from "../../modules/dashboard-access.js";
import { InvalidStackPropsError, stackOverridesFromEnv } from "../../modules/stack-config.js";
import { parseJson, ref, synthStack, type Statement } from "./support/synth.js";

const stack = synthStack();
const distribution = () => stack.resource("aws_cloudfront_distribution", "dashboard_distribution") as any;
const webAcl = () => stack.resource("aws_wafv2_web_acl", "dashboard_web_acl") as any;

test("the dashboard is not public by default: its web ACL blocks everyone but the allow-list", () => {
  assert.is(distribution().web_acl_id, ref("aws_wafv2_web_acl", "dashboard_web_acl", "arn"));
  assert.equal(webAcl().default_action, { block: {} });
  assert.is(webAcl().scope, "CLOUDFRONT");
  assert.is(webAcl().provider, "aws.us_east_1");
  const allowRules = webAcl().rule.filter((rule: any) => rule.action?.allow);
  assert.is(allowRules.length, 1);
  assert.match(JSON.stringify(allowRules[0].statement), /ip_set_reference_statement/);
  for (const version of ["ipv4", "ipv6"]) assert.equal(stack.resource("aws_wafv2_ip_set", `dashboard_allowed_${version}`).addresses, []);
});

test("the allow-list takes the operators' networks, and refuses what would open the dashboard to all", () => {
  const open = synthStack(stackOverridesFromEnv({ FLEETOTA_STACK_DASHBOARD_ALLOWED_CIDRS: "203.0.113.0/24, 2001:db8::/32" }));

  assert.equal(open.resource("aws_wafv2_ip_set", "dashboard_allowed_ipv4").addresses, ["203.0.113.0/24"]);
  assert.equal(open.resource("aws_wafv2_ip_set", "dashboard_allowed_ipv6").addresses, ["2001:db8::/32"]);
  for (const hostile of ["0.0.0.0/0", "::/0", "203.0.113.7", "10.0.0.0/33", "*", "203.0.113.0/24 OR 1=1"]) {
    assert.throws(() => splitCidrs([hostile]), (error: unknown) => error instanceof InvalidCidrError, hostile);
  }
  assert.throws(() => synthStack({ dashboardAllowedCidrs: ["0.0.0.0/0"] }), (error: unknown) => error instanceof InvalidCidrError);
});

test("the web ACL runs AWS's known-bad-inputs (Log4j) rules before the allow rule, without overriding them to count", () => {
  const [first] = webAcl().rule.sort((a: any, b: any) => a.priority - b.priority);

  assert.is(first.statement.managed_rule_group_statement.name, "AWSManagedRulesKnownBadInputsRuleSet");
  assert.equal(first.override_action, { none: {} });
});

test("every dashboard response carries CSP, HSTS, nosniff, frame options and referrer policy, the same CSP as the local server", () => {
  const headersRef = ref("aws_cloudfront_response_headers_policy", "dashboard_security_headers", "id");
  const behaviours = [distribution().default_cache_behavior, ...distribution().ordered_cache_behavior];
  for (const behaviour of behaviours) assert.is(behaviour.response_headers_policy_id, headersRef);

  const config = (stack.resource("aws_cloudfront_response_headers_policy", "dashboard_security_headers") as any).security_headers_config;
  assert.is(config.content_security_policy.content_security_policy, DASHBOARD_CONTENT_SECURITY_POLICY);
  assert.is(DASHBOARD_SECURITY_HEADERS["content-security-policy"], DASHBOARD_CONTENT_SECURITY_POLICY);
  assert.match(DASHBOARD_CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
  assert.ok(config.strict_transport_security.access_control_max_age_sec >= 31_536_000);
  assert.is(config.content_type_options.override, true);
  assert.is(config.frame_options.frame_option, "DENY");
  for (const header of ["content_security_policy", "strict_transport_security", "frame_options", "referrer_policy"]) assert.is(config[header].override, true, header);
});

test("with a custom domain the dashboard uses its ACM certificate, SNI and TLS 1.2 at least; the pair is checked", () => {
  const certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c";
  const custom = synthStack(stackOverridesFromEnv({ FLEETOTA_STACK_DASHBOARD_DOMAIN: "fleet.example.com", FLEETOTA_STACK_DASHBOARD_CERTIFICATE_ARN: certificateArn }));
  const viewer = (custom.resource("aws_cloudfront_distribution", "dashboard_distribution") as any).viewer_certificate;

  assert.equal(viewer, { acm_certificate_arn: certificateArn, minimum_protocol_version: "TLSv1.2_2021", ssl_support_method: "sni-only" });
  assert.equal((custom.resource("aws_cloudfront_distribution", "dashboard_distribution") as any).aliases, ["fleet.example.com"]);
  assert.is(custom.json.output.dashboard_url?.value, "https://fleet.example.com");
  assert.throws(() => stackOverridesFromEnv({ FLEETOTA_STACK_DASHBOARD_DOMAIN: "fleet.example.com" }), (error: unknown) => error instanceof InvalidStackPropsError);
  assert.throws(
    () => stackOverridesFromEnv({ FLEETOTA_STACK_DASHBOARD_DOMAIN: "fleet.example.com", FLEETOTA_STACK_DASHBOARD_CERTIFICATE_ARN: certificateArn.replace("us-east-1", "eu-central-1") }),
    /us-east-1/,
  );
});

test("access logs: both buckets log to the access-log bucket, CloudFront too; only those sources may write there", () => {
  for (const source of ["data_lake", "dashboard"]) {
    const logging = stack.resource("aws_s3_bucket_logging", `${source}_access_logging`) as any;
    assert.is(logging.target_bucket, ref("aws_s3_bucket", "access_logs", "id"));
    assert.is(logging.target_prefix, `s3/${source}/`);
    assert.equal(logging.depends_on, ["aws_s3_bucket_policy.access_logs_policy"], "logging is turned on once the log bucket lets S3 deliver");
  }
  assert.is(distribution().logging_config.bucket, ref("aws_s3_bucket", "access_logs", "bucket_domain_name"));
  const statements = parseJson<{ Statement: Statement[] }>(stack.resource("aws_s3_bucket_policy", "access_logs_policy").policy).Statement;
  const delivery = statements.find((statement) => statement.Sid === "S3ServerAccessLogs")!;
  assert.equal(delivery.Condition?.ArnLike, { "aws:SourceArn": [ref("aws_s3_bucket", "data_lake", "arn"), ref("aws_s3_bucket", "dashboard", "arn")] });
  assert.equal(stack.resources("aws_s3_bucket_logging")["access_logs_access_logging"], undefined, "the log bucket must not log into itself");
  const ownership = (id: string) => (stack.resource("aws_s3_bucket_ownership_controls", `${id}_ownership`) as any).rule.object_ownership;
  assert.is(ownership("access_logs"), "BucketOwnerPreferred");
  for (const id of ["data_lake", "dashboard"]) assert.is(ownership(id), "BucketOwnerEnforced");
});

test("the alarm topic is encrypted with its own rotated key that CloudWatch may use only for this stack's alarms", () => {
  const key = stack.resource("aws_kms_key", "alarm_topic_key") as any;
  assert.is(stack.resource("aws_sns_topic", "alarm_topic").kms_master_key_id, ref("aws_kms_key", "alarm_topic_key", "arn"));
  assert.is(key.enable_key_rotation, true);
  const statements = parseJson<{ Statement: Statement[] }>(key.policy).Statement;
  const cloudwatch = statements.find((statement) => JSON.stringify(statement.Principal).includes("cloudwatch.amazonaws.com"))!;
  assert.equal(cloudwatch.Condition, { ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:fleetota-dev-*" } });
  assert.not.ok(statements.some((statement) => statement.Principal === "*" || JSON.stringify(statement.Principal).includes('"AWS":"*"')));
});

test("every function is traced (X-Ray active) and scheduled runs that fail land in their on-failure queue", () => {
  for (const fn of ["telemetry_processor", "update_manager", "rollout_ticker", "dashboard_publisher"]) {
    assert.equal(stack.resource("aws_lambda_function", fn).tracing_config, { mode: "Active" }, fn);
  }
  for (const fn of ["rollout_ticker", "dashboard_publisher"]) {
    const config = stack.resource("aws_lambda_function_event_invoke_config", `${fn}_schedule_invoke_config`) as any;
    const queue = ref("aws_sqs_queue", `${fn}_schedule_failures`, "arn");
    assert.equal(config.destination_config, { on_failure: { destination: queue } });
    assert.is(stack.resource("aws_sqs_queue", `${fn}_schedule_failures`).sqs_managed_sse_enabled, true);
    const grants = parseJson<{ Statement: Statement[] }>(stack.resource("aws_iam_role_policy", `${fn}_policy`).policy).Statement;
    assert.ok(grants.some((statement) => statement.Action === "sqs:SendMessage" && statement.Resource === queue), `${fn} cannot send its failures`);
  }
});

test.run();
