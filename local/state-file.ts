/**
 * `.fleetota/local.json`: the running local cloud's description (endpoint, region, every resource's names,
 * URLs and ARNs), so the CLI, tests and anyone else can reach it. Written atomically; removed on stop only
 * if it still describes this cloud (another one may have started since).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname } from "node:path";
import type { LocalCloudDescription } from "./model.js";

/**
 * Writes the description atomically (temp file + rename), so readers never see half a file.
 *
 * @example
 * writeStateFile(".fleetota/local.json", description);
 */
export function writeStateFile(path: string, description: LocalCloudDescription): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(description, null, 2)}\n`);
  renameSync(temporary, path);
}

/** Reads a state file; undefined when there is none. */
export function readStateFile(path: string): LocalCloudDescription | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as LocalCloudDescription;
}

/** Removes the state file if it still describes the cloud at `endpoint`. */
export function removeStateFile(path: string, endpoint: string): void {
  try {
    if (readStateFile(path)?.endpoint === endpoint) rmSync(path, { force: true });
  } catch {
    // unreadable: leave it to whoever wrote it
  }
}
