/**
 * A cross-process lock made of a directory (mkdir is atomic), so concurrent test files or engineers do not
 * build, synthesize or install the emulator at the same moment. A lock older than `staleMs` is taken over.
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export class LockTimeoutError extends Error {
  override readonly name = "LockTimeoutError";
  constructor(readonly lockPath: string, timeoutMs: number) {
    super(`could not acquire ${lockPath} within ${Math.round(timeoutMs / 1000)} s (another build or install running?)`);
  }
}

export interface LockOptions {
  timeoutMs?: number;
  staleMs?: number;
}

const defaults = { timeoutMs: 5 * 60_000, staleMs: 10 * 60_000 } as const;

function tryAcquire(lockPath: string, staleMs: number): boolean {
  try {
    mkdirSync(lockPath, { recursive: false });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const age = Date.now() - (statSync(lockPath, { throwIfNoEntry: false })?.mtimeMs ?? Number.NaN);
    if (Number.isFinite(age) && age > staleMs) rmSync(lockPath, { recursive: true, force: true });
    return false;
  }
}

/**
 * Runs `work` while holding the lock at `lockPath`.
 *
 * @example
 * await withFileLock(".fleetota/build.lock", async () => {
 *   // one process at a time builds; the others wait, then find it built
 * });
 */
export async function withFileLock<T>(lockPath: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const { timeoutMs, staleMs } = { ...defaults, ...options };
  const deadline = Date.now() + timeoutMs;
  mkdirSync(dirname(lockPath), { recursive: true });
  while (!tryAcquire(lockPath, staleMs)) {
    if (Date.now() > deadline) throw new LockTimeoutError(lockPath, timeoutMs);
    await sleep(250);
  }
  try {
    return await work();
  } finally {
    rmSync(lockPath, { recursive: true, force: true });
  }
}
