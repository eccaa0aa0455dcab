/**
 * The processor's view of each gateway's vehicles (functions/telemetry-processor/gateway-vehicles.ts): read once
 * per cache period, asked again with its ETag, a missing document carrying nothing, every other failure thrown
 * (transient), and an unbind seen by reads past the cache period. S3 is a stand-in answering as S3 does (304 to a
 * matching If-None-Match, NoSuchKey 404, a throttling 503).
 */
import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encodeGatewayVehicles, gatewayVehiclesKey } from "../../../../contracts/gateway-vehicles.js";
import { cachedGatewayVehicles, GATEWAY_VEHICLES_CACHE_MS, GATEWAY_VEHICLES_EVICT_MS, GatewayVehiclesUnreadableError } from "../../../../functions/telemetry-processor/gateway-vehicles.js";

const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const G = "gw-depot-7";

const s3Error = (name: string, httpStatusCode: number) => new S3ServiceException({ name, $fault: httpStatusCode >= 500 ? "server" : "client", $metadata: { httpStatusCode }, message: name });

function documents() {
  const stored = new Map<string, { body: Buffer; etag: string }>();
  const calls: Array<{ key: string; ifNoneMatch?: string }> = [];
  const state = { failWith: undefined as Error | undefined, version: 0 };
  const s3 = {
    async send(command: { constructor: { name: string }; input: { Key: string; IfNoneMatch?: string } }) {
      assert.is(command.constructor.name, "GetObjectCommand", "the processor only reads");
      calls.push({ key: command.input.Key, ifNoneMatch: command.input.IfNoneMatch });
      if (state.failWith) throw state.failWith;
      const found = stored.get(command.input.Key);
      if (!found) throw s3Error("NoSuchKey", 404);
      if (command.input.IfNoneMatch === found.etag) throw s3Error("NotModified", 304);
      return { ETag: found.etag, Body: { transformToByteArray: async () => new Uint8Array(found.body) } };
    },
  } as unknown as S3Client;
  const bind = (gatewayId: string, vins: string[]) =>
    stored.set(gatewayVehiclesKey(gatewayId), { body: encodeGatewayVehicles({ gatewayId, vins, updatedAt: new Date().toISOString() }), etag: `"v${++state.version}"` });
  return { s3, stored, calls, state, bind };
}

test("read once per cache period, then asked again with the ETag (a 304 keeps the VINs)", async () => {
  const world = documents();
  world.bind(G, [A, B]);
  let nowMs = 1_000_000;
  const reader = cachedGatewayVehicles({ s3: world.s3, bucket: "lake", now: () => nowMs });

  assert.equal([...(await reader.vehiclesOf(G))].sort(), [A, B].sort());
  nowMs += GATEWAY_VEHICLES_CACHE_MS - 1;
  await reader.vehiclesOf(G);
  assert.is(world.calls.length, 1, "within the period: no request");
  nowMs += 1;
  assert.equal([...(await reader.vehiclesOf(G))].sort(), [A, B].sort());
  assert.equal(world.calls, [{ key: gatewayVehiclesKey(G), ifNoneMatch: undefined }, { key: gatewayVehiclesKey(G), ifNoneMatch: '"v1"' }]);
});

test("an unbind counts for every read past the cache period; never before the period ends is it promised", async () => {
  const world = documents();
  world.bind(G, [A, B]);
  let nowMs = 0;
  const reader = cachedGatewayVehicles({ s3: world.s3, bucket: "lake", now: () => nowMs });
  assert.ok((await reader.vehiclesOf(G)).has(A));

  world.bind(G, [B]); // the operator unbinds A
  nowMs += GATEWAY_VEHICLES_CACHE_MS;
  const after = await reader.vehiclesOf(G);
  assert.not.ok(after.has(A), "A refused from one cache period after the unbind");
  assert.ok(after.has(B));
});

