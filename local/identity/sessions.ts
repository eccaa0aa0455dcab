/**
 * The temporary credentials the local credentials provider has handed out, by access key id: who the
 * session speaks for (the thing name: a VIN, or a fleet gateway's id, with the thing's type when it has
 * one), the role's policy that bounds it, and when it ends.
 * The front door looks sessions up here; nothing else on the local cloud knows them.
 */
import { randomBytes } from "node:crypto";
import { gatewayIdProblem } from "../../contracts/telemetry-keys.js";
import type { VehiclePolicyDocument } from "./vehicle-policy.js";

/** Access key ids of vehicle sessions start with this (AWS's temporary keys start with `ASIA`). */
export const VEHICLE_ACCESS_KEY_PREFIX = "ASIAVEHICLE";
/**
 * Access key ids of sessions for a fleet gateway (a thing named by a gateway id, `gw-…`, never a VIN) start with this:
 * the census tells them apart by key alone. By the name, not the thing type: vehicles have a type of their own too.
 */
export const GATEWAY_ACCESS_KEY_PREFIX = "ASIAGATEWAY";

export interface VehicleSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly thingName: string;
  /** The thing's type (the vehicle or the gateway type); absent for an untyped thing (a vehicle registered before vehicles had a type). */
  readonly thingTypeName?: string;
  readonly roleArn: string;
  readonly policy: VehiclePolicyDocument;
  readonly expiresAtMs: number;
}

export interface IssueRequest {
  readonly thingName: string;
  readonly thingTypeName?: string;
  readonly roleArn: string;
  readonly policy: VehiclePolicyDocument;
  readonly durationSeconds: number;
}

const token = (bytes: number): string => randomBytes(bytes).toString("base64url");

/**
 * @example
 * const sessions = new VehicleSessions();
 * const session = sessions.issue({ thingName: vin, roleArn, policy, durationSeconds: 900 });
 * sessions.find(session.accessKeyId)?.thingName // vin
 */
export class VehicleSessions {
  private readonly byAccessKey = new Map<string, VehicleSession>();
  issued = 0;

  constructor(private readonly now: () => number = Date.now) {}

  issue(request: IssueRequest): VehicleSession {
    this.forgetExpired();
    const session: VehicleSession = {
      ...request,
      accessKeyId: `${gatewayIdProblem(request.thingName) === undefined ? GATEWAY_ACCESS_KEY_PREFIX : VEHICLE_ACCESS_KEY_PREFIX}${randomBytes(5).toString("hex").toUpperCase()}`,
      secretAccessKey: token(30),
      sessionToken: token(96),
      expiresAtMs: this.now() + request.durationSeconds * 1000,
    };
    this.byAccessKey.set(session.accessKeyId, session);
    this.issued++;
    return session;
  }

  find(accessKeyId: string): VehicleSession | undefined {
    return this.byAccessKey.get(accessKeyId);
  }

  isExpired(session: VehicleSession): boolean {
    return this.now() >= session.expiresAtMs;
  }

  /** Drops sessions that ended more than an hour ago (an expired key still answers `ExpiredToken` meanwhile). */
  private forgetExpired(): void {
    const cutoff = this.now() - 3_600_000;
    for (const [key, session] of this.byAccessKey) if (session.expiresAtMs < cutoff) this.byAccessKey.delete(key);
  }
}
