import { parseQueueMessage } from "../../contracts/telemetry-events.js";
import { parseTelemetryEventKey, UPLOADER_KIND } from "../../contracts/telemetry-keys.js";

/**
 * The order a batch's messages are started in: round-robin by uploader. Every uploader's first message, then every
 * uploader's second, and so on; within a round and within an uploader, batch order. Near its timeout the processor
 * leaves the messages not yet started for a later receive (deadline.ts), so in batch order one uploader flooding the
 * queue with dear objects filled the batch and left everyone's objects behind its own unread, a receive spent each
 * time; in this order another uploader's object starts before the flooder's second, and what is left unread is the
 * flooder's own. A message `uploaderOf` cannot name (undefined) is an uploader of its own: it keeps its place in the
 * first round. Returns every item once, a permutation: nothing else depends on the order (the ledger, the fleet
 * state and the metrics are keyed or summed, and a second delivery of an object waits for the first whichever
 * starts first).
 *
 * @example
 * roundRobinByUploader(["a1", "a2", "a3", "b1", "c1"], (item) => item[0]); // ["a1", "b1", "c1", "a2", "a3"]
 */
export function roundRobinByUploader<T>(items: readonly T[], uploaderOf: (item: T) => string | undefined): T[] {
  const taken = new Map<string, number>();
  const rounds: T[][] = [];
  for (const item of items) {
    const uploader = uploaderOf(item);
    const round = uploader === undefined ? 0 : (taken.get(uploader) ?? 0);
    if (uploader !== undefined) taken.set(uploader, round + 1);
    (rounds[round] ??= []).push(item);
  }
  return rounds.flat();
}

/**
 * Who uploaded the object a telemetry-queue message announces, as its key names it (the uploader's IAM policy scopes
 * that segment; contracts/telemetry-keys.ts): `vehicle/<VIN>` or `fleet/<gatewayId>`. Undefined for a body that is not
 * an "Object Created" event or a key outside the layout: the processor parks or quarantines those without reading
 * them, and meets whatever this cannot parse on its own (processTelemetryMessage), so nothing here fails a message.
 *
 * @example
 * uploaderOfMessage(record.body); // "vehicle/1HGCM82633A004352"
 */
export function uploaderOfMessage(body: string): string | undefined {
  let parsed;
  try {
    parsed = parseQueueMessage(body);
  } catch {
    return undefined;
  }
  if (parsed.kind !== "object") return undefined;
  const key = parseTelemetryEventKey(parsed.object.key);
  if (!key.ok) return undefined;
  return key.key.kind === UPLOADER_KIND.Vehicle ? `${UPLOADER_KIND.Vehicle}/${key.key.vin}` : `${UPLOADER_KIND.Fleet}/${key.key.gatewayId}`;
}

/**
 * At most `limit` tasks at once, a free slot going to the waiting task whose uploader has the fewest tasks running
 * (earliest first among equals; an undefined uploader is one of its own). So an uploader holds no more than its share
 * of the slots while others wait, whatever the batch's mix: round-robin order alone let a flooder's first objects fill
 * every slot when the others were few uploaders of many objects each (a gateway; review 17, R17-F1). Decided once the
 * batch's tasks are all waiting (the first pick waits for the next turn of the event loop), and work-conserving: a slot
 * never stays free while a task waits.
 *
 * @example
 * const slot = fairSlots(10);
 * await Promise.all(records.map((record) => slot(uploaderOfMessage(record.body), async () => record.messageId)));
 */
export function fairSlots(limit: number): <T>(uploader: string | undefined, task: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`slot limit must be a whole number of at least 1, got ${limit}`);
  let running = 0;
  const runningOf = new Map<string, number>();
  const waiting: Array<{ uploader: string | undefined; start: () => void }> = [];
  let pumpDue = false;
  const countOf = (uploader: string | undefined): number => (uploader === undefined ? 0 : (runningOf.get(uploader) ?? 0));
  function pump(): void {
    pumpDue = false;
    while (running < limit && waiting.length > 0) {
      let pick = 0;
      for (let index = 1; index < waiting.length && countOf(waiting[pick]!.uploader) > 0; index++) {
        if (countOf(waiting[index]!.uploader) < countOf(waiting[pick]!.uploader)) pick = index;
      }
      const [next] = waiting.splice(pick, 1);
      running += 1;
      if (next!.uploader !== undefined) runningOf.set(next!.uploader, countOf(next!.uploader) + 1);
      next!.start();
    }
  }
  return async function slot<T>(uploader: string | undefined, task: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      waiting.push({ uploader, start });
      if (!pumpDue) {
        pumpDue = true;
        setImmediate(pump);
      }
    });
    try {
      return await task();
    } finally {
      running -= 1;
      if (uploader !== undefined) runningOf.set(uploader, countOf(uploader) - 1);
      pump();
    }
  };
}
