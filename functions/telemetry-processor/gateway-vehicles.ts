/**
 * The VINs each fleet gateway may carry (contracts/gateway-vehicles.ts), as the processor reads them: one
 * document per gateway, cached per container for GATEWAY_VEHICLES_CACHE_MS and then asked again with its ETag
 * (If-None-Match: a 304 costs no transfer), so a bind or an unbind counts for every object read more than that
 * long after it was written. A gateway with no document carries no vehicle (cached alike). Any failure to read
 * (throttling, a 5xx, a denial, a document that does not decode) throws: the message is retried, then
 * dead-lettered, and never quarantined on a binding the processor could not read. A gateway not asked about for
 * GATEWAY_VEHICLES_EVICT_MS is forgotten (a container that served many gateways would otherwise keep every one's
 * VINs, up to 250,000 each, for its whole life); asked again, it is read afresh.
 */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { decodeGatewayVehicles, gatewayVehiclesKey } from "../../contracts/gateway-vehicles.js";

/** How stale a gateway's VINs may be: an unbind refuses that VIN in objects read from this long after it. */
export const GATEWAY_VEHICLES_CACHE_MS = 30_000;

/** A gateway's VINs are dropped from the container's memory when it has not been asked about for this long. */
export const GATEWAY_VEHICLES_EVICT_MS = 10 * GATEWAY_VEHICLES_CACHE_MS;

export interface GatewayVehicles {
  /** The VINs bound to the gateway (empty when none). */
  vehiclesOf(gatewayId: string): Promise<ReadonlySet<string>>;
}

/** The processor could not read a gateway's vehicles: transient (retried, then dead-lettered for a redrive). */
export class GatewayVehiclesUnreadableError extends Error {
  override readonly name = "GatewayVehiclesUnreadableError";
}

interface Cached {
  vins: ReadonlySet<string>;
  etag?: string;
  checkedAtMs: number;
  /** When a caller last asked for this gateway. */
  askedAtMs: number;
}

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const isMissing = (error: unknown): boolean => (error as Error).name === "NoSuchKey" || statusOf(error) === 404;

/**
 * @example
 * const gatewayVehicles = cachedGatewayVehicles({ s3, bucket: "fleetota-dev-data-lake" });
 * (await gatewayVehicles.vehiclesOf("gw-depot-7")).has("1HGCM82633A004352");
 */
export function cachedGatewayVehicles(options: { s3: S3Client; bucket: string; now?: () => number; cacheMs?: number; evictMs?: number }): GatewayVehicles {
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? GATEWAY_VEHICLES_CACHE_MS;
  const evictMs = options.evictMs ?? GATEWAY_VEHICLES_EVICT_MS;
  const cache = new Map<string, Cached>();
  const refreshing = new Map<string, Promise<ReadonlySet<string>>>();
  let sweptAtMs = now();

  /** At most once a cache period: forget the gateways not asked about within evictMs. */
  function evictUnasked(nowMs: number): void {
    if (nowMs - sweptAtMs < cacheMs) return;
    sweptAtMs = nowMs;
    for (const [gatewayId, cached] of cache) if (nowMs - cached.askedAtMs >= evictMs && !refreshing.has(gatewayId)) cache.delete(gatewayId);
  }

  async function refresh(gatewayId: string, known: Cached | undefined): Promise<ReadonlySet<string>> {
    const key = gatewayVehiclesKey(gatewayId);
    const askedAtMs = now();
    let next: Cached;
    try {
      const response = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key, ...(known?.etag ? { IfNoneMatch: known.etag } : {}) }));
      const bytes = await response.Body!.transformToByteArray();
      next = { vins: new Set(decodeGatewayVehicles(gatewayId, bytes).vins), etag: response.ETag, checkedAtMs: askedAtMs, askedAtMs };
    } catch (error) {
      if (known && statusOf(error) === 304) next = { ...known, checkedAtMs: askedAtMs, askedAtMs };
      else if (isMissing(error)) next = { vins: new Set(), checkedAtMs: askedAtMs, askedAtMs };
      else throw new GatewayVehiclesUnreadableError(`could not read the vehicles of fleet gateway ${gatewayId} (s3://${options.bucket}/${key}): ${(error as Error).message}`, { cause: error });
    }
    cache.set(gatewayId, next);
    return next.vins;
  }

  return {
    async vehiclesOf(gatewayId) {
      const nowMs = now();
      evictUnasked(nowMs);
      const known = cache.get(gatewayId);
      if (known) known.askedAtMs = nowMs;
      if (known && nowMs - known.checkedAtMs < cacheMs) return known.vins;
      let pending = refreshing.get(gatewayId);
      if (!pending) {
        pending = refresh(gatewayId, known).finally(() => refreshing.delete(gatewayId));
        refreshing.set(gatewayId, pending);
      }
      return pending;
    },
  };
}
