import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip, gunzipSync, gzipSync } from "node:zlib";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { FLEET_SOURCE, fleetRank, type FleetVehicle } from "./aggregate.js";

/**
 * The fleet's latest state per vehicle, kept without a write per record: each processor invocation
 * writes one part (`fleet-state/parts/<time>-<id>.json.gz`) with the latest state of the vehicles it
 * saw; readers merge the parts over the compacted snapshot (`fleet-state/snapshot.json.gz`), newest
 * `lastSeen` winning (a vehicle's own entry over a gateway's, `fleetRank`). `compact: true` folds the parts
 * into the snapshot and deletes them. The merge keeps the state bounded (FleetStatePolicy): entries past
 * the retention are dropped, and past `maxVehicles` the vehicles' own entries are kept first, then the newest.
 * The snapshot is line-delimited (a header line, then one entry a line: SNAPSHOT_FORMAT) so it is read and
 * written as a stream, never as one string of the whole fleet (memory: 100,000 entries at the schema's limits
 * are about 65 MB of JSON); a snapshot in the former single-document form is still read, and rewritten in lines
 * by the next compaction.
 */
export const FLEET_STATE_PREFIX = "fleet-state/";
export const FLEET_STATE_PARTS_PREFIX = `${FLEET_STATE_PREFIX}parts/`;
export const FLEET_SNAPSHOT_KEY = `${FLEET_STATE_PREFIX}snapshot.json.gz`;

/** The header line's `format` of a line-delimited snapshot. */
export const SNAPSHOT_FORMAT = "fleetota.fleet-state.snapshot.lines.v1";

/** The first line of a line-delimited snapshot; each following line is one FleetVehicle. */
interface SnapshotHeader {
  format: typeof SNAPSHOT_FORMAT;
  generatedAt: string | null;
}

/** Why a snapshot could not be read: its first line is neither a header nor a whole former-style document. */
export class FleetSnapshotFormatError extends Error {
  override readonly name = "FleetSnapshotFormatError";
}

export interface FleetSnapshot {
  /** When the newest part or snapshot merged here was written (ISO); null for an empty fleet. */
  generatedAt: string | null;
  vehicles: FleetVehicle[];
}

/** What keeps fleet state bounded. */
export interface FleetStatePolicy {
  /** An entry whose lastSeen is older than this is dropped: a vehicle silent that long leaves the fleet state. */
  retentionMs: number;
  /**
   * Most entries kept. Past it the entries a vehicle uploaded itself are kept first (their number is bounded by
   * the registered vehicles), then the VINs already in the compacted snapshot, then the newest: a gateway naming
   * invented VINs fills only the free room and cannot push out real cars, its own or another gateway's.
   */
  maxVehicles: number;
}

export const FLEET_STATE_DEFAULTS: FleetStatePolicy = { retentionMs: 30 * 24 * 60 * 60_000, maxVehicles: 100_000 };

/** Entries a merge dropped, by reason (FLEET_DROP_REASON): counted and logged by the caller. */
export interface FleetStateDrops {
  expired: number;
  overCap: number;
}

export interface MergedFleetState extends FleetSnapshot {
  dropped: FleetStateDrops;
  /**
   * Of `dropped.overCap`, the vehicles that were in the compacted snapshot: they gave way to new vehicles' own
   * uploads, or the cap was lowered below the snapshot. The rest are new VINs refused.
   */
  knownEvicted: number;
}

const READ_CONCURRENCY = 16;
/** While merging, the map is cut back to `maxVehicles` when it holds this many times as many (memory, not correctness). */
const CUT_BACK_AT = 1.25;

/**
 * Vehicles in one part object at most: a larger invocation writes several, so the publisher never decodes more
 * than this many entries at once from a part (memory: an entry's strings may be at the schema's limits).
 */
export const PART_MAX_VEHICLES = 10_000;

/**
 * Writes one invocation's vehicle states as a part (several objects of at most PART_MAX_VEHICLES each for a
 * larger invocation); returns the keys written.
 *
 * @example
 * await writeFleetStatePart(s3, bucket, aggregate.fleetVehicles(), new Date(), context.awsRequestId);
 */
export async function writeFleetStatePart(s3: S3Client, bucket: string, vehicles: FleetVehicle[], now: Date, id: string): Promise<string[]> {
  const stamp = now.toISOString().replace(/[-:.]/g, "");
  const keys: string[] = [];
  for (let start = 0; start === 0 || start < vehicles.length; start += PART_MAX_VEHICLES) {
    const key = `${FLEET_STATE_PARTS_PREFIX}${stamp}-${id}${start === 0 ? "" : `-${start / PART_MAX_VEHICLES}`}.json.gz`;
    const document: FleetSnapshot = { generatedAt: now.toISOString(), vehicles: vehicles.slice(start, start + PART_MAX_VEHICLES) };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(JSON.stringify(document)), ContentType: "application/json" }));
    keys.push(key);
  }
  return keys;
}

