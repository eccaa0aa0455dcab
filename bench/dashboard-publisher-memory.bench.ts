/**
 * The dashboard publisher's memory at the fleet-state cap (FLEET_STATE_DEFAULTS.maxVehicles, 100,000): its fleet
 * path as deployed (bundled with esbuild) in a fresh Node process per case, V8's heap limits set from the function's
 * configured memory as Lambda's Node.js runtime sets them: read, merge and compact the fleet state
 * (fleetReader), shape fleet.json and serialize it. S3 is a fake that streams each object from disk only when it is
 * read, so the process holds what the publisher holds. Cases, each with ordinary entries and with every string
 * at the schema's 64-character limit (unique per vehicle, the worst case):
 *   - steady: a compacted snapshot at the cap and one part updating 1,000 of its vehicles (compacted every minute);
 *   - flood: the same plus 300,000 invented gateway VINs in 30 parts (the cap drops them).
 * Reports per case the peak RSS (process.resourceUsage().maxRSS: what Lambda's memory limit is held against, less
 * the runtime's own), held to the configured memory (modules/stack-config.ts) less a 30 % headroom; the peak V8 heap
 * (the largest heap in use before a garbage collection, from --trace-gc); and the CPU time, as seconds at the
 * configured memory's share of a vCPU (the flood at the limit held to the function's timeout; a steady minute with
 * ordinary entries, what a fleet at the cap pays in compute each minute).
 *
 *   npm run bench -- dashboard-publisher-memory
 *   FLEETOTA_BENCH_FLOOD=0 npx tsx bench/dashboard-publisher-memory.bench.ts   # no flood case
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { LAMBDA_MB_PER_VCPU } from "../cost/model.js";
import { defaults as stackDefaults } from "../modules/stack-config.js";
import type { FleetVehicle } from "../telemetry/aggregate.js";
import { computeCheckDigit } from "../telemetry/vin.js";
import { FLEET_SNAPSHOT_KEY, FLEET_STATE_DEFAULTS, FLEET_STATE_PARTS_PREFIX, PART_MAX_VEHICLES, writeFleetSnapshot } from "../telemetry/fleet-state.js";
import { recordFigure } from "./results.js";

const CAP = FLEET_STATE_DEFAULTS.maxVehicles;
const FLOOD = Number(process.env.FLEETOTA_BENCH_FLOOD ?? 300_000);
const UPDATED = 1_000;
/** The configured memory, or another to size it (FLEETOTA_BENCH_MEMORY_MB). */
const MEMORY_MB = Number(process.env.FLEETOTA_BENCH_MEMORY_MB ?? stackDefaults.functions.dashboardPublisher.memoryMb);
/** Headroom kept in the configured memory: the Lambda runtime's own memory and the publisher's other documents, which this does not run. */
const HEADROOM = 0.3;
const now = Date.parse("2026-12-02T12:00:00.000Z");
const root = resolve(import.meta.dirname, "..");

/** A 17-character VIN of `prefix` (8 characters) and an 8-digit serial, its check digit right. */
const vinOf = (prefix: string, index: number) => {
  const body = `${prefix}_${String(index).padStart(8, "0")}`;
  return body.replace("_", computeCheckDigit(body));
};
const ENTRY_KIND = { Ordinary: "ordinary", AtLimit: "at the limit" } as const;
type EntryKind = (typeof ENTRY_KIND)[keyof typeof ENTRY_KIND];
/** Ordinary entries share their make, model, hardware and region strings; at the limit each is unique and 64 characters. */
const text = (kind: EntryKind, label: string, index: number, ordinary: string) => (kind === ENTRY_KIND.AtLimit ? `${label}-${index}-`.padEnd(64, "x") : ordinary);
const entry = (kind: EntryKind, vin: string, index: number, source: "vehicle" | "gateway", lastSeenMs: number): FleetVehicle => ({
  vin,
  make: text(kind, "make", index, "Volkswagen"),
  model: text(kind, "model", index, "ID.4"),
  modelYear: 2026,
  hardwareId: text(kind, "hw", index, `tcu-gen${index % 3}`),
  region: text(kind, "region", index, `eu-central-${index % 5}`),
  lat: 48 + (index % 1000) / 1000,
  lon: 11 + (index % 997) / 997,
  speedKph: 0,
  stateOfCharge: 55,
  charging: false,
  connectivity: "good",
  firmwareVersion: kind === ENTRY_KIND.AtLimit ? `1.0.${index}-${"x".repeat(50)}` : `1.0.${index % 7}`,
  parked: true,
  lastSeen: new Date(lastSeenMs).toISOString(),
  source,
});

