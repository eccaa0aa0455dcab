import { runSimulation } from "@cloud-copilot/iam-simulate";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { contentTypeFor } from "../../modules/dashboard-site.js";
import { BUCKET_ADMINISTRATION_ACTIONS, WRITE_ONCE_KEY_PATTERNS } from "../../modules/data-lake-storage.js";
import { stackOverridesFromEnv } from "../../modules/stack-config.js";
import { REPOSITORY_LAYOUT } from "../../uptane/metadata.js";
import { list, parseJson, ref, synthStack, TEST_ACCOUNT_ID, TEST_DEPLOY_ROLE, WEB_FILES, type Statement } from "./support/synth.js";
import { OWED_INDEX } from "../../campaigns/store/keys.js";

const stack = synthStack();
const buckets = Object.keys(stack.resources("aws_s3_bucket"));

function companionOf(type: string, bucket: string): Record<string, any> | undefined {
  return Object.values(stack.resources(type)).find((candidate) => candidate.bucket === ref("aws_s3_bucket", bucket, "id"));
}

test("every bucket is encrypted, blocks every public path, enforces ownership and denies plain HTTP", () => {
  assert.equal(buckets.sort(), ["access_logs", "dashboard", "data_lake"]);
  for (const bucket of buckets) {
    const encryption = companionOf("aws_s3_bucket_server_side_encryption_configuration", bucket);
    const publicAccess = companionOf("aws_s3_bucket_public_access_block", bucket);
    const ownership = companionOf("aws_s3_bucket_ownership_controls", bucket);
    const policy = companionOf("aws_s3_bucket_policy", bucket);

    assert.ok(encryption?.rule[0].apply_server_side_encryption_by_default.sse_algorithm, `${bucket} encryption`);
    assert.equal(
      [publicAccess?.block_public_acls, publicAccess?.block_public_policy, publicAccess?.ignore_public_acls, publicAccess?.restrict_public_buckets],
      [true, true, true, true],
      `${bucket} public access block`,
    );
    // CloudFront delivers its standard logs with an ACL grant: the access-log bucket alone accepts ACLs.
    assert.is(ownership?.rule.object_ownership, bucket === "access_logs" ? "BucketOwnerPreferred" : "BucketOwnerEnforced");
    const deny = parseJson<{ Statement: Statement[] }>(policy?.policy).Statement.find((statement) => statement.Effect === "Deny");
    assert.equal(deny?.Condition, { Bool: { "aws:SecureTransport": false } });
    assert.ok(list(deny?.Resource).includes(`${ref("aws_s3_bucket", bucket, "arn")}/*`));
  }
});

test("telemetry tiers to Standard-IA then expires; quarantine and parked failures expire; other prefixes are kept", () => {
  const lifecycle = stack.resource("aws_s3_bucket_lifecycle_configuration", "data_lake_lifecycle") as Record<string, any>;
  const rules = lifecycle.rule as Array<Record<string, any>>;
  const byPrefix = (prefix: string) => rules.find((rule) => rule.filter[0].prefix === prefix);

  assert.is(byPrefix("telemetry/")?.transition[0].storage_class, "STANDARD_IA");
  assert.ok(byPrefix("telemetry/")?.expiration[0].days > byPrefix("telemetry/")?.transition[0].days);
  assert.ok(byPrefix("quarantine/")?.expiration[0].days > 0);
  // A vehicle parks records at will (reports that can never apply): they expire, 90 days by default.
  assert.equal([byPrefix("parked/")?.status, byPrefix("parked/")?.expiration[0].days], ["Enabled", 90]);
  assert.not.ok(rules.some((rule) => rule.expiration?.[0]?.days !== undefined && ["", "firmware/", "jobs/"].includes(rule.filter[0].prefix)));
});

test("R9-B1: no lifecycle rule expires current versions anywhere over or under a write-once prefix (S3 would put delete markers over published versions)", () => {
  const rules = (stack.resource("aws_s3_bucket_lifecycle_configuration", "data_lake_lifecycle") as Record<string, any>).rule as Array<Record<string, any>>;
  const writeOncePrefixes = WRITE_ONCE_KEY_PATTERNS.map((pattern) => pattern.replace(/\*$/, ""));
  for (const rule of rules) {
    const filter = rule.filter?.[0] ?? {};
    const prefix: string = filter.prefix ?? filter.and?.[0]?.prefix ?? "";
    const expires = (rule.expiration ?? []).some((expiration: Record<string, unknown>) => expiration.days !== undefined || expiration.date !== undefined);
    const overlaps = writeOncePrefixes.some((writeOnce) => writeOnce.startsWith(prefix) || prefix.startsWith(writeOnce));
    assert.not.ok(expires && overlaps, `${rule.id} (prefix "${prefix}") expires current versions over a write-once prefix`);
  }
});

