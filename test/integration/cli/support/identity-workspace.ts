/**
 * For the tests of the CLI's identity commands (`fleetota vehicles`, `fleetota gateways`): one local cloud
 * per test file (runtime off), its description in a fresh workspace the CLI runs in, and what both check
 * of a device's bundle (owner-only files, the identity it holds, whether it still gets credentials).
 */
import { mkdirSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Test } from "uvu";
import * as assert from "uvu/assert";
import { readGatewayBundle, readVehicleBundle } from "../../../../identity/bundle.js";
import {
  fetchVehicleCredentials,
  type DeviceIdentityMaterial,
  type GatewayIdentityMaterial,
  type VehicleIdentityMaterial,
} from "../../../../identity/vehicle-credentials.js";
import { startLocalCloud, type LocalCloud } from "../../../../local/cloud.js";
import { cliIn } from "../../support/cli.js";

export interface IdentityWorkspace {
  /** The folder the CLI runs in; `.fleetota/local.json` in it points at the file's local cloud. */
  workspace: string;
  /** `fleetota --json …` in the workspace. */
  fleetota: ReturnType<typeof cliIn>;
  /** The file's local cloud: valid inside a test. */
  cloud: () => LocalCloud;
}

/**
 * Starts a local cloud (runtime off) before the suite's tests and stops it after them.
 *
 * @example
 * const { workspace, fleetota, cloud } = identityWorkspaceForSuite(test, "vehicles");
 */
export function identityWorkspaceForSuite(suite: Test, name: string): IdentityWorkspace {
  const workspace = mkdtempSync(join(tmpdir(), `fleetota-cli-${name}-`));
  let cloud: LocalCloud | undefined;
  suite.before(async () => {
    mkdirSync(join(workspace, ".fleetota"), { recursive: true });
    cloud = await startLocalCloud({ runtime: false, stateFile: join(workspace, ".fleetota", "local.json") });
  });
  suite.after(async () => {
    await cloud?.stop();
  });
  return { workspace, fleetota: cliIn(workspace), cloud: () => cloud! };
}

/** A file's permission bits, e.g. `"600"`. */
export const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

/**
 * Asserts a bundle is owner-only: the bundles folder and the device's folder 0700, every file in it 0600.
 *
 * @example
 * assertOwnerOnly(bundles, join(bundles, vin));
 */
export function assertOwnerOnly(bundles: string, folder: string): void {
  assert.is(mode(bundles), "700");
  assert.is(mode(folder), "700");
  for (const file of readdirSync(folder)) assert.is(mode(join(folder, file)), "600", file);
}

/** What a vehicle holds, read from its bundle folder (`privateKeyPem` when the key is not in it). */
export function vehicleIdentityOf(folder: string, privateKeyPem?: string): VehicleIdentityMaterial {
  const bundle = readVehicleBundle(folder, { privateKeyPem });
  return { ...bundle, caCertificatePem: bundle.credentialsProviderCaPem };
}

/** What a fleet gateway holds, read from its bundle folder (`privateKeyPem` when the key is not in it). */
export function gatewayIdentityOf(folder: string, privateKeyPem?: string): GatewayIdentityMaterial {
  const bundle = readGatewayBundle(folder, { privateKeyPem });
  return { ...bundle, caCertificatePem: bundle.credentialsProviderCaPem };
}

/**
 * The credentials provider's HTTP status when it refuses the device, undefined when it issues credentials.
 *
 * @example
 * assert.is(await credentialsRefusal(identity), 403); // revoked
 */
export async function credentialsRefusal(identity: DeviceIdentityMaterial): Promise<number | undefined> {
  return fetchVehicleCredentials(identity).then(
    () => undefined,
    (error: Error & { statusCode: number }) => error.statusCode,
  );
}
