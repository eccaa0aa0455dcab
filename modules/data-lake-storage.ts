import { Construct } from "constructs";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification/index.js";
import { PARKED_PREFIX } from "../contracts/parked-failure.js";
import { PUBLISHED_RETENTION_DAYS } from "../uptane/repository-store.js";
import { SecureBucket } from "./secure-bucket.js";
import type { PolicyStatement } from "./iam.js";
import { COPY_SOURCE_KEY, SSE_C_ALGORITHM_KEY, STORAGE_CLASS_KEY } from "./iot-credentials-role.js";
import { named } from "./logical-id.js";

/** Key prefixes of the data lake (see DESIGN.md): input, rejects, processor state, firmware, job documents. */
export const DATA_LAKE_PREFIX = {
  telemetry: "telemetry/",
  quarantine: "quarantine/",
  fleetState: "fleet-state/",
  firmware: "firmware/",
  jobs: "jobs/",
  /** Director root metadata (the director's targets are the job documents). */
  director: "director/",
} as const;

/**
 * Keys written once per version and never again (relative to the bucket): the content-addressed images, both
 * repositories' versioned metadata (`firmware/metadata/root/<n>.root.json`, `firmware/metadata/targets/<n>.targets.json`)
 * and the director's roots (`director/root/<n>.root.json`). Nothing under them is rewritten in place: releases wait
 * for signatures under `firmware/staged/`, job documents live in `jobs/`, and the newest version of a chain is found
 * by asking for the next one (there is no "latest" pointer).
 */
export const WRITE_ONCE_KEY_PATTERNS = [`${DATA_LAKE_PREFIX.firmware}images/*`, `${DATA_LAKE_PREFIX.firmware}metadata/*`, `${DATA_LAKE_PREFIX.director}root/*`] as const;

/**
 * The data lake's write-once rule as bucket policy statements, for every principal (an operator, a CI role, an
 * attacker with `s3:PutObject` on `firmware/*`): a PutObject on a write-once key must carry `If-None-Match: *`
 * (condition key `s3:if-none-match`, AWS since 2024-11), so it creates the object or fails 412 and never serves
 * other bytes over a published version. The header must be present (`Null`) and must be `*` (`StringNotEquals`,
 * which on its own also matches an absent key; both are kept so neither reading of IAM leaves a gap): an ETag
 * value is not "create if absent". A CopyObject onto those keys (authorized as PutObject, with the
 * `s3:x-amz-copy-source` key present) is refused whatever If-None-Match it carries (the repository never copies
 * there), and so is a multipart upload (its parts cannot carry the header: images go up in one PutObject, at most 5 GB).
 * A plain DeleteObject is refused too: on a versioned bucket it would put a delete marker over the published
 * version (a GET then answers 404) and let the next conditional PutObject create other bytes there. Deleting a
 * named version (`s3:DeleteObjectVersion`) stays governed by Object Lock: published versions are retained,
 * an unlocked object someone else created there can be removed by an administrator. And nobody may bypass
 * governance retention there (`s3:BypassGovernanceRetention`, which administrators' policies usually grant with
 * `s3:*`): otherwise an administrator could delete a published version (or shorten its retention) and create
 * other bytes under its key, failing every vehicle sent that image (CORRUPT_IMAGE). Governance mode, not
 * compliance, so that the account's root user can still lift this (by deleting the bucket policy, a logged act),
 * e.g. to destroy a test stack or remove an image that must go; compliance mode would bind root too, for the
 * whole retention, and a bucket holding such versions cannot be deleted before then (README, firmware write-once).
 * The bucket administrators (`bypassers`: the deploy roles and root, who may rewrite this policy anyway) keep the
 * bypass, so they can remove an object a `firmware/` writer created under a next metadata version with a
 * retention of its own.
 *
 * A writer's retention is bounded everywhere in the bucket: never compliance mode (which nobody, root included,
 * could undo, and which keeps the bucket from being deleted), never longer than a published version's
 * (`PUBLISHED_RETENTION_DAYS`, one day of clock skew allowed), set with the object or later
 * (`s3:PutObjectRetention`), and always with a retain-until date (a mode without one carries no
 * `s3:object-lock-remaining-retention-days` for the bound to test). The two Object Lock holds carry neither the mode
 * nor the remaining days, so they are bounded on their own: an event hold (`s3:object-lock-event-hold`, protected
 * for up to 100 years after its release; who may end it early is not documented) is refused to everyone, set or
 * changed, as FleetOTA never uses one; a legal hold (no expiry; the removal command below does not lift it) may be
 * placed only by the bucket administrators, anyone may lift one (`OFF`). Only the value `OFF` passes each test, so
 * a new or misspelt value is refused. S3 Replication writes under a key with its own actions
 * (`s3:ReplicateObject`, a new current version without If-None-Match; `s3:ReplicateDelete`, a delete marker):
 * nothing replicates into the lake, so they are refused on write-once keys.
 *
 * @example
 * writeOnceStatements("arn:aws:s3:::lake")[0].Condition // { Null: { "s3:if-none-match": "true" } }
 */