test("the data lake is versioned with Object Lock; overwritten and deleted versions expire after a while; data is protected from destroy by default", () => {
  const bucket = stack.resource("aws_s3_bucket", "data_lake") as Record<string, any>;
  const versioning = stack.resource("aws_s3_bucket_versioning", "data_lake_versioning") as Record<string, any>;
  const rules = (stack.resource("aws_s3_bucket_lifecycle_configuration", "data_lake_lifecycle") as Record<string, any>).rule as Array<Record<string, any>>;
  const noncurrent = rules.find((rule) => rule.id === "noncurrent-versions-expiry");

  assert.is(bucket.object_lock_enabled, true);
  assert.is(versioning.versioning_configuration.status, "Enabled");
  assert.is(noncurrent?.noncurrent_version_expiration[0].noncurrent_days, 30);
  assert.is(noncurrent?.expiration[0].expired_object_delete_marker, true);
  assert.is(bucket.force_destroy, false);
  assert.is(stack.resource("aws_s3_bucket", "dashboard").force_destroy, false);
  assert.is(stack.resource("aws_dynamodb_table", "state_table").deletion_protection_enabled, true);
});

test("retention days are stack props", () => {
  const custom = synthStack({ telemetryRetentionDays: 90, quarantineRetentionDays: 7, parkedRetentionDays: 30 });
  const rules = (custom.resource("aws_s3_bucket_lifecycle_configuration", "data_lake_lifecycle") as Record<string, any>).rule as Array<Record<string, any>>;

  assert.is(rules.find((rule) => rule.filter[0].prefix === "telemetry/")?.expiration[0].days, 90);
  assert.is(rules.find((rule) => rule.filter[0].prefix === "quarantine/")?.expiration[0].days, 7);
  assert.is(rules.find((rule) => rule.filter[0].prefix === "parked/")?.expiration[0].days, 30);
});

test("the dashboard bucket is readable by this CloudFront distribution only, through origin access control", () => {
  const distribution = stack.resource("aws_cloudfront_distribution", "dashboard_distribution") as Record<string, any>;
  const policy = parseJson<{ Statement: Statement[] }>(companionOf("aws_s3_bucket_policy", "dashboard")?.policy).Statement;
  const allow = policy.filter((statement) => statement.Effect === "Allow");

  assert.is(distribution.origin[0].domain_name, ref("aws_s3_bucket", "dashboard", "bucket_regional_domain_name"));
  assert.is(distribution.origin[0].origin_access_control_id, ref("aws_cloudfront_origin_access_control", "dashboard_origin_access", "id"));
  assert.is(distribution.default_cache_behavior.viewer_protocol_policy, "redirect-to-https");
  assert.is(distribution.default_root_object, "index.html");
  assert.is(allow.length, 1);
  assert.equal(allow[0]!.Principal, { Service: "cloudfront.amazonaws.com" });
  assert.equal(list(allow[0]!.Action), ["s3:GetObject"]);
  assert.equal(allow[0]!.Condition, { StringEquals: { "AWS:SourceArn": ref("aws_cloudfront_distribution", "dashboard_distribution", "arn") } });
});

test("the publisher's data/ prefix is served without caching", () => {
  const distribution = stack.resource("aws_cloudfront_distribution", "dashboard_distribution") as Record<string, any>;
  const data = (distribution.ordered_cache_behavior as Array<Record<string, any>>).find((behaviour) => behaviour.path_pattern === "data/*");

  assert.ok(data);
  assert.is.not(data.cache_policy_id, distribution.default_cache_behavior.cache_policy_id);
});

test("every web build file is uploaded to the dashboard bucket with its content type", () => {
  const objects = Object.values(stack.resources("aws_s3_object"));

  assert.equal(objects.map((object) => object.key).sort(), Object.keys(WEB_FILES).sort());
  for (const object of objects) {
    assert.is(object.bucket, ref("aws_s3_bucket", "dashboard", "id"));
    assert.is(object.content_type, contentTypeFor(String(object.key)));
    assert.ok(String(object.source).endsWith(`/${String(object.key)}`));
    assert.match(String(object.source_hash), /^[0-9a-f]{32}$/);
  }
  assert.is(contentTypeFor("index.html"), "text/html; charset=utf-8");
});

