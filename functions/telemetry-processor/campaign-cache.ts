/**
 * The campaigns as the processor knows them (update-handoff.ts KnownCampaigns), cached per container. The list is one
 * Query of the campaigns index that reads every campaign item whole (about 1.7 KB each with its definition): read once
 * an invocation, it cost 2.5 read units at 10 campaigns and 214 at 1,000, at ~730,000 invocations a month for 100,000
 * vehicles uploading hourly. Campaigns are never deleted, so the list only grows.
 *
 * Kept for CAMPAIGNS_CACHE_MS, then read again. A status report naming a campaign the list does not know makes the
 * invocation read it again at once, unless the list in hand was read after the invocation began: no genuine report
 * is then held back as `unknown-campaign` because of the cache. An object is uploaded before the invocation that reads
 * it begins, and a job report in it exists only once its campaign was created, so a list read after that beginning
 * knows every campaign a genuine report of the invocation can name (report-screen.ts). Made-up campaign ids therefore
 * cost at most one read an invocation, what every invocation cost before the cache.
 *
 * `running` may be up to CAMPAIGNS_CACHE_MS old. A campaign started (or resumed) since gets no candidates from the
 * container until its next read: a vehicle whose upload falls in that window is offered at its next upload. One
 * paused, aborted or completed since still gets candidates for that long; the update manager reads the campaign again
 * (strongly consistent) before it admits or records a vehicle, and refuses every one of them (campaigns/update-service.ts
 * offerToCampaign), so a stale list costs update-queue messages, never an admission.
 */
import type { CampaignList } from "../../campaigns/store/index.js";
import { loadCampaigns, type KnownCampaigns } from "./update-handoff.js";

/** How old the container's campaign list may be before an invocation reads it again. */
export const CAMPAIGNS_CACHE_MS = 60_000;

/** The campaigns one invocation works with. */
export interface InvocationCampaigns {
  /**
   * The campaigns, for an object whose own jobs' reports name `campaignIds` (possibly none): the container's list while
   * fresh, read again when it is not, or when it does not know one of `campaignIds` and was read before the invocation
   * began (at most one such read an invocation; objects asking at once share it). A failed read throws (transient).
   */
  knowing(campaignIds: Iterable<string>): Promise<KnownCampaigns>;
}

/** The container's campaign list, kept across invocations. */
export interface CampaignCache {
  /** The view of one invocation, beginning now. */
  forInvocation(): InvocationCampaigns;
}

interface Read {
  known: KnownCampaigns;
  /** When the read was started: it knows every campaign created before then. */
  startedAtMs: number;
}

/**
 * @example
 * import { dynamoCampaignList } from "../../campaigns/store/index.js";
 * const cache = cachedCampaigns({ campaigns: dynamoCampaignList({ doc, table: "fleetota-dev-state" }) }); // once a container
 * const campaigns = await cache.forInvocation().knowing(["c-20261203T100000-aaaaaaaa"]);
 */
export function cachedCampaigns(options: { campaigns: CampaignList; now?: () => number; cacheMs?: number }): CampaignCache {
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? CAMPAIGNS_CACHE_MS;
  let cached: Read | undefined;
  let reading: Promise<Read> | undefined;

  /** The read in flight, or a new one. A failure is not kept: the next ask reads again. */
  function read(): Promise<Read> {
    reading ??= (async function readCampaigns() {
      const startedAtMs = now();
      try {
        const known = await loadCampaigns(options.campaigns);
        cached = { known, startedAtMs };
        return cached;
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  }

  return {
    forInvocation(): InvocationCampaigns {
      const beganAtMs = now();
      return {
        async knowing(campaignIds) {
          let current = cached !== undefined && now() - cached.startedAtMs < cacheMs ? cached : await read();
          if (current.startedAtMs >= beganAtMs || [...campaignIds].every((campaignId) => current.known.ids.has(campaignId))) return current.known;
          current = await read();
          // That read was in flight when the invocation began: one more.
          if (current.startedAtMs < beganAtMs) current = await read();
          return current.known;
        },
      };
    },
  };
}