export function writeOnceStatements(bucketArn: string, bypassers: readonly string[] = []): PolicyStatement[] {
  const resources = WRITE_ONCE_KEY_PATTERNS.map((pattern) => `${bucketArn}/${pattern}`);
  const retentionActions = ["s3:PutObject", "s3:PutObjectRetention"];
  return [
    { Sid: "DenyOverwritingWriteOnceKeys", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: resources, Condition: { Null: { "s3:if-none-match": "true" } } },
    { Sid: "DenyConditionalWritesOtherThanCreate", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: resources, Condition: { StringNotEquals: { "s3:if-none-match": "*" } } },
    { Sid: "DenyCopiesOntoWriteOnceKeys", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: resources, Condition: { Null: { "s3:x-amz-copy-source": "false" } } },
    { Sid: "DenyDeleteMarkersOnWriteOnceKeys", Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: resources },
    { Sid: "DenyReplicationOntoWriteOnceKeys", Effect: "Deny", Principal: "*", Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: resources },
    {
      Sid: "DenyGovernanceBypassOnWriteOnceKeys",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:BypassGovernanceRetention",
      Resource: resources,
      ...(bypassers.length > 0 ? { Condition: { ArnNotLike: { "aws:PrincipalArn": [...bypassers] } } } : {}),
    },
    { Sid: "DenyComplianceRetention", Effect: "Deny", Principal: "*", Action: retentionActions, Resource: `${bucketArn}/*`, Condition: { StringEquals: { "s3:object-lock-mode": "COMPLIANCE" } } },
    {
      Sid: "DenyRetentionLongerThanPublished",
      Effect: "Deny",
      Principal: "*",
      Action: retentionActions,
      Resource: `${bucketArn}/*`,
      Condition: { NumericGreaterThan: { "s3:object-lock-remaining-retention-days": String(PUBLISHED_RETENTION_DAYS + 1) } },
    },
    {
      Sid: "DenyRetentionModeWithoutDate",
      Effect: "Deny",
      Principal: "*",
      Action: retentionActions,
      Resource: `${bucketArn}/*`,
      Condition: { Null: { "s3:object-lock-mode": "false", "s3:object-lock-remaining-retention-days": "true" } },
    },
    // ReplicateObject carries the event hold's keys too (a replica under a hold of the source's choosing).
    { Sid: "DenyEventHolds", Effect: "Deny", Principal: "*", Action: [...retentionActions, "s3:ReplicateObject"], Resource: `${bucketArn}/*`, Condition: { Null: { "s3:object-lock-event-hold": "false" } } },
    {
      Sid: "DenyEventHoldDurations",
      Effect: "Deny",
      Principal: "*",
      Action: [...retentionActions, "s3:ReplicateObject"],
      Resource: `${bucketArn}/*`,
      Condition: { Null: { "s3:object-lock-event-hold-duration-days": "false" } },
    },
    {
      Sid: "OnlyBucketAdministratorsPlaceLegalHolds",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:PutObject", "s3:PutObjectLegalHold"],
      Resource: `${bucketArn}/*`,
      Condition: {
        Null: { "s3:object-lock-legal-hold": "false" },
        StringNotEquals: { "s3:object-lock-legal-hold": "OFF" },
        ...(bypassers.length > 0 ? { ArnNotLike: { "aws:PrincipalArn": [...bypassers] } } : {}),
      },
    },
  ];
}

/**
 * Telemetry is written only as the processor can read it, by every principal (defence in depth behind the device roles'
 * `readableUploadsOnly`: a role changed by hand, an operator, a CI role): a PutObject (a copy and a multipart upload
 * too) under `telemetry/` that names a storage class other than STANDARD, or brings a key of its own (SSE-C), is denied.
 * A GLACIER or DEEP_ARCHIVE object answers every read 403, an SSE-C one 400, so either is parked unread
 * (`object-unreadable`); the other classes only cost more. No storage class named is S3's default, STANDARD: the
 * class is tested only when present (`Null` false, then `StringNotEquals`, which alone would also match an absent key).
 * Lifecycle transitions (telemetry to STANDARD_IA) are not requests and are not affected. S3's bucket-wide SSE-C block
 * (`blocked_encryption_types` on the encryption configuration) is not set: the AWS provider 5.100.0 that
 * test/stack/terraform.test.ts validates with does not know the argument (checked 2026-12-03).
 *
 * @example
 * readableTelemetryStatements("arn:aws:s3:::lake")[1].Condition // { Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "false" } }
 */
