#!/usr/bin/env node
// The `fleetota` package bin: loads the TypeScript CLI through tsx's loader (installed with the package).
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../cli/main.ts");
process.exitCode = await runCli(process.argv.slice(2));
