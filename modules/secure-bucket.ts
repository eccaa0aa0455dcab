import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy/index.js";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning/index.js";
import { denyInsecureTransport, policyJson, type PolicyStatement } from "./iam.js";
import { named } from "./logical-id.js";

export interface SecureBucketProps {
  readonly bucketName: string;
  /** Prefix of the logical ids of the bucket and its companions, e.g. `data_lake`. */
  readonly logicalId: string;
  /** Lets `terraform destroy` empty the bucket; off when data must be protected. */
  readonly forceDestroy: boolean;
  /**
   * `BucketOwnerEnforced` (default: no ACLs at all). `BucketOwnerPreferred` only where an AWS service
   * delivers with an ACL grant (CloudFront standard logs).
   */
  readonly objectOwnership?: "BucketOwnerEnforced" | "BucketOwnerPreferred";
  /**
   * Versioning plus S3 Object Lock (enabled at creation; retention is set per object, governance mode,
   * by whoever publishes what must not be replaced or deleted).
   */
  readonly objectLock?: boolean;
}

/**
 * A private S3 bucket the FleetOTA way: owner-enforced object ownership (no ACLs), every public
 * access path blocked, SSE-S3 encryption by default, and a bucket policy that denies non-TLS access.
 * Other statements join that policy through `addToResourcePolicy` (a bucket has one policy).
 *
 * @example
 * const site = new SecureBucket(this, "bucket", { bucketName: "fleetota-dev-dashboard", logicalId: "dashboard", forceDestroy: true });
 * site.addToResourcePolicy({ Effect: "Allow", Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject", Resource: `${site.bucketArn}/*` });
 */
export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly policy: S3BucketPolicy;
  private readonly extraStatements: PolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = named(
      new S3Bucket(this, "bucket", { bucket: props.bucketName, forceDestroy: props.forceDestroy, ...(props.objectLock ? { objectLockEnabled: true } : {}) }),
      props.logicalId,
    );
    if (props.objectLock) {
      named(
        new S3BucketVersioningA(this, "versioning", { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } }),
        `${props.logicalId}_versioning`,
      );
    }
    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;

    named(
      new S3BucketOwnershipControls(this, "ownership", {
        bucket: this.bucket.id,
        rule: { objectOwnership: props.objectOwnership ?? "BucketOwnerEnforced" },
      }),
      `${props.logicalId}_ownership`,
    );
    const publicAccessBlock = named(
      new S3BucketPublicAccessBlock(this, "public-access-block", {
        bucket: this.bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
      `${props.logicalId}_public_access_block`,
    );
    named(
      new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
        bucket: this.bucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
      }),
      `${props.logicalId}_encryption`,
    );
    this.policy = named(
      new S3BucketPolicy(this, "policy", {
        bucket: this.bucket.id,
        policy: Lazy.stringValue({
          produce: () => policyJson([denyInsecureTransport(this.bucketArn), ...this.extraStatements]),
        }),
        // A policy put before the public access block exists can be rejected as public.
        dependsOn: [publicAccessBlock],
      }),
      `${props.logicalId}_policy`,
    );
  }

  /** Adds a statement to the bucket's one resource policy. */
  addToResourcePolicy(statement: PolicyStatement): void {
    this.extraStatements.push(statement);
  }
}
