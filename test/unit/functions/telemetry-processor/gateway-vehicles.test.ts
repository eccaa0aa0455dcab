/**
 * The processor's view of each gateway's vehicles (functions/telemetry-processor/gateway-vehicles.ts): read once
 * per cache period, asked again with its ETag, a missing document carrying nothing, every other failure thrown
 * (transient), and an unbind seen by reads past the cache period. S3 is a stand-in answering as S3 does (304 to a
 * matching If-None-Match, NoSuchKey 404, a throttling 503). Before refusing records as not bound, newerThan asks
 * again (at most once a recheck interval a gateway) and answers a newer copy, if any.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gatewayVehiclesKey } from "../../../../contracts/gateway-vehicles.js";
import { cachedGatewayVehicles, GATEWAY_VEHICLES_CACHE_MS, GATEWAY_VEHICLES_EVICT_MS, GATEWAY_VEHICLES_RECHECK_MS, GatewayVehiclesUnreadableError } from "../../../../functions/telemetry-processor/gateway-vehicles.js";
import { gatewayDocuments as documents, s3Error } from "./support/gateway-documents.js";

const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const G = "gw-depot-7";

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

const sorted = (vins: ReadonlySet<string> | undefined) => (vins ? [...vins].sort() : vins);

/** A reader holding G's VINs `vins` (one GET, at time 0 of its clock), and the copy an object was judged with. */
async function cachedOf(vins: string[]) {
  const world = documents();
  world.bind(G, vins);
  const clock = { nowMs: 0 };
  const reader = cachedGatewayVehicles({ s3: world.s3, bucket: "lake", now: () => clock.nowMs });
  return { world, clock, reader, judgedWith: await reader.vehiclesOf(G) };
}

test("newerThan: a bind written after the cache was filled is read at once (one conditional GET), not a cache period later", async () => {
  const { world, clock, reader, judgedWith } = await cachedOf([A]);

  world.bind(G, [A, B]); // the operator binds B
  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
  assert.equal(sorted(await reader.newerThan(G, judgedWith)), [A, B].sort());
  assert.equal(world.calls.slice(1), [{ key: gatewayVehiclesKey(G), ifNoneMatch: '"v1"' }]);
  assert.ok((await reader.vehiclesOf(G)).has(B), "the newer copy is the cached one from then on");
  assert.is(world.calls.length, 2);
});

test("newerThan: an unchanged document costs one conditional GET (a 304) and answers nothing newer; within the interval of a check, no GET", async () => {
  const { world, clock, reader, judgedWith } = await cachedOf([A]);

  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS - 1;
  assert.is(await reader.newerThan(G, judgedWith), undefined);
  assert.is(world.calls.length, 1, "checked less than the interval ago: taken as fresh");
  clock.nowMs += 1;
  assert.is(await reader.newerThan(G, judgedWith), undefined);
  assert.equal(world.calls.slice(1), [{ key: gatewayVehiclesKey(G), ifNoneMatch: '"v1"' }]);
});

test("newerThan: a gateway with no document has nothing newer while it still has none (R13-L3: each recheck's 404 made its objects be judged again for nothing); its first document is newer", async () => {
  const world = documents();
  const clock = { nowMs: 1_000_000 };
  const reader = cachedGatewayVehicles({ s3: world.s3, bucket: "lake", now: () => clock.nowMs });
  const judgedWith = await reader.vehiclesOf(G);
  for (let recheck = 1; recheck <= 3; recheck++) {
    clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
    assert.is(await reader.newerThan(G, judgedWith), undefined, `recheck ${recheck}: still no document`);
  }
  assert.is(world.calls.length, 4, "one read, then one a recheck interval");
  world.bind(G, [A]);
  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
  assert.equal([...((await reader.newerThan(G, judgedWith)) ?? [])], [A]);
});

test("newerThan: a flood of objects with unbound VINs from one gateway costs at most one GET a recheck interval (concurrent asks share it)", async () => {
  const { world, clock, reader, judgedWith } = await cachedOf([A]);
  world.calls.length = 0;

  const seconds = 10;
  for (let tick = 0; tick < seconds * 10; tick++) {
    clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS / 10;
    const answers = await Promise.all(Array.from({ length: 10 }, () => reader.newerThan(G, judgedWith)));
    assert.ok(answers.every((answer) => answer === undefined));
  }
  assert.is(world.calls.length, seconds, "1,000 asks over 10 intervals: 10 conditional GETs");
  assert.ok(world.calls.every((call) => call.ifNoneMatch === '"v1"'));
});

test("newerThan: another object's read already brought a newer copy: answered without a GET", async () => {
  const { world, clock, reader, judgedWith } = await cachedOf([A]);
  world.bind(G, [A, B]);
  clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
  await reader.newerThan(G, judgedWith); // the first object's re-read
  const calls = world.calls.length;

  assert.equal(sorted(await reader.newerThan(G, judgedWith)), [A, B].sort(), "an object judged with the older copy gets the newer");
  assert.is(world.calls.length, calls);
});

test("newerThan: a failed re-read throws GatewayVehiclesUnreadableError (never answers 'nothing newer'), and again within the interval without a GET", async () => {
  for (const failure of [s3Error("SlowDown", 503), s3Error("AccessDenied", 403)]) {
    const { world, clock, reader, judgedWith } = await cachedOf([A]);
    world.bind(G, [A, B]);
    clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS;
    world.state.failWith = failure;

    assert.instance(await reader.newerThan(G, judgedWith).catch((caught: unknown) => caught), GatewayVehiclesUnreadableError, failure.name);
    clock.nowMs += GATEWAY_VEHICLES_RECHECK_MS - 1;
    assert.instance(await reader.newerThan(G, judgedWith).catch((caught: unknown) => caught), GatewayVehiclesUnreadableError);
    assert.is(world.calls.length, 2, "one failed GET within the interval");

    world.state.failWith = undefined;
    clock.nowMs += 1;
    assert.equal(sorted(await reader.newerThan(G, judgedWith)), [A, B].sort(), "after the interval it reads again");
  }
});

test.run();
