/**
 * IAM policy documents as plain objects. They are rendered with JSON.stringify, so a token such as a
 * queue ARN becomes a plain `${aws_sqs_queue.x.arn}` interpolation inside JSON text — which both
 * Terraform and the local applier resolve without evaluating HCL functions.
 */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  /** Absent only in trust policies. */
  readonly Resource?: string | readonly string[];
  readonly Principal?: "*" | Record<string, string | readonly string[]>;
  readonly Condition?: Record<string, Record<string, string | boolean | readonly string[]>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/**
 * Renders statements as a policy document string.
 *
 * @example
 * policyJson([{ Effect: "Allow", Action: "sqs:SendMessage", Resource: queue.arn }]);
 */
export function policyJson(statements: readonly PolicyStatement[]): string {
  const document: PolicyDocument = { Version: "2012-10-17", Statement: statements };
  return JSON.stringify(document);
}

/**
 * The trust policy letting one AWS service assume a role.
 *
 * @example
 * import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
 * new IamRole(this, "role", { assumeRolePolicy: assumeRolePolicyFor("lambda.amazonaws.com") });
 */
export function assumeRolePolicyFor(service: string): string {
  return policyJson([{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }]);
}

/**
 * Denies every request to a bucket that does not use TLS.
 *
 * @example
 * denyInsecureTransport(bucket.arn) // { Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": false } } … }
 */
export function denyInsecureTransport(bucketArn: string): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": false } },
  };
}
