import semver from "semver";
import type { VehicleSnapshot } from "../contracts/update-messages.js";
import type { CampaignDefinition } from "./model.js";

/**
 * Whether a vehicle is a target of a campaign: it matches every selector field given, and runs a
 * version older than the target (a campaign never downgrades, and a vehicle already on the target is
 * done). A vehicle whose version is not semver never matches.
 *
 * @example
 * matchesCampaign(definition, { vin: "1HGCM82633A004352", make: "Honda", model: "Accord", modelYear: 2021, region: "us-west", hardware: "hu-3",
 *   firmwareVersion: "2.3.1", parked: true, stateOfCharge: 80, connectivity: "good", observedAt: "2026-11-26T17:35:00Z" }); // true
 */
export function matchesCampaign(definition: CampaignDefinition, vehicle: VehicleSnapshot): boolean {
  const { selector } = definition;
  if (selector.makes && !selector.makes.includes(vehicle.make)) return false;
  if (selector.models && !selector.models.includes(vehicle.model)) return false;
  if (selector.regions && !selector.regions.includes(vehicle.region)) return false;
  if (selector.hardware && !selector.hardware.includes(vehicle.hardware)) return false;
  if (selector.modelYears && (vehicle.modelYear < selector.modelYears.from || vehicle.modelYear > selector.modelYears.to)) return false;
  if (!semver.valid(vehicle.firmwareVersion)) return false;
  if (!semver.lt(vehicle.firmwareVersion, definition.targetVersion)) return false;
  if (selector.currentVersionRange && !semver.satisfies(vehicle.firmwareVersion, selector.currentVersionRange)) return false;
  return true;
}
