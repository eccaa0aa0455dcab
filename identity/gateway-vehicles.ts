/**
 * Binding vehicles to a fleet gateway (the operator's side of contracts/gateway-vehicles.ts): a gateway's
 * document is read, changed and written back only if no one else wrote it meanwhile (If-Match on the ETag
 * read, If-None-Match: * for a first document), retried on a lost race. A VIN is bound only when it passes the
 * VIN rules the processor applies (telemetry/vin.ts). The telemetry processor sees a change within its cache
 * period (functions/telemetry-processor/gateway-vehicles.ts, 30 s).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { decodeGatewayVehicles, encodeGatewayVehicles, gatewayVehiclesKey, type GatewayVehiclesDocument } from "../contracts/gateway-vehicles.js";
import { gatewayIdProblem } from "../contracts/telemetry-keys.js";
import { vinViolations } from "../telemetry/vin.js";

export class InvalidGatewayVehiclesError extends Error {
  override readonly name = "InvalidGatewayVehiclesError";
}

/** Other writers kept changing the document: nothing was written by this call. */
export class GatewayVehiclesContendedError extends Error {
  override readonly name = "GatewayVehiclesContendedError";
}

export interface GatewayVehiclesChange {
  /** VINs to bind (upper-cased first). */
  readonly bind?: readonly string[];
  /** VINs to unbind. */
  readonly unbind?: readonly string[];
  /** Unbind every VIN (before `bind`). */
  readonly unbindAll?: boolean;
}

export interface GatewayVehiclesChanged {
  readonly gatewayId: string;
  readonly bound: number;
  readonly unbound: number;
  /** VINs bound after the change. */
  readonly vehicles: number;
}

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const isMissing = (error: unknown): boolean => (error as Error).name === "NoSuchKey" || statusOf(error) === 404;
const isPreconditionFailed = (error: unknown): boolean => (error as Error).name === "PreconditionFailed" || statusOf(error) === 412;

const defaults = { attempts: 5 } as const;

/**
 * The gateway's document and its ETag; `document` undefined when none was ever written (it carries no vehicle).
 *
 * @example
 * const { document } = await readGatewayVehicles(s3, "fleetota-dev-data-lake", "gw-depot-7");
 * document?.vins.length; // 1200
 */
export async function readGatewayVehicles(s3: S3Client, bucket: string, gatewayId: string): Promise<{ document?: GatewayVehiclesDocument; etag?: string }> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: gatewayVehiclesKey(gatewayId) }));
    return { document: decodeGatewayVehicles(gatewayId, await response.Body!.transformToByteArray()), etag: response.ETag };
  } catch (error) {
    if (isMissing(error)) return {};
    throw error;
  }
}

/**
 * Binds and unbinds VINs of one gateway in one conditional write. Throws InvalidGatewayVehiclesError (a bad
 * gateway id or VIN; nothing written) or GatewayVehiclesContendedError.
 *
 * @example
 * await changeGatewayVehicles(s3, bucket, "gw-depot-7", { bind: ["1HGCM82633A004352"] }); // { bound: 1, unbound: 0, vehicles: 1, … }
 */
export async function changeGatewayVehicles(
  s3: S3Client,
  bucket: string,
  gatewayId: string,
  change: GatewayVehiclesChange,
  options: { now?: () => Date; attempts?: number } = {},
): Promise<GatewayVehiclesChanged> {
  const idProblem = gatewayIdProblem(gatewayId);
  if (idProblem) throw new InvalidGatewayVehiclesError(idProblem);
  const toBind = (change.bind ?? []).map((vin) => vin.trim().toUpperCase());
  const problems = toBind.flatMap((vin) => vinViolations(vin).map((violation) => `${JSON.stringify(vin)}: ${violation.message}`));
  if (problems.length) throw new InvalidGatewayVehiclesError(`not bound (nothing written): ${problems.slice(0, 10).join("; ")}${problems.length > 10 ? ` and ${problems.length - 10} more` : ""}`);
  const toUnbind = new Set((change.unbind ?? []).map((vin) => vin.trim().toUpperCase()));
  const attempts = options.attempts ?? defaults.attempts;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const { document, etag } = await readGatewayVehicles(s3, bucket, gatewayId);
    const before = new Set(change.unbindAll ? [] : document?.vins ?? []);
    const vins = new Set([...before].filter((vin) => !toUnbind.has(vin)));
    for (const vin of toBind) vins.add(vin);
    const had = new Set(document?.vins ?? []);
    const bound = [...vins].filter((vin) => !had.has(vin)).length;
    const unbound = [...had].filter((vin) => !vins.has(vin)).length;
    const changed = { gatewayId, bound, unbound, vehicles: vins.size };
    if (bound === 0 && unbound === 0 && document) return changed;
    let body: Buffer;
    try {
      body = encodeGatewayVehicles({ gatewayId, vins: [...vins], updatedAt: (options.now?.() ?? new Date()).toISOString() });
    } catch (error) {
      throw new InvalidGatewayVehiclesError((error as Error).message);
    }
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: gatewayVehiclesKey(gatewayId),
          Body: body,
          ContentType: "application/gzip",
          ...(etag ? { IfMatch: etag } : { IfNoneMatch: "*" }),
        }),
      );
      return changed;
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }
  throw new GatewayVehiclesContendedError(`the vehicles of ${gatewayId} changed under each of ${attempts} attempts; nothing was written by this one, try again`);
}
