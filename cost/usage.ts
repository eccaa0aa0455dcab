/**
 * Turns a front-door census (requests by `principal service:operation`, units by principal) into billable
 * usage, for the callers chosen. Operations AWS does not bill (S3 DELETE, metadata calls of the
 * emulation) are left out by name.
 */
import type { CensusSnapshot } from "../local/request-census.js";
import { NO_USAGE, type Usage } from "./model.js";

const S3_TIER1 = new Set(["PutObject", "CopyObject", "ListObjects", "PutObjectTagging", "DeleteObjects", "POSTBucket"]);
const S3_TIER2 = new Set(["GetObject", "HeadObject"]);
/** IoT's REST operations as the census names them (method and first path segment): the registry's reads. */
const IOT_REGISTRY = new Set(["GET /things", "GET /thing-groups", "GET /thing-types", "GET /principals"]);

/**
 * Sums the usage of the principals `include` accepts.
 *
 * @example
 * usageFromCensus(snapshot, (principal) => principal === "vehicle" || principal === "function:fleetota-dev-telemetry-processor");
 */
export function usageFromCensus(snapshot: CensusSnapshot, include: (principal: string) => boolean): Usage {
  const usage = { ...NO_USAGE };
  for (const [key, count] of Object.entries(snapshot.requests)) {
    const space = key.indexOf(" ");
    const [principal, call] = [key.slice(0, space), key.slice(space + 1)]; // IoT's operations hold a space ("GET /things")
    if (!include(principal)) continue;
    const [service, operation = ""] = call.split(":");
    if (service === "s3" && S3_TIER1.has(operation)) usage.s3Put += count;
    else if (service === "s3" && S3_TIER2.has(operation)) usage.s3Get += count;
    else if (service === "sqs") usage.sqs += count;
    else if (service === "monitoring" && operation !== "GetMetricData") usage.cloudWatchApi += count;
    else if (service === "kms" && operation === "Sign") usage.kmsSign += count;
    else if (service === "sns") usage.snsPublish += count;
    else if (service === "iot" && IOT_REGISTRY.has(operation)) usage.iotRegistryOperations = (usage.iotRegistryOperations ?? 0) + count;
  }
  for (const [principal, units] of Object.entries(snapshot.units)) {
    if (!include(principal)) continue;
    usage.dynamoDbWriteUnits += units.write;
    usage.dynamoDbReadUnits += units.read;
    usage.cloudWatchMetricsRequested += units.metrics;
  }
  return usage;
}

/** Every field divided by `by` (per object, per minute, per vehicle). */
export function perUnit(usage: Usage, by: number): Usage {
  return Object.fromEntries(Object.entries(usage).map(([key, value]) => [key, by > 0 ? value / by : 0])) as unknown as Usage;
}
