import { parseCampaignDefinition, emptyJobCounts, emptyOutcomes, type Campaign, type CampaignDefinition, type CampaignDefinitionInput, type Job } from "../../../../campaigns/model.js";
import type { VehicleSnapshot } from "../../../../contracts/update-messages.js";

export const T0 = new Date("2026-11-26T18:00:00.000Z");
export const minutesAfter = (minutes: number, from: Date = T0): Date => new Date(from.getTime() + minutes * 60_000);

export function definition(overrides: Partial<CampaignDefinitionInput> = {}): CampaignDefinition {
  return parseCampaignDefinition({
    name: "brakes 2.4.0",
    targetVersion: "2.4.0",
    retries: { max: 2, backoffBaseSeconds: 60, backoffCapSeconds: 600 },
    inProgressTimeoutMinutes: 30,
    ...overrides,
  });
}

export function job(overrides: Partial<Job> = {}): Job {
  return {
    jobId: "c-1:1HGCM82633A004352",
    campaignId: "c-1",
    vin: "1HGCM82633A004352",
    state: "QUEUED",
    targetVersion: "2.4.0",
    firmwareVersion: "2.3.1",
    hardware: "hu-3",
    wave: 0,
    attempt: 1,
    lastSequence: -1,
    history: [],
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
    revision: 0,
    ...overrides,
  };
}

export function campaign(overrides: Partial<Campaign> = {}, definitionOverrides: Partial<CampaignDefinitionInput> = {}): Campaign {
  return {
    campaignId: "c-1",
    name: "brakes 2.4.0",
    definition: definition(definitionOverrides),
    state: "DRAFT",
    waveIndex: -1,
    eligible: 0,
    admitted: 0,
    counts: emptyJobCounts(),
    outcomes: emptyOutcomes(),
    vehicleOutcomes: emptyOutcomes(),
    outcomesBaseline: emptyOutcomes(),
    outcomesEpoch: 0,
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
    revision: 0,
    ...overrides,
  };
}

export function vehicle(overrides: Partial<VehicleSnapshot> = {}): VehicleSnapshot {
  return {
    vin: "1HGCM82633A004352",
    make: "Honda",
    model: "Accord",
    modelYear: 2021,
    region: "us-west",
    hardware: "hu-3",
    firmwareVersion: "2.3.1",
    parked: true,
    stateOfCharge: 80,
    connectivity: "good",
    observedAt: T0.toISOString(),
    ...overrides,
  };
}