test("the state table: pk/sk, gsi1, the sparse owed index, TTL on expiresAt, on demand, point-in-time recovery, encrypted", () => {
  const table = stack.resource("aws_dynamodb_table", "state_table") as Record<string, any>;

  assert.is(table.hash_key, "pk");
  assert.is(table.range_key, "sk");
  assert.equal(table.global_secondary_index, [
    { name: "gsi1", hash_key: "gsi1pk", range_key: "gsi1sk", projection_type: "ALL" },
    { name: OWED_INDEX.name, hash_key: OWED_INDEX.partitionKey, range_key: OWED_INDEX.sortKey, projection_type: "ALL" },
  ]);
  assert.equal(
    table.attribute.map((attribute: { name: string; type: string }) => `${attribute.name}:${attribute.type}`).sort(),
    ["gsi1pk:S", "gsi1sk:S", "owedpk:S", "owedsk:S", "pk:S", "sk:S"],
  );
  assert.equal(table.ttl, { attribute_name: "expiresAt", enabled: true });
  assert.is(table.billing_mode, "PAY_PER_REQUEST");
  assert.is(table.point_in_time_recovery.enabled, true);
  assert.is(table.server_side_encryption.enabled, true);
});

test("bucket names are deterministic from the prefix and the account id (left out for the local target)", () => {
  const custom = synthStack({ namePrefix: "fleetota-prod", accountId: "210987654321", protectData: true });
  const local = synthStack({ target: "local" });

  assert.is(stack.resource("aws_s3_bucket", "data_lake").bucket, "fleetota-dev-data-lake-123456789012");
  assert.is(local.resource("aws_s3_bucket", "data_lake").bucket, "fleetota-dev-data-lake");
  assert.is(custom.resource("aws_s3_bucket", "data_lake").bucket, "fleetota-prod-data-lake-210987654321");
  assert.is(custom.resource("aws_s3_bucket", "dashboard").bucket, "fleetota-prod-dashboard-210987654321");
  assert.is(custom.resource("aws_s3_bucket", "data_lake").force_destroy, false);
  assert.is(custom.resource("aws_dynamodb_table", "state_table").deletion_protection_enabled, true);
});

/**
 * The data lake's bucket policy evaluated as AWS evaluates it (iam-simulate: the bucket policy as the resource policy)
 * for a principal of the account whose identity policy allows `s3:*` on the bucket: an operator, a CI role, or an
 * attacker holding such credentials. Write-once keys take only a create-if-absent PutObject (`If-None-Match: *`).
 */
const LAKE_ARN = `arn:aws:s3:::fleetota-dev-data-lake-${TEST_ACCOUNT_ID}`;
const lakePolicy = JSON.parse(String(companionOf("aws_s3_bucket_policy", "data_lake")?.policy).replaceAll(ref("aws_s3_bucket", "data_lake", "arn"), LAKE_ARN));
const SHA = "ab".repeat(32);

