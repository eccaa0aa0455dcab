/**
 * Applies a synthesized stack (cdk.tf.json) to the emulator: checks every resource type is known, orders
 * resources by their references, resolves each configuration and hands it to its type's applier. Returns
 * the LocalCloudDescription for the local runtime (functions, mappings, schedules, every resource's
 * attributes, outputs, what was skipped).
 */
import { resolve } from "node:path";
import { silentLog, type Log } from "../../lib/logger.js";
import type { LocalCloudDescription } from "../model.js";
import type { Config } from "./config.js";
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, createClients, type ApplyContext, type Attributes } from "./context.js";
import { ResourceApplyError, UnknownResourceTypeError } from "./errors.js";
import { resolveValue, type Lookup } from "./references.js";
import { DATA_SOURCE_APPLIERS, RESOURCE_APPLIERS } from "./resources/index.js";
import { dependencyOrder, inDependencyOrder, referencesAt, resourceNodes, type ResourceNode, type StackDocument } from "./stack-document.js";

export interface ApplyOptions {
  /** Where the SDK reaches the emulator (moto or the proxy in front of it). */
  endpoint: string;
  /** Directory holding cdk.tf.json (asset paths are relative to it). */
  stackDir: string;
  /** Overrides the provider's region. */
  region?: string;
  log?: Log;
}

const DEFAULT_REGION = "us-east-1";
/** Independent resources applied at once; moto serves requests on threads. */
const APPLY_CONCURRENCY = 8;

/**
 * Refuses a stack that holds a resource or data source type the local cloud does not know, naming it,
 * before anything is created.
 *
 * @example
 * assertKnownTypes(resourceNodes(stack)); // throws UnknownResourceTypeError("aws_mq_broker", "aws_mq_broker.x")
 */
export function assertKnownTypes(nodes: ResourceNode[]): void {
  for (const node of nodes) {
    const table = node.mode === "data" ? DATA_SOURCE_APPLIERS : RESOURCE_APPLIERS;
    if (!table[node.type]) throw new UnknownResourceTypeError(node.mode === "data" ? `data.${node.type}` : node.type, node.address);
  }
}

/** Answers unknown attributes of skipped resources with a readable placeholder instead of failing. */
function lenient(address: string, attributes: Attributes): Attributes {
  return new Proxy(attributes, {
    get: (target, key) => (typeof key === "string" && !(key in target) ? `(${address}.${key}: not applied locally)` : Reflect.get(target, key)),
  });
}

function providerRegion(document: StackDocument, lookup: Lookup): string | undefined {
  const aws = document.provider?.aws;
  const config = (Array.isArray(aws) ? aws[0] : aws) as Config | undefined;
  const region = config?.region;
  return region === undefined ? undefined : String(resolveValue(region, lookup));
}

function uniqueNames(): (prefix: string) => string {
  let counter = 0;
  return (prefix) => {
    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 16);
    counter += 1;
    return `${prefix}${stamp}${counter.toString(16).padStart(8, "0")}`;
  };
}

/**
 * Applies the stack to the emulator at `options.endpoint`.
 *
 * @example
 * import { readFileSync } from "node:fs";
 * import { join } from "node:path";
 * const stack = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8"));
 * const description = await applyStack(stack, { endpoint: "http://127.0.0.1:4566", stackDir, log });
 */
export async function applyStack(document: StackDocument, options: ApplyOptions): Promise<LocalCloudDescription> {
  const log = options.log ?? silentLog;
  const stackDir = resolve(options.stackDir);
  const nodes = resourceNodes(document);
  assertKnownTypes(nodes);
  for (const [name, output] of Object.entries(document.output ?? {})) referencesAt(output.value, `output.${name}`);
  const ordered = dependencyOrder(nodes);

  /** What references see: each applied resource's attributes by address (skipped ones answer leniently). */
  const visible = new Map<string, Attributes>();
  const lookup: Lookup = (address) => visible.get(address);

  const region = options.region ?? providerRegion(document, lookup) ?? DEFAULT_REGION;
  const metadata = (document["//"] as { metadata?: { stackName?: string } } | undefined)?.metadata;
  const description: LocalCloudDescription = {
    endpoint: options.endpoint,
    region,
    accountId: LOCAL_ACCOUNT_ID,
    stackName: metadata?.stackName ?? "stack",
    resources: {},
    outputs: {},
    functions: [],
    eventSourceMappings: [],
    schedules: [],
    skipped: [],
  };
  const context: ApplyContext = {
    clients: createClients({ endpoint: options.endpoint, region, credentials: LOCAL_CREDENTIALS }),
    region,
    accountId: LOCAL_ACCOUNT_ID,
    stackDir,
    log,
    description,
    schedules: new Map(),
    applied: new Map(),
    uniqueName: uniqueNames(),
  };

  const started = performance.now();
  await inDependencyOrder(ordered, APPLY_CONCURRENCY, async function applyNode(node) {
    const table = node.mode === "data" ? DATA_SOURCE_APPLIERS : RESOURCE_APPLIERS;
    let attributes: Attributes;
    try {
      const config = resolveValue(node.config, lookup) as Config;
      attributes = await table[node.type]!(config, node, context);
    } catch (error) {
      throw new ResourceApplyError(node.address, error);
    }
    context.applied.set(node.address, attributes);
    description.resources[node.address] = attributes;
    visible.set(node.address, description.skipped.includes(node.address) ? lenient(node.address, attributes) : attributes);
  }).finally(() => {
    for (const client of Object.values(context.clients)) client.destroy();
  });
  const byAddress = (a: { address: string }, b: { address: string }): number => a.address.localeCompare(b.address);
  description.functions.sort(byAddress);
  description.eventSourceMappings.sort(byAddress);
  description.schedules.sort(byAddress);
  description.skipped.sort();
  for (const [name, output] of Object.entries(document.output ?? {})) {
    description.outputs[name] = resolveValue(output.value, lookup);
  }
  log.info("stack applied to the emulator", {
    resources: ordered.length,
    skipped: description.skipped.length,
    functions: description.functions.length,
    milliseconds: Math.round(performance.now() - started),
  });
  return description;
}

