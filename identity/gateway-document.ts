/**
 * One gateway's document of the VINs it may carry (contracts/gateway-vehicles.ts), as an operator reads and changes
 * it: read with its ETag, changed and written back only if no one else wrote it meanwhile (If-Match on the ETag
 * read, If-None-Match: * for a first document), again on a lost race. The bind built on it: gateway-vehicles.ts.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { decodeGatewayVehicles, encodeGatewayVehicles, gatewayVehiclesKey, type GatewayVehiclesDocument } from "../contracts/gateway-vehicles.js";
import { isMissingObject, s3StatusOf } from "../lib/s3-errors.js";

export class InvalidGatewayVehiclesError extends Error {
  override readonly name = "InvalidGatewayVehiclesError";
}

/** Other writers kept changing the document: nothing was written by this call. */
export class GatewayVehiclesContendedError extends Error {
  override readonly name = "GatewayVehiclesContendedError";
}

const isPreconditionFailed = (error: unknown): boolean => (error as Error).name === "PreconditionFailed" || s3StatusOf(error) === 412;

const DEFAULT_ATTEMPTS = 5;

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
    if (isMissingObject(error)) return {};
    throw error;
  }
}

export interface EditableGatewayVehicles {
  vins: Set<string>;
  pending: Set<string>;
}

/**
 * Reads the gateway's document, lets `edit` change its VINs, writes it back unless nothing changed (If-Match,
 * or If-None-Match: * for a first document), again on a lost race. Returns what it held before the written change.
 */
export async function editGatewayVehicles(
  s3: S3Client,
  bucket: string,
  gatewayId: string,
  edit: (document: EditableGatewayVehicles) => void,
  options: { now?: () => Date; attempts?: number },
): Promise<{ before: EditableGatewayVehicles; after: EditableGatewayVehicles }> {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const { document, etag } = await readGatewayVehicles(s3, bucket, gatewayId);
    const before = { vins: new Set(document?.vins ?? []), pending: new Set(document?.pending ?? []) };
    const after = { vins: new Set(before.vins), pending: new Set(before.pending) };
    edit(after);
    for (const vin of after.vins) after.pending.delete(vin);
    const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((vin) => b.has(vin));
    if (document && same(before.vins, after.vins) && same(before.pending, after.pending)) return { before, after };
    let body: Buffer;
    try {
      body = encodeGatewayVehicles({ gatewayId, vins: [...after.vins], pending: [...after.pending], updatedAt: (options.now?.() ?? new Date()).toISOString() });
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
      return { before, after };
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }
  throw new GatewayVehiclesContendedError(`the vehicles of ${gatewayId} changed under each of ${attempts} attempts; nothing was written by this one, try again`);
}
