import type { VehicleSnapshot } from "../../contracts/update-messages.js";
import { CAMPAIGN_STATE, UNENDED_CAMPAIGN_STATES, owesWithdrawal, withdrawalDelta, type Campaign, type Job, type OutcomeTotals, type TransitionRecord } from "../model.js";
import { OUTCOME_KEYS } from "./keys.js";
import type { CampaignStore } from "./campaign-store.js";
import { creationRecord, draftCampaign } from "./campaigns.js";
import { CampaignExistsError, DuplicateCommandError, NotWaitingError, StaleCampaignError, StaleJobError, TargetExistsError, WaveClosedError } from "./errors.js";

interface TargetEntry {
  vehicle?: VehicleSnapshot;
  seenAt?: string;
  admittedAt?: string;
  waiting: boolean;
}

/**
 * The campaign store in memory, with the DynamoDB store's conditions and errors (the same checks, in the
 * same order, applied all-or-nothing), for fast tests of the update service's race and retry paths. Reads
 * and writes copy, as a network store would. Every operation yields to the event loop first, so calls
 * started together interleave like concurrent requests.
 *
 * @example
 * import { parseCampaignDefinition } from "../model.js";
 * const store = memoryCampaignStore();
 * const campaign = await store.campaigns.create(parseCampaignDefinition({ name: "brakes", targetVersion: "2.4.0" }), { now: new Date().toISOString() });
 */
