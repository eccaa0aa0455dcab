/**
 * Binding vehicles to a fleet gateway (the operator's side of contracts/gateway-vehicles.ts): a gateway's
 * document is read, changed and written back only if no one else wrote it meanwhile (If-Match on the ETag
 * read, If-None-Match: * for a first document), retried on a lost race. A VIN is bound only when it passes the
 * VIN rules the processor applies (telemetry/vin.ts), is carried by no other gateway (unless moved: `move`) and,
 * when the caller gives the check, is not a registered vehicle (a thing of its own in AWS IoT). The telemetry
 * processor sees a change within its cache period (functions/telemetry-processor/gateway-vehicles.ts, 30 s).
 *
 * One gateway a VIN, also under races: a bind writes the new VINs as `pending` in its own document (carried by
 * nobody), then reads every other gateway's document (a listing of `registry/gateways/`, strongly consistent
 * on S3) and the registry, and only then carries them, or withdraws its claim. Of two binds of one VIN at once,
 * each writes before it reads, so at least one sees the other's claim and refuses; both may (nothing bound).
 * A vehicle's registration checks the documents after creating its thing (`gatewaysCarrying`), the mirror image.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { decodeGatewayVehicles, encodeGatewayVehicles, GATEWAY_VEHICLES_PREFIX, gatewayVehiclesKey, type GatewayVehiclesDocument } from "../contracts/gateway-vehicles.js";
import { gatewayIdProblem } from "../contracts/telemetry-keys.js";
import { vinViolations } from "../telemetry/vin.js";

export class InvalidGatewayVehiclesError extends Error {
  override readonly name = "InvalidGatewayVehiclesError";
}

/** Other writers kept changing the document: nothing was written by this call. */
export class GatewayVehiclesContendedError extends Error {
  override readonly name = "GatewayVehiclesContendedError";
}

/** Who already speaks for a VIN: another gateway (carrying it, or `pending`: a bind of it in progress or interrupted), or the vehicle's own identity. */
export type VinHolder = { readonly gatewayId: string; readonly pending: boolean } | { readonly vehicle: true };

export interface VinConflict {
  readonly vin: string;
  readonly heldBy: VinHolder;
}

/** A VIN to bind is another gateway's or a registered vehicle: nothing was bound by this call. */
export class GatewayVehiclesConflictError extends Error {
  override readonly name = "GatewayVehiclesConflictError";
  constructor(
    readonly gatewayId: string,
    readonly conflicts: readonly VinConflict[],
  ) {
    const shown = conflicts.slice(0, 10).map(({ vin, heldBy }) => `${vin} ${holderText(heldBy)}`);
    const more = conflicts.length > 10 ? ` and ${conflicts.length - 10} more` : "";
    super(`not bound to ${gatewayId} (nothing bound): ${shown.join("; ")}${more}`);
  }
}

function holderText(heldBy: VinHolder): string {
  if ("vehicle" in heldBy) return "is a registered vehicle: its own identity speaks for it, no gateway may carry it";
  if (heldBy.pending) return `is being bound to ${heldBy.gatewayId} (a bind in progress, or one interrupted: run it again, or unbind the VIN there)`;
  return `is bound to ${heldBy.gatewayId} (unbind it there first, or bind with --move)`;
}

/** The VINs (of those asked) that are registered vehicles: things of the vehicle thing type in AWS IoT. */
export type RegisteredVehicles = (vins: readonly string[]) => Promise<readonly string[]>;

export interface GatewayVehiclesChange {
  /** VINs to bind (upper-cased first). */
  readonly bind?: readonly string[];
  /** VINs to unbind (also withdraws a pending claim on them). */
  readonly unbind?: readonly string[];
  /** Unbind every VIN (before `bind`), pending claims too. */
  readonly unbindAll?: boolean;
  /** A VIN to bind that another gateway carries is unbound there first (a pending one is still refused). */
  readonly move?: boolean;
}

export interface GatewayVehiclesChanged {
  readonly gatewayId: string;
  readonly bound: number;
  readonly unbound: number;
  /** VINs bound after the change. */
  readonly vehicles: number;
  /** With `move`: how many VINs were taken from each other gateway. */
  readonly moved?: Readonly<Record<string, number>>;
}

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const isMissing = (error: unknown): boolean => (error as Error).name === "NoSuchKey" || statusOf(error) === 404;
const isPreconditionFailed = (error: unknown): boolean => (error as Error).name === "PreconditionFailed" || statusOf(error) === 412;

const defaults = { attempts: 5, readConcurrency: 8 } as const;

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

interface Editable {
  vins: Set<string>;
  pending: Set<string>;
}

/**
 * Reads the gateway's document, lets `edit` change its VINs, writes it back unless nothing changed (If-Match,
 * or If-None-Match: * for a first document), again on a lost race. Returns what it held before the written change.
 */
