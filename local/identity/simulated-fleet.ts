/**
 * Gives the simulator's vehicles, and its fleet gateway, their own identities on a running local cloud:
 * registered in the emulator's AWS IoT, credentials from the loopback provider, S3 requests through the
 * front door.
 */
import { IoTClient } from "@aws-sdk/client-iot";
import { S3Client } from "@aws-sdk/client-s3";
import { changeGatewayVehicles, type GatewayVehiclesChanged } from "../../identity/gateway-vehicles.js";
import type { Log } from "../../lib/logger.js";
import { provisionGatewayIdentity, simulatorGatewayId, type GatewayIdentity } from "../../simulator/gateway-identity.js";
import { provisionVehicleIdentities, type VehicleIdentities } from "../../simulator/vehicle-identities.js";
import type { LocalCloud } from "../cloud.js";

export class LocalIdentityUnavailableError extends Error {
  override readonly name = "LocalIdentityUnavailableError";
}

/**
 * @example
 * import { UPLOAD_MODE } from "../../simulator/batch.js";
 * import { DEFAULT_SIMULATION, startSimulation } from "../../simulator/simulation.js";
 * let identities: Awaited<ReturnType<typeof provisionLocalFleet>>;
 * startSimulation({ ...DEFAULT_SIMULATION, bucket, s3, uploadMode: UPLOAD_MODE.PerVehicle,
 *   prepare: async (fleet) => { identities = await provisionLocalFleet(cloud, fleet.vehicles, log); },
 *   vehicleS3: (vin) => identities.s3For(vin) });
 */
export async function provisionLocalFleet(
  cloud: LocalCloud,
  vehicles: ReadonlyArray<{ vin: string; make: string; model: string; modelYear?: number; hardwareId: string }>,
  log?: Log,
): Promise<VehicleIdentities> {
  const { outputs, credentialsProvider } = cloud.description;
  const { vehicle_iot_policy: iotPolicyName, vehicle_role_alias: roleAlias, vehicle_thing_type: thingTypeName } = outputs;
  if (typeof iotPolicyName !== "string" || typeof roleAlias !== "string" || typeof thingTypeName !== "string" || !credentialsProvider) {
    throw new LocalIdentityUnavailableError("the local cloud has no vehicle identity (stack outputs vehicle_iot_policy / vehicle_role_alias / vehicle_thing_type, or no credentials provider)");
  }
  const iot = new IoTClient(cloud.clientConfig);
  try {
    return await provisionVehicleIdentities(vehicles, {
      iot,
      iotPolicyName,
      thingTypeName,
      roleAlias,
      credentialsEndpoint: credentialsProvider.endpoint,
      caCertificatePem: credentialsProvider.caCertificatePem,
      s3: { endpoint: cloud.clientConfig.endpoint, region: cloud.clientConfig.region, forcePathStyle: true },
      log,
    });
  } finally {
    iot.destroy();
  }
}

/**
 * Registers a fleet gateway for the simulator's multi-vehicle uploads (a fresh `gw-sim-…` id unless
 * given) and returns its S3 client, signing with the gateway's own credentials. It carries no vehicle until
 * some are bound to it (bindLocalGatewayVehicles, below).
 *
 * @example
 * const gateway = await provisionLocalGateway(cloud);
 * startSimulation({ ...DEFAULT_SIMULATION, bucket, s3: gateway.s3, gatewayId: gateway.gatewayId,
 *   prepare: async (fleet) => void (await bindLocalGatewayVehicles(cloud, gateway.gatewayId, fleet.vehicles.map((vehicle) => vehicle.vin))) });
 */
export async function provisionLocalGateway(
  cloud: Pick<LocalCloud, "description" | "clientConfig">,
  options: { gatewayId?: string; log?: Log } = {},
): Promise<GatewayIdentity> {
  const { outputs, credentialsProvider } = cloud.description;
  const { gateway_iot_policy: iotPolicyName, gateway_role_alias: roleAlias, gateway_thing_type: thingTypeName } = outputs;
  if (typeof iotPolicyName !== "string" || typeof roleAlias !== "string" || typeof thingTypeName !== "string" || !credentialsProvider) {
    throw new LocalIdentityUnavailableError("the local cloud has no gateway identity (stack outputs gateway_iot_policy / gateway_role_alias / gateway_thing_type, or no credentials provider)");
  }
  const iot = new IoTClient(cloud.clientConfig);
  try {
    return await provisionGatewayIdentity({
      iot,
      gatewayId: options.gatewayId ?? simulatorGatewayId(),
      iotPolicyName,
      roleAlias,
      thingTypeName,
      credentialsEndpoint: credentialsProvider.endpoint,
      caCertificatePem: credentialsProvider.caCertificatePem,
      s3: { endpoint: cloud.clientConfig.endpoint, region: cloud.clientConfig.region, forcePathStyle: true },
      log: options.log,
    });
  } finally {
    iot.destroy();
  }
}

/**
 * Binds the simulated fleet's VINs to a gateway, as an operator would (`fleetota gateways bind`), with the local
 * cloud's administrator credentials: a few document reads and writes, whatever the fleet's size. A VIN another
 * gateway carries is refused (GatewayVehiclesConflictError) unless `move`; the registry of vehicles is not asked.
 *
 * @example
 * startSimulation({ ...DEFAULT_SIMULATION, bucket, s3: gateway.s3, gatewayId: gateway.gatewayId,
 *   prepare: async (fleet) => void (await bindLocalGatewayVehicles(cloud, gateway.gatewayId, fleet.vehicles.map((vehicle) => vehicle.vin))) });
 */
export async function bindLocalGatewayVehicles(
  cloud: Pick<LocalCloud, "description" | "clientConfig">,
  gatewayId: string,
  vins: readonly string[],
  options: { move?: boolean } = {},
): Promise<GatewayVehiclesChanged> {
  const bucket = cloud.description.outputs.data_bucket_name;
  if (typeof bucket !== "string") throw new LocalIdentityUnavailableError("the local cloud has no data_bucket_name output");
  const s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
  try {
    return await changeGatewayVehicles(s3, bucket, gatewayId, { bind: vins, move: options.move });
  } finally {
    s3.destroy();
  }
}
