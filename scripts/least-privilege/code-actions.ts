/**
 * The AWS actions a Lambda's code calls, read from what its bundle really contains: esbuild bundles the
 * handler as scripts/build.ts does (same entry, same tree shaking, but not minified, so each module keeps
 * its `// path` section), and in the section of every project file that survived, each `new …Command(`
 * (or `paginate…(`) of a command the file imports from an `@aws-sdk/*` package counts. A helper a
 * function imports but never reaches is shaken out, so it grants nothing.
 */
import { build } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  actionsOfCommand,
  MISSING_OBJECT_ACTION,
  NAMES_A_MISSING_OBJECT,
  NAMES_A_VERSION,
  READS_THAT_CAN_MISS,
  TRANSACT_ITEM_ACTIONS,
  TRANSACT_WRITE_COMMANDS,
  VERSIONED_READ_ACTIONS,
} from "./sdk-actions.js";

const projectRoot = resolve(import.meta.dirname, "..", "..");

/** One place in the code that calls AWS. */
export interface SdkCall {
  readonly file: string;
  readonly packageName: string;
  readonly command: string;
  readonly actions: readonly string[];
}

export interface CodeActions {
  /** Every IAM action the code needs, sorted. */
  readonly actions: readonly string[];
  readonly calls: readonly SdkCall[];
}

interface ImportedCommand {
  readonly packageName: string;
  /** The exported name (what the bundle calls it), e.g. `GetObjectCommand` or `paginateQuery`. */
  readonly name: string;
  readonly command: string;
}

const IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*["'](@aws-sdk\/[^"']+)["']/g;

/**
 * The value imports of SDK commands (and paginators) in one source file.
 *
 * @example
 * importedCommands('import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";')
 * // [{ packageName: "@aws-sdk/client-s3", name: "GetObjectCommand", command: "GetObjectCommand" }]
 */
export function importedCommands(source: string): ImportedCommand[] {
  const found: ImportedCommand[] = [];
  for (const match of source.matchAll(IMPORT)) {
    if (match[1]) continue; // import type { … }
    const packageName = match[3]!;
    for (const specifier of match[2]!.split(",")) {
      const trimmed = specifier.trim();
      if (!trimmed || trimmed.startsWith("type ")) continue;
      const name = trimmed.split(/\s+as\s+/)[0]!.trim();
      if (/^[A-Z]\w*Command$/.test(name)) found.push({ packageName, name, command: name });
      else if (/^paginate[A-Z]\w*$/.test(name)) found.push({ packageName, name, command: `${name.slice("paginate".length)}Command` });
    }
  }
  return found;
}

/**
 * Splits an unminified esbuild bundle into the sections of the project's own files (`// path` markers).
 *
 * @example
 * projectSections("// functions/x/handler.ts\nvar a = 1;\n") // Map { "functions/x/handler.ts" => "var a = 1;\n" }
 */
export function projectSections(bundle: string): Map<string, string> {
  const sections = new Map<string, string>();
  const markers = [...bundle.matchAll(/^\/\/ ([\w./-]+\.(?:ts|mts|js|mjs))$/gm)];
  markers.forEach((marker, index) => {
    const path = marker[1]!;
    if (path.includes("node_modules/")) return;
    const end = index + 1 < markers.length ? markers[index + 1]!.index : bundle.length;
    sections.set(path, (sections.get(path) ?? "") + bundle.slice(marker.index + marker[0].length, end));
  });
  return sections;
}

/**
 * The SDK calls in one project file's bundle section, given the file's source (for its imports).
 *
 * @example
 * callsInSection("campaigns/store.ts", source, section)
 */
export function callsInSection(file: string, source: string, section: string): SdkCall[] {
  const calls: SdkCall[] = [];
  for (const imported of importedCommands(source)) {
    const escaped = imported.name.replace(/[$]/g, "\\$");
    // ESM dependencies are inlined (`new GetObjectCommand2(`), CommonJS ones are namespaced (`new import_client_s3.GetObjectCommand(`).
    const reference = `(?:[\\w$]+\\.)?${escaped}\\d*\\(`;
    const used = new RegExp(imported.name.endsWith("Command") ? `\\bnew ${reference}` : `(?<![\\w$])${reference}`).test(section);
    if (!used) continue;
    let actions: readonly string[] = TRANSACT_WRITE_COMMANDS.has(imported.command)
      ? Object.entries(TRANSACT_ITEM_ACTIONS)
          .filter(([kind]) => new RegExp(`\\b${kind}\\s*:`).test(section))
          .map(([, action]) => action)
      : actionsOfCommand(imported.packageName, imported.command);
    // A read that names a version in this file needs the version action too (a per-file approximation).
    const versioned = VERSIONED_READ_ACTIONS[imported.packageName]?.[imported.command];
    if (versioned && NAMES_A_VERSION.test(section)) actions = [...actions, versioned];
    // A read whose not-found this file acts on needs the listing that makes AWS answer 404 (a per-file approximation).
    if (READS_THAT_CAN_MISS[imported.packageName]?.has(imported.command) && NAMES_A_MISSING_OBJECT.test(section)) actions = [...actions, MISSING_OBJECT_ACTION];
    calls.push({ file, packageName: imported.packageName, command: imported.command, actions });
  }
  return calls;
}

/**
 * Bundles functions/<shortName>/handler.ts and returns the AWS actions its code calls.
 *
 * @example
 * const { actions } = await actionsCalledBy("rollout-ticker"); // ["dynamodb:Query", "sqs:SendMessage"]
 */
export async function actionsCalledBy(shortName: string, root = projectRoot): Promise<CodeActions> {
  const entry = join(root, "functions", shortName, "handler.ts");
  if (!existsSync(entry)) throw new Error(`no handler at ${entry}`);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: false,
    treeShaking: true,
    logLevel: "silent",
  });
  const bundle = result.outputFiles[0]!.text;
  const calls: SdkCall[] = [];
  for (const [file, section] of projectSections(bundle)) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    calls.push(...callsInSection(file, readFileSync(path, "utf8"), section));
  }
  const actions = [...new Set(calls.flatMap((call) => call.actions))].sort();
  return { actions, calls };
}
