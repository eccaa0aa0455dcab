/**
 * Provisioning a fleet on the local cloud: `fleetota vehicles register --csv` for N vehicles, each from
 * its own CSR (made beforehand, as vehicles would; not timed), paced at `REGISTRATION_RATE` per second,
 * bundles written. Reports vehicles registered per second, then checks a sample of vehicles get
 * credentials with their bundles. Every `npm run bench` registers 100 vehicles; the fleet-sized run
 * (10,000, about 40 minutes on both cores) only when asked for.
 *
 *   npm run bench -- vehicle-registration                                  (100 vehicles)
 *   FLEETOTA_BENCH_REGISTRATION=1 npm run bench -- vehicle-registration    (10,000)
 *   REGISTRATION_VEHICLES=1000 npm run bench -- vehicle-registration
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../cli/main.js";
import { readVehicleBundle } from "../identity/bundle.js";
import { createKeyAndCsr } from "../identity/certificates.js";
import { fetchVehicleCredentials } from "../identity/vehicle-credentials.js";
import { startLocalCloud } from "../local/cloud.js";
import { VEHICLE_MODELS } from "../simulator/catalog.js";
import { SeededRandom } from "../simulator/random.js";
import { generateVin } from "../simulator/vin-generator.js";
import { recordFigure } from "./results.js";

/** 100 vehicles in every `npm run bench` (a minute or two); the 10,000 with FLEETOTA_BENCH_REGISTRATION=1 (about 40 minutes). */
const VEHICLES = Number(process.env.REGISTRATION_VEHICLES ?? (process.env.FLEETOTA_BENCH_REGISTRATION === "1" ? 10_000 : 100));
const RATE = process.env.REGISTRATION_RATE ?? "1000";
const CONCURRENCY = process.env.REGISTRATION_CONCURRENCY ?? "8";

async function main(): Promise<void> {
  const workspace = mkdtempSync(join(tmpdir(), "fleetota-bench-registration-"));
  mkdirSync(join(workspace, ".fleetota"), { recursive: true });
  mkdirSync(join(workspace, "csrs"));
  const cloud = await startLocalCloud({ runtime: false, stateFile: join(workspace, ".fleetota", "local.json") });
  try {
    const random = new SeededRandom(11);
    const vins = Array.from({ length: VEHICLES }, (_, serial) => generateVin(random, VEHICLE_MODELS[serial % VEHICLE_MODELS.length]!, 2024, serial));
    const keys = new Map<string, string>();
    const csrStarted = performance.now();
    const lines = ["vin,make,model,hardware,csr"];
    for (const vin of vins) {
      const { privateKeyPem, csrPem } = await createKeyAndCsr(vin);
      keys.set(vin, privateKeyPem);
      writeFileSync(join(workspace, "csrs", `${vin}.csr`), csrPem);
      lines.push(`${vin},Bench,Model-1,tcu-2,csrs/${vin}.csr`);
    }
    writeFileSync(join(workspace, "fleet.csv"), `${lines.join("\n")}\n`);
    console.log(`${VEHICLES} keys and CSRs made in ${((performance.now() - csrStarted) / 1000).toFixed(1)} s (on the vehicles, not part of provisioning)`);

    let out = "";
    let err = "";
    const io = { interactive: false, stdout: (text: string) => void (out += text), stderr: (text: string) => void (err += text) };
    const started = performance.now();
    const code = await runCli(["--json", "vehicles", "register", "--csv", join(workspace, "fleet.csv"), "--out", join(workspace, "bundles"), "--max-per-second", RATE, "--concurrency", CONCURRENCY], { io, cwd: workspace, env: {} });
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`register failed: ${err}`);
    const result = JSON.parse(out) as { registered: number; refused: unknown[] };
    console.log(`registered ${result.registered}/${VEHICLES} (refused ${result.refused.length}) in ${seconds.toFixed(1)} s = ${(result.registered / seconds).toFixed(1)} vehicles/s (pace ${RATE}/s, ${CONCURRENCY} in flight)`);
    recordFigure({ name: `vehicles registered per second on the local cloud (${VEHICLES}, from CSRs)`, value: Number((result.registered / seconds).toFixed(1)), unit: "vehicles/s" });

    for (const vin of [vins[0]!, vins[Math.floor(VEHICLES / 2)]!, vins[VEHICLES - 1]!]) {
      const bundle = readVehicleBundle(join(workspace, "bundles", vin), { privateKeyPem: keys.get(vin) });
      const credentials = await fetchVehicleCredentials({ ...bundle, caCertificatePem: bundle.credentialsProviderCaPem });
      console.log(`  ${vin}: credentials until ${credentials.expiration.toISOString()}`);
    }
  } finally {
    await cloud.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
}

await main();
