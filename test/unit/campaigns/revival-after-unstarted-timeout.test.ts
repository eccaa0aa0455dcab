/**
 * A job that timed out before its vehicle started it, in a campaign that then completed: a start reported later is
 * held to maxInProgressMinutes counted from the timeout (the vehicle cannot have started after its document was
 * withdrawn), so one report cannot have the ticker tick an old campaign for another full limit (review 28, R28-01).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Campaign, CampaignDefinitionInput } from "../../../campaigns/model.js";
import { WITHDRAWAL_SETTLE_MINUTES } from "../../../campaigns/job-documents.js";
import { campaignsToTick } from "../../../functions/rollout-ticker/tick-messages.js";
import { memoryCampaignStore } from "../../../campaigns/store/index.js";
import { UpdateTally } from "../../../campaigns/update-tally.js";
import { factsAsDescribed, memoryVehicleRegistry } from "../../../campaigns/registry-check.js";
import { ActiveCampaigns, handleUpdateMessage, tickCampaign, type UpdateServiceDeps } from "../../../campaigns/update-service.js";
import type { StatusReportMessage, UpdateMessage, VehicleSnapshot } from "../../../contracts/update-messages.js";
import { silentLog } from "../../../lib/logger.js";
import { computeCheckDigit } from "../../../telemetry/vin.js";
import { documentSlots } from "./support/document-slots.js";
import { T0, definition, minutesAfter, vehicle } from "./support/factories.js";

function harness() {
  const store = memoryCampaignStore();
  const clock = { now: T0 };
  const slots = documentSlots();
  const registry = memoryVehicleRegistry();
  const deps: UpdateServiceDeps = { store, documents: slots.channel, tally: new UpdateTally(), registry, log: silentLog, now: () => clock.now };
  const deliver = async (...messages: UpdateMessage[]) => {
    const active = new ActiveCampaigns(store);
    for (const message of messages) {
      if (message.kind === "candidate") registry.register(factsAsDescribed(message.vehicle));
      await handleUpdateMessage(deps, message, active);
    }
  };
  return { store, clock, slots, deps, deliver };
}
type H = ReturnType<typeof harness>;

const vin = (index: number): string => {
  const body = `1HGCM826_3A${String(index).padStart(6, "0")}`;
  return body.replace("_", computeCheckDigit(body));
};
const car = (index: number, overrides: Partial<VehicleSnapshot> = {}): VehicleSnapshot => vehicle({ vin: vin(index), observedAt: T0.toISOString(), ...overrides });
const candidate = (snapshot: VehicleSnapshot): UpdateMessage => ({ kind: "candidate", idempotencyKey: `candidate#${snapshot.vin}#${snapshot.observedAt}#${Math.random()}`, vehicle: snapshot });
let counter = 0;
const commandOn = (campaignId: string, name: "start" | "retry-failed", requestedAt: Date): UpdateMessage => ({ kind: "command", idempotencyKey: `${name}#${++counter}`, command: name, campaignId, requestedBy: "test", requestedAt: requestedAt.toISOString() });
const start = (campaignId: string): UpdateMessage => commandOn(campaignId, "start", T0);
const reportOn = (campaignId: string, vinOf: string, status: StatusReportMessage["status"], sequence: number): UpdateMessage => ({
  kind: "status-report",
  idempotencyKey: `${campaignId}:${vinOf}#1#${sequence}`,
  vin: vinOf,
  campaignId,
  jobId: `${campaignId}:${vinOf}`,
  attempt: 1,
  sequence,
  status,
  firmwareVersion: status === "SUCCEEDED" ? "2.4.0" : "2.3.1",
  reportedAt: T0.toISOString(),
});

const LIMITS: Partial<CampaignDefinitionInput> = {
  startTimeoutMinutes: 30,
  inProgressTimeoutMinutes: 60,
  maxInProgressMinutes: 360,
  retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 },
  waves: [{ percent: 100, soakMinutes: 0 }],
};

/** A campaign whose only vehicle (car 1) never picked its job up: TIMED_OUT unstarted, COMPLETED, withdrawal settled. */
async function completedWithUnstartedTimeout(h: H): Promise<Campaign> {
  h.clock.now = T0;
  const created = await h.store.campaigns.create(definition(LIMITS), { now: h.clock.now.toISOString() });
  await h.deliver(start(created.campaignId));
  await h.deliver(candidate(car(1)));
  for (const minute of [31, 31 + WITHDRAWAL_SETTLE_MINUTES + 1, 31 + WITHDRAWAL_SETTLE_MINUTES + 2]) {
    h.clock.now = minutesAfter(minute);
    await tickCampaign(h.deps, created.campaignId);
  }
  return (await h.store.campaigns.get(created.campaignId))!;
}