/** iam-simulate's decision for a principal whose IAM grants s3:* on the lake, under the lake's bucket policy. */
async function decide(action: string, resource: string, principalArn: string, context: Record<string, string> = {}): Promise<string> {
  const result = await runSimulation(
    {
      identityPolicies: [{ name: "writer", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: [LAKE_ARN, `${LAKE_ARN}/*`] }] } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: lakePolicy,
      request: {
        action,
        principal: principalArn,
        resource: { accountId: TEST_ACCOUNT_ID, resource },
        contextVariables: { "aws:SecureTransport": "true", "aws:PrincipalArn": principalArn, ...context },
      },
    },
    {},
  );
  if (result.resultType === "error") throw new Error(`simulation refused: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

const lakeDecision = (action: string, key: string, context: Record<string, string> = {}) =>
  decide(action, `${LAKE_ARN}/${key}`, `arn:aws:iam::${TEST_ACCOUNT_ID}:role/release-engineer`, context);
const bucketDecision = (action: string, principalArn: string) => decide(action, LAKE_ARN, principalArn);

test("R9-B1: an s3:* administrator cannot change the lake's lifecycle, bucket policy or Object Lock configuration; the deploy role and the root user can", async () => {
  for (const action of BUCKET_ADMINISTRATION_ACTIONS) {
    assert.is(await bucketDecision(action, `arn:aws:iam::${TEST_ACCOUNT_ID}:role/admin`), "ExplicitlyDenied", `${action} by an s3:* admin`);
    assert.is(await bucketDecision(action, TEST_DEPLOY_ROLE), "Allowed", `${action} by the deploy role (Terraform)`);
    assert.is(await bucketDecision(action, `arn:aws:iam::${TEST_ACCOUNT_ID}:root`), "Allowed", `${action} by the root user`);
  }
  assert.is(await bucketDecision("s3:GetLifecycleConfiguration", `arn:aws:iam::${TEST_ACCOUNT_ID}:role/admin`), "Allowed", "reading is not refused");
});

test("without administrators (the local target) the bucket policy leaves bucket administration to IAM", () => {
  const local = synthStack({ accountId: undefined, keyAdministratorArns: undefined, ...stackOverridesFromEnv({ FLEETOTA_STACK_TARGET: "local" }) });
  const policy = parseJson<{ Statement: Statement[] }>(Object.values(local.resources("aws_s3_bucket_policy")).find((candidate) => candidate.bucket === ref("aws_s3_bucket", "data_lake", "id"))?.policy);
  assert.not.ok(policy.Statement.some((statement) => statement.Sid === "OnlyBucketAdministratorsChangeLifecycleAndPolicy"));
});

const WRITE_ONCE_KEYS = [REPOSITORY_LAYOUT.image(SHA), REPOSITORY_LAYOUT.imageTargets(3), REPOSITORY_LAYOUT.imageRoot(2), REPOSITORY_LAYOUT.directorRoot(2)];
const REWRITTEN_KEYS = [REPOSITORY_LAYOUT.stagedTargets(3), REPOSITORY_LAYOUT.stagedImage(SHA), REPOSITORY_LAYOUT.jobDocument("1HGCM82633A004352")];

test("a published image or metadata version cannot be overwritten: PutObject there is denied to everyone unless it is create-if-absent (If-None-Match: *)", async () => {
  for (const key of WRITE_ONCE_KEYS) {
    assert.is(await lakeDecision("s3:PutObject", key), "ExplicitlyDenied", `${key} without If-None-Match`);
    assert.is(await lakeDecision("s3:PutObject", key, { "s3:if-match": "\"0123abcd\"" }), "ExplicitlyDenied", `${key} with If-Match only`);
    assert.is(await lakeDecision("s3:PutObject", key, { "s3:if-none-match": "*" }), "Allowed", `${key} with If-None-Match: *`);
  }
});

test("R9-B2: only If-None-Match: * is create-if-absent; an ETag value, or a CopyObject onto a write-once key (whatever it carries), is denied", async () => {
  for (const key of WRITE_ONCE_KEYS) {
    assert.is(await lakeDecision("s3:PutObject", key, { "s3:if-none-match": '"0123456789abcdef0123456789abcdef"' }), "ExplicitlyDenied", `${key} with If-None-Match: <etag>`);
    assert.is(await lakeDecision("s3:PutObject", key, { "s3:if-none-match": "**" }), "ExplicitlyDenied", `${key} with If-None-Match: **`);
    for (const ifNoneMatch of ["*", '"0123abcd"']) {
      const copy = { "s3:if-none-match": ifNoneMatch, "s3:x-amz-copy-source": "fleetota-dev-data-lake/firmware/staged/evil" };
      assert.is(await lakeDecision("s3:PutObject", key, copy), "ExplicitlyDenied", `${key}: CopyObject with If-None-Match: ${ifNoneMatch}`);
    }
  }
  for (const key of REWRITTEN_KEYS) {
    assert.is(await lakeDecision("s3:PutObject", key, { "s3:if-none-match": '"0123abcd"' }), "Allowed", key);
    assert.is(await lakeDecision("s3:PutObject", key, { "s3:x-amz-copy-source": "fleetota-dev-data-lake/firmware/staged/x" }), "Allowed", key);
  }
});

test("a delete marker cannot hide a published version (DeleteObject denied there); a named version stays Object Lock's to govern; staged releases and job documents are rewritten freely", async () => {
  for (const key of WRITE_ONCE_KEYS) {
    assert.is(await lakeDecision("s3:DeleteObject", key), "ExplicitlyDenied", key);
    assert.is(await lakeDecision("s3:DeleteObjectVersion", key), "Allowed", `${key}: deleting a named version (Object Lock refuses it while retained)`);
  }
  for (const key of REWRITTEN_KEYS) {
    assert.is(await lakeDecision("s3:PutObject", key), "Allowed", key);
    assert.is(await lakeDecision("s3:DeleteObject", key), "Allowed", key);
  }
});

test("governance retention on a published image or metadata version cannot be bypassed by an s3:* administrator; the deploy role and root can (to remove a next version a firmware/ writer locked); elsewhere the bucket policy leaves it to IAM", async () => {
  const admin = `arn:aws:iam::${TEST_ACCOUNT_ID}:role/admin`;
  for (const key of WRITE_ONCE_KEYS) {
    assert.is(await lakeDecision("s3:BypassGovernanceRetention", key), "ExplicitlyDenied", key);
    assert.is(await decide("s3:BypassGovernanceRetention", `${LAKE_ARN}/${key}`, admin), "ExplicitlyDenied", `${key}: an s3:* admin`);
    assert.is(await decide("s3:BypassGovernanceRetention", `${LAKE_ARN}/${key}`, TEST_DEPLOY_ROLE), "Allowed", `${key}: the deploy role`);
    assert.is(await decide("s3:BypassGovernanceRetention", `${LAKE_ARN}/${key}`, `arn:aws:iam::${TEST_ACCOUNT_ID}:root`), "Allowed", `${key}: root`);
    // What the bypass would be used with is allowed on its own (Object Lock refuses it while the version is retained).
    assert.is(await lakeDecision("s3:DeleteObjectVersion", key), "Allowed", key);
    assert.is(await lakeDecision("s3:PutObjectRetention", key), "Allowed", key);
  }
  for (const key of REWRITTEN_KEYS) assert.is(await lakeDecision("s3:BypassGovernanceRetention", key), "Allowed", key);
});

test("without administrators (the local target) nobody may bypass governance retention on write-once keys", () => {
  const local = synthStack({ accountId: undefined, keyAdministratorArns: undefined, ...stackOverridesFromEnv({ FLEETOTA_STACK_TARGET: "local" }) });
  const policy = parseJson<{ Statement: Statement[] }>(Object.values(local.resources("aws_s3_bucket_policy")).find((candidate) => candidate.bucket === ref("aws_s3_bucket", "data_lake", "id"))?.policy);
  const bypass = policy.Statement.find((statement) => statement.Sid === "DenyGovernanceBypassOnWriteOnceKeys");
  assert.ok(bypass, "the Deny is there");
  assert.is(bypass?.Condition, undefined, "for everyone");
});

const DAY_MS = 86_400_000;
const retention = (mode: string, days: number) => ({ "s3:object-lock-mode": mode, "s3:object-lock-retain-until-date": new Date(Date.now() + days * DAY_MS).toISOString(), "s3:object-lock-remaining-retention-days": String(days) });

test("R10-B3: nobody locks an object in compliance mode, or for longer than a published version, anywhere in the lake (a firmware/ writer's junk next version stays removable)", async () => {
  const principals = [`arn:aws:iam::${TEST_ACCOUNT_ID}:role/release-engineer`, TEST_DEPLOY_ROLE, `arn:aws:iam::${TEST_ACCOUNT_ID}:root`];
  const keys = [...WRITE_ONCE_KEYS, ...REWRITTEN_KEYS, "telemetry/vehicle/2026/12/02/batch.jsonl.gz"];
  for (const principal of principals) {
    for (const key of keys) {
      const create = (context: Record<string, string>) => decide("s3:PutObject", `${LAKE_ARN}/${key}`, principal, { "s3:if-none-match": "*", ...context });
      const lock = (context: Record<string, string>) => decide("s3:PutObjectRetention", `${LAKE_ARN}/${key}`, principal, context);
      assert.is(await create(retention("COMPLIANCE", 1)), "ExplicitlyDenied", `${principal} ${key}: PutObject in compliance mode`);
      assert.is(await lock(retention("COMPLIANCE", 1)), "ExplicitlyDenied", `${principal} ${key}: PutObjectRetention to compliance mode`);
      assert.is(await create(retention("GOVERNANCE", 36_500)), "ExplicitlyDenied", `${principal} ${key}: a century of governance`);
      assert.is(await lock(retention("GOVERNANCE", 367)), "ExplicitlyDenied", `${principal} ${key}: retention extended past a published version's`);
      assert.is(await create(retention("GOVERNANCE", 365)), "Allowed", `${principal} ${key}: what publishOnce writes`);
      assert.is(await lock(retention("GOVERNANCE", 366)), "Allowed", `${principal} ${key}: a day of clock skew`);
    }
  }
});