export function readableTelemetryStatements(bucketArn: string): PolicyStatement[] {
  const resource = `${bucketArn}/${DATA_LAKE_PREFIX.telemetry}*`;
  return [
    {
      Sid: "DenyTelemetryOutsideStandardClass",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: resource,
      Condition: { Null: { [STORAGE_CLASS_KEY]: "false" }, StringNotEquals: { [STORAGE_CLASS_KEY]: "STANDARD" } },
    },
    { Sid: "DenyTelemetryWithUploadersOwnKey", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: resource, Condition: { Null: { [SSE_C_ALGORITHM_KEY]: "false" } } },
  ];
}

/**
 * Telemetry is bytes someone sent, never a server-side copy, for every principal (defence in depth behind the device
 * roles' `sentBytesOnly`): a PutObject under `telemetry/` carrying `s3:x-amz-copy-source` (a CopyObject, an
 * UploadPartCopy) is denied. Nothing copies there: the processor copies out of `telemetry/` into `quarantine/`. Without
 * it a role changed by hand (the vehicles' reads every published image) could fill `telemetry/` with firmware bytes,
 * up to 5 TiB an object, sending none, kept for the telemetry's retention (review 21, R21-02).
 *
 * @example
 * copyFreeTelemetryStatement("arn:aws:s3:::lake").Condition // { Null: { "s3:x-amz-copy-source": "false" } }
 */
export function copyFreeTelemetryStatement(bucketArn: string): PolicyStatement {
  return {
    Sid: "DenyCopiesOntoTelemetry",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: `${bucketArn}/${DATA_LAKE_PREFIX.telemetry}*`,
    Condition: { Null: { [COPY_SOURCE_KEY]: "false" } },
  };
}

/**
 * Bucket-level actions that would undo the write-once rule without an object request the Denys above see: a
 * lifecycle rule expiring `firmware/images/` makes S3 itself put delete markers over published versions (Object Lock
 * does not stop a delete marker, and lifecycle actions are not requests a bucket policy evaluates), after which a
 * create-if-absent PutObject writes other bytes there; a new or deleted bucket policy drops the Denys; the Object
 * Lock configuration sets the default retention.
 */
