/**
 * Names of the vehicle identity resources, shared by the stack (modules/vehicle-identity.ts), the CLI
 * (`fleetota vehicles`) and the local cloud, so nothing spells them twice.
 */

/**
 * @example
 * vehicleIdentityNames("fleetota-dev"); // { role: "fleetota-dev-vehicle", roleAlias: "fleetota-dev-vehicle", iotPolicy: "fleetota-dev-vehicle" }
 */
export function vehicleIdentityNames(namePrefix: string): { role: string; roleAlias: string; iotPolicy: string } {
  const name = `${namePrefix}-vehicle`;
  return { role: name, roleAlias: name, iotPolicy: name };
}

/** Header of the credentials provider's request naming the thing (the VIN) the certificate speaks for. */
export const THING_NAME_HEADER = "x-amzn-iot-thingname";

/** The thing attributes a vehicle is registered with (identity/provisioning.ts), which campaign targeting trusts. */
export const VEHICLE_ATTRIBUTE = { Make: "make", Model: "model", Hardware: "hardware", ModelYear: "modelYear" } as const;

/**
 * A vehicle fact as a thing attribute value: AWS IoT allows only `[a-zA-Z0-9_.,@/:#=\[\]-]`, so every other
 * character becomes `_` (`Model 3` → `Model_3`). Registration and the registry check both use it.
 *
 * @example
 * thingAttributeValue("Model 3"); // "Model_3"
 */
export function thingAttributeValue(value: string): string {
  return value.replace(/[^\w.,@/:#=[\]-]/g, "_") || "unknown";
}