const ADMIN = `arn:aws:iam::${TEST_ACCOUNT_ID}:role/admin`;
const WRITER = `arn:aws:iam::${TEST_ACCOUNT_ID}:role/release-engineer`;
const ROOT = `arn:aws:iam::${TEST_ACCOUNT_ID}:root`;
const LAKE_KEYS = [...WRITE_ONCE_KEYS, ...REWRITTEN_KEYS, "telemetry/vehicle/2026/12/02/batch.jsonl.gz"];

test("R11-01: a legal hold (no expiry) is placed only by the deploy role or root, with the object or later; a firmware/ writer or an s3:* admin is refused on every key, and may lift one", async () => {
  for (const key of LAKE_KEYS) {
    const resource = `${LAKE_ARN}/${key}`;
    for (const principal of [WRITER, ADMIN]) {
      assert.is(await decide("s3:PutObject", resource, principal, { "s3:if-none-match": "*", "s3:object-lock-legal-hold": "ON" }), "ExplicitlyDenied", `${principal} ${key}: created under a legal hold`);
      assert.is(await decide("s3:PutObject", resource, principal, { "s3:object-lock-legal-hold": "on" }), "ExplicitlyDenied", `${principal} ${key}: only OFF passes`);
      assert.is(await decide("s3:PutObjectLegalHold", resource, principal, { "s3:object-lock-legal-hold": "ON" }), "ExplicitlyDenied", `${principal} ${key}: a legal hold put on it later`);
      assert.is(await decide("s3:PutObjectLegalHold", resource, principal, { "s3:object-lock-legal-hold": "OFF" }), "Allowed", `${principal} ${key}: lifting one`);
    }
    for (const principal of [TEST_DEPLOY_ROLE, ROOT]) {
      assert.is(await decide("s3:PutObjectLegalHold", resource, principal, { "s3:object-lock-legal-hold": "ON" }), "Allowed", `${principal} ${key}: places a legal hold`);
      assert.is(await decide("s3:PutObjectLegalHold", resource, principal, { "s3:object-lock-legal-hold": "OFF" }), "Allowed", `${principal} ${key}: lifts it (before removing junk)`);
    }
  }
  assert.is(await lakeDecision("s3:PutObject", REPOSITORY_LAYOUT.imageTargets(3), { "s3:if-none-match": "*", ...retention("GOVERNANCE", 365) }), "Allowed", "what publishOnce writes");
});