/** What writeFleetSnapshot joins into one line-sized chunk before gzip: fewer, larger writes (speed). */
const WRITE_CHUNK_CHARS = 64 * 1024;

function* snapshotLines(snapshot: FleetSnapshot): Generator<string> {
  const header: SnapshotHeader = { format: SNAPSHOT_FORMAT, generatedAt: snapshot.generatedAt };
  let chunk = `${JSON.stringify(header)}\n`;
  for (const vehicle of snapshot.vehicles) {
    chunk += `${JSON.stringify(vehicle)}\n`;
    if (chunk.length >= WRITE_CHUNK_CHARS) {
      yield chunk;
      chunk = "";
    }
  }
  yield chunk;
}

/**
 * Writes the compacted snapshot, line-delimited (SNAPSHOT_FORMAT) and gzipped as a stream: the process holds the
 * gzipped bytes (a few MB at 100,000 vehicles), never the whole fleet as one string or one uncompressed buffer.
 *
 * @example
 * await writeFleetSnapshot(s3, bucket, { generatedAt: merged.generatedAt, vehicles: merged.vehicles });
 */
export async function writeFleetSnapshot(s3: S3Client, bucket: string, snapshot: FleetSnapshot): Promise<void> {
  const gzipped: Buffer[] = [];
  await pipeline(Readable.from(snapshotLines(snapshot)), createGzip(), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) gzipped.push(chunk);
  });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: FLEET_SNAPSHOT_KEY, Body: Buffer.concat(gzipped), ContentType: "application/x-ndjson" }));
}

/**
 * Decodes a snapshot as it streams in (gunzip, then line by line): the line-delimited form parses one entry a line;
 * the former single-document form (one line) parses whole. `lines` is false for the former form (to be rewritten).
 */
export async function decodeFleetSnapshot(body: Readable): Promise<FleetSnapshot & { lines: boolean }> {
  const gunzip = createGunzip();
  const piping = pipeline(body, gunzip);
  piping.catch(() => undefined); // its error also ends the line iteration below, which throws it
  let header: SnapshotHeader | undefined;
  let whole: FleetSnapshot | undefined;
  const vehicles: FleetVehicle[] = [];
  try {
    for await (const line of createInterface({ input: gunzip, crlfDelay: Infinity })) {
      if (line === "") continue;
      if (header) {
        vehicles.push(JSON.parse(line) as FleetVehicle);
        continue;
      }
      const first = JSON.parse(line) as Partial<SnapshotHeader> & Partial<FleetSnapshot>;
      if (first.format === SNAPSHOT_FORMAT && !whole) header = { format: SNAPSHOT_FORMAT, generatedAt: first.generatedAt ?? null };
      else if (Array.isArray(first.vehicles) && !whole) whole = { generatedAt: first.generatedAt ?? null, vehicles: first.vehicles };
      else throw new FleetSnapshotFormatError(`a fleet snapshot's first line is a ${SNAPSHOT_FORMAT} header or the whole former snapshot document, and nothing else`);
    }
    await piping;
  } catch (error) {
    gunzip.destroy(); // and so the body (pipeline): no half-read response left open
    throw error;
  }
  return whole ? { ...whole, lines: false } : { generatedAt: header?.generatedAt ?? null, vehicles, lines: true };
}

/** The snapshot's body as a stream, undefined while there is none. */
async function readSnapshotBody(s3: S3Client, bucket: string): Promise<Readable | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: FLEET_SNAPSHOT_KEY }));
    return response.Body as Readable;
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}

/** A document's gzipped bytes (about 1 % of its JSON): decoded only when it is merged, one at a time. */
async function readDocument(s3: S3Client, bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await response.Body!.transformToByteArray());
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined; // compacted away between listing and reading
    throw error;
  }
}

async function listPartKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: FLEET_STATE_PARTS_PREFIX, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Why a merge was asked to take the compacted snapshot after a part: the snapshot must come first. */
export class FleetSnapshotOrderError extends Error {
  constructor() {
    super("the compacted snapshot must be added before any part: it decides which vehicles are already in the fleet state");
    this.name = "FleetSnapshotOrderError";
  }
}

/**
 * A VIN's class when the state is over `maxVehicles` (bits; higher is kept first): `Own` if an entry within the
 * retention came from the vehicle's own upload (there are only as many as vehicles with an identity), `Incumbent`
 * if the VIN was in the compacted snapshot (within the retention and the cap). A VIN with neither is a newcomer.
 */
