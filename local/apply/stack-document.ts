/**
 * The synthesized stack (cdk.tf.json) as a list of resource nodes, and their dependency order: every
 * `${type.name…}` / `${data.type.name…}` reference and every `depends_on` is an edge.
 */
import { DependencyCycleError } from "./errors.js";
import { referencesIn, UnsupportedExpressionError, type Reference } from "./references.js";
import type { Config } from "./config.js";

export interface StackDocument {
  resource?: Record<string, Record<string, Config>>;
  data?: Record<string, Record<string, Config>>;
  output?: Record<string, { value: unknown }>;
  provider?: Record<string, Config[] | Config>;
  [key: string]: unknown;
}

export interface ResourceNode {
  /** `aws_sqs_queue.x` or `data.aws_region.current`. */
  address: string;
  mode: "resource" | "data";
  type: string;
  name: string;
  config: Config;
  dependsOn: string[];
}

/** Every reference in a configuration; what is not a plain reference is refused naming `where` it is. */
export function referencesAt(value: unknown, where: string): Reference[] {
  try {
    return referencesIn(value);
  } catch (error) {
    throw error instanceof UnsupportedExpressionError ? error.at(where) : error;
  }
}

function dependencies(address: string, config: Config, known: Set<string>): string[] {
  const found = new Set<string>();
  for (const reference of referencesAt(config, address)) if (known.has(reference.address)) found.add(reference.address);
  for (const explicit of (config.depends_on as string[] | undefined) ?? []) {
    const dependency = String(explicit).replace(/^\$\{(.*)\}$/, "$1");
    if (known.has(dependency)) found.add(dependency);
  }
  return [...found];
}

/**
 * Lists the stack's resources and data sources with what each depends on; an interpolation that is not a
 * plain reference is refused here, naming the resource, before anything is applied.
 *
 * @example
 * import { readFileSync } from "node:fs";
 * resourceNodes(JSON.parse(readFileSync("cdktf.out/stacks/fleetota-dev/cdk.tf.json", "utf8")));
 */
export function resourceNodes(document: StackDocument): ResourceNode[] {
  const raw: Array<Omit<ResourceNode, "dependsOn">> = [];
  for (const [mode, section] of [
    ["resource", document.resource],
    ["data", document.data],
  ] as const) {
    for (const [type, byName] of Object.entries(section ?? {})) {
      for (const [name, config] of Object.entries(byName)) {
        raw.push({ address: mode === "data" ? `data.${type}.${name}` : `${type}.${name}`, mode, type, name, config });
      }
    }
  }
  const known = new Set(raw.map((node) => node.address));
  return raw.map((node) => ({ ...node, dependsOn: dependencies(node.address, node.config, known).filter((address) => address !== node.address) }));
}

/**
 * Orders nodes so each comes after everything it references (stable: otherwise in document order).
 *
 * @example
 * for (const node of dependencyOrder(resourceNodes(stack))) console.log(node.address); // a DLQ before its queue, the queue before its redrive-allow policy
 */
export function dependencyOrder(nodes: ResourceNode[]): ResourceNode[] {
  const byAddress = new Map(nodes.map((node) => [node.address, node]));
  const state = new Map<string, "visiting" | "done">();
  const ordered: ResourceNode[] = [];
  const visit = (node: ResourceNode, path: string[]): void => {
    const seen = state.get(node.address);
    if (seen === "done") return;
    if (seen === "visiting") throw new DependencyCycleError([...path.slice(path.indexOf(node.address)), node.address]);
    state.set(node.address, "visiting");
    for (const dependency of node.dependsOn) visit(byAddress.get(dependency)!, [...path, node.address]);
    state.set(node.address, "done");
    ordered.push(node);
  };
  for (const node of nodes) visit(node, []);
  return ordered;
}

/**
 * Runs `work` for every node, each only after the nodes it depends on finished, up to `concurrency` at a
 * time (independent resources are created in parallel). The first failure stops new work and is thrown
 * once the running ones settled.
 *
 * @example
 * await inDependencyOrder(dependencyOrder(resourceNodes(stack)), 8, async (node) => console.log(node.address));
 */
export async function inDependencyOrder(ordered: ResourceNode[], concurrency: number, work: (node: ResourceNode) => Promise<void>): Promise<void> {
  const done = new Set<string>();
  const pending = [...ordered];
  const running = new Map<string, Promise<void>>();
  let failure: { error: unknown } | undefined;
  while ((pending.length > 0 && !failure) || running.size > 0) {
    while (!failure && running.size < concurrency) {
      const index = pending.findIndex((node) => node.dependsOn.every((address) => done.has(address)));
      if (index < 0) break;
      const [node] = pending.splice(index, 1);
      running.set(
        node!.address,
        work(node!).then(
          () => void done.add(node!.address),
          (error: unknown) => void (failure ??= { error }),
        ).finally(() => running.delete(node!.address)),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (failure) throw failure.error;
}