export const BUCKET_ADMINISTRATION_ACTIONS = ["s3:PutLifecycleConfiguration", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketObjectLockConfiguration"] as const;

/**
 * Keeps `BUCKET_ADMINISTRATION_ACTIONS` to the deploy roles (the director key's administrators, who apply the
 * stack's lifecycle and policy) and the account's root user, as the director key's policy keeps `kms:PutKeyPolicy`:
 * otherwise any principal whose IAM grants `s3:*` could. No administrators given (the local target): no statement.
 * S3 lets the root user change a bucket policy whatever it says, so this cannot lock the bucket.
 *
 * @example
 * bucketAdministrationStatements("arn:aws:s3:::lake", [])  // []
 */
export function bucketAdministrationStatements(bucketArn: string, administrators: readonly string[]): PolicyStatement[] {
  if (administrators.length === 0) return [];
  return [
    {
      Sid: "OnlyBucketAdministratorsChangeLifecycleAndPolicy",
      Effect: "Deny",
      Principal: "*",
      Action: [...BUCKET_ADMINISTRATION_ACTIONS],
      Resource: bucketArn,
      Condition: { ArnNotLike: { "aws:PrincipalArn": [...administrators] } },
    },
  ];
}

/**
 * The principals who administer the bucket: the deploy roles given and the account's root user; none when no
 * deploy role is given (the local target), which leaves IAM to decide.
 *
 * @example
 * bucketAdministrators("111122223333", ["arn:aws:iam::111122223333:role/deploy"]) // [..., "arn:aws:iam::111122223333:root"]
 */
export function bucketAdministrators(accountId: string, deployRoles: readonly string[]): string[] {
  return deployRoles.length === 0 ? [] : [...deployRoles, `arn:aws:iam::${accountId}:root`];
}

/**
 * Days a noncurrent object version is kept by default. The bucket is versioned, so a telemetry object that
 * expires becomes noncurrent and is stored this much longer (the cost model counts it).
 */
export const DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS = 30;

export interface DataLakeStorageProps {
  readonly bucketName: string;
  readonly telemetryInfrequentAccessAfterDays: number;
  readonly telemetryRetentionDays: number;
  readonly quarantineRetentionDays: number;
  /**
   * Days a parked failure record (`parked/…`) is kept. A vehicle can park records at will (reports that can never
   * apply), so they must expire; long enough for any remedy (a parked message is read, never replayed).
   */
  readonly parkedRetentionDays: number;
  readonly forceDestroy: boolean;
  /** How long overwritten or deleted object versions are kept (default 30 days). */
  readonly noncurrentVersionRetentionDays?: number;
  /** The deployment's account (its root user keeps the bucket administration actions). */
  readonly accountId?: string;
  /**
   * The roles that deploy the stack (`keyAdministratorArns`): only they and the root user may change the lake's
   * lifecycle, bucket policy or Object Lock configuration (`bucketAdministrationStatements`). Empty: IAM decides.
   */
  readonly administratorArns?: readonly string[];
}

/**
 * The data-lake bucket: telemetry batches land here and every "Object Created" goes to EventBridge.
 * Telemetry moves to Standard-IA and then expires; quarantined input and parked failures expire sooner. Firmware, job
 * documents and fleet state are kept. Versioned, with Object Lock: published firmware and repository
 * metadata are written once under governance retention (uptane/repository-store.ts), and the bucket policy
 * refuses any other write or a delete marker there (`writeOnceStatements`); telemetry is written only in STANDARD
 * without SSE-C (`readableTelemetryStatements`), and never by a server-side copy (`copyFreeTelemetryStatement`).
 *
 * @example
 * const storage = new DataLakeStorage(this, "data-lake", lakeProps);
 * storage.bucketName // token of aws_s3_bucket.data_lake.bucket
 */
export class DataLakeStorage extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly secureBucket: SecureBucket;

  constructor(scope: Construct, id: string, props: DataLakeStorageProps) {
    super(scope, id);
    this.secureBucket = new SecureBucket(this, "bucket", {
      bucketName: props.bucketName,
      logicalId: "data_lake",
      forceDestroy: props.forceDestroy,
      // Published firmware and repository metadata are written once under governance-mode retention.
      objectLock: true,
    });
    this.bucketName = this.secureBucket.bucketName;
    this.bucketArn = this.secureBucket.bucketArn;
    const administrators = props.accountId === undefined ? [] : bucketAdministrators(props.accountId, props.administratorArns ?? []);
    for (const statement of writeOnceStatements(this.bucketArn, administrators)) this.secureBucket.addToResourcePolicy(statement);
    for (const statement of bucketAdministrationStatements(this.bucketArn, administrators)) this.secureBucket.addToResourcePolicy(statement);
    for (const statement of readableTelemetryStatements(this.bucketArn)) this.secureBucket.addToResourcePolicy(statement);
    this.secureBucket.addToResourcePolicy(copyFreeTelemetryStatement(this.bucketArn));

    named(
      new S3BucketNotification(this, "eventbridge", { bucket: this.secureBucket.bucket.id, eventbridge: true }),
      "data_lake_eventbridge",
    );

    named(
      new S3BucketLifecycleConfiguration(this, "lifecycle", {
        bucket: this.secureBucket.bucket.id,
        rule: [
          {
            id: "telemetry-tiering-and-expiry",
            status: "Enabled",
            filter: [{ prefix: DATA_LAKE_PREFIX.telemetry }],
            transition: [{ days: props.telemetryInfrequentAccessAfterDays, storageClass: "STANDARD_IA" }],
            expiration: [{ days: props.telemetryRetentionDays }],
          },
          {
            id: "quarantine-expiry",
            status: "Enabled",
            filter: [{ prefix: DATA_LAKE_PREFIX.quarantine }],
            expiration: [{ days: props.quarantineRetentionDays }],
          },
          {
            id: "parked-expiry",
            status: "Enabled",
            filter: [{ prefix: PARKED_PREFIX }],
            expiration: [{ days: props.parkedRetentionDays }],
          },
          {
            // Versioning keeps what is overwritten or deleted (job documents, fleet state, expired
            // telemetry) as noncurrent versions: an audit trail for a while, then gone.
            id: "noncurrent-versions-expiry",
            status: "Enabled",
            filter: [{ prefix: "" }],
            noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionRetentionDays ?? DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS }],
            expiration: [{ expiredObjectDeleteMarker: true }],
          },
          {
            id: "abort-incomplete-uploads",
            status: "Enabled",
            filter: [{ prefix: "" }],
            abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
          },
        ],
      }),
      "data_lake_lifecycle",
    );
  }

  /**
   * ARN pattern of every object under one prefix, for IAM statements.
   *
   * @example
   * storage.objectsArn(DATA_LAKE_PREFIX.jobs) // "${aws_s3_bucket.data_lake.arn}/jobs/*"
   */
  objectsArn(prefix: string): string {
    return `${this.bucketArn}/${prefix}*`;
  }
}
