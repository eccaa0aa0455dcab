/**
 * Resource types with no local meaning: identity and access (moto would store but not enforce it), log
 * groups (the local runtime prints logs), CDN and its WAF (the local dashboard is served on loopback),
 * Lambda permissions (nothing checks them locally),
 * KMS keys and aliases (moto's SNS stores the topic's key id without encrypting with it).
 * They are listed in the description's `skipped`; references to them resolve to plausible names and ARNs.
 */
import { optionalString } from "../config.js";
import type { ResourceApplier } from "../context.js";
import { localRoleUniqueId } from "../../identity/local-principals.js";

export const SKIPPED_TYPES: ReadonlySet<string> = new Set([
  "aws_iam_role",
  "aws_iam_role_policy",
  "aws_cloudwatch_log_group",
  "aws_cloudfront_distribution",
  "aws_cloudfront_origin_access_control",
  "aws_cloudfront_response_headers_policy",
  "aws_lambda_permission",
  "aws_lambda_function_event_invoke_config",
  "aws_wafv2_web_acl",
  "aws_wafv2_ip_set",
  "aws_kms_alias",
]);

const SERVICE_OF: Record<string, string> = { iam: "iam", cloudwatch: "logs", cloudfront: "cloudfront", lambda: "lambda", kms: "kms", wafv2: "wafv2", s3: "s3" };

/** Records a skipped resource and gives it the attributes other resources usually read. */
export const skipResource: ResourceApplier = (config, node, context) => {
  context.description.skipped.push(node.address);
  const name = optionalString(config.name) ?? optionalString(config.function_name) ?? node.name;
  const service = SERVICE_OF[node.type.split("_")[1] ?? ""] ?? "unknown";
  const kind = node.type.split("_").slice(2).join("-");
  const global = service === "iam" || service === "cloudfront";
  // Log group ARNs separate the name with ":" (Terraform's attribute drops the trailing ":*").
  const resource = service === "logs" ? `${kind}:${name}` : `${kind}/${name}`;
  const arn = `arn:aws:${service}:${global ? "" : context.region}:${context.accountId}:${resource}`;
  // A role's unique id is what SQS names as a message's sender; the emulator stamps the same one (localRoleUniqueId).
  return { ...config, id: name, name, arn, ...(node.type === "aws_iam_role" ? { unique_id: localRoleUniqueId(name) } : {}) };
};
