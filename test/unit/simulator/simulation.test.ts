import type { S3Client } from "@aws-sdk/client-s3";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { OtaReport } from "../../../telemetry/schema.js";
import { startSimulation, type SimulationOptions, type VehicleAgent } from "../../../simulator/simulation.js";
import type { VehicleView } from "../../../simulator/vehicle.js";

/** Records PutObject calls (key and size) instead of uploading. */
function recordingS3() {
  const puts: Array<{ key: string; bytes: number }> = [];
  const client = {
    async send(command: { input: { Key: string; Body: Buffer } }) {
      puts.push({ key: command.input.Key, bytes: command.input.Body.length });
      return {};
    },
  };
  return { client: client as unknown as S3Client, puts };
}

function options(overrides: Partial<SimulationOptions> = {}): SimulationOptions {
  return { vehicles: 30, intervalMs: 60_000, batches: 3, seed: 4, batchSize: 10, bucket: "lake", s3: recordingS3().client, ...overrides };
}

test("back-to-back batches end at the start time and are all uploaded, duplicates twice", async () => {
  const s3 = recordingS3();
  const nowMs = Date.UTC(2026, 10, 26, 17, 35);
  const summary = await startSimulation(options({ s3: s3.client, now: () => nowMs, faults: { duplicateRate: 0.3 } })).done;
  assert.is(summary.batches, 3);
  assert.is(s3.puts.length, summary.uploads);
  assert.is(summary.uploads, summary.objects + summary.duplicateUploads);
  assert.ok(summary.duplicateUploads > 0);
  assert.is(new Set(s3.puts.map((put) => put.key)).size, summary.objects);
  assert.ok(s3.puts.every((put) => put.key.startsWith("telemetry/fleet/gw-simulator/dt=2026-11-26/hour=17/")));
  assert.is(summary.records + summary.stillBuffered + summary.droppedFromBuffers, 30 * 3);
});

test("with a gateway identity, the fleet gateway's objects go under its own id and through its own client", async () => {
  const gateway = recordingS3();
  const nowMs = Date.UTC(2026, 10, 26, 17, 35);

  const summary = await startSimulation(options({ s3: gateway.client, gatewayId: "gw-sim-0a1b2c3d", now: () => nowMs })).done;

  assert.ok(summary.objects > 0);
  assert.is(gateway.puts.length, summary.uploads);
  assert.ok(gateway.puts.every((put) => put.key.startsWith("telemetry/fleet/gw-sim-0a1b2c3d/dt=2026-11-26/hour=17/")));
});

test("a dry run uploads nothing but counts the same", async () => {
  const s3 = recordingS3();
  const nowMs = Date.UTC(2026, 10, 26, 17, 35);
  const dry = await startSimulation(options({ s3: s3.client, dryRun: true, now: () => nowMs })).done;
  const real = await startSimulation(options({ now: () => nowMs })).done;
  assert.is(s3.puts.length, 0);
  assert.equal(dry, real);
});

test("the agent sees every vehicle each interval, and its reports land in the records", async () => {
  const seen = new Map<string, number>();
  const agent: VehicleAgent = {
    async tick(vehicle: VehicleView, now: Date): Promise<OtaReport | undefined> {
      seen.set(vehicle.vin, (seen.get(vehicle.vin) ?? 0) + 1);
      assert.ok(vehicle.hardwareId && vehicle.firmwareVersion && now instanceof Date);
      return { jobId: `job-${vehicle.vin}`, campaignId: "c-1", attempt: 1, sequence: seen.get(vehicle.vin)!, status: "DOWNLOADING", targetVersion: "2.4.1" };
    },
  };
  const summary = await startSimulation(options({ agent })).done;
  assert.is(seen.size, 30);
  assert.ok([...seen.values()].every((ticks) => ticks === 3));
  assert.is(summary.otaReports, summary.valid, "every valid record carried the agent's report");
});

test("per-vehicle mode: each vehicle's objects go under its VIN through its own client, after prepare saw the fleet", async () => {
  const gateway = recordingS3();
  const own = new Map<string, ReturnType<typeof recordingS3>>();
  const prepared: string[] = [];
  const vehicleS3 = (vin: string): S3Client => {
    const client = own.get(vin) ?? recordingS3();
    own.set(vin, client);
    return client.client;
  };

  const summary = await startSimulation(
    options({ s3: gateway.client, uploadMode: "per-vehicle", vehicleS3, prepare: async (fleet) => void prepared.push(...fleet.vehicles.map((vehicle) => vehicle.vin)) }),
  ).done;

  assert.is(prepared.length, 30);
  assert.is(gateway.puts.length, 0, "nothing goes through the gateway's client");
  assert.ok(own.size > 0 && [...own.keys()].every((vin) => prepared.includes(vin)));
  for (const [vin, client] of own) assert.ok(client.puts.every((put) => put.key.startsWith(`telemetry/vehicle/${vin}/`)), vin);
  assert.is([...own.values()].reduce((total, client) => total + client.puts.length, 0), summary.uploads);
});

test("an invalid size is refused up front", () => {
  assert.throws(() => startSimulation(options({ vehicles: 0 })), /positive/);
});

test.run();
