#!/usr/bin/env node
// The `fleetota` package bin. In a source checkout (tsx installed) it runs the TypeScript CLI, so it is
// never stale; elsewhere the self-contained bundle that `npm run build` writes to dist/cli/fleetota.mjs.
import { existsSync } from "node:fs";

async function loadCli() {
  try {
    const { register } = await import("tsx/esm/api");
    register();
    return await import("../cli/main.ts");
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
  }
  const bundle = new URL("../dist/cli/fleetota.mjs", import.meta.url);
  if (!existsSync(bundle)) {
    console.error("fleetota: neither tsx nor the built CLI (dist/cli/fleetota.mjs) is here; run `npm run build`");
    process.exit(1);
  }
  return import(bundle.href);
}

const { runCli } = await loadCli();
process.exitCode = await runCli(process.argv.slice(2));
