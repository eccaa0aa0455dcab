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
 * A vehicle's registration checks the documents after creating its thing (`refuseCarriedVehicle`), the mirror image.
 *
 * The document's conditional read-change-write: gateway-document.ts; who speaks for a VIN: gateway-holders.ts.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { gatewayIdProblem } from "../contracts/telemetry-keys.js";
import { vinViolations } from "../telemetry/vin.js";
import { editGatewayVehicles, GatewayVehiclesContendedError, InvalidGatewayVehiclesError } from "./gateway-document.js";
import { gatewayHolders, type GatewayHolders, type RegisteredVehicles } from "./gateway-holders.js";

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
