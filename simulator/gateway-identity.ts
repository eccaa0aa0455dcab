/**
 * The simulator's fleet gateway with an identity of its own (the scale runs' multi-vehicle uploads):
 * registered like a real gateway (its own EC key and CSR, `registerGateway` from identity/provisioning.ts)
 * or read from a bundle `fleetota gateways register` wrote, and an S3 client signing with its own
 * short-lived credentials from the IoT credentials provider (identity/vehicle-credentials.ts). Its
 * credentials allow one thing: PutObject under `telemetry/fleet/<gatewayId>/`.
 *
 *   const gateway = await provisionGatewayIdentity({ iot, gatewayId: simulatorGatewayId(), … });
 *   startSimulation({ …, s3: gateway.s3, gatewayId: gateway.gatewayId });
 */
import { randomBytes } from "node:crypto";
import type { IoTClient } from "@aws-sdk/client-iot";
import type { S3Client } from "@aws-sdk/client-s3";
import { readGatewayBundle } from "../identity/bundle.js";
import { createKeyAndCsr } from "../identity/certificates.js";
import { registerGateway } from "../identity/provisioning.js";
import { vehicleS3Client, type CredentialsProviderStats, type GatewayIdentityMaterial } from "../identity/vehicle-credentials.js";
import { silentLog, type Log } from "../lib/logger.js";

export interface GatewayIdentityOptions {
  iot: IoTClient;
  gatewayId: string;
  /** The stack's gateway IoT policy, role alias and thing type (outputs `gateway_iot_policy`, `gateway_role_alias`, `gateway_thing_type`). */
  iotPolicyName: string;
  roleAlias: string;
  thingTypeName: string;
  credentialsEndpoint: string;
  caCertificatePem?: string;
  /** Where the gateway's S3 requests go (the local cloud's front door), and its region. */
  s3: { endpoint?: string; region: string; forcePathStyle?: boolean };
  log?: Log;
}

export interface GatewayIdentity {
  readonly gatewayId: string;
  /** Signs with the gateway's own credentials. */
  readonly s3: S3Client;
  /** Credentials-provider requests made so far. */
  readonly stats: CredentialsProviderStats;
  destroy(): void;
}

/**
 * A fresh gateway id for one simulator run, so runs against the same cloud never share an identity.
 *
 * @example
 * simulatorGatewayId(); // "gw-sim-3f9a2c1d"
 */
export function simulatorGatewayId(): string {
  return `gw-sim-${randomBytes(4).toString("hex")}`;
}

/**
 * Registers the gateway (key and CSR made here, as the gateway would; 5 IoT calls) and returns its S3 client.
 *
 * @example
 * const gateway = await provisionGatewayIdentity({ iot, gatewayId: "gw-sim-3f9a2c1d", iotPolicyName, roleAlias, thingTypeName, credentialsEndpoint, caCertificatePem, s3: { endpoint, region, forcePathStyle: true } });
 */
export async function provisionGatewayIdentity(options: GatewayIdentityOptions): Promise<GatewayIdentity> {
  const log = options.log ?? silentLog;
  const { privateKeyPem, csrPem } = await createKeyAndCsr(options.gatewayId);
  const registered = await registerGateway(options.iot, options.iotPolicyName, { gatewayId: options.gatewayId, thingTypeName: options.thingTypeName, site: "simulator" }, { csrPem });
  log.info("simulated fleet gateway registered", { gatewayId: options.gatewayId });
  return gatewayIdentityFrom(
    {
      gatewayId: options.gatewayId,
      certificatePem: registered.certificatePem,
      privateKeyPem,
      credentialsEndpoint: options.credentialsEndpoint,
      roleAlias: options.roleAlias,
      caCertificatePem: options.caCertificatePem,
    },
    options.s3,
  );
}

/**
 * A registered gateway from its bundle (`fleetota gateways register`), with its private key when the
 * bundle does not hold it; S3 requests go to the bundle's endpoint (the local front door) or AWS's.
 *
 * @example
 * const gateway = gatewayIdentityFromBundle(".fleetota/gateways/gw-depot-7");
 */
export function gatewayIdentityFromBundle(folder: string, options: { privateKeyPem?: string } = {}): GatewayIdentity {
  const bundle = readGatewayBundle(folder, options);
  const s3 = bundle.s3Endpoint ? { endpoint: bundle.s3Endpoint, region: bundle.region, forcePathStyle: true } : { region: bundle.region };
  return gatewayIdentityFrom({ ...bundle, caCertificatePem: bundle.credentialsProviderCaPem }, s3);
}

function gatewayIdentityFrom(material: GatewayIdentityMaterial, s3Config: GatewayIdentityOptions["s3"]): GatewayIdentity {
  const stats: CredentialsProviderStats = { fetches: 0 };
  const s3 = vehicleS3Client(material, { ...s3Config, stats });
  return { gatewayId: material.gatewayId, s3, stats, destroy: () => s3.destroy() };
}