test("a gateway with no document carries no vehicle, cached like any answer (a flood from it costs one read a period)", async () => {
  const world = documents();
  const reader = cachedGatewayVehicles({ s3: world.s3, bucket: "lake", now: () => 0 });
  assert.is((await reader.vehiclesOf("gw-nobody-1")).size, 0);
  assert.is((await reader.vehiclesOf("gw-nobody-1")).size, 0);
  assert.is(world.calls.length, 1);
});

test("throttled, failed or denied reads and a document that does not decode are thrown (transient), never read as no vehicles", async () => {
  for (const failure of [s3Error("SlowDown", 503), s3Error("InternalError", 500), s3Error("AccessDenied", 403)]) {
    const world = documents();
    world.bind(G, [A]);
    world.state.failWith = failure;
    const reader = cachedGatewayVehicles({ s3: world.s3, bucket: "lake", now: () => 0 });
    const error = await reader.vehiclesOf(G).catch((caught: unknown) => caught);
    assert.instance(error, GatewayVehiclesUnreadableError, failure.name);
    assert.match((error as Error).message, new RegExp(`${G}.*${failure.name}`));
    world.state.failWith = undefined;
    assert.ok((await reader.vehiclesOf(G)).has(A), "a failure is not cached: the retry reads");
  }
  const world = documents();
  world.stored.set(gatewayVehiclesKey(G), { body: Buffer.from("not gzip"), etag: '"x"' });
  const error = await cachedGatewayVehicles({ s3: world.s3, bucket: "lake" }).vehiclesOf(G).catch((caught: unknown) => caught);
  assert.instance(error, GatewayVehiclesUnreadableError);
});

test("a refresh failing after the period does not serve the stale VINs (an unbind must not outlive the period)", async () => {
  const world = documents();
  world.bind(G, [A]);
  let nowMs = 0;
  const reader = cachedGatewayVehicles({ s3: world.s3, bucket: "lake", now: () => nowMs });
  await reader.vehiclesOf(G);
  nowMs += GATEWAY_VEHICLES_CACHE_MS;
  world.state.failWith = s3Error("SlowDown", 503);
  assert.instance(await reader.vehiclesOf(G).catch((caught: unknown) => caught), GatewayVehiclesUnreadableError);
});

test("objects of one gateway read at once share one request", async () => {
  const world = documents();
  world.bind(G, [A]);
  const reader = cachedGatewayVehicles({ s3: world.s3, bucket: "lake", now: () => 0 });
  const answers = await Promise.all(Array.from({ length: 10 }, () => reader.vehiclesOf(G)));
  assert.ok(answers.every((vins) => vins.has(A)));
  assert.is(world.calls.length, 1);
});

test("gateways not asked about for the eviction period are forgotten (asked again: read afresh, no ETag kept); one asked every period stays", async () => {
  const world = documents();
  const many = Array.from({ length: 200 }, (_, index) => `gw-depot-${index}`);
  for (const gatewayId of many) world.bind(gatewayId, [A]);
  let nowMs = 0;
  const reader = cachedGatewayVehicles({ s3: world.s3, bucket: "lake", now: () => nowMs });
  for (const gatewayId of many) await reader.vehiclesOf(gatewayId);
  for (let elapsed = 0; elapsed < GATEWAY_VEHICLES_EVICT_MS; elapsed += GATEWAY_VEHICLES_CACHE_MS) {
    nowMs += GATEWAY_VEHICLES_CACHE_MS;
    await reader.vehiclesOf(many[0]!); // the one gateway still uploading
  }
  world.calls.length = 0;

  for (const gatewayId of many) assert.ok((await reader.vehiclesOf(gatewayId)).has(A));

  const conditional = world.calls.filter((call) => call.ifNoneMatch !== undefined).map((call) => call.key);
  assert.equal(conditional, [], "every silent gateway's entry (and its ETag) was dropped: its read is a fresh GET");
  assert.is(world.calls.length, many.length - 1, "the gateway asked every period was still cached");
});

test.run();
