/**
 * A vehicle's bundle: what is installed on the vehicle so it can get its own credentials: its
 * certificate, its private key (only when AWS IoT made it; with a CSR the key never left the vehicle),
 * the credentials endpoint, role alias, bucket and region. Written owner-only: the folder 0700, each
 * file 0600. A fleet gateway's bundle is the same, named by its gateway id, with its telemetry prefix
 * and no job document.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const BUNDLE_FILES = { description: "bundle.json", certificate: "certificate.pem", privateKey: "private-key.pem", serverCa: "credentials-provider-ca.pem" } as const;

interface IdentityBundle {
  readonly certificateId: string;
  readonly certificateArn: string;
  readonly certificatePem: string;
  readonly privateKeyPem?: string;
  readonly credentialsEndpoint: string;
  readonly roleAlias: string;
  readonly bucket: string;
  readonly region: string;
  /** The prefix the device writes under. */
  readonly telemetryPrefix: string;
  /** Local cloud only: the S3 endpoint (the front door) and the provider's server certificate. */
  readonly s3Endpoint?: string;
  readonly credentialsProviderCaPem?: string;
}

export interface VehicleBundle extends IdentityBundle {
  readonly vin: string;
  /** The job document the vehicle reads. */
  readonly jobDocumentKey: string;
}

export interface GatewayBundle extends IdentityBundle {
  readonly gatewayId: string;
}

function writeOwnerOnly(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Writes `<root>/<VIN>/` (0700) with bundle.json, certificate.pem and, when present, private-key.pem and
 * the local provider's CA (each 0600). Returns the folder.
 *
 * @example
 * writeVehicleBundle(".fleetota/vehicles", bundle); // ".fleetota/vehicles/1HGCM82633A004352"
 */
export function writeVehicleBundle(root: string, bundle: VehicleBundle): string {
  return writeBundle(root, bundle.vin, bundle);
}

/**
 * Writes `<root>/<gatewayId>/` like a vehicle's bundle. Returns the folder.
 *
 * @example
 * writeGatewayBundle(".fleetota/gateways", bundle); // ".fleetota/gateways/gw-depot-7"
 */
export function writeGatewayBundle(root: string, bundle: GatewayBundle): string {
  return writeBundle(root, bundle.gatewayId, bundle);
}

function writeBundle(root: string, name: string, bundle: IdentityBundle): string {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  chmodSync(root, 0o700);
  const folder = join(root, name);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  const { certificatePem, privateKeyPem, credentialsProviderCaPem, ...description } = bundle;
  writeOwnerOnly(join(folder, BUNDLE_FILES.certificate), certificatePem);
  if (privateKeyPem) writeOwnerOnly(join(folder, BUNDLE_FILES.privateKey), privateKeyPem);
  if (credentialsProviderCaPem) writeOwnerOnly(join(folder, BUNDLE_FILES.serverCa), credentialsProviderCaPem);
  const files = {
    certificate: BUNDLE_FILES.certificate,
    ...(privateKeyPem ? { privateKey: BUNDLE_FILES.privateKey } : {}),
    ...(credentialsProviderCaPem ? { credentialsProviderCa: BUNDLE_FILES.serverCa } : {}),
  };
  writeOwnerOnly(join(folder, BUNDLE_FILES.description), `${JSON.stringify({ ...description, files }, null, 2)}\n`);
  return folder;
}

/**
 * Reads a bundle back with the vehicle's private key (kept on the vehicle when it made its own CSR).
 *
 * @example
 * const bundle = readVehicleBundle(".fleetota/vehicles/1HGCM82633A004352", { privateKeyPem });
 */
export function readVehicleBundle(folder: string, options: { privateKeyPem?: string } = {}): VehicleBundle & { privateKeyPem: string } {
  return readBundle<VehicleBundle>(folder, options);
}

/**
 * Reads a gateway's bundle back with its private key (kept on the gateway when it made its own CSR).
 *
 * @example
 * const bundle = readGatewayBundle(".fleetota/gateways/gw-depot-7", { privateKeyPem });
 */
export function readGatewayBundle(folder: string, options: { privateKeyPem?: string } = {}): GatewayBundle & { privateKeyPem: string } {
  return readBundle<GatewayBundle>(folder, options);
}

function readBundle<T extends IdentityBundle>(folder: string, options: { privateKeyPem?: string }): T & { privateKeyPem: string } {
  const description = JSON.parse(readFileSync(join(folder, BUNDLE_FILES.description), "utf8")) as T & { files: Record<string, string> };
  const read = (name: string | undefined) => (name ? readFileSync(join(folder, name), "utf8") : undefined);
  const privateKeyPem = options.privateKeyPem ?? read(description.files.privateKey);
  if (!privateKeyPem) throw new Error(`${folder} holds no private key (the device made its own): pass it`);
  return { ...description, certificatePem: read(description.files.certificate)!, privateKeyPem, credentialsProviderCaPem: read(description.files.credentialsProviderCa) };
}
