/**
 * Bundles every Lambda (functions/<name>/handler.ts → dist/functions/<name>/index.mjs), the operator CLI
 * (cli/main.ts → dist/cli/fleetota.mjs, what the `fleetota` bin runs where tsx is not installed) and the
 * web dashboard (web/ → dist/web/) with esbuild, and reports each bundle's size.
 * The Lambda bundle is the very file deployed to AWS and run by the local cloud.
 */
import { build, type BuildOptions } from "esbuild";
import { readdirSync, existsSync, statSync, mkdirSync, cpSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const functionsDir = join(root, "functions");
const distDir = join(root, "dist");

/** Both Lambda's nodejs22.x and this machine's Node 20 run this target. */
const NODE_TARGET = "node20";

export function lambdaNames(): string[] {
  return readdirSync(functionsDir).filter((name) => existsSync(join(functionsDir, name, "handler.ts")));
}

export const lambdaDefaults: BuildOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: NODE_TARGET,
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  // Some CommonJS dependencies call require() on Node built-ins; give the ESM bundle a real one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: "warning",
};

/** Bundles one Lambda into `<outdir>/functions/<name>/index.mjs` (dist by default). */
export async function bundleLambda(name: string, outdir = distDir): Promise<string> {
  const outfile = join(outdir, "functions", name, "index.mjs");
  await build({ ...lambdaDefaults, entryPoints: [join(functionsDir, name, "handler.ts")], outfile });
  return outfile;
}

/** Bundles the operator CLI into one self-contained ES module (plain Node, no tsx, no node_modules). */
export async function bundleCli(outfile = join(distDir, "cli", "fleetota.mjs")): Promise<string> {
  await build({ ...lambdaDefaults, entryPoints: [join(root, "cli", "main.ts")], outfile, sourcemap: false });
  return outfile;
}

/** Bundles the web dashboard into `outdir` (dist/web by default); the browser tests build into a temp folder. */
export async function bundleWeb(outdir = join(distDir, "web")): Promise<string[]> {
  const webEntry = join(root, "web", "src", "main.ts");
  if (!existsSync(webEntry)) return [];
  mkdirSync(outdir, { recursive: true });
  // Two pages: the overview (app.js) and the campaign page (campaign.js).
  await build({
    entryPoints: { app: webEntry, campaign: join(root, "web", "src", "campaign-page.ts") },
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: "linked",
    outdir,
    logLevel: "warning",
  });
  const staticDir = join(root, "web", "static");
  if (existsSync(staticDir)) cpSync(staticDir, outdir, { recursive: true });
  // Land and coastlines for the fleet map, served from the page's own origin (no tile server).
  mkdirSync(join(outdir, "geo"), { recursive: true });
  cpSync(join(root, "node_modules", "world-atlas", "land-50m.json"), join(outdir, "geo", "land-50m.json"));
  return [join(outdir, "app.js"), join(outdir, "campaign.js")];
}

function kib(path: string): string {
  return `${(statSync(path).size / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const lambdaFiles = await Promise.all(lambdaNames().map(async (name) => [name, await bundleLambda(name)] as const));
  const cliFile = await bundleCli();
  const webFiles = await bundleWeb();
  for (const [name, file] of lambdaFiles) console.log(`λ ${name.padEnd(22)} ${kib(file).padStart(10)}  ${file.slice(root.length + 1)}`);
  console.log(`▸ ${"fleetota CLI".padEnd(22)} ${kib(cliFile).padStart(10)}  ${cliFile.slice(root.length + 1)}`);
  for (const file of webFiles) console.log(`◻ ${"web".padEnd(22)} ${kib(file).padStart(10)}  ${file.slice(root.length + 1)}`);
  console.log(`built ${lambdaFiles.length} functions, the CLI${webFiles.length ? " and the web app" : ""} in ${Math.round(performance.now() - started)} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
