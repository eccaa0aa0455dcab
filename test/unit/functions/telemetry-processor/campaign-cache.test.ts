/**
 * The processor's campaign list, cached per container (functions/telemetry-processor/campaign-cache.ts): read once a
 * cache period; read again at once, at most once an invocation, when a report names a campaign it does not know and it
 * was read before the invocation began; objects asking at once share a read; a failed read is thrown, never kept.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { jobIdFor, parseCampaignDefinition, type Campaign, type CampaignState } from "../../../../campaigns/model.js";
import { CAMPAIGNS_CACHE_MS, cachedCampaigns } from "../../../../functions/telemetry-processor/campaign-cache.js";
import { reportedCampaignIds } from "../../../../functions/telemetry-processor/update-handoff.js";
import { enriched } from "../../telemetry/support/factories.js";

const OLD = "c-20261203T100000-aaaaaaaa";
const NEW = "c-20261203T110000-bbbbbbbb";

/** A campaign table stand-in: `campaigns` as stored now, `reads` counted, `failWith` thrown by the next reads. */
function table(initial: Array<[string, CampaignState]> = [[OLD, "RUNNING"]]) {
  const state = { campaigns: new Map(initial), reads: 0, failWith: undefined as Error | undefined };
  const list = async (): Promise<Campaign[]> => {
    state.reads++;
    if (state.failWith) throw state.failWith;
    return [...state.campaigns].map(([campaignId, campaignState]) => ({ campaignId, state: campaignState, definition: parseCampaignDefinition({ name: campaignId, targetVersion: "2.4.0" }) }) as unknown as Campaign);
  };
  return { state, list: { list } };
}

test("read once a cache period, whatever the invocations; a campaign started since counts from the next read on", async () => {
  const { state, list } = table();
  let nowMs = 1_000_000;
  const cache = cachedCampaigns({ campaigns: list, now: () => nowMs });

  assert.equal([...(await cache.forInvocation().knowing([OLD])).ids], [OLD]);
  state.campaigns.set(NEW, "RUNNING");
  nowMs += CAMPAIGNS_CACHE_MS - 1;
  const within = await cache.forInvocation().knowing([]);
  assert.is(state.reads, 1, "within the period: no read");
  assert.equal(within.running.map((definition) => definition.name), [OLD], "the started campaign's candidates wait for the next read");
  nowMs += 1;
  assert.equal((await cache.forInvocation().knowing([])).running.map((definition) => definition.name), [OLD, NEW]);
  assert.is(state.reads, 2);
});

test("a report naming a campaign created after the list was read: read again at once, so it is known, not held back", async () => {
  const { state, list } = table();
  let nowMs = 0;
  const cache = cachedCampaigns({ campaigns: list, now: () => nowMs });
  await cache.forInvocation().knowing([]);
  state.campaigns.set(NEW, "RUNNING");
  nowMs += 1_000;

  const known = await cache.forInvocation().knowing([OLD, NEW]);
  assert.ok(known.ids.has(NEW));
  assert.is(state.reads, 2);
  assert.ok((await cache.forInvocation().knowing([NEW])).ids.has(NEW), "and stays known");
  assert.is(state.reads, 2);
});

test("made-up campaign ids cost at most one read an invocation, and none when the invocation's list is fresh from it", async () => {
  const { state, list } = table();
  let nowMs = 0;
  const cache = cachedCampaigns({ campaigns: list, now: () => nowMs });
  await cache.forInvocation().knowing([]);
  nowMs += 1_000;

  const flooded = cache.forInvocation();
  for (let n = 0; n < 64; n++) assert.not.ok((await flooded.knowing([`c-made-up-${n}`])).ids.has(`c-made-up-${n}`));
  assert.is(state.reads, 2, "one read for 64 objects of made-up ids in one invocation");
  nowMs += 1_000;
  await cache.forInvocation().knowing(["c-made-up-0"]);
  assert.is(state.reads, 3, "the next invocation reads again (the campaign could have been created meanwhile)");

  nowMs += CAMPAIGNS_CACHE_MS;
  const expired = cache.forInvocation();
  await expired.knowing(["c-made-up-1"]);
  await expired.knowing(["c-made-up-2"]);
  assert.is(state.reads, 4, "a list read in the invocation (the period over) is read no more for unknown ids");
});

test("objects asking at once share one read; a failed read is thrown (the message is retried) and not kept", async () => {
  const { state, list } = table();
  let nowMs = 0;
  const cache = cachedCampaigns({ campaigns: list, now: () => nowMs });
  const invocation = cache.forInvocation();
  await Promise.all(Array.from({ length: 10 }, () => invocation.knowing([NEW])));
  assert.is(state.reads, 1);

  nowMs += CAMPAIGNS_CACHE_MS;
  state.failWith = Object.assign(new Error("Rate exceeded"), { name: "ProvisionedThroughputExceededException" });
  const failing = cache.forInvocation();
  const error = await failing.knowing([]).catch((caught: unknown) => caught);
  assert.instance(error, Error);
  assert.is((error as Error).name, "ProvisionedThroughputExceededException", "never answered from the expired list");
  state.failWith = undefined;
  state.campaigns.set(NEW, "RUNNING");
  assert.ok((await failing.knowing([])).ids.has(NEW), "the next ask reads");
  assert.is(state.reads, 3);
});

test("a read in flight when the invocation began does not count as the invocation's: one more read finds the campaign", async () => {
  const { state, list } = table();
  let nowMs = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const slow = {
    list: async () => {
      const asStoredNow = list.list();
      await gate;
      return asStoredNow;
    },
  };
  const cache = cachedCampaigns({ campaigns: slow, now: () => nowMs });
  const earlier = cache.forInvocation().knowing([]);
  nowMs += 1_000;
  const later = cache.forInvocation();
  const asked = later.knowing([NEW]);
  state.campaigns.set(NEW, "RUNNING"); // created after the first read was sent, before the later invocation's ask
  release();
  await earlier;
  assert.ok((await asked).ids.has(NEW));
  assert.is(state.reads, 2);
});

test("only the uploader's own jobs' campaigns may make the list be read again", () => {
  const VIN = "1HGCM82633A004352";
  const OTHER = "1M8GDM9AXKP042788";
  const ota = (campaignId: string, jobId: string) => ({ jobId, campaignId, attempt: 1, sequence: 1, status: "DOWNLOADING" as const, targetVersion: "2.4.0" });
  const accepted = [
    enriched({ vin: VIN, ota: ota(OLD, jobIdFor(OLD, VIN)) }),
    enriched({ vin: VIN, ota: ota("c-made-up", jobIdFor("c-made-up", OTHER)) }),
    enriched({ vin: OTHER, ota: ota(NEW, jobIdFor(NEW, OTHER)) }),
    enriched({ vin: VIN }),
  ];
  assert.equal([...reportedCampaignIds(accepted, VIN)], [OLD]);
});

test.run();
