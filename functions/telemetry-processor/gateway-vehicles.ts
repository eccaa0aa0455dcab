/**
 * The VINs each fleet gateway may carry (contracts/gateway-vehicles.ts), as the processor reads them: one
 * document per gateway, cached per container for GATEWAY_VEHICLES_CACHE_MS and then asked again with its ETag
 * (If-None-Match: a 304 costs no transfer), so an unbind counts for every object read more than that long after
 * it was written. A bind counts sooner: before records are refused as not bound, `newerThan` asks again when the
 * cached copy was checked more than GATEWAY_VEHICLES_RECHECK_MS ago (processor.ts judges the refused lines again
 * against a newer copy). A gateway with no document carries no vehicle (cached alike). Any failure to read
 * (throttling, a 5xx, a denial, a document that does not decode) throws: the message is retried, then
 * dead-lettered, and never quarantined on a binding the processor could not read. A gateway not asked about for
 * GATEWAY_VEHICLES_EVICT_MS is forgotten (a container that served many gateways would otherwise keep every one's
 * VINs, up to 250,000 each, for its whole life); asked again, it is read afresh.
 */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { decodeGatewayVehicles, gatewayVehiclesKey } from "../../contracts/gateway-vehicles.js";
import { isMissingObject, s3StatusOf } from "../../lib/s3-errors.js";

/** How stale a gateway's VINs may be: an unbind refuses that VIN in objects read from this long after it. */
export const GATEWAY_VEHICLES_CACHE_MS = 30_000;

/**
 * How long a checked copy is taken as fresh enough to refuse records as not bound: a bind counts for every object
 * read this long after it was written. It is also the rate limit: a gateway whose every object names unbound VINs
 * costs at most one conditional GET per container this often. One second is below any upload cadence (an operator
 * binds, then the gateway's next object comes seconds later at the soonest), and at most 60 GETs a minute per
 * gateway per container for a hostile one ($0.0004 per 1,000 GETs: $0.035 a day).
 */
export const GATEWAY_VEHICLES_RECHECK_MS = 1_000;

/** A gateway's VINs are dropped from the container's memory when it has not been asked about for this long. */
export const GATEWAY_VEHICLES_EVICT_MS = 10 * GATEWAY_VEHICLES_CACHE_MS;

export interface GatewayVehicles {
  /** The VINs bound to the gateway (empty when none). */
  vehiclesOf(gatewayId: string): Promise<ReadonlySet<string>>;
  /**
   * Asked when an object judged with `judgedWith` (an answer of vehiclesOf) refused records as not bound: the
   * gateway's VINs when a newer copy than that is known or read now (If-None-Match), undefined when none is (the
   * refusals stand). Reads only when the cached copy was checked GATEWAY_VEHICLES_RECHECK_MS ago or more, one
   * read shared by the gateway's objects asking at once; a failed read throws GatewayVehiclesUnreadableError, and
   * so does every ask within that interval after it (a throttled S3 is not asked again for each object).
   */
  newerThan(gatewayId: string, judgedWith: ReadonlySet<string>): Promise<ReadonlySet<string> | undefined>;
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
  /** The last failed re-read before refusing (newerThan), thrown again to asks within the recheck interval. */
  recheckFailure?: { atMs: number; error: GatewayVehiclesUnreadableError };
}


/**
 * @example
 * const gatewayVehicles = cachedGatewayVehicles({ s3, bucket: "fleetota-dev-data-lake" });
 * (await gatewayVehicles.vehiclesOf("gw-depot-7")).has("1HGCM82633A004352");
 */
export function cachedGatewayVehicles(options: { s3: S3Client; bucket: string; now?: () => number; cacheMs?: number; evictMs?: number; recheckMs?: number }): GatewayVehicles {
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? GATEWAY_VEHICLES_CACHE_MS;
  const recheckMs = options.recheckMs ?? GATEWAY_VEHICLES_RECHECK_MS;
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
      if (known && s3StatusOf(error) === 304) next = { vins: known.vins, etag: known.etag, checkedAtMs: askedAtMs, askedAtMs };
      // Still no document: the same empty set, so newerThan sees nothing newer (a new set would re-judge every object for nothing).
      else if (isMissingObject(error)) next = { vins: known && known.etag === undefined ? known.vins : new Set(), checkedAtMs: askedAtMs, askedAtMs };
      else throw new GatewayVehiclesUnreadableError(`could not read the vehicles of fleet gateway ${gatewayId} (s3://${options.bucket}/${key}): ${(error as Error).message}`, { cause: error });
    }
    cache.set(gatewayId, next);
    return next.vins;
  }

  /** The read in flight for the gateway, or a new one. */
  function shared(gatewayId: string, known: Cached | undefined): Promise<ReadonlySet<string>> {
    let pending = refreshing.get(gatewayId);
    if (!pending) {
      pending = refresh(gatewayId, known).finally(() => refreshing.delete(gatewayId));
      refreshing.set(gatewayId, pending);
    }
    return pending;
  }

  return {
    async vehiclesOf(gatewayId) {
      const nowMs = now();
      evictUnasked(nowMs);
      const known = cache.get(gatewayId);
      if (known) known.askedAtMs = nowMs;
      if (known && nowMs - known.checkedAtMs < cacheMs) return known.vins;
      return shared(gatewayId, known);
    },

    async newerThan(gatewayId, judgedWith) {
      const nowMs = now();
      const known = cache.get(gatewayId);
      let vins: ReadonlySet<string>;
      if (refreshing.has(gatewayId) || !known) vins = await shared(gatewayId, known);
      else if (known.vins !== judgedWith) vins = known.vins; // another object's read already brought a newer copy
      else if (nowMs - known.checkedAtMs < recheckMs) return undefined;
      else if (known.recheckFailure && nowMs - known.recheckFailure.atMs < recheckMs) throw known.recheckFailure.error;
      else {
        try {
          vins = await shared(gatewayId, known);
        } catch (error) {
          if (error instanceof GatewayVehiclesUnreadableError && cache.get(gatewayId) === known) known.recheckFailure = { atMs: nowMs, error };
          throw error;
        }
      }
      return vins === judgedWith ? undefined : vins;
    },
  };
}
