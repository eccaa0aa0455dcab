/**
 * A vehicle's (or a fleet gateway's) side of the AWS IoT credentials provider: present its own
 * certificate over mutual TLS, receive short-lived credentials for its role, refresh them before they
 * expire, and give them to an S3 client. The same code works on AWS (endpoint from `DescribeEndpoint(iot:CredentialProvider)`,
 * Amazon's root CA) and on the local cloud (loopback provider, its own certificate).
 *
 *   const s3 = vehicleS3Client(identity, { region });
 *   await s3.send(new PutObjectCommand({ Bucket, Key: `telemetry/vehicle/${identity.vin}/…`, Body }));
 */
import { request } from "node:https";
import { THING_NAME_HEADER } from "../contracts/vehicle-identity.js";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";

/** What a vehicle holds to get credentials: its identity (a bundle written by `fleetota vehicles register`). */
export interface VehicleIdentityMaterial {
  /** The thing name: the VIN. */
  readonly vin: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** `https://<id>.credentials.iot.<region>.amazonaws.com` or the local provider's `https://127.0.0.1:<port>`. */
  readonly credentialsEndpoint: string;
  readonly roleAlias: string;
  /** CA the provider's server certificate is checked against; Node's bundled roots when absent (AWS). */
  readonly caCertificatePem?: string;
}

/** What a fleet gateway holds to get credentials (a bundle written by `fleetota gateways register`). */
export interface GatewayIdentityMaterial extends Omit<VehicleIdentityMaterial, "vin"> {
  /** The thing name: the gateway id (`gw-…`). */
  readonly gatewayId: string;
}

export type DeviceIdentityMaterial = VehicleIdentityMaterial | GatewayIdentityMaterial;

/**
 * The thing name a device asks credentials for: its VIN or its gateway id.
 */
export function thingNameOf(identity: DeviceIdentityMaterial): string {
  return "vin" in identity ? identity.vin : identity.gatewayId;
}

export interface VehicleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** The provider refused (403 for an unknown, inactive or unattached certificate) or failed. */
export class CredentialsRequestError extends Error {
  override readonly name = "CredentialsRequestError";
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

const defaults = {
  /** Fetch new credentials this long before the old ones expire. */
  refreshBeforeMs: 60_000,
  timeoutMs: 30_000,
} as const;

/**
 * One request to the credentials provider.
 *
 * @example
 * const credentials = await fetchVehicleCredentials(identity); // { accessKeyId: "ASIA…", expiration: … }
 */
export function fetchVehicleCredentials(identity: DeviceIdentityMaterial, timeoutMs: number = defaults.timeoutMs): Promise<VehicleCredentials> {
  const url = new URL(`/role-aliases/${encodeURIComponent(identity.roleAlias)}/credentials`, identity.credentialsEndpoint);
  return new Promise((resolveCredentials, reject) => {
    const outgoing = request(
      url,
      {
        method: "GET",
        cert: identity.certificatePem,
        key: identity.privateKeyPem,
        ca: identity.caCertificatePem,
        headers: { [THING_NAME_HEADER]: thingNameOf(identity) },
        timeout: timeoutMs,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: { credentials?: Record<string, string>; message?: string } = {};
          try {
            body = JSON.parse(text) as typeof body;
          } catch {
            // the status code says what happened
          }
          const credentials = body.credentials;
          if (response.statusCode !== 200 || !credentials?.accessKeyId || !credentials.secretAccessKey || !credentials.sessionToken || !credentials.expiration) {
            reject(new CredentialsRequestError(response.statusCode ?? 0, `credentials provider answered ${response.statusCode}: ${body.message ?? text.slice(0, 200)}`));
            return;
          }
          resolveCredentials({
            accessKeyId: credentials.accessKeyId,
            secretAccessKey: credentials.secretAccessKey,
            sessionToken: credentials.sessionToken,
            expiration: new Date(credentials.expiration),
          });
        });
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new CredentialsRequestError(0, `credentials provider did not answer within ${timeoutMs} ms`)));
    outgoing.on("error", reject);
    outgoing.end();
  });
}

export interface CredentialsProviderStats {
  /** Requests made to the credentials provider (the extra requests a vehicle makes for its identity). */
  fetches: number;
}

/**
 * An SDK credentials provider for one vehicle: fetches on first use, then again only when the
 * credentials are within `refreshBeforeMs` of expiring; concurrent callers share one request.
 *
 * @example
 * const credentials = vehicleCredentialsProvider(identity);
 * new S3Client({ region, credentials });
 */
export function vehicleCredentialsProvider(
  identity: DeviceIdentityMaterial,
  options: { refreshBeforeMs?: number; now?: () => number; stats?: CredentialsProviderStats; fetch?: typeof fetchVehicleCredentials } = {},
): () => Promise<VehicleCredentials> {
  const refreshBeforeMs = options.refreshBeforeMs ?? defaults.refreshBeforeMs;
  const now = options.now ?? Date.now;
  const fetchOnce = options.fetch ?? fetchVehicleCredentials;
  let current: VehicleCredentials | undefined;
  let pending: Promise<VehicleCredentials> | undefined;
  return async function vehicleCredentials() {
    if (current && current.expiration.getTime() - refreshBeforeMs > now()) return current;
    pending ??= fetchOnce(identity).then(
      (fresh) => {
        if (options.stats) options.stats.fetches++;
        current = fresh;
        pending = undefined;
        return fresh;
      },
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
}

/**
 * An S3 client that signs with the vehicle's own short-lived credentials.
 *
 * @example
 * const s3 = vehicleS3Client(identity, { region: "eu-central-1" }); // AWS
 * const local = vehicleS3Client(identity, { region, endpoint: cloud.clientConfig.endpoint, forcePathStyle: true });
 */
export function vehicleS3Client(
  identity: DeviceIdentityMaterial,
  config: Omit<S3ClientConfig, "credentials"> & { stats?: CredentialsProviderStats },
): S3Client {
  const { stats, ...clientConfig } = config;
  return new S3Client({ ...clientConfig, credentials: vehicleCredentialsProvider(identity, { stats }) });
}
