import { setTimeout as delay } from "node:timers/promises";

/**
 * Waits `ms` (none when negative), or less when `signal` aborts; an abort ends the wait, it is not an error.
 *
 * @example
 * await abortableSleep(1000, stopping.signal);
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(Math.max(0, ms), undefined, { signal }).catch((error: unknown) => {
    if ((error as Error).name !== "AbortError") throw error;
  });
}
