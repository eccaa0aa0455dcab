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
