import type { S3Client } from "@aws-sdk/client-s3";
import { decodeGatewayVehicles, encodeGatewayVehicles, gatewayVehiclesKey, type GatewayVehiclesDocument } from "../../../../contracts/gateway-vehicles.js";
import { gate, type Gate } from "../../support/gate.js";

export const VIN = "1HGCM82633A004352";
export const OTHER = "1M8GDM9AXKP042788";
export const G7 = "gw-depot-7";
export const G9 = "gw-depot-9";

type Input = { Key?: string; Prefix?: string; Body?: Uint8Array; IfMatch?: string; IfNoneMatch?: string };

export interface GatewayLakeHooks {
  /** Awaited before every call is answered (a yield lets concurrent callers interleave). */
  readonly yieldEvery?: () => Promise<void>;
  /** Awaited before a listing is taken: may hold a listing back. */
  readonly beforeList?: () => Promise<void>;
}

/**
 * The data lake's gateway documents in memory, answering as S3 does: GetObject (the version current when it is
 * served), PutObject conditional on If-Match or If-None-Match: * (412 on a lost race), a strongly consistent
 * ListObjectsV2. `holdNextGet(gatewayId)` holds back the answer to the next GET of that gateway's document until
 * its gate opens; `gets` lists the keys every GET asked for; `put` writes a document as-is (what an interrupted
 * bind or a hand edit leaves), with the ETag given.
 */
export function gatewayLake(hooks: GatewayLakeHooks = {}) {
  const stored = new Map<string, { body: Uint8Array; etag: string }>();
  const holds = new Map<string, Gate>();
  const gets: string[] = [];
  let version = 0;
  const s3 = {
    async send(command: { constructor: { name: string }; input: Input }) {
      await hooks.yieldEvery?.();
      const name = command.constructor.name;
      if (name === "ListObjectsV2Command") {
        await hooks.beforeList?.();
        const Contents = [...stored].filter(([key]) => key.startsWith(command.input.Prefix!)).map(([Key, { etag }]) => ({ Key, ETag: etag }));
        return { Contents, IsTruncated: false };
      }
      const key = command.input.Key!;
      const found = stored.get(key); // the version current now: a later write replaces the entry, never changes it
      if (name === "GetObjectCommand") {
        gets.push(key);
        if (!found) throw Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
        const hold = holds.get(key);
        if (hold) {
          holds.delete(key);
          await hold.held; // the answer travels slowly back
        }
        return { ETag: found.etag, Body: { transformToByteArray: async () => found.body } };
      }
      if ((command.input.IfNoneMatch === "*" && found) || (command.input.IfMatch && command.input.IfMatch !== found?.etag)) {
        throw Object.assign(new Error("PreconditionFailed"), { name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } });
      }
      stored.set(key, { body: command.input.Body!, etag: `"v${++version}"` });
      return {};
    },
  } as unknown as S3Client;
  const holdNextGet = (gatewayId: string): Gate => {
    const held = gate();
    holds.set(gatewayVehiclesKey(gatewayId), held);
    return held;
  };
  const documentOf = (gatewayId: string): GatewayVehiclesDocument | undefined => {
    const found = stored.get(gatewayVehiclesKey(gatewayId));
    return found && decodeGatewayVehicles(gatewayId, found.body);
  };
  const put = (document: Omit<GatewayVehiclesDocument, "updatedAt">, etag: string) =>
    stored.set(gatewayVehiclesKey(document.gatewayId), { body: encodeGatewayVehicles({ ...document, updatedAt: new Date().toISOString() }), etag });
  const carries = (gatewayId: string, vin: string) => (documentOf(gatewayId)?.vins ?? []).includes(vin);
  const claims = (gatewayId: string) => documentOf(gatewayId)?.pending ?? [];
  return { s3, stored, gets, holdNextGet, documentOf, put, carries, claims };
}

export type GatewayLake = ReturnType<typeof gatewayLake>;
