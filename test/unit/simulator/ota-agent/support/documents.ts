import { CONNECTIVITY_CLASS } from "../../../../../contracts/update-messages.js";
import { verifyJobBundle } from "../../../../../uptane/vehicle-verification.js";
import { defaultTimings, noFaults, type AgentEnvironment, type FaultProfile, type VehicleFacts } from "../../../../../simulator/ota-agent/agent-machine.js";
import { bundle, directorTargets, imageTargets, NOW, OTHER_VIN, trust, VIN, type DirectorOptions } from "../../../uptane/support/repositories.js";
import type { JobBundle } from "../../../../../uptane/metadata.js";

/** Small factories for agent tests: signed job bundles (both repositories), vehicle facts, an environment. */
export { NOW, OTHER_VIN, trust, VIN };

let version = 0;

/**
 * A job bundle as the update manager writes it; each call gets a newer director version than the last
 * unless one is given (documents made later are newer, as the director's are).
 */
export function signedDocument(options: { director?: DirectorOptions; image?: Parameters<typeof imageTargets>[0] } = {}): JobBundle {
  return bundle({ director: { version: ++version, ...options.director }, image: options.image });
}

/** A signed withdrawal (director metadata naming nothing), newer than every document made so far. */
export function signedWithdrawal(): JobBundle {
  return { director: directorTargets({ version: ++version, withdrawn: true }).toJSON() };
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
    verify: verifyJobBundle,
    random: () => randomValues[Math.min(index++, randomValues.length - 1)] ?? 0.5,
    faults: { ...noFaults, ...faults },
    timings: defaultTimings,
  };
}