async function editGatewayVehicles(
  s3: S3Client,
  bucket: string,
  gatewayId: string,
  edit: (document: Editable) => void,
  options: { now?: () => Date; attempts?: number },
): Promise<{ before: Editable; after: Editable }> {
  const attempts = options.attempts ?? defaults.attempts;
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
    await inBatches(stale, defaults.readConcurrency, async (gatewayId) => {
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

/**
 * Binds and unbinds VINs of one gateway. Throws InvalidGatewayVehiclesError (a bad gateway id or VIN; nothing
 * written), GatewayVehiclesConflictError (a VIN another gateway carries or claims, or, with `registeredVehicles`,
 * a registered vehicle; nothing bound) or GatewayVehiclesContendedError.
 *
 * @example
 * await changeGatewayVehicles(s3, bucket, "gw-depot-7", { bind: ["1HGCM82633A004352"] }); // { bound: 1, unbound: 0, vehicles: 1, … }
 */
export async function changeGatewayVehicles(
  s3: S3Client,
  bucket: string,
  gatewayId: string,
  change: GatewayVehiclesChange,
  options: { now?: () => Date; attempts?: number; registeredVehicles?: RegisteredVehicles; holders?: GatewayHolders } = {},
): Promise<GatewayVehiclesChanged> {
  const idProblem = gatewayIdProblem(gatewayId);
  if (idProblem) throw new InvalidGatewayVehiclesError(idProblem);
  const toBind = (change.bind ?? []).map((vin) => vin.trim().toUpperCase());
  const problems = toBind.flatMap((vin) => vinViolations(vin).map((violation) => `${JSON.stringify(vin)}: ${violation.message}`));
  if (problems.length) throw new InvalidGatewayVehiclesError(`not bound (nothing written): ${problems.slice(0, 10).join("; ")}${problems.length > 10 ? ` and ${problems.length - 10} more` : ""}`);
  const toUnbind = new Set((change.unbind ?? []).map((vin) => vin.trim().toUpperCase()));

  // 1. Unbind, and claim the VINs not carried yet as pending (nobody carries them while the checks run).
  let claimed: string[] = [];
  const first = await editGatewayVehicles(
    s3,
    bucket,
    gatewayId,
    (document) => {
      if (change.unbindAll) document.vins.clear(), document.pending.clear();
      for (const vin of toUnbind) document.vins.delete(vin), document.pending.delete(vin);
      claimed = [...new Set(toBind)].filter((vin) => !document.vins.has(vin)); // pending here already: an interrupted bind, completed now
      for (const vin of claimed) document.pending.add(vin);
    },
    options,
  );
  const unbound = [...first.before.vins].filter((vin) => !first.after.vins.has(vin)).length;
  if (claimed.length === 0) return { gatewayId, bound: 0, unbound, vehicles: first.after.vins.size };

  // 2. Who else speaks for them, read after the claim was written; 3. carry them, or withdraw the claim.
  let moved: Record<string, number> | undefined;
  try {
    const conflicts: VinConflict[] = [];
    const toMove = new Map<string, string[]>();
    for (const [vin, holders] of await (options.holders ?? gatewayHolders(s3, bucket)).holdersOf(claimed, gatewayId)) {
      for (const holder of holders) {
        if (change.move && !holder.pending) (toMove.get(holder.gatewayId) ?? toMove.set(holder.gatewayId, []).get(holder.gatewayId)!).push(vin);
        else conflicts.push({ vin, heldBy: holder });
      }
    }
    for (const vin of options.registeredVehicles ? await options.registeredVehicles(claimed) : []) conflicts.push({ vin, heldBy: { vehicle: true } });
    if (conflicts.length) throw new GatewayVehiclesConflictError(gatewayId, conflicts.sort((a, b) => a.vin.localeCompare(b.vin)));
    for (const [from, vins] of toMove) {
      const taken = await editGatewayVehicles(s3, bucket, from, (document) => vins.forEach((vin) => document.vins.delete(vin)), options);
      (moved ??= {})[from] = [...taken.before.vins].filter((vin) => !taken.after.vins.has(vin)).length;
    }
  } catch (error) {
    try {
      await editGatewayVehicles(s3, bucket, gatewayId, (document) => claimed.forEach((vin) => document.pending.delete(vin)), options);
    } catch (withdrawal) {
      throw new GatewayVehiclesContendedError(`${(error as Error).message}; and the claim on ${claimed.length} VIN(s) could not be withdrawn (${(withdrawal as Error).message}): unbind them from ${gatewayId}`, { cause: error });
    }
    throw error;
  }
  const carried = await editGatewayVehicles(
    s3,
    bucket,
    gatewayId,
    (document) => claimed.filter((vin) => document.pending.delete(vin)).forEach((vin) => document.vins.add(vin)),
    options,
  );
  const bound = [...carried.after.vins].filter((vin) => !carried.before.vins.has(vin)).length;
  return { gatewayId, bound, unbound, vehicles: carried.after.vins.size, ...(moved ? { moved } : {}) };
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
