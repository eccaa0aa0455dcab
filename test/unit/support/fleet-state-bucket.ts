import { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";

/** Bytes as a stream of `size`-byte chunks (the SDK's bodies arrive in pieces). */
export const chunkedStream = (bytes: Buffer, size = 4096) =>
  Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, index) => bytes.subarray(index * size, (index + 1) * size)));

/**
 * The fleet-state objects of a data lake in memory: list, read, write and delete, as the publisher and the snapshot
 * stream call them. Bodies stream as the SDK's do in Node, in chunks of `chunkBytes` (whole by default; small chunks
 * make lines and gzip blocks straddle chunk boundaries). Returns the client and each PutObject's key and content type.
 */
export function fleetStateBucket(objects: Map<string, Buffer>, options: { chunkBytes?: number } = {}) {
  const puts: Array<{ key: string; contentType: unknown }> = [];
  const send = async (command: { constructor: { name: string }; input: Record<string, any> }) => {
    switch (command.constructor.name) {
      case "ListObjectsV2Command":
        return { Contents: [...objects.keys()].filter((key) => key.startsWith(String(command.input.Prefix))).map((Key) => ({ Key })), IsTruncated: false };
      case "GetObjectCommand": {
        const body = objects.get(String(command.input.Key));
        if (!body) throw Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey" });
        return { Body: Object.assign(chunkedStream(body, options.chunkBytes ?? Math.max(1, body.length)), { transformToByteArray: async () => new Uint8Array(body) }) };
      }
      case "PutObjectCommand":
        objects.set(String(command.input.Key), Buffer.from(command.input.Body as Uint8Array));
        puts.push({ key: String(command.input.Key), contentType: command.input.ContentType });
        return {};
      case "DeleteObjectsCommand":
        for (const { Key } of command.input.Delete.Objects as Array<{ Key: string }>) objects.delete(Key);
        return {};
      default:
        throw new Error(`unmodelled S3 call ${command.constructor.name}`);
    }
  };
  return { s3: { send } as unknown as S3Client, puts };
}
