import { factFromAttributeValue, INJECTIVE_ATTRIBUTE_FORM, legacyAttributeValue, mayBeLossy, thingAttributeValue } from "../contracts/vehicle-identity.js";
import type { VehicleSnapshot } from "../contracts/update-messages.js";
import type { CampaignDefinition } from "./model.js";

/**
 * Campaign targeting trusts the registry, not the vehicle. A candidate's description comes from the
 * vehicle's own telemetry; the static facts a campaign selects on (make, model, hardware, model year)
 * must agree with what the vehicle's AWS IoT thing was registered with (`fleetota vehicles register`,
 * identity/provisioning.ts) before the vehicle is admitted or recorded as waiting. The dynamic facts
 * (firmware version, region, battery, connectivity, parked) stay the vehicle's own.
 */

/** What the registry holds of a vehicle: its thing's attributes (any may be missing on a thing registered by hand). */
export interface RegisteredVehicleFacts {
  readonly vin: string;
  readonly make?: string;
  readonly model?: string;
  readonly hardware?: string;
  readonly modelYear?: number;
  /** The thing's `attributeForm` marker (`INJECTIVE_ATTRIBUTE_FORM` when registered or reencoded in the injective form). */
  readonly attributeForm?: string;
}

/** Reads a vehicle's registered facts; undefined when no vehicle thing of that name exists. Throws on a transient failure. */
export interface VehicleRegistry {
  describe(vin: string): Promise<RegisteredVehicleFacts | undefined>;
}

/** Why a candidate was not admitted on the registry's word: the `Reason` of OTAUpdates/CandidatesRefused. */
export const CANDIDATE_REFUSAL = {
  /** No vehicle thing of that VIN: it cannot even fetch a job document. */
  Unregistered: "unregistered",
  /** Its description differs from the registered one where a campaign it claims to match selects. */
  DescriptionMismatch: "description-mismatch",
} as const;
export type CandidateRefusal = (typeof CANDIDATE_REFUSAL)[keyof typeof CANDIDATE_REFUSAL];

const STATIC_TEXT_FACTS = ["make", "model", "hardware"] as const;
const SELECTOR_OF = { make: "makes", model: "models", hardware: "hardware" } as const;

/**
 * How the vehicle's description differs from its registration, for one campaign: each registered text
 * fact must equal the claimed one in its attribute form (`thingAttributeValue`, injective: `Model 3` is
 * registered as `Model_3`, `Citroën` as `Citro=C3=ABn`, and no other value has those forms), and a missing one
 * is a difference; the model year must equal the registered one when one is registered, and must be registered
 * when the campaign selects model years. Empty when the vehicle may be admitted.
 * A thing registered before the encoding was injective (no `attributeForm` marker) may hold the lossy form
 * (`legacyAttributeValue`: `Citro_n` for `Citroën` and `Citroén` alike), and its `hu_3` also reads as the injective
 * form of `hu 3`: each of its values holding `_` or `=` matches, in either form, where the campaign does not select
 * that fact (registered fleets keep working), and is a difference where it does, naming the remedy (check the
 * vehicle's papers, then reencode with the value from them: never the vehicle's claim).
 *
 * @example
 * import { parseCampaignDefinition } from "./model.js";
 * const vin = "1HGCM82633A004352";
 * const claimed = { vin, make: "Tesla", model: "Accord", modelYear: 2021, region: "us-west", hardware: "hu-3", firmwareVersion: "2.3.1",
 *   parked: true, stateOfCharge: 80, connectivity: "good" as const, observedAt: "2026-11-26T17:35:00Z" };
 * registryMismatches(claimed, { vin, make: "Honda", model: "Accord", hardware: "hu-3" }, parseCampaignDefinition({ name: "x", targetVersion: "2.4.0" }));
 * // ['make "Tesla" is registered as "Honda"']
 */
