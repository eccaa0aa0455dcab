/**
 * Which VINs a fleet gateway may carry: one document per gateway in the data lake,
 * `registry/gateways/<gatewayId>/vehicles.json.gz` (gzip JSON `{ gatewayId, vins, updatedAt }`, VINs sorted and
 * unique), written only by operators (`fleetota gateways bind|unbind`, identity/gateway-vehicles.ts) and read by the
 * telemetry processor, which refuses every record of a gateway's object whose VIN is not in its gateway's document
 * (telemetry/uploader-binding.ts). No document: the gateway carries no vehicle.
 *
 * A VIN is carried by one gateway at most, and never by a gateway while it is a registered vehicle (its own
 * identity speaks for it). A bind first lists the VINs under `pending` (carried by nobody: the processor reads
 * `vins` only), then checks every other gateway's document and the vehicle registry, then moves them to `vins`
 * (identity/gateway-vehicles.ts): two binds of one VIN at once each see the other's claim, so at most one wins.
 *
 * Why a document and not the AWS IoT registry (a `gateway` attribute on each vehicle's thing, or a thing group per
 * gateway): a gateway carries up to 100,000 vehicles that need no identity of their own. In the registry that is
 * 100,000 things to create (AWS IoT allows about 15 CreateThing a second: about 2 hours; moto: 12-15 ms a call,
 * over 20 minutes, and its DescribeThing and AddThingToThingGroup scan every thing, 16 ms at 2,000 things and
 * 39 ms at 20,000), and the processor would read it per VIN (DescribeThing) or page through 400 pages of
 * ListThingsInThingGroup per gateway. The document is one conditional GET per gateway per cache period.
 */
import { gunzipSync, gzipSync } from "node:zlib";

export const GATEWAY_VEHICLES_PREFIX = "registry/gateways/";

/**
 * The key of a gateway's document.
 *
 * @example
 * gatewayVehiclesKey("gw-depot-7"); // "registry/gateways/gw-depot-7/vehicles.json.gz"
 */
export const gatewayVehiclesKey = (gatewayId: string): string => `${GATEWAY_VEHICLES_PREFIX}${gatewayId}/vehicles.json.gz`;

export const GATEWAY_VEHICLES_LIMITS = {
  /** VINs one gateway may carry (the fleet state holds 100,000 vehicles by default). */
  maxVehicles: 250_000,
  /** The document's bytes, compressed and decoded (250,000 VINs are about 5 MB of JSON). */
  maxDocumentBytes: 8 * 1024 * 1024,
} as const;

export interface GatewayVehiclesDocument {
  readonly gatewayId: string;
  /** Sorted, unique: the VINs the gateway carries. */
  readonly vins: readonly string[];
  /** VINs a bind in progress claims (carried by nobody yet); absent when none. */
  readonly pending?: readonly string[];
  /** ISO time of the last change. */
  readonly updatedAt: string;
}

/** A document that is not what an operator's bind writes: nothing in it can be trusted. */
export class GatewayVehiclesDocumentError extends Error {
  override readonly name = "GatewayVehiclesDocumentError";
}

/**
 * The document's bytes, VINs sorted and unique.
 *
 * @example
 * encodeGatewayVehicles({ gatewayId: "gw-depot-7", vins: ["1M8GDM9AXKP042788", "1HGCM82633A004352"], updatedAt: new Date().toISOString() });
 */
export function encodeGatewayVehicles(document: GatewayVehiclesDocument): Buffer {
  const vins = [...new Set(document.vins)].sort();
  const carried = new Set(vins);
  const pending = [...new Set(document.pending ?? [])].filter((vin) => !carried.has(vin)).sort();
  if (vins.length + pending.length > GATEWAY_VEHICLES_LIMITS.maxVehicles) {
    throw new GatewayVehiclesDocumentError(`${document.gatewayId} would carry ${vins.length + pending.length} vehicles, more than ${GATEWAY_VEHICLES_LIMITS.maxVehicles}`);
  }
  return gzipSync(JSON.stringify({ gatewayId: document.gatewayId, vins, ...(pending.length ? { pending } : {}), updatedAt: document.updatedAt }));
}

/**
 * Reads a gateway's document; throws GatewayVehiclesDocumentError when it is too large, not gzip JSON of the
 * expected shape, or names another gateway (a copy under the wrong key).
 *
 * @example
 * decodeGatewayVehicles("gw-depot-7", bytes).vins.includes("1HGCM82633A004352"); // true
 */
export function decodeGatewayVehicles(gatewayId: string, bytes: Uint8Array): GatewayVehiclesDocument {
  const where = `the vehicles document of ${gatewayId} (${gatewayVehiclesKey(gatewayId)})`;
  if (bytes.byteLength > GATEWAY_VEHICLES_LIMITS.maxDocumentBytes) throw new GatewayVehiclesDocumentError(`${where} is ${bytes.byteLength} bytes, more than ${GATEWAY_VEHICLES_LIMITS.maxDocumentBytes}`);
  let value: unknown;
  try {
    value = JSON.parse(gunzipSync(bytes, { maxOutputLength: GATEWAY_VEHICLES_LIMITS.maxDocumentBytes }).toString("utf8"));
  } catch (error) {
    throw new GatewayVehiclesDocumentError(`${where} is not gzip JSON within ${GATEWAY_VEHICLES_LIMITS.maxDocumentBytes} bytes: ${(error as Error).message}`);
  }
  const document = value as Partial<Record<keyof GatewayVehiclesDocument, unknown>> | null;
  if (typeof document !== "object" || document === null || !Array.isArray(document.vins) || typeof document.updatedAt !== "string") {
    throw new GatewayVehiclesDocumentError(`${where} is not { gatewayId, vins: [...], updatedAt }`);
  }
  if (document.gatewayId !== gatewayId) throw new GatewayVehiclesDocumentError(`${where} names gateway ${JSON.stringify(document.gatewayId)}`);
  const pending = document.pending ?? [];
  const strings = (list: unknown): list is string[] => Array.isArray(list) && list.every((vin) => typeof vin === "string");
  if (document.vins.length + (Array.isArray(pending) ? pending.length : 0) > GATEWAY_VEHICLES_LIMITS.maxVehicles || !strings(document.vins) || !strings(pending)) {
    throw new GatewayVehiclesDocumentError(`${where} must list at most ${GATEWAY_VEHICLES_LIMITS.maxVehicles} VINs as strings`);
  }
  return { gatewayId, vins: document.vins, ...(pending.length ? { pending } : {}), updatedAt: document.updatedAt };
}
