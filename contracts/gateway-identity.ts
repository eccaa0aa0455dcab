/**
 * Names of the fleet-gateway identity resources, shared by the stack (modules/gateway-identity.ts), the
 * CLI (`fleetota gateways`), the simulator and the local cloud, so nothing spells them twice. A gateway
 * (a multi-vehicle uploader: the simulator's scale runs, a depot's data logger) is an AWS IoT thing of
 * the gateway thing type, named by its gateway id (`gw-…`, contracts/telemetry-keys.ts).
 */

export interface GatewayIdentityNames {
  readonly role: string;
  readonly roleAlias: string;
  readonly iotPolicy: string;
  /** The thing type every gateway thing has; the gateway role's policy requires it. */
  readonly thingType: string;
}

/**
 * @example
 * gatewayIdentityNames("fleetota-dev"); // { role: "fleetota-dev-gateway", roleAlias: "fleetota-dev-gateway", iotPolicy: "fleetota-dev-gateway", thingType: "fleetota-dev-gateway" }
 */
export function gatewayIdentityNames(namePrefix: string): GatewayIdentityNames {
  const name = `${namePrefix}-gateway`;
  return { role: name, roleAlias: name, iotPolicy: name, thingType: name };
}
