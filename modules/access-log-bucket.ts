import { Construct } from "constructs";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging/index.js";
import { named, snake } from "./logical-id.js";
import { SecureBucket } from "./secure-bucket.js";

/** Where each kind of access log lands in the access-log bucket. */
export const ACCESS_LOG_PREFIX = { s3: "s3/", cloudfront: "cloudfront/" } as const;

export interface AccessLogBucketProps {
  readonly bucketName: string;
  readonly accountId: string;
  readonly retentionDays: number;
  readonly forceDestroy: boolean;
}

/**
 * The bucket that receives the stack's access logs: S3 server access logs of the data lake and the
 * dashboard bucket (`s3/<bucket>/`, delivered by `logging.s3.amazonaws.com`, allowed only for those
 * source buckets of this account) and the dashboard distribution's standard logs (`cloudfront/`,
 * which CloudFront delivers with an ACL grant, hence `BucketOwnerPreferred` here and nowhere else).
 * Logs expire after `retentionDays`. The bucket does not log itself (that would loop).
 *
 * @example
 * const logs = new AccessLogBucket(this, "access-logs", { bucketName: "fleetota-dev-access-logs", accountId, retentionDays: 90, forceDestroy: true });
 * logs.receiveServerAccessLogs("data_lake", lake.bucketName, lake.bucketArn);
 */
export class AccessLogBucket extends Construct {
  readonly site: SecureBucket;
  readonly bucketName: string;
  readonly bucketArn: string;
  /** The regional domain name CloudFront's logging_config wants. */
  readonly bucketDomainName: string;
  private readonly sourceArns: string[] = [];

  constructor(scope: Construct, id: string, private readonly props: AccessLogBucketProps) {
    super(scope, id);
    this.site = new SecureBucket(this, "bucket", {
      bucketName: props.bucketName,
      logicalId: "access_logs",
      forceDestroy: props.forceDestroy,
      objectOwnership: "BucketOwnerPreferred",
    });
    this.bucketName = this.site.bucketName;
    this.bucketArn = this.site.bucketArn;
    this.bucketDomainName = this.site.bucket.bucketDomainName;
    named(
      new S3BucketLifecycleConfiguration(this, "lifecycle", {
        bucket: this.site.bucket.id,
        rule: [
          { id: "expire-access-logs", status: "Enabled", filter: [{ prefix: "" }], expiration: [{ days: props.retentionDays }] },
          { id: "abort-incomplete-uploads", status: "Enabled", filter: [{ prefix: "" }], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }] },
        ],
      }),
      "access_logs_lifecycle",
    );
    this.site.addToResourcePolicy({
      Sid: "S3ServerAccessLogs",
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${this.bucketArn}/${ACCESS_LOG_PREFIX.s3}*`,
      Condition: {
        ArnLike: { "aws:SourceArn": this.sourceArns },
        StringEquals: { "aws:SourceAccount": props.accountId },
      },
    });
  }

  /** Turns on S3 server access logging of one bucket into `s3/<logicalId>/`. */
  receiveServerAccessLogs(logicalId: string, sourceBucketName: string, sourceBucketArn: string): void {
    this.sourceArns.push(sourceBucketArn);
    named(
      new S3BucketLoggingA(this, `logging-${logicalId}`, {
        bucket: sourceBucketName,
        targetBucket: this.site.bucket.id,
        targetPrefix: `${ACCESS_LOG_PREFIX.s3}${logicalId}/`,
        // S3 checks at PutBucketLogging that the target's policy lets logging.s3.amazonaws.com write there.
        dependsOn: [this.site.policy],
      }),
      `${snake(logicalId)}_access_logging`,
    );
  }
}
