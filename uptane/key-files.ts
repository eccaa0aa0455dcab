import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { generateOfflineKey, parseKeyFile, publicPart, type OfflineKeyFile } from "./keys.js";

/**
 * Offline key files on their holder's disk: the private key file (owner-only, 0600) and its public
 * half next to it (`<file>.pub`), which is what the holder hands over for a root.
 */

/**
 * Reads and checks a key file.
 *
 * @example
 * const alice = readKeyFile("/home/alice/.fleetota/alice.key");
 */
export function readKeyFile(path: string): OfflineKeyFile {
  return parseKeyFile(readFileSync(path, "utf8"), path);
}

/**
 * Creates a new key file (never overwriting one) and its `.pub`.
 *
 * @example
 * const key = createKeyFile("alice.key", "alice"); // alice.key (0600) and alice.key.pub
 */
export function createKeyFile(path: string, name: string): OfflineKeyFile {
  const key = generateOfflineKey(name);
  writeFileSync(path, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  writeFileSync(`${path}.pub`, `${JSON.stringify(publicPart(key), null, 2)}\n`, { mode: 0o644 });
  return key;
}

/** The key file at `path`, created first when missing. */
export function ensureKeyFile(path: string, name: string): OfflineKeyFile {
  return existsSync(path) ? readKeyFile(path) : createKeyFile(path, name);
}