const gzipJson = (document: unknown) => gzipSync(JSON.stringify(document));

/** Writes an object's bytes where the fake S3 of the child process finds them (objects.json maps keys to files). */
async function writeFleetState(dir: string, kind: EntryKind, flood: number): Promise<string> {
  const caseDir = join(dir, `${kind.replace(/ /g, "-")}-${flood}`);
  mkdirSync(caseDir);
  const objects: Record<string, string> = {};
  const capture = (key: string, body: Uint8Array) => {
    const file = join(caseDir, `${Object.keys(objects).length}.gz`);
    writeFileSync(file, body);
    objects[key] = file;
  };
  // The snapshot as the publisher writes it (its current format), through a fake S3 that keeps the body.
  const s3 = { send: async (command: { input: { Key: string; Body: Uint8Array } }) => void capture(command.input.Key, command.input.Body) };
  await writeFleetSnapshot(s3 as never, "lake", {
    generatedAt: new Date(now - 60_000).toISOString(),
    vehicles: Array.from({ length: CAP }, (_, index) => entry(kind, vinOf("1HGCM826", index), index, "vehicle", now - 3_600_000)),
  });
  const part = (name: string, vehicles: FleetVehicle[]) =>
    capture(`${FLEET_STATE_PARTS_PREFIX}20261202T115930000Z-${name}.json.gz`, gzipJson({ generatedAt: new Date(now - 30_000).toISOString(), vehicles }));
  part("updates", Array.from({ length: UPDATED }, (_, offset) => entry(kind, vinOf("1HGCM826", offset * 97), offset * 97, "vehicle", now - 30_000)));
  for (let index = 0; index * PART_MAX_VEHICLES < flood; index++) {
    const vehicles = Array.from({ length: Math.min(PART_MAX_VEHICLES, flood - index * PART_MAX_VEHICLES) }, (_, offset) => {
      const serial = CAP + index * PART_MAX_VEHICLES + offset;
      return entry(kind, vinOf("5YJ3E1EA", serial), serial, "gateway", now - 30_000);
    });
    part(`flood-${index}`, vehicles);
  }
  const file = join(caseDir, "objects.json");
  writeFileSync(file, JSON.stringify(objects));
  return file;
}

/** The child process: the publisher's fleet path against a fake S3 streaming objects from disk as they are read. */
const CHILD = `
import { createReadStream, readFileSync, writeFileSync } from "node:fs";
import { fleetReader } from ${JSON.stringify(join(root, "functions/dashboard-publisher/readers.ts"))};
import { shapeFleet } from ${JSON.stringify(join(root, "functions/dashboard-publisher/fleet-view.ts"))};
const objects = new Map(Object.entries(JSON.parse(readFileSync(process.argv[2], "utf8"))));
const body = (file) => Object.assign(createReadStream(file), { transformToByteArray: async () => new Uint8Array(readFileSync(file)) });
const s3 = { send: async (command) => {
  const input = command.input;
  switch (command.constructor.name.replace(/[0-9]+$/, "")) {
    case "ListObjectsV2Command": return { Contents: [...objects.keys()].filter((key) => key.startsWith(input.Prefix)).map((Key) => ({ Key })), IsTruncated: false };
    case "GetObjectCommand": { const file = objects.get(input.Key); if (!file) throw Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey" }); return { Body: body(file) }; }
    case "PutObjectCommand": { const file = process.argv[2] + ".put"; writeFileSync(file, input.Body); objects.set(input.Key, file); return {}; }
    case "DeleteObjectsCommand": for (const { Key } of input.Delete.Objects) objects.delete(Key); return {};
    default: throw new Error("unmodelled " + command.constructor.name);
  }
} };
const quiet = () => undefined;
const log = { debug: quiet, info: quiet, warn: quiet, error: quiet };
const started = performance.now();
const fleet = await fleetReader(s3, "lake", { log, namespace: "FleetOTA", now: () => ${now}, metricsOut: quiet })();
const document = JSON.stringify(shapeFleet(fleet, new Date(${now})));
const usage = process.resourceUsage();
console.log(JSON.stringify({ fleetJsonBytes: document.length, seconds: (performance.now() - started) / 1000, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, maxRssMb: usage.maxRSS / 1024 }));
`;

