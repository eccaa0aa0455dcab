import { test } from "uvu";
import * as assert from "uvu/assert";
import { vehicleCredentialsProvider, type VehicleCredentials, type VehicleIdentityMaterial } from "../../../identity/vehicle-credentials.js";

const identity: VehicleIdentityMaterial = { vin: "1HGCM82633A004352", certificatePem: "", privateKeyPem: "", credentialsEndpoint: "https://127.0.0.1:1", roleAlias: "a" };

function fakeProvider(lifetimeMs: number) {
  let clock = 0;
  let calls = 0;
  const fetch = async (): Promise<VehicleCredentials> => {
    calls++;
    return { accessKeyId: `ASIA${calls}`, secretAccessKey: "s", sessionToken: "t", expiration: new Date(clock + lifetimeMs) };
  };
  const stats = { fetches: 0 };
  const provider = vehicleCredentialsProvider(identity, { now: () => clock, fetch, stats, refreshBeforeMs: 60_000 });
  return { provider, stats, advance: (ms: number) => void (clock += ms), calls: () => calls };
}

test("credentials are fetched once and reused until a minute before they expire", async () => {
  const { provider, stats, advance } = fakeProvider(900_000);

  const first = await provider();
  advance(839_000);
  const reused = await provider();
  advance(2_000);
  const renewed = await provider();

  assert.is(first.accessKeyId, "ASIA1");
  assert.is(reused.accessKeyId, "ASIA1");
  assert.is(renewed.accessKeyId, "ASIA2");
  assert.is(stats.fetches, 2);
});

test("concurrent callers share one request; a failed request is retried by the next caller", async () => {
  const { provider, calls } = fakeProvider(900_000);

  await Promise.all([provider(), provider(), provider()]);

  assert.is(calls(), 1);
  let failures = 0;
  const failing = vehicleCredentialsProvider(identity, {
    fetch: async () => {
      failures++;
      throw new Error("403");
    },
  });
  await failing().catch(() => undefined);
  await failing().catch(() => undefined);
  assert.is(failures, 2);
});

test.run();