test("R11-01: an event hold (protected up to 100 years after its release) is refused to everyone on every key: with the object (with or without a mode), by PutObjectRetention, by a replica, its duration alone", async () => {
  const hold = { "s3:object-lock-event-hold": "ON", "s3:object-lock-event-hold-duration-days": "36500" };
  for (const principal of [WRITER, ADMIN, TEST_DEPLOY_ROLE, ROOT]) {
    for (const key of LAKE_KEYS) {
      const resource = `${LAKE_ARN}/${key}`;
      const create = (context: Record<string, string>) => decide("s3:PutObject", resource, principal, { "s3:if-none-match": "*", ...context });
      assert.is(await create(hold), "ExplicitlyDenied", `${principal} ${key}: created under an event hold`);
      assert.is(await create({ ...retention("GOVERNANCE", 30), ...hold }), "ExplicitlyDenied", `${principal} ${key}: with a governance retention`);
      assert.is(await create({ "s3:object-lock-event-hold": "ON" }), "ExplicitlyDenied", `${principal} ${key}: no duration`);
      assert.is(await create({ "s3:object-lock-event-hold-duration-days": "36500" }), "ExplicitlyDenied", `${principal} ${key}: a duration alone`);
      assert.is(await decide("s3:PutObjectRetention", resource, principal, hold), "ExplicitlyDenied", `${principal} ${key}: an event hold put on it later`);
      assert.is(await decide("s3:PutObjectRetention", resource, principal, { "s3:object-lock-event-hold": "OFF" }), "ExplicitlyDenied", `${principal} ${key}: the feature is not used at all`);
      assert.is(await decide("s3:ReplicateObject", resource, principal, hold), "ExplicitlyDenied", `${principal} ${key}: a replica under an event hold`);
    }
  }
});

test("R11-01: a retention mode without a retain-until date (no remaining days for the bound to test) is refused to everyone; publishOnce's mode and date pass", async () => {
  for (const principal of [WRITER, TEST_DEPLOY_ROLE, ROOT]) {
    for (const key of LAKE_KEYS) {
      const resource = `${LAKE_ARN}/${key}`;
      assert.is(await decide("s3:PutObject", resource, principal, { "s3:if-none-match": "*", "s3:object-lock-mode": "GOVERNANCE" }), "ExplicitlyDenied", `${principal} ${key}: PutObject`);
      assert.is(await decide("s3:PutObjectRetention", resource, principal, { "s3:object-lock-mode": "GOVERNANCE" }), "ExplicitlyDenied", `${principal} ${key}: PutObjectRetention`);
      assert.is(await decide("s3:PutObject", resource, principal, { "s3:if-none-match": "*", ...retention("GOVERNANCE", 365) }), "Allowed", `${principal} ${key}: with a date`);
    }
  }
});

test("R11-01: the deploy role removes a junk next version whatever a writer could put on it: lifts a legal hold, bypasses governance, deletes the version", async () => {
  for (const key of WRITE_ONCE_KEYS) {
    const resource = `${LAKE_ARN}/${key}`;
    assert.is(await decide("s3:PutObjectLegalHold", resource, TEST_DEPLOY_ROLE, { "s3:object-lock-legal-hold": "OFF" }), "Allowed", key);
    assert.is(await decide("s3:BypassGovernanceRetention", resource, TEST_DEPLOY_ROLE), "Allowed", key);
    assert.is(await decide("s3:DeleteObjectVersion", resource, TEST_DEPLOY_ROLE), "Allowed", key);
  }
});

