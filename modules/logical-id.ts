import type { TerraformResource } from "cdktf";

/**
 * Gives a resource a readable Terraform logical id (`aws_sqs_queue.telemetry_queue`) instead of the
 * path-and-hash one cdktf derives, so the synthesized JSON, plans and the local applier's
 * `.fleetota/local.json` all speak the same names. Ids must be unique per resource type in the stack.
 *
 * @example
 * import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";
 * named(new SqsQueue(this, "queue", { name: "fleetota-dev-telemetry" }), "telemetry_queue");
 */
export function named<T extends TerraformResource>(resource: T, logicalId: string): T {
  resource.overrideLogicalId(logicalId);
  return resource;
}

/**
 * Turns a name into a logical-id fragment.
 *
 * @example
 * snake("telemetry-processor") // "telemetry_processor"
 */
export function snake(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, "_");
}
