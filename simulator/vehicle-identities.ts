/**
 * The simulated fleet's own identities: each vehicle is registered like a real one (its own EC key and
 * CSR, `registerVehicle` from identity/provisioning.ts) and gets an S3 client that signs with its own
 * short-lived credentials from the IoT credentials provider (identity/vehicle-credentials.ts).
 *
 *   const identities = await provisionVehicleIdentities(fleet.vehicles, { iot, iotPolicyName, … });
 *   startSimulation({ …, uploadMode: UPLOAD_MODE.PerVehicle, vehicleS3: identities.s3For });
 *   const s3 = identities.s3For(vin); // the OTA agent's GET of jobs/<VIN>.json, as that vehicle
 */
import { Agent } from "node:http";
import type { IoTClient } from "@aws-sdk/client-iot";
import type { S3Client } from "@aws-sdk/client-s3";
import { createKeyAndCsr } from "../identity/certificates.js";
import { registerVehicle } from "../identity/provisioning.js";
import { vehicleS3Client, type CredentialsProviderStats, type VehicleIdentityMaterial } from "../identity/vehicle-credentials.js";
import { silentLog, type Log } from "../lib/logger.js";

export interface VehicleIdentitiesOptions {
  iot: IoTClient;
  /** The stack's vehicle IoT policy (output `vehicle_iot_policy`). */
  iotPolicyName: string;
  /** The stack's vehicle thing type (output `vehicle_thing_type`). */
  thingTypeName: string;
  /** The stack's role alias (output `vehicle_role_alias`). */
  roleAlias: string;
  credentialsEndpoint: string;
  caCertificatePem?: string;
  /** Where the vehicles' S3 requests go (the local cloud's front door), and its region. */
  s3: { endpoint?: string; region: string; forcePathStyle?: boolean };
  /** Registrations in flight at once. */
  concurrency?: number;
  log?: Log;
}

export interface VehicleIdentities {
  /** The vehicle's own S3 client (created on first use). */
  s3For(vin: string): S3Client;
  /** Credentials-provider requests made so far by the whole fleet. */
  readonly stats: CredentialsProviderStats & { registered: number };
  destroy(): void;
}

export class UnknownSimulatedVehicleError extends Error {
  override readonly name = "UnknownSimulatedVehicleError";
}

/**
 * Registers every vehicle (key and CSR made here, as the vehicle would; 5 IoT calls each) and returns
 * per-vehicle S3 clients sharing one connection pool.
 *
 * @example
 * const identities = await provisionVehicleIdentities(simulation.fleet.vehicles, { iot, iotPolicyName, thingTypeName, roleAlias, credentialsEndpoint, caCertificatePem, s3: { endpoint, region, forcePathStyle: true } });
 */
export async function provisionVehicleIdentities(
  vehicles: ReadonlyArray<{ vin: string; make: string; model: string; modelYear?: number; hardwareId: string }>,
  options: VehicleIdentitiesOptions,
): Promise<VehicleIdentities> {
  const log = options.log ?? silentLog;
  const started = performance.now();
  const material = new Map<string, VehicleIdentityMaterial>();
  const queue = [...vehicles];
  const workers = Array.from({ length: Math.min(queue.length, options.concurrency ?? 8) }, async () => {
    for (let vehicle = queue.shift(); vehicle; vehicle = queue.shift()) {
      const { privateKeyPem, csrPem } = await createKeyAndCsr(vehicle.vin);
      const record = { vin: vehicle.vin, make: vehicle.make, model: vehicle.model, hardware: vehicle.hardwareId, ...(vehicle.modelYear === undefined ? {} : { modelYear: vehicle.modelYear }) };
      const registered = await registerVehicle(options.iot, { iotPolicyName: options.iotPolicyName, thingTypeName: options.thingTypeName }, record, { csrPem });
      material.set(vehicle.vin, {
        vin: vehicle.vin,
        certificatePem: registered.certificatePem,
        privateKeyPem,
        credentialsEndpoint: options.credentialsEndpoint,
        roleAlias: options.roleAlias,
        caCertificatePem: options.caCertificatePem,
      });
    }
  });
  await Promise.all(workers);
  log.info("simulated vehicles registered", { vehicles: material.size, milliseconds: Math.round(performance.now() - started) });

  const httpAgent = new Agent({ keepAlive: true, maxSockets: 32 });
  const clients = new Map<string, S3Client>();
  const stats = { fetches: 0, registered: material.size };
  return {
    s3For(vin) {
      const existing = clients.get(vin);
      if (existing) return existing;
      const identity = material.get(vin);
      if (!identity) throw new UnknownSimulatedVehicleError(`${vin} has no identity in this simulation`);
      // A socket idle for a minute fails its request (the image fetcher's own deadlines are shorter: image-fetcher.ts).
      const client = vehicleS3Client(identity, { ...options.s3, stats, requestHandler: { httpAgent, requestTimeout: 60_000 } });
      clients.set(vin, client);
      return client;
    },
    stats,
    destroy() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
      httpAgent.destroy();
    },
  };
}