/** V8's heap limits as Lambda's Node.js runtime sets them from the function's memory (its bootstrap: new space memory/64, half of it a semi-space). */
const lambdaHeapFlags = (memoryMb: number) => [`--max-semi-space-size=${Math.floor(memoryMb / 128)}`, `--max-old-space-size=${memoryMb - Math.floor(memoryMb / 64)}`];

/** The largest heap in use before a collection, in MB, from --trace-gc lines ("Mark-Compact 150.2 (160.5) -> ..."). */
function heapPeakMb(trace: string): number {
  let peak = 0;
  for (const match of trace.matchAll(/ms: [A-Za-z -]+? ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/g)) peak = Math.max(peak, Number(match[1]));
  return peak;
}

const dir = mkdtempSync(join(tmpdir(), "fleetota-publisher-memory-"));
try {
  const entryFile = join(dir, "run.ts");
  writeFileSync(entryFile, CHILD);
  const bundle = join(dir, "run.mjs");
  await build({
    entryPoints: [entryFile],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: bundle,
    logLevel: "error",
    banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
  });
  console.log(`fleet state at the cap (${CAP.toLocaleString("en-US")} vehicles); heap limits of a ${MEMORY_MB} MB function (${lambdaHeapFlags(MEMORY_MB).join(" ")})`);
  const floods = FLOOD > 0 ? [0, FLOOD] : [0];
  for (const kind of [ENTRY_KIND.Ordinary, ENTRY_KIND.AtLimit]) {
    for (const flood of floods) {
      const objects = await writeFleetState(dir, kind, flood);
      const run = spawnSync(process.execPath, [...lambdaHeapFlags(MEMORY_MB), "--trace-gc", bundle, objects], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
      const label = `${flood > 0 ? `flood of ${(flood / 1000).toFixed(0)}k gateway VINs` : "steady"}, entries ${kind}`;
      const last = run.stdout.trim().split("\n").filter((line) => line.startsWith("{")).at(-1);
      if (run.status !== 0 || !last) {
        const why = /heap out of memory/i.test(run.stderr + run.stdout) ? "heap out of memory" : `exit ${run.status ?? run.signal}: ${run.stderr.trim().split("\n").slice(-3).join(" | ")}`;
        console.log(`${label}: failed (${why})`);
        process.exitCode = 1;
        continue;
      }
      const result = JSON.parse(last) as { fleetJsonBytes: number; seconds: number; cpuSeconds: number; maxRssMb: number };
      const heap = heapPeakMb(run.stdout);
      const lambdaSeconds = result.cpuSeconds / Math.min(1, MEMORY_MB / LAMBDA_MB_PER_VCPU);
      console.log(
        `${label}: peak RSS ${result.maxRssMb.toFixed(0)} MB, peak heap ${heap.toFixed(0)} MB, ${result.cpuSeconds.toFixed(1)} CPU-s ` +
          `(${lambdaSeconds.toFixed(0)} s at ${MEMORY_MB} MB's CPU share), fleet.json ${(result.fleetJsonBytes / 1024).toFixed(1)} KiB`,
      );
      recordFigure({ name: `dashboard publisher at 100,000 vehicles, ${label}: peak RSS`, value: result.maxRssMb, unit: "MB", goal: `≤ ${Math.floor(MEMORY_MB * (1 - HEADROOM))}` });
      if (kind === ENTRY_KIND.AtLimit) recordFigure({ name: `dashboard publisher at 100,000 vehicles, ${label}: peak heap`, value: heap, unit: "MB" });
      // The flood at the limit is held to the timeout; a steady minute with ordinary entries is what the cap costs each minute.
      if ((flood > 0 && kind === ENTRY_KIND.AtLimit) || (flood === 0 && kind === ENTRY_KIND.Ordinary)) {
        const goal = flood > 0 ? { goal: `≤ ${stackDefaults.functions.dashboardPublisher.timeoutSeconds}` } : {};
        recordFigure({ name: `dashboard publisher at 100,000 vehicles, ${label}: seconds at ${MEMORY_MB} MB's CPU share`, value: lambdaSeconds, unit: "s", ...goal });
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