export function memoryCampaignStore(): CampaignStore {
  const campaigns = new Map<string, Campaign>();
  const histories = new Map<string, TransitionRecord[]>();
  const jobs = new Map<string, Job>();
  const targets = new Map<string, TargetEntry>();
  const commands = new Set<string>();
  const key = (campaignId: string, vin: string) => `${campaignId}#${vin}`;
  const copy = <T>(value: T): T => structuredClone(value);
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

  const store: CampaignStore = {
    campaigns: {
      async create(definition, options) {
        await turn();
        const campaign = draftCampaign(definition, options);
        if (campaigns.has(campaign.campaignId)) throw new CampaignExistsError(campaign.campaignId);
        campaigns.set(campaign.campaignId, copy(campaign));
        histories.set(campaign.campaignId, [creationRecord(options.now)]);
        return campaign;
      },

      async get(campaignId) {
        await turn();
        const campaign = campaigns.get(campaignId);
        return campaign && copy(campaign);
      },

      async list() {
        await turn();
        return [...campaigns.values()]
          .sort((a, b) => `${a.createdAt}#${a.campaignId}`.localeCompare(`${b.createdAt}#${b.campaignId}`))
          .map(copy);
      },

      async saveChange(before, after, record, options = {}) {
        await turn();
        const stored = campaigns.get(before.campaignId);
        if (options.commandKey && commands.has(options.commandKey)) throw new DuplicateCommandError(options.commandKey);
        if (!stored || stored.revision !== before.revision) throw new StaleCampaignError(before.campaignId);
        // A resume's baseline must be exactly the per-vehicle counters it replaces (see campaigns.ts).
        const countersMoved = OUTCOME_KEYS.some((kind) => stored.vehicleOutcomes[kind] !== before.vehicleOutcomes[kind]);
        if (after.outcomesEpoch !== before.outcomesEpoch && countersMoved) throw new StaleCampaignError(before.campaignId);
        // A completion judged the vehicles as read: one admitted, recorded waiting or forgotten since then refuses it.
        const vehiclesMoved = stored.eligible !== before.eligible || stored.admitted !== before.admitted;
        if (after.state === CAMPAIGN_STATE.Completed && before.state !== CAMPAIGN_STATE.Completed && vehiclesMoved) throw new StaleCampaignError(before.campaignId);
        const revision = before.revision + 1;
        const changed: Campaign = {
          ...stored,
          state: after.state,
          revision,
          updatedAt: after.updatedAt,
          waveIndex: after.waveIndex,
          outcomesBaseline: copy(after.outcomesBaseline),
          outcomesEpoch: after.outcomesEpoch,
        };
        for (const field of ["stateReason", "waveOpenedAt", "startedAt", "finishedAt"] as const) {
          if (after[field] === undefined) delete changed[field];
          else changed[field] = after[field];
        }
        if (after.retryFailedRequest !== undefined) changed.retryFailedRequest = copy(after.retryFailedRequest);
        if (after.retriesDroppedAt !== undefined) changed.retriesDroppedAt = after.retriesDroppedAt;
        campaigns.set(before.campaignId, changed);
        histories.get(before.campaignId)!.push(copy(record));
        if (options.commandKey) commands.add(options.commandKey);
        return { ...after, revision };
      },

      async history(campaignId) {
        await turn();
        return copy(histories.get(campaignId) ?? []);
      },

      async changesSince(campaignId, revision) {
        await turn();
        // One record a revision, from the creation's (0) on.
        return copy(histories.get(campaignId) ?? []).map((record, index) => ({ ...record, revision: index })).slice(Math.max(0, revision + 1));
      },
    },

    jobs: {
      async get(campaignId, vin) {
        await turn();
        const job = jobs.get(key(campaignId, vin));
        return job && copy(job);
      },

      async list(campaignId, state) {
        await turn();
        const found = [...jobs.values()].filter((job) => job.campaignId === campaignId && (state === undefined || job.state === state));
        // As the table orders them: by VIN on the campaign's partition, by last update on the per-state index.
        const order = (job: Job) => (state === undefined ? job.vin : `${job.updatedAt}#${job.vin}`);
        return found.sort((a, b) => order(a).localeCompare(order(b))).map(copy);
      },

      async listOwingWithdrawal(campaignId) {
        await turn();
        const owing = [...jobs.values()].filter((job) => job.campaignId === campaignId && owesWithdrawal(job));
        return owing.sort((a, b) => a.vin.localeCompare(b.vin)).map(copy);
      },

      async admit(job, options) {
        await turn();
        const campaign = campaigns.get(job.campaignId);
        const targetKey = key(job.campaignId, job.vin);
        if (jobs.has(targetKey)) throw new StaleJobError(job.jobId);
        const waveOpen =
          campaign !== undefined &&
          campaign.state === CAMPAIGN_STATE.Running &&
          campaign.waveIndex === job.wave &&
          campaign.admitted < options.capacity;
        if (!waveOpen) throw new WaveClosedError(job.campaignId);
        if (options.firstSighting && targets.has(targetKey)) throw new TargetExistsError(job.campaignId, job.vin);
        if (!options.firstSighting && !targets.get(targetKey)?.waiting) throw new NotWaitingError(job.campaignId, job.vin);
        jobs.set(targetKey, copy(job));
        campaign.admitted += 1;
        campaign.counts[job.state] += 1;
        if (options.firstSighting) campaign.eligible += 1;
        campaign.updatedAt = job.createdAt;
        const target: TargetEntry = options.firstSighting
          ? { vehicle: copy(options.firstSighting), seenAt: job.createdAt, waiting: false }
          : { ...targets.get(targetKey), waiting: false };
        targets.set(targetKey, { ...target, admittedAt: job.createdAt });
      },

      async saveTransition(before, after, delta = {}) {
        const changes = (totals: Partial<OutcomeTotals> | undefined) =>
          Object.entries(totals ?? {}).filter(([, amount]) => amount) as Array<[keyof OutcomeTotals, number]>;
        const [outcomes, vehicleOutcomes, baseline] = [changes(delta.outcomes), changes(delta.vehicleOutcomes), changes(delta.baseline)];
        const noCounter = before.state === after.state && outcomes.length + vehicleOutcomes.length + baseline.length === 0;
        if (noCounter && !delta.whileNotEnded) return store.jobs.saveFields(before, after);
        await turn();
        const campaign = campaigns.get(before.campaignId);
        if (jobs.get(key(before.campaignId, before.vin))?.revision !== before.revision) throw new StaleJobError(before.jobId);
        if (delta.epoch !== undefined && campaign && campaign.outcomesEpoch !== delta.epoch) throw new StaleCampaignError(before.campaignId);
        if (delta.whileNotEnded && !(campaign && UNENDED_CAMPAIGN_STATES.includes(campaign.state))) throw new StaleCampaignError(before.campaignId);
        const saved = putJobAtRevision(before, after);
        if (campaign) {
          for (const [kind, amount] of vehicleOutcomes) campaign.vehicleOutcomes[kind] += amount;
          for (const [kind, amount] of baseline) campaign.outcomesBaseline[kind] += amount;
          if (before.state !== saved.state) {
            campaign.counts[before.state] -= 1;
            campaign.counts[saved.state] += 1;
          }
          for (const [kind, amount] of outcomes) campaign.outcomes[kind] += amount;
          campaign.withdrawalsOwed = (campaign.withdrawalsOwed ?? 0) + withdrawalDelta(before, saved);
          campaign.updatedAt = saved.updatedAt;
        }
        return saved;
      },

      async saveFields(before, after) {
        await turn();
        const saved = putJobAtRevision(before, after);
        const owed = withdrawalDelta(before, saved);
        const campaign = campaigns.get(before.campaignId);
        if (owed !== 0 && campaign) {
          campaign.withdrawalsOwed = (campaign.withdrawalsOwed ?? 0) + owed;
          campaign.updatedAt = saved.updatedAt;
        }
        return saved;
      },
    },

    targets: {
      async isKnown(campaignId, vin) {
        await turn();
        return targets.has(key(campaignId, vin));
      },

      async recordFirstSighting(campaignId, vehicle, now) {
        await turn();
        const targetKey = key(campaignId, vehicle.vin);
        if (targets.has(targetKey)) return false;
        targets.set(targetKey, { vehicle: copy(vehicle), seenAt: now, waiting: true });
        const campaign = campaigns.get(campaignId);
        if (campaign) campaign.eligible += 1;
        return true;
      },

      async refreshWaiting(campaignId, vehicle, now) {
        await turn();
        const target = targets.get(key(campaignId, vehicle.vin));
        if (!target?.waiting || target.seenAt === undefined || !(target.seenAt < now)) return;
        target.vehicle = copy(vehicle);
        target.seenAt = now;
      },

      async listWaiting(campaignId, limit) {
        await turn();
        return [...targets.entries()]
          .filter(([targetKey, target]) => target.waiting && targetKey.startsWith(`${campaignId}#`))
          .map(([, target]) => target)
          .sort((a, b) => `${a.seenAt}#${a.vehicle?.vin}`.localeCompare(`${b.seenAt}#${b.vehicle?.vin}`))
          .slice(0, limit)
          .map((target) => copy(target.vehicle!));
      },

      async forgetWaiting(campaignId, vin) {
        // The DynamoDB store keeps a refused record a first sighting overwrites; as observed, the same as none.
        await turn();
        const targetKey = key(campaignId, vin);
        if (!targets.get(targetKey)?.waiting) return false;
        targets.delete(targetKey);
        const campaign = campaigns.get(campaignId);
        if (campaign) campaign.eligible -= 1;
        return true;
      },
    },

    commands: {
      async isProcessed(idempotencyKey) {
        await turn();
        return commands.has(idempotencyKey);
      },
    },
  };

  function putJobAtRevision(before: Job, after: Job): Job {
    const jobKey = key(before.campaignId, before.vin);
    if (jobs.get(jobKey)?.revision !== before.revision) throw new StaleJobError(before.jobId);
    const saved: Job = { ...copy(after), revision: before.revision + 1 };
    jobs.set(jobKey, copy(saved));
    return saved;
  }

  return store;
}