test("without administrators (the local target) nobody places a legal hold", () => {
  const local = synthStack({ accountId: undefined, keyAdministratorArns: undefined, ...stackOverridesFromEnv({ FLEETOTA_STACK_TARGET: "local" }) });
  const policy = parseJson<{ Statement: Statement[] }>(Object.values(local.resources("aws_s3_bucket_policy")).find((candidate) => candidate.bucket === ref("aws_s3_bucket", "data_lake", "id"))?.policy);
  const legalHold = policy.Statement.find((statement) => statement.Sid === "OnlyBucketAdministratorsPlaceLegalHolds");
  assert.equal(legalHold?.Condition, { Null: { "s3:object-lock-legal-hold": "false" }, StringNotEquals: { "s3:object-lock-legal-hold": "OFF" } });
});

test("R10-B1: S3 Replication cannot write a replica or a delete marker onto a write-once key; elsewhere the bucket policy leaves it to IAM", async () => {
  for (const action of ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]) {
    for (const key of WRITE_ONCE_KEYS) {
      for (const principal of [`arn:aws:iam::${TEST_ACCOUNT_ID}:role/replication`, TEST_DEPLOY_ROLE, `arn:aws:iam::${TEST_ACCOUNT_ID}:root`]) {
        assert.is(await decide(action, `${LAKE_ARN}/${key}`, principal), "ExplicitlyDenied", `${action} ${key} by ${principal}`);
      }
    }
    for (const key of REWRITTEN_KEYS) assert.is(await lakeDecision(action, key), "Allowed", `${action} ${key}`);
  }
});

test("the write-once statements name exactly the repository's write-once keys; the retention bounds hold bucket-wide", () => {
  const bucketWide = [
    "DenyInsecureTransport",
    "OnlyBucketAdministratorsChangeLifecycleAndPolicy",
    "DenyComplianceRetention",
    "DenyRetentionLongerThanPublished",
    "DenyRetentionModeWithoutDate",
    "DenyEventHolds",
    "DenyEventHoldDurations",
    "OnlyBucketAdministratorsPlaceLegalHolds",
  ];
  const denied = lakePolicy.Statement.filter((statement: Statement) => statement.Effect === "Deny" && !bucketWide.includes(String(statement.Sid)) && !TELEMETRY_DENIES.includes(String(statement.Sid)));
  for (const statement of denied) assert.equal(list(statement.Resource), WRITE_ONCE_KEY_PATTERNS.map((pattern) => `${LAKE_ARN}/${pattern}`));
  assert.equal(denied.map((statement: Statement) => statement.Condition ?? null), [
    { Null: { "s3:if-none-match": "true" } },
    { StringNotEquals: { "s3:if-none-match": "*" } },
    { Null: { "s3:x-amz-copy-source": "false" } },
    null,
    null,
    { ArnNotLike: { "aws:PrincipalArn": [TEST_DEPLOY_ROLE, `arn:aws:iam::${TEST_ACCOUNT_ID}:root`] } },
  ]);
  assert.equal(denied.map((statement: Statement) => statement.Action), ["s3:PutObject", "s3:PutObject", "s3:PutObject", "s3:DeleteObject", ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], "s3:BypassGovernanceRetention"]);
  for (const sid of bucketWide.slice(2)) {
    const statement = lakePolicy.Statement.find((candidate: Statement) => candidate.Sid === sid);
    assert.equal(list(statement.Resource), [`${LAKE_ARN}/*`], sid);
  }
});

