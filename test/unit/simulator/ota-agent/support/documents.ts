import {
  firmwareImageKey,
  signJobDocument,
  signManifest,
  verifyJobDocument,
  type FirmwareManifest,
  type JobDocument,
  type JobPayload,
} from "../../../../../campaigns/job-document.js";
import { envelopeDigest, generateSigningKey, type SigningKey } from "../../../../../campaigns/signing.js";
import { CONNECTIVITY_CLASS } from "../../../../../contracts/update-messages.js";
import { defaultTimings, noFaults, type AgentEnvironment, type FaultProfile, type VehicleFacts } from "../../../../../simulator/ota-agent/agent-machine.js";

/** Small factories for agent tests: a fleet key, signed documents, vehicle facts, an environment. */
export const NOW = Date.parse("2026-11-26T12:00:00Z");
export const VIN = "1HGCM82633A004352";
export const OTHER_VIN = "1M8GDM9AXKP042788";
export const fleetKey: SigningKey = generateSigningKey();

export function manifestFor(overrides: Partial<FirmwareManifest> = {}): FirmwareManifest {
  const version = overrides.version ?? "2.4.0";
  return {
    version,
    sha256: "a".repeat(64),
    size: 50_000_000,
    hardware: ["hu-3"],
    antiRollbackCounter: 7,
    expiresAt: new Date(NOW + 30 * 86_400_000).toISOString(),
    imageKey: firmwareImageKey(version),
    ...overrides,
  };
}

export function signedDocument(
  job: Partial<JobPayload> = {},
  manifest: Partial<FirmwareManifest> = {},
  key: SigningKey = fleetKey,
): JobDocument {
  const signedManifest = signManifest(manifestFor(manifest), key);
  const payload: JobPayload = {
    jobId: `cmp-1:${job.vin ?? VIN}`,
    campaignId: "cmp-1",
    vin: VIN,
    attempt: 1,
    targetVersion: manifest.version ?? "2.4.0",
    manifestDigest: envelopeDigest(signedManifest),
    issuedAt: new Date(NOW).toISOString(),
    expiresAt: new Date(NOW + 3 * 86_400_000).toISOString(),
    preconditions: { requireParked: true, minStateOfChargePercent: 30, connectivity: [CONNECTIVITY_CLASS.Good] },
    ...job,
  };
  return signJobDocument(payload, signedManifest, key);
}

export function facts(overrides: Partial<VehicleFacts> = {}): VehicleFacts {
  return {
    vin: VIN,
    hardware: "hu-3",
    firmwareVersion: "2.3.0",
    parked: true,
    stateOfCharge: 80,
    connectivity: CONNECTIVITY_CLASS.Good,
    ...overrides,
  };
}

/** An environment with the real verifier and a scripted random source (repeats its last value). */
export function environment(faults: Partial<FaultProfile> = {}, randomValues: number[] = [0.5]): AgentEnvironment {
  let index = 0;
  return {
    verify: (document, vehicle) => verifyJobDocument(document, fleetKey.publicKeyPem, vehicle),
    random: () => randomValues[Math.min(index++, randomValues.length - 1)] ?? 0.5,
    faults: { ...noFaults, ...faults },
    timings: defaultTimings,
  };
}