const ticked = async (h: H, id: string) => campaignsToTick([(await h.store.campaigns.get(id))!], h.clock.now).length === 1;

test("a start report 30 days after an unstarted timeout is ignored (not ticked); a final report still lands", async () => {
  const h = harness();
  const { campaignId: id } = await completedWithUnstartedTimeout(h);
  h.clock.now = minutesAfter(30 * 24 * 60);
  await h.deliver(reportOn(id, vin(1), "DOWNLOADING", 1));
  assert.is((await h.store.jobs.get(id, vin(1)))!.state, "TIMED_OUT");
  assert.not.ok(await ticked(h, id));
  await h.deliver(reportOn(id, vin(1), "SUCCEEDED", 2));
  const campaign = (await h.store.campaigns.get(id))!;
  assert.equal([(await h.store.jobs.get(id, vin(1)))!.state, campaign.outcomes.timedOut, campaign.outcomes.succeeded], ["SUCCEEDED", 0, 1]);
});

test("a genuine late start (offline vehicle, report 100 min after the unstarted timeout) is revived, held to maxInProgressMinutes from the timeout", async () => {
  const h = harness();
  const { campaignId: id } = await completedWithUnstartedTimeout(h);
  h.clock.now = minutesAfter(31 + 100);
  await h.deliver(reportOn(id, vin(1), "DOWNLOADING", 1));
  const job = (await h.store.jobs.get(id, vin(1)))!;
  assert.equal([job.state, job.inProgressSince], ["IN_PROGRESS", minutesAfter(31).toISOString()]);
  for (let minute = 31 + 150; minute <= 31 + 360; minute += 50) {
    h.clock.now = minutesAfter(minute);
    await h.deliver(reportOn(id, vin(1), "INSTALLING", minute));
    if (await ticked(h, id)) await tickCampaign(h.deps, id);
  }
  h.clock.now = minutesAfter(31 + 361);
  assert.ok(await ticked(h, id));
  await tickCampaign(h.deps, id);
  assert.is((await h.store.jobs.get(id, vin(1)))!.state, "TIMED_OUT", "360 minutes after the timeout, heartbeats or not");
});

test("a retry-failed refused while the vehicle is busy in another campaign does not open the late-start window again (review 29, R29-01)", async () => {
  const h = harness();
  const { campaignId: one } = await completedWithUnstartedTimeout(h);
  assert.is((await h.store.campaigns.get(one))!.state, "COMPLETED");
  // Campaign two (2.5.0) holds the vehicle's slot: its job QUEUED, its document out.
  h.clock.now = minutesAfter(40);
  const two = await h.store.campaigns.create(definition({ ...LIMITS, name: "two", targetVersion: "2.5.0", startTimeoutMinutes: 24 * 60 }), { now: h.clock.now.toISOString() });
  await h.deliver(commandOn(two.campaignId, "start", h.clock.now));
  await h.deliver(candidate(car(1, { observedAt: h.clock.now.toISOString() })));
  assert.is((await h.store.jobs.get(two.campaignId, vin(1)))!.state, "QUEUED");
  // 300 minutes after the timeout the operator retries campaign one's failures: refused for the vehicle (busy).
  h.clock.now = minutesAfter(31 + 300);
  await h.deliver(commandOn(one, "retry-failed", h.clock.now));
  for (const minute of [31 + 301, 31 + 302]) {
    h.clock.now = minutesAfter(minute);
    await tickCampaign(h.deps, one);
  }
  const refusedJob = (await h.store.jobs.get(one, vin(1)))!;
  const last = refusedJob.history.at(-1)!;
  assert.equal([refusedJob.state, last.from, last.to], ["TIMED_OUT", "TIMED_OUT", "TIMED_OUT"], JSON.stringify(last));
  assert.match(last.reason, "retry refused");
  // A DOWNLOADING 400 minutes after the timeout (limit 360): should be ignored, as without the operator's command.
  h.clock.now = minutesAfter(31 + 400);
  await h.deliver(reportOn(one, vin(1), "DOWNLOADING", 1));
  const after = (await h.store.jobs.get(one, vin(1)))!;
  assert.equal([after.state, await ticked(h, one)], ["TIMED_OUT", false], `revived: ${after.state} inProgressSince ${after.inProgressSince} (timeout at ${minutesAfter(31).toISOString()})`);
});

test.run();
