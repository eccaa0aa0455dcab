/**
 * Who speaks for a VIN, read from every gateway's document (one listing of `registry/gateways/`, strongly consistent
 * on S3): what a bind checks before it carries a VIN (gateway-vehicles.ts), what a vehicle's registration checks
 * after creating its thing (`refuseCarriedVehicle`), and what `fleetota gateways check` lists (`sharedVins`).
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { GATEWAY_VEHICLES_PREFIX, gatewayVehiclesKey, type GatewayVehiclesDocument } from "../contracts/gateway-vehicles.js";
import { gatewayIdProblem } from "../contracts/telemetry-keys.js";
import { readGatewayVehicles } from "./gateway-document.js";

/** The VINs (of those asked) that are registered vehicles: things of the vehicle thing type in AWS IoT. */
export type RegisteredVehicles = (vins: readonly string[]) => Promise<readonly string[]>;

const READ_CONCURRENCY = 8;

/** Every gateway's document as last read (by ETag, so an unchanged one is not read again). */
export interface GatewayHolders {
  /** For each VIN asked, the gateways (other than `except`) carrying it or claiming it (pending), read now. */
  holdersOf(vins: Iterable<string>, except?: string): Promise<Map<string, Array<{ gatewayId: string; pending: boolean }>>>;
  /** Every gateway's document, read now. */
  documents(): Promise<GatewayVehiclesDocument[]>;
}

/**
 * Reads who carries which VIN: one listing of `registry/gateways/` per question, and the documents that changed
 * since the last question (a few hundred gateways at most).
 *
 * @example
 * const holders = gatewayHolders(s3, "fleetota-dev-data-lake");
 * (await holders.holdersOf(["1HGCM82633A004352"])).get("1HGCM82633A004352"); // [{ gatewayId: "gw-depot-7", pending: false }]
 */
export function gatewayHolders(s3: S3Client, bucket: string): GatewayHolders {
  const read = new Map<string, { etag?: string; document: GatewayVehiclesDocument }>();
  async function current(): Promise<GatewayVehiclesDocument[]> {
    const listed = new Map<string, string | undefined>();
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: GATEWAY_VEHICLES_PREFIX, ContinuationToken }));
      for (const object of page.Contents ?? []) {
        const gatewayId = object.Key?.slice(GATEWAY_VEHICLES_PREFIX.length).split("/")[0];
        if (gatewayId && object.Key === gatewayVehiclesKey(gatewayId) && !gatewayIdProblem(gatewayId)) listed.set(gatewayId, object.ETag);
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    for (const gatewayId of read.keys()) if (!listed.has(gatewayId)) read.delete(gatewayId);
    // Calls run at once on one cache (`vehicles register`): each answers from its own listing, with the cached
    // version only if it is the one listed, else its own GET (sent after the listing, so that version or newer).
    // A GET answer is cached only if the entry is still the one there when it was sent: a slow answer, possibly
    // older than an entry another call cached meanwhile, never replaces it.
    const documents = new Map<string, GatewayVehiclesDocument>();
    const stale: string[] = [];
    for (const [gatewayId, etag] of listed) {
      const cached = read.get(gatewayId);
      if (etag !== undefined && cached?.etag === etag) documents.set(gatewayId, cached.document);
      else stale.push(gatewayId);
    }
    await inBatches(stale, READ_CONCURRENCY, async (gatewayId) => {
      const before = read.get(gatewayId);
      const { document, etag } = await readGatewayVehicles(s3, bucket, gatewayId);
      if (document) documents.set(gatewayId, document);
      if (read.get(gatewayId) !== before) return;
      if (document) read.set(gatewayId, { etag, document });
      else read.delete(gatewayId);
    });
    return [...listed.keys()].flatMap((gatewayId) => documents.get(gatewayId) ?? []);
  }
  return {
    documents: current,
    async holdersOf(vins, except) {
      const asked = new Set(vins);
      const holders = new Map<string, Array<{ gatewayId: string; pending: boolean }>>();
      const note = (gatewayId: string, pending: boolean) => (vin: string) => {
        if (asked.has(vin)) (holders.get(vin) ?? holders.set(vin, []).get(vin)!).push({ gatewayId, pending });
      };
      for (const document of await current()) {
        if (document.gatewayId === except) continue;
        document.vins.forEach(note(document.gatewayId, false));
        (document.pending ?? []).forEach(note(document.gatewayId, true));
      }
      return holders;
    },
  };
}

