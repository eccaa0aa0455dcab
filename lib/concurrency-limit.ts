/**
 * At most `limit` of the given tasks run at once; the others wait their turn, in order. A task's
 * failure is its own: it rejects its promise and frees its slot.
 *
 * @example
 * const limited = concurrencyLimit(10);
 * await Promise.all(records.map((record) => limited(() => store.save(record)))); // never more than 10 saved at once
 */
export function concurrencyLimit(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a whole number of at least 1, got ${limit}`);
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    running -= 1;
    waiting.shift()?.();
  };
  return async function limited<T>(task: () => Promise<T>): Promise<T> {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