const TIER = { Own: 2, Incumbent: 1 } as const;

/** One VIN while merging: its winning entry, that entry's rank (-Infinity past the retention) and its class. */
interface Held {
  rankMs: number;
  vehicle: FleetVehicle;
  tier: number;
}

/**
 * Which of two entries of one VIN with the same rank wins, whatever the order they come in: the vehicle's own,
 * then by content (duplicates of a redelivered part are equal).
 */
function sameRankOrder(a: FleetVehicle, b: FleetVehicle): number {
  const own = Number(a.source === FLEET_SOURCE.Vehicle) - Number(b.source === FLEET_SOURCE.Vehicle);
  if (own !== 0) return own;
  const [textA, textB] = [JSON.stringify(a), JSON.stringify(b)];
  return textA < textB ? -1 : textA > textB ? 1 : 0;
}

/** Which VIN goes first when over the cap: the lower class, then the older rank, then (a tie) the greater VIN. */
function dropOrder(a: Held, b: Held): number {
  return a.tier - b.tier || a.rankMs - b.rankMs || (a.vehicle.vin < b.vehicle.vin ? 1 : a.vehicle.vin > b.vehicle.vin ? -1 : 0);
}

/**
 * Merges fleet-state documents one at a time (a document can be let go once added): per VIN the entry with
 * the highest `fleetRank` wins (the latest `lastSeen`, a vehicle's own entry first within the precedence
 * window; an entry past the retention never wins over one within it). `result()` drops entries past the
 * retention and keeps at most `maxVehicles`: the VINs with an own upload first, then the incumbents (the VINs of
 * the compacted snapshot, given with `addSnapshot` before any part), then the newest, so a gateway's flood of
 * invented VINs fills only the free room and evicts no vehicle already known. While adding, the map is cut back
 * to `maxVehicles` whenever it holds a quarter more, so a flood cannot exhaust the reader's memory.
 *
 * The result does not depend on the order of the parts: ties are broken by content and VIN, and a cut while
 * adding drops only newcomers as long as the own and incumbent VINs fit `maxVehicles`. (One narrow exception:
 * a newcomer whose gateway entry, more than an hour newer than its own upload, was cut before that own entry came
 * is kept with its own entry instead of the gateway's.)
 *
 * @example
 * const merger = new FleetStateMerger({ now: Date.now() });
 * merger.addSnapshot(snapshot);
 * for (const part of parts) merger.add(part);
 * merger.result().dropped; // { expired: 0, overCap: 0 }
 */
export class FleetStateMerger {
  private readonly byVin = new Map<string, Held>();
  private generatedAt: string | null = null;
  private readonly dropped: FleetStateDrops = { expired: 0, overCap: 0 };
  private readonly policy: FleetStatePolicy;
  private readonly oldestKeptMs: number;
  private started = false;
  private knownEvicted = 0;

  constructor(options: Partial<FleetStatePolicy> & { now: number }) {
    this.policy = { retentionMs: options.retentionMs ?? FLEET_STATE_DEFAULTS.retentionMs, maxVehicles: options.maxVehicles ?? FLEET_STATE_DEFAULTS.maxVehicles };
    this.oldestKeptMs = options.now - this.policy.retentionMs;
  }

  /** The compacted snapshot, before any part: its VINs (within the retention and the cap) become the incumbents. */
  addSnapshot(document: FleetSnapshot): void {
    if (this.started) throw new FleetSnapshotOrderError();
    this.merge(document);
    for (const held of this.byVin.values()) held.tier |= TIER.Incumbent;
    this.cutBack();
  }

  add(document: FleetSnapshot): void {
    this.merge(document);
    if (this.byVin.size >= CUT_BACK_AT * this.policy.maxVehicles) this.cutBack();
  }

  private merge(document: FleetSnapshot): void {
    this.started = true;
    if (document.generatedAt && (!this.generatedAt || document.generatedAt > this.generatedAt)) this.generatedAt = document.generatedAt;
    for (const vehicle of document.vehicles) {
      const lastSeenMs = Date.parse(vehicle.lastSeen);
      const alive = lastSeenMs >= this.oldestKeptMs;
      const rankMs = alive ? fleetRank(vehicle.source, lastSeenMs) : -Infinity;
      const own = alive && vehicle.source === FLEET_SOURCE.Vehicle ? TIER.Own : 0;
      const current = this.byVin.get(vehicle.vin);
      if (!current) {
        this.byVin.set(vehicle.vin, { rankMs, vehicle, tier: own });
        continue;
      }
      current.tier |= own;
      if (rankMs > current.rankMs || (rankMs === current.rankMs && sameRankOrder(vehicle, current.vehicle) > 0)) {
        current.rankMs = rankMs;
        current.vehicle = vehicle;
      }
    }
  }