async function inBatches<T>(items: readonly T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += size) await Promise.all(items.slice(start, start + size).map(each));
}

/** A vehicle to register is carried (or claimed) by a fleet gateway: it was not registered. */
export class VehicleCarriedByGatewayError extends Error {
  override readonly name = "VehicleCarriedByGatewayError";
  constructor(
    readonly vin: string,
    readonly gatewayIds: readonly string[],
  ) {
    super(`${vin} is bound to fleet gateway ${gatewayIds.join(", ")}, which speaks for it: unbind it first (fleetota gateways unbind ${gatewayIds[0]} ${vin}), then register it`);
  }
}

/**
 * Refuses (VehicleCarriedByGatewayError) a VIN some gateway carries or claims: a vehicle's registration asks
 * this after creating its thing (`beforeCertificate` of identity/provisioning.ts registerVehicle), so a bind
 * of the same VIN at the same time sees the thing, or this sees the bind.
 *
 * @example
 * await refuseCarriedVehicle(gatewayHolders(s3, bucket), "1HGCM82633A004352"); // throws when gw-depot-7 carries it
 */
export async function refuseCarriedVehicle(holders: GatewayHolders, vin: string): Promise<void> {
  const carriers = (await holders.holdersOf([vin])).get(vin) ?? [];
  if (carriers.length) throw new VehicleCarriedByGatewayError(vin, [...new Set(carriers.map((holder) => holder.gatewayId))]);
}

/** A VIN more than one speaks for, as documents written before the one-speaker rule (or edited by hand) may hold. */
export interface SharedVin {
  readonly vin: string;
  /** Gateways carrying it. */
  readonly gateways: readonly string[];
  /** Gateways whose bind of it is pending (in progress, or interrupted). */
  readonly pending: readonly string[];
  /** It is a registered vehicle too. */
  readonly registeredVehicle: boolean;
}

/**
 * The VINs carried by two or more gateways, or by a gateway while registered as a vehicle, and the claims left
 * pending: what `fleetota gateways check` lists for an operator to unbind. Reads every gateway's document once.
 *
 * @example
 * import { registeredVehicleVins } from "./provisioning.js";
 * await sharedVins(gatewayHolders(s3, bucket), (vins) => registeredVehicleVins(iot, "fleetota-dev-vehicle", vins));
 * // [{ vin: "1HGCM82633A004352", gateways: ["gw-depot-7", "gw-depot-9"], pending: [], registeredVehicle: false }]
 */
export async function sharedVins(holders: GatewayHolders, registeredVehicles: RegisteredVehicles): Promise<SharedVin[]> {
  const carriers = new Map<string, { gateways: string[]; pending: string[] }>();
  const entry = (vin: string) => carriers.get(vin) ?? carriers.set(vin, { gateways: [], pending: [] }).get(vin)!;
  for (const document of await holders.documents()) {
    for (const vin of document.vins) entry(vin).gateways.push(document.gatewayId);
    for (const vin of document.pending ?? []) entry(vin).pending.push(document.gatewayId);
  }
  const registered = new Set(await registeredVehicles([...carriers.keys()]));
  return [...carriers]
    .filter(([vin, { gateways, pending }]) => gateways.length > 1 || pending.length > 0 || (gateways.length > 0 && registered.has(vin)))
    .map(([vin, { gateways, pending }]) => ({ vin, gateways: gateways.sort(), pending: pending.sort(), registeredVehicle: registered.has(vin) }))
    .sort((a, b) => a.vin.localeCompare(b.vin));
}
