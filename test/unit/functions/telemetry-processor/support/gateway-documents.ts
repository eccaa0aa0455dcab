/**
 * The gateways' vehicle documents (contracts/gateway-vehicles.ts) in a stand-in S3 answering reads as S3 does: 304
 * to a matching If-None-Match, NoSuchKey 404, and `state.failWith` thrown to every read (a throttling 503). Every
 * read is recorded in `calls` (key and If-None-Match) for counting.
 */
import { S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import * as assert from "uvu/assert";
import { encodeGatewayVehicles, gatewayVehiclesKey } from "../../../../../contracts/gateway-vehicles.js";

export const s3Error = (name: string, httpStatusCode: number) =>
  new S3ServiceException({ name, $fault: httpStatusCode >= 500 ? "server" : "client", $metadata: { httpStatusCode }, message: name });

export function gatewayDocuments() {
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
  /** Writes the gateway's document with exactly these VINs (a bind or an unbind), under a new ETag. */
  const bind = (gatewayId: string, vins: string[]) =>
    stored.set(gatewayVehiclesKey(gatewayId), { body: encodeGatewayVehicles({ gatewayId, vins, updatedAt: new Date().toISOString() }), etag: `"v${++state.version}"` });
  return { s3, stored, calls, state, bind };
}