  result(): MergedFleetState {
    this.cutBack();
    const vehicles = [...this.byVin.values()].map((held) => held.vehicle).sort((a, b) => (a.vin < b.vin ? -1 : a.vin > b.vin ? 1 : 0));
    return { generatedAt: this.generatedAt, vehicles, dropped: { ...this.dropped }, knownEvicted: this.knownEvicted };
  }

  /** Drops the entries past the retention, then keeps `maxVehicles`: own uploads, incumbents, the newest (dropOrder). */
  private cutBack(): void {
    for (const [vin, held] of this.byVin) {
      if (held.rankMs === -Infinity) {
        this.byVin.delete(vin);
        this.dropped.expired++;
      }
    }
    const over = this.byVin.size - this.policy.maxVehicles;
    if (over <= 0) return;
    const dropFirst = [...this.byVin.values()].sort(dropOrder);
    for (let index = 0; index < over; index++) {
      const held = dropFirst[index]!;
      this.byVin.delete(held.vehicle.vin);
      if (held.tier & TIER.Incumbent) this.knownEvicted++;
    }
    this.dropped.overCap += over;
  }
}

/**
 * Merges fleet-state documents (FleetStateMerger): per VIN the latest entry, a vehicle's own first; `snapshot`
 * (the compacted one) decides which VINs are already known. What the policy drops is counted in `dropped`.
 *
 * @example
 * mergeFleetDocuments([older, newer], { now: Date.now() }).vehicles.length; // distinct VINs of both
 * mergeFleetDocuments(parts, { now: Date.now(), snapshot }); // over the cap, the snapshot's VINs before new ones
 */
export function mergeFleetDocuments(
  documents: Iterable<FleetSnapshot>,
  options: Partial<FleetStatePolicy> & { now: number; snapshot?: FleetSnapshot },
): MergedFleetState {
  const merger = new FleetStateMerger(options);
  if (options.snapshot) merger.addSnapshot(options.snapshot);
  for (const document of documents) merger.add(document);
  return merger.result();
}

/**
 * The latest state of every vehicle the processor has seen, within the policy (FleetStateMerger). With
 * `compact: true` (one caller at a time, e.g. the scheduled dashboard publisher) the merged result becomes
 * the new snapshot and the merged parts are deleted, so reads stay cheap as the fleet keeps reporting.
 * Each document is merged as soon as it is read, not held until all are.
 *
 * @example
 * const { generatedAt, vehicles, dropped } = await readFleetSnapshot(s3, process.env.FLEETOTA_DATA_BUCKET!, { compact: true, now: Date.now() });
 */
export async function readFleetSnapshot(
  s3: S3Client,
  bucket: string,
  options: { compact?: boolean; now: number } & Partial<FleetStatePolicy>,
): Promise<MergedFleetState> {
  const partKeys = await listPartKeys(s3, bucket);
  const merger = new FleetStateMerger(options);
  // Decoding and merging a part in one synchronous step keeps one parsed part alive at a time, however many are read at once.
  const addDocument = (bytes: Buffer | undefined) => bytes && merger.add(JSON.parse(gunzipSync(bytes).toString("utf8")) as FleetSnapshot);
  const snapshotBody = await readSnapshotBody(s3, bucket);
  const snapshot = snapshotBody && (await decodeFleetSnapshot(snapshotBody));
  if (snapshot) merger.addSnapshot(snapshot);
  const formerForm = snapshot !== undefined && !snapshot.lines;
  const queue = [...partKeys];
  await Promise.all(
    Array.from({ length: Math.min(READ_CONCURRENCY, queue.length) }, async () => {
      for (let key = queue.shift(); key; key = queue.shift()) {
        addDocument(await readDocument(s3, bucket, key));
      }
    }),
  );
  const merged = merger.result();
  const dropped = merged.dropped.expired + merged.dropped.overCap;
  if (options.compact && (partKeys.length > 0 || dropped > 0 || formerForm)) {
    await compact(s3, bucket, { generatedAt: merged.generatedAt, vehicles: merged.vehicles }, partKeys);
  }
  return merged;
}

async function compact(s3: S3Client, bucket: string, merged: FleetSnapshot, partKeys: string[]): Promise<void> {
  await writeFleetSnapshot(s3, bucket, merged);
  for (let start = 0; start < partKeys.length; start += 1000) {
    const batch = partKeys.slice(start, start + 1000).map((Key) => ({ Key }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
  }
}