/** The telemetry Denys (readableTelemetryStatements, copyFreeTelemetryStatement), scoped to telemetry/ (review 21 of R18-T1, R21-02). */
const TELEMETRY_DENIES = ["DenyTelemetryOutsideStandardClass", "DenyTelemetryWithUploadersOwnKey", "DenyCopiesOntoTelemetry"];
const ARCHIVE_AND_OTHER_CLASSES = ["GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "REDUCED_REDUNDANCY", "EXPRESS_ONEZONE", "standard"];

test("telemetry is written only in STANDARD without SSE-C, by every principal (an s3:* operator, a device role changed by hand): another storage class or a key of the uploader's own is denied, a copy too; none named, or STANDARD, is allowed", async () => {
  const telemetry = "telemetry/vehicle/1HGCM82633A004352/dt=2026-12-03/hour=14/20261203T140000000Z-1.ndjson.gz";
  const sseC = { "s3:x-amz-server-side-encryption-customer-algorithm": "AES256" };
  for (const principal of [`arn:aws:iam::${TEST_ACCOUNT_ID}:role/admin`, `arn:aws:iam::${TEST_ACCOUNT_ID}:role/fleetota-dev-vehicle`]) {
    const put = (context: Record<string, string> = {}) => decide("s3:PutObject", `${LAKE_ARN}/${telemetry}`, principal, context);
    assert.is(await put(), "Allowed", `${principal}: no storage class named (S3's default, STANDARD)`);
    assert.is(await put({ "s3:x-amz-storage-class": "STANDARD" }), "Allowed", `${principal}: STANDARD`);
    for (const storageClass of ARCHIVE_AND_OTHER_CLASSES) {
      assert.is(await put({ "s3:x-amz-storage-class": storageClass }), "ExplicitlyDenied", `${principal}: ${storageClass}`);
      assert.is(await put({ "s3:x-amz-storage-class": storageClass, "s3:x-amz-copy-source": "lake/telemetry/x" }), "ExplicitlyDenied", `${principal}: a copy into ${storageClass}`);
    }
    assert.is(await put(sseC), "ExplicitlyDenied", `${principal}: SSE-C, no class named`);
    assert.is(await put({ ...sseC, "s3:x-amz-storage-class": "STANDARD" }), "ExplicitlyDenied", `${principal}: SSE-C in STANDARD`);
  }
});

test("nothing is copied onto telemetry/, by any principal (an s3:* operator, the vehicle role changed by hand, the processor): CopyObject and UploadPartCopy (s3:x-amz-copy-source set) are denied there; plain uploads, and copies into quarantine/ or elsewhere, are not (review 21, R21-02)", async () => {
  const keys = ["telemetry/vehicle/1HGCM82633A004352/dt=2026-12-03/hour=14/20261203T140000000Z-1.ndjson.gz", "telemetry/vehicle/1HGCM82633A004352/junk-1.bin", "telemetry/fleet/gw-depot-7/x.ndjson.gz"];
  const sources = ["fleetota-dev-data-lake/firmware/images/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "/fleetota-dev-data-lake/telemetry/vehicle/x?versionId=v1", "attacker-bucket/5tib.bin"];
  const principals = ["admin", "fleetota-dev-vehicle", "fleetota-dev-telemetry-processor"].map((role) => `arn:aws:iam::${TEST_ACCOUNT_ID}:role/${role}`);
  for (const principal of principals) {
    for (const key of keys) {
      assert.is(await decide("s3:PutObject", `${LAKE_ARN}/${key}`, principal), "Allowed", `${principal}: a plain upload of ${key}`);
      for (const source of sources) {
        assert.is(await decide("s3:PutObject", `${LAKE_ARN}/${key}`, principal, { "s3:x-amz-copy-source": source }), "ExplicitlyDenied", `${principal}: ${key} from ${source}`);
      }
    }
    // The processor's quarantine copy, and copies elsewhere, stay with IAM.
    assert.is(await decide("s3:PutObject", `${LAKE_ARN}/quarantine/objects/x.e1`, principal, { "s3:x-amz-copy-source": `fleetota-dev-data-lake/${keys[0]}?versionId=v1` }), "Allowed", `${principal}: a quarantine copy`);
    assert.is(await decide("s3:PutObject", `${LAKE_ARN}/telemetryx/y`, principal, { "s3:x-amz-copy-source": sources[0]! }), "Allowed", `${principal}: outside telemetry/`);
  }
});

test("the telemetry Denys hold under telemetry/ only, for s3:PutObject only: elsewhere, and reading telemetry, the bucket policy leaves storage class and SSE-C to IAM", async () => {
  for (const sid of TELEMETRY_DENIES) {
    const statement = lakePolicy.Statement.find((candidate: Statement) => candidate.Sid === sid);
    assert.equal([statement.Principal, statement.Action, list(statement.Resource)], ["*", "s3:PutObject", [`${LAKE_ARN}/telemetry/*`]], sid);
  }
  for (const key of ["quarantine/objects/x.e1", "firmware/staged/x", "fleet-state/x.json.gz", "telemetryx/y"]) {
    assert.is(await lakeDecision("s3:PutObject", key, { "s3:x-amz-storage-class": "GLACIER" }), "Allowed", `${key} in GLACIER`);
  }
  assert.is(await lakeDecision("s3:GetObject", "telemetry/vehicle/x", { "s3:x-amz-storage-class": "GLACIER" }), "Allowed", "a read is not an upload");
});

test.run();
