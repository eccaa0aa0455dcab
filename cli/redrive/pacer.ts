export type Sleep = (milliseconds: number) => Promise<void>;

export const realSleep: Sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Spaces sends so that no more than `maxPerSecond` messages go out per second on average;
 * with no limit it never waits.
 *
 * @example
 * const pace = createPacer(50);
 * await pace(10); // returns at once, the next call waits about 200 ms
 */
export function createPacer(maxPerSecond: number | undefined, sleep: Sleep = realSleep, now: () => number = Date.now): (count: number) => Promise<void> {
  if (maxPerSecond === undefined) return async () => {};
  const millisecondsPerMessage = 1000 / maxPerSecond;
  let nextFreeAt = now();
  return async function paceSend(count: number): Promise<void> {
    if (count === 0) return;
    const wait = nextFreeAt - now();
    if (wait > 0) await sleep(wait);
    nextFreeAt = Math.max(nextFreeAt, now()) + count * millisecondsPerMessage;
  };
}
