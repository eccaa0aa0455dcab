import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { unzipSync } from "fflate";
import { ArchiveExtractionError } from "../errors.js";

/**
 * Unpacks a deployed Lambda artifact (the zip the stack uploads) into `targetDir`, replacing whatever
 * was there, as Lambda does when it creates a sandbox from a new code version. Entries that would
 * land outside `targetDir` (zip-slip) are refused.
 *
 * @example
 * extractArchive("/repo/cdktf.out/assets/telemetry-processor.zip", "/repo/.fleetota/functions/fleetota-dev-telemetry-processor");
 * // → ["index.mjs", "index.mjs.map"]
 */
export function extractArchive(archivePath: string, targetDir: string): string[] {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(readFileSync(archivePath));
  } catch (error) {
    throw new ArchiveExtractionError(archivePath, error instanceof Error ? error.message : String(error));
  }
  const root = resolve(targetDir);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const written: string[] = [];
  for (const [entryName, content] of Object.entries(entries)) {
    const destination = resolve(root, entryName);
    if (destination !== root && !destination.startsWith(root + sep)) {
      throw new ArchiveExtractionError(archivePath, `entry "${entryName}" points outside the target folder`);
    }
    if (entryName.endsWith("/")) {
      mkdirSync(destination, { recursive: true });
      continue;
    }
    mkdirSync(dirname(destination), { recursive: true });
    writeFileSync(destination, content);
    written.push(entryName);
  }
  return written.sort();
}

/** Where the runtime unpacks a function: `<workDir>/functions/<functionName>/`. */
export function functionCodeDir(workDir: string, functionName: string): string {
  return join(workDir, "functions", functionName);
}
