/**
 * The compacted fleet snapshot read and written as a stream: line-delimited (a header, then one entry a line), the
 * former single-document form still read and rewritten in lines by the next compaction.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { test } from "uvu";
import { chunkedStream, fleetStateBucket } from "../support/fleet-state-bucket.js";
import * as assert from "uvu/assert";
import { FLEET_SOURCE, type FleetVehicle } from "../../../telemetry/aggregate.js";
import {
  decodeFleetSnapshot,
  FLEET_SNAPSHOT_KEY,
  FleetSnapshotFormatError,
  readFleetSnapshot,
  SNAPSHOT_FORMAT,
  writeFleetSnapshot,
  type FleetSnapshot,
} from "../../../telemetry/fleet-state.js";
import { computeCheckDigit } from "../../../telemetry/vin.js";
import { NOW_MS } from "./support/factories.js";

const generatedAt = new Date(NOW_MS - 60_000).toISOString();

/** `count` entries, each different, some with strings JSON escapes (a newline, U+2028, quotes, non-ASCII). */
function vehicles(count: number): FleetVehicle[] {
  return Array.from({ length: count }, (_, index) => {
    const body = `1HGCM826_${String(index).padStart(8, "0")}`;
    return {
      vin: body.replace("_", computeCheckDigit(body)),
      make: index % 3 === 0 ? `Škoda "line\nbreak" ${index}` : "Volkswagen",
      model: index % 5 === 0 ? `ID.4\u2028${index}` : "ID.4",
      modelYear: 2026,
      hardwareId: `tcu-${index}`.padEnd(64, "x"),
      region: `eu-central-${index % 7}`,
      lat: 48 + index / 100_000,
      lon: 11 - index / 100_000,
      speedKph: index % 130,
      stateOfCharge: index % 101,
      charging: index % 2 === 0,
      connectivity: "good",
      firmwareVersion: `1.0.${index % 11}`,
      parked: index % 4 === 0,
      lastSeen: new Date(NOW_MS - index * 1000).toISOString(),
      source: index % 9 === 0 ? FLEET_SOURCE.Gateway : FLEET_SOURCE.Vehicle,
    };
  });
}

/** Bytes as a stream of small chunks, so lines and gzip blocks straddle chunk boundaries. */
const chunked = chunkedStream;

/** The lake in memory, bodies streamed in 4 KiB chunks, so lines and gzip blocks straddle chunk boundaries. */
const bucket = (objects: Map<string, Buffer>) => fleetStateBucket(objects, { chunkBytes: 4096 });

test("a large snapshot written as a stream decodes, entry by entry, to what was written", async () => {
  const snapshot: FleetSnapshot = { generatedAt, vehicles: vehicles(30_000) };
  const objects = new Map<string, Buffer>();
  const { s3, puts } = bucket(objects);

  await writeFleetSnapshot(s3, "lake", snapshot);
  const written = objects.get(FLEET_SNAPSHOT_KEY)!;
  const decoded = await decodeFleetSnapshot(chunked(written, 1000));

  assert.equal(puts, [{ key: FLEET_SNAPSHOT_KEY, contentType: "application/x-ndjson" }]);
  const lines = gunzipSync(written).toString("utf8").split("\n");
  assert.equal(JSON.parse(lines[0]!), { format: SNAPSHOT_FORMAT, generatedAt });
  assert.is(lines.length, 30_000 + 2); // the header, an entry a line, the last line's newline
  assert.is(decoded.lines, true);
  assert.is(decoded.generatedAt, generatedAt);
  assert.equal(decoded.vehicles, snapshot.vehicles);
});

test("an empty fleet's snapshot decodes to no vehicles and no time", async () => {
  const objects = new Map<string, Buffer>();
  await writeFleetSnapshot(bucket(objects).s3, "lake", { generatedAt: null, vehicles: [] });

  const decoded = await decodeFleetSnapshot(chunked(objects.get(FLEET_SNAPSHOT_KEY)!));

  assert.equal(decoded, { generatedAt: null, vehicles: [], lines: true });
});

test("a snapshot in the former single-document form still decodes", async () => {
  const snapshot: FleetSnapshot = { generatedAt, vehicles: vehicles(5_000) };

  const decoded = await decodeFleetSnapshot(chunked(gzipSync(JSON.stringify(snapshot))));

  assert.equal(decoded, { ...snapshot, lines: false });
});

test("a compaction rewrites a former-form snapshot in lines, even with no part to fold in", async () => {
  const snapshot: FleetSnapshot = { generatedAt, vehicles: vehicles(2_000) };
  const objects = new Map([[FLEET_SNAPSHOT_KEY, gzipSync(JSON.stringify(snapshot))]]);
  const { s3, puts } = bucket(objects);

  const merged = await readFleetSnapshot(s3, "lake", { compact: true, now: NOW_MS });
  const again = await readFleetSnapshot(s3, "lake", { compact: true, now: NOW_MS });

  assert.is(puts.length, 1); // rewritten once; the second read finds lines and nothing to fold in
  const rewritten = await decodeFleetSnapshot(chunked(objects.get(FLEET_SNAPSHOT_KEY)!));
  assert.is(rewritten.lines, true);
  const byVin = (list: FleetVehicle[]) => [...list].sort((a, b) => (a.vin < b.vin ? -1 : 1));
  assert.equal(rewritten.vehicles, byVin(snapshot.vehicles));
  assert.equal(merged.vehicles, byVin(snapshot.vehicles));
  assert.equal(again.vehicles, merged.vehicles);
  assert.is(again.generatedAt, generatedAt);
});

test("a snapshot whose first line is neither a header nor a whole document is refused, as is a damaged one", async () => {
  const notOurs = gzipSync(`${JSON.stringify({ format: "something-else", generatedAt })}\n${JSON.stringify(vehicles(1)[0])}\n`);
  const objects = new Map<string, Buffer>();
  await writeFleetSnapshot(bucket(objects).s3, "lake", { generatedAt, vehicles: vehicles(3_000) });
  const truncated = objects.get(FLEET_SNAPSHOT_KEY)!.subarray(0, 20_000);


  const refused = await decodeFleetSnapshot(chunked(notOurs)).catch((error: unknown) => error);
  const damaged = await decodeFleetSnapshot(chunked(truncated)).catch((error: unknown) => error);

  assert.instance(refused, FleetSnapshotFormatError);
  assert.match(String(damaged), /unexpected end of file/);
});

test.run();
