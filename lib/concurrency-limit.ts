/**
 * At most `limit` tasks at once; a free slot goes to the waiting task whose owner has the fewest tasks running,
 * earliest first among equals (tasks of one owner run in order). So an owner holds no more than its share of the
 * slots while others wait, whatever the mix: the telemetry processor's uploaders (functions/telemetry-processor/batch.ts;
 * review 17, R17-F1: round-robin order alone let a flooder's first objects fill every slot when the others were few
 * uploaders of many objects each). Every task has an owner: one counted as none running would win every slot (review
 * 18, R18-F1). The first pick waits for the next turn of the event loop, so the tasks queued together are all weighed;
 * work-conserving: a slot never stays free while a task waits. A task's failure is its own: it rejects its promise and
 * frees its slot.
 *
 * @example
 * const limited = fairConcurrencyLimit(10);
 * await Promise.all(records.map((record) => limited(record.vin, () => Promise.resolve(record)))); // never more than 10 at once
 */
export function fairConcurrencyLimit(limit: number): <T>(owner: string, task: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a whole number of at least 1, got ${limit}`);
  let running = 0;
  const runningOf = new Map<string, number>();
  const waiting: Array<{ owner: string; start: () => void }> = [];
  let pumpDue = false;
  const countOf = (owner: string): number => runningOf.get(owner) ?? 0;
  function pump(): void {
    pumpDue = false;
    while (running < limit && waiting.length > 0) {
      let pick = 0;
      for (let index = 1; index < waiting.length && countOf(waiting[pick]!.owner) > 0; index++) {
        if (countOf(waiting[index]!.owner) < countOf(waiting[pick]!.owner)) pick = index;
      }
      const [next] = waiting.splice(pick, 1);
      running += 1;
      runningOf.set(next!.owner, countOf(next!.owner) + 1);
      next!.start();
    }
  }
  return async function limited<T>(owner: string, task: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      waiting.push({ owner, start });
      if (!pumpDue) {
        pumpDue = true;
        setImmediate(pump);
      }
    });
    try {
      return await task();
    } finally {
      running -= 1;
      runningOf.set(owner, countOf(owner) - 1);
      pump();
    }
  };
}