export function registryMismatches(claimed: VehicleSnapshot, registered: RegisteredVehicleFacts, definition: CampaignDefinition): string[] {
  const mismatches: string[] = [];
  for (const fact of STATIC_TEXT_FACTS) {
    const value = registered[fact];
    const claim = claimed[fact];
    if (value === undefined) {
      mismatches.push(`${fact} is not registered`);
    } else if (mayBeLossy(value, registered.attributeForm)) {
      // Registered before the marker: `hu_3` is the lossy form of several values and the injective form of `hu 3`, so no claim is exact.
      if (thingAttributeValue(claim) !== value && legacyAttributeValue(claim) !== value) mismatches.push(`${fact} ${JSON.stringify(claim)} is registered as ${JSON.stringify(value)}`);
      else if (definition.selector[SELECTOR_OF[fact]]) {
        // Never the claim as the value to reencode with: it is the vehicle's word, and the lossy form fits others too.
        mismatches.push(
          `${fact} ${JSON.stringify(claim)} is registered in the lossy form ${JSON.stringify(value)}, which several values share, and the campaign selects ${fact}: ` +
            `check the vehicle's papers for its ${fact}, then register it again with the value from them (fleetota vehicles reencode ${claimed.vin} --${fact} <value from the papers> --checked-papers)`,
        );
      }
    } else if (thingAttributeValue(claim) !== value) {
      mismatches.push(`${fact} ${JSON.stringify(claim)} is registered as ${describeAttribute(value)}`);
    }
  }
  if (registered.modelYear !== undefined) {
    if (registered.modelYear !== claimed.modelYear) mismatches.push(`model year ${claimed.modelYear} is registered as ${registered.modelYear}`);
  } else if (definition.selector.modelYears) {
    mismatches.push("model year is not registered, and the campaign selects model years");
  }
  return mismatches;
}

/** A registered attribute as the value it stands for, with its form when that differs (`"Citroën" (Citro=C3=ABn)`). */
function describeAttribute(form: string): string {
  const fact = factFromAttributeValue(form);
  if (fact === undefined) return `${JSON.stringify(form)} (not an attribute form FleetOTA writes)`;
  return fact === form ? JSON.stringify(fact) : `${JSON.stringify(fact)} (${form})`;
}

/**
 * One registry read per VIN per invocation, however many candidates of it a batch holds. A failed read
 * is not kept: the message fails and its redelivery reads again.
 *
 * @example
 * import { IoTClient } from "@aws-sdk/client-iot";
 * import { iotVehicleRegistry } from "../functions/update-manager/vehicle-registry.js";
 * const registry = readOncePerInvocation(iotVehicleRegistry(new IoTClient({}), "fleetota-dev-vehicle"));
 */
export function readOncePerInvocation(registry: VehicleRegistry): VehicleRegistry & { readonly reads: number } {
  const cache = new Map<string, Promise<RegisteredVehicleFacts | undefined>>();
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    describe(vin) {
      let read = cache.get(vin);
      if (!read) {
        reads++;
        read = registry.describe(vin);
        read.catch(() => cache.delete(vin));
        cache.set(vin, read);
      }
      return read;
    },
  };
}

/** The facts a vehicle would be registered with if its description were true (in attribute form). */
export function factsAsDescribed(vehicle: Pick<VehicleSnapshot, "vin" | "make" | "model" | "hardware" | "modelYear">): RegisteredVehicleFacts {
  return {
    vin: vehicle.vin,
    make: thingAttributeValue(vehicle.make),
    model: thingAttributeValue(vehicle.model),
    hardware: thingAttributeValue(vehicle.hardware),
    modelYear: vehicle.modelYear,
    attributeForm: INJECTIVE_ATTRIBUTE_FORM,
  };
}

/**
 * A registry in memory (tests, benchmarks): what was registered, and how many reads it answered.
 *
 * @example
 * const registry = memoryVehicleRegistry();
 * registry.register(factsAsDescribed({ vin: "1HGCM82633A004352", make: "Honda", model: "Accord", hardware: "hu-3", modelYear: 2021 }));
 */
export function memoryVehicleRegistry(): VehicleRegistry & { register(facts: RegisteredVehicleFacts): void; readonly reads: number } {
  const things = new Map<string, RegisteredVehicleFacts>();
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    register(facts) {
      things.set(facts.vin, facts);
    },
    async describe(vin) {
      reads++;
      return things.get(vin);
    },
  };
}
