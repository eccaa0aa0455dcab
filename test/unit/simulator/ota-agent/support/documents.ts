import { createHash } from "node:crypto";
import type { GetObjectCommand, GetObjectCommandInput, S3Client } from "@aws-sdk/client-s3";
import { CONNECTIVITY_CLASS } from "../../../../../contracts/update-messages.js";
import { verifyJobBundle } from "../../../../../uptane/vehicle-verification.js";
import { REPOSITORY_LAYOUT } from "../../../../../uptane/metadata.js";
import { defaultTimings, noFaults, type AgentEnvironment, type AgentTimings, type FaultProfile, type VehicleFacts } from "../../../../../simulator/ota-agent/agent-machine.js";
import { bundle, directorTargets, imageTargets, NOW, OTHER_VIN, trust, VIN, type DirectorOptions } from "../../../uptane/support/repositories.js";
import type { JobBundle } from "../../../../../uptane/metadata.js";

/** Small factories for agent tests: signed job bundles (both repositories), vehicle facts, an environment, an image bucket. */
export { NOW, OTHER_VIN, trust, VIN };

/** The image the documents sign (1 MiB, not all one byte), its verified length and hash, and where it lives. */
export const IMAGE_BYTES = Uint8Array.from({ length: 1 << 20 }, (_, index) => (index * 31 + (index >> 8)) & 0xff);
export const SIGNED_IMAGE = { length: IMAGE_BYTES.byteLength, sha256: createHash("sha256").update(IMAGE_BYTES).digest("hex") };
export const IMAGE_KEY = REPOSITORY_LAYOUT.image(SIGNED_IMAGE.sha256);

let version = 0;

/**
 * A job bundle as the update manager writes it; each call gets a newer director version than the last
 * unless one is given (documents made later are newer, as the director's are).
 */
export function signedDocument(options: { director?: DirectorOptions; image?: Parameters<typeof imageTargets>[0] } = {}): JobBundle {
  return bundle({ director: { version: ++version, ...SIGNED_IMAGE, ...options.director }, image: { ...SIGNED_IMAGE, ...options.image } });
}

/** A signed withdrawal (director metadata naming nothing), newer than every document made so far. */
export function signedWithdrawal(): JobBundle {
  return { director: directorTargets({ version: ++version, withdrawn: true }).toJSON() };
}

export function facts(overrides: Partial<VehicleFacts> = {}): VehicleFacts {
  return {
    vin: VIN,
    hardware: "hu-3",
    firmwareVersion: "2.3.0",
    parked: true,
    stateOfCharge: 80,
    connectivity: CONNECTIVITY_CLASS.Good,
    ...overrides,
  };
}

/** An environment with the real verifier and a scripted random source (repeats its last value). */
export function environment(faults: Partial<FaultProfile> = {}, randomValues: number[] = [0.5], timings: Partial<AgentTimings> = {}): AgentEnvironment {
  let index = 0;
  return {
    verify: verifyJobBundle,
    random: () => randomValues[Math.min(index++, randomValues.length - 1)] ?? 0.5,
    faults: { ...noFaults, ...faults },
    timings: { ...defaultTimings, ...timings },
  };
}

/** An S3 error as the SDK throws it. */
export function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(`${name} (${status})`), { name, $metadata: { httpStatusCode: status } });
}

/** What an object key answers: bytes, an error, or a list of answers taken one per GET (the last repeats). */
export type StoredImage = Uint8Array | Error | Array<Uint8Array | Error>;

export interface ImageBucket {
  /** Stands in for the vehicle's S3 client: answers GetObject only. */
  s3: S3Client;
  requests: GetObjectCommandInput[];
  /** Bytes the readers pulled from the bodies served. */
  bytesServed: number;
}

/**
 * An in-memory bucket of images for the agent's fetcher: GetObject serves the stored bytes in 64 KiB chunks,
 * counting what is read. It serves the whole object whatever the Range, so a test sees the reader stop by itself.
 * Keys not stored are NoSuchKey (404).
 *
 * @example
 * const bucket = imageBucket({ [IMAGE_KEY]: IMAGE_BYTES });
 */
export function imageBucket(objects: Record<string, StoredImage> = { [IMAGE_KEY]: IMAGE_BYTES }): ImageBucket {
  const gets = new Map<string, number>();
  const bucket: ImageBucket = {
    requests: [],
    bytesServed: 0,
    s3: {
      send: async (command: GetObjectCommand) => {
        const input = command.input;
        bucket.requests.push(input);
        const key = input.Key ?? "";
        const stored = objects[key];
        const count = gets.get(key) ?? 0;
        gets.set(key, count + 1);
        const answer = Array.isArray(stored) ? stored[Math.min(count, stored.length - 1)] : stored;
        if (answer === undefined) throw s3Error("NoSuchKey", 404);
        if (answer instanceof Error) throw answer;
        return { Body: chunks(answer, bucket) };
      },
    } as unknown as S3Client,
  };
  return bucket;
}

async function* chunks(bytes: Uint8Array, bucket: ImageBucket): AsyncGenerator<Uint8Array> {
  for (let start = 0; start < bytes.byteLength; start += 65_536) {
    const chunk = bytes.subarray(start, start + 65_536);
    bucket.bytesServed += chunk.byteLength;
    yield chunk;
  }
}
