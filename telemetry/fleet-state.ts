import { gunzipSync, gzipSync } from "node:zlib";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { FleetVehicle } from "./aggregate.js";

/**
 * The fleet's latest state per vehicle, kept without a write per record: each processor invocation
 * writes one part (`fleet-state/parts/<time>-<id>.json.gz`) with the latest state of the vehicles it
 * saw; readers merge the parts over the compacted snapshot (`fleet-state/snapshot.json.gz`), newest
 * `lastSeen` winning. `compact: true` folds the parts into the snapshot and deletes them.
 */
export const FLEET_STATE_PREFIX = "fleet-state/";
export const FLEET_STATE_PARTS_PREFIX = `${FLEET_STATE_PREFIX}parts/`;
export const FLEET_SNAPSHOT_KEY = `${FLEET_STATE_PREFIX}snapshot.json.gz`;

export interface FleetSnapshot {
  /** When the newest part or snapshot merged here was written (ISO); null for an empty fleet. */
  generatedAt: string | null;
  vehicles: FleetVehicle[];
}

const READ_CONCURRENCY = 16;

/**
 * Writes one invocation's vehicle states as a part.
 *
 * @example
 * await writeFleetStatePart(s3, bucket, aggregate.fleetVehicles(), new Date(), context.awsRequestId);
 */
export async function writeFleetStatePart(s3: S3Client, bucket: string, vehicles: FleetVehicle[], now: Date, id: string): Promise<string> {
  const stamp = now.toISOString().replace(/[-:.]/g, "");
  const key = `${FLEET_STATE_PARTS_PREFIX}${stamp}-${id}.json.gz`;
  const document: FleetSnapshot = { generatedAt: now.toISOString(), vehicles };
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(JSON.stringify(document)), ContentType: "application/json" }));
  return key;
}

async function readDocument(s3: S3Client, bucket: string, key: string): Promise<FleetSnapshot | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await response.Body!.transformToByteArray());
    return JSON.parse(gunzipSync(bytes).toString("utf8")) as FleetSnapshot;
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

/**
 * Merges fleet-state documents: per VIN the entry with the latest `lastSeen` wins.
 *
 * @example
 * mergeFleetDocuments([older, newer]).vehicles.length; // distinct VINs of both
 */
export function mergeFleetDocuments(documents: Iterable<FleetSnapshot>): FleetSnapshot {
  const byVin = new Map<string, FleetVehicle>();
  let generatedAt: string | null = null;
  for (const document of documents) {
    if (document.generatedAt && (!generatedAt || document.generatedAt > generatedAt)) generatedAt = document.generatedAt;
    for (const vehicle of document.vehicles) {
      const current = byVin.get(vehicle.vin);
      if (!current || Date.parse(vehicle.lastSeen) >= Date.parse(current.lastSeen)) byVin.set(vehicle.vin, vehicle);
    }
  }
  return { generatedAt, vehicles: [...byVin.values()].sort((a, b) => a.vin.localeCompare(b.vin)) };
}

/**
 * The latest state of every vehicle the processor has seen. With `compact: true` (one caller at a
 * time, e.g. the scheduled dashboard publisher) the merged result becomes the new snapshot and the
 * merged parts are deleted, so reads stay cheap as the fleet keeps reporting.
 *
 * @example
 * const { generatedAt, vehicles } = await readFleetSnapshot(s3, process.env.FLEETOTA_DATA_BUCKET!, { compact: true });
 */
export async function readFleetSnapshot(s3: S3Client, bucket: string, options: { compact?: boolean } = {}): Promise<FleetSnapshot> {
  const partKeys = await listPartKeys(s3, bucket);
  const documents: FleetSnapshot[] = [];
  const snapshot = await readDocument(s3, bucket, FLEET_SNAPSHOT_KEY);
  if (snapshot) documents.push(snapshot);
  const queue = [...partKeys];
  await Promise.all(
    Array.from({ length: Math.min(READ_CONCURRENCY, queue.length) }, async () => {
      for (let key = queue.shift(); key; key = queue.shift()) {
        const part = await readDocument(s3, bucket, key);
        if (part) documents.push(part);
      }
    }),
  );
  const merged = mergeFleetDocuments(documents);
  if (options.compact && partKeys.length > 0) await compact(s3, bucket, merged, partKeys);
  return merged;
}

async function compact(s3: S3Client, bucket: string, merged: FleetSnapshot, partKeys: string[]): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: FLEET_SNAPSHOT_KEY, Body: gzipSync(JSON.stringify(merged)), ContentType: "application/json" }));
  for (let start = 0; start < partKeys.length; start += 1000) {
    const batch = partKeys.slice(start, start + 1000).map((Key) => ({ Key }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
  }
}
