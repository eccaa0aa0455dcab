import { parseQueueMessage } from "../../contracts/telemetry-events.js";
import { uploaderOfKey } from "../../contracts/telemetry-keys.js";

/**
 * The order a batch's messages are started in: round-robin by uploader. Every uploader's first message, then every
 * uploader's second, and so on; within a round and within an uploader, batch order. Near its timeout the processor
 * leaves the messages not yet started for a later receive (deadline.ts), so in batch order one uploader flooding the
 * queue with dear objects filled the batch and left everyone's objects behind its own unread, a receive spent each
 * time; in this order another uploader's object starts before the flooder's second, and what is left unread is the
 * flooder's own. Returns every item once, a permutation: nothing else depends on the order (the ledger, the fleet
 * state and the metrics are keyed or summed, and a second delivery of an object waits for the first whichever
 * starts first).
 *
 * @example
 * roundRobinByUploader(["a1", "a2", "a3", "b1", "c1"], (item) => item[0]!); // ["a1", "b1", "c1", "a2", "a3"]
 */
export function roundRobinByUploader<T>(items: readonly T[], uploaderOf: (item: T) => string): T[] {
  const taken = new Map<string, number>();
  const rounds: T[][] = [];
  for (const item of items) {
    const uploader = uploaderOf(item);
    const round = taken.get(uploader) ?? 0;
    taken.set(uploader, round + 1);
    (rounds[round] ??= []).push(item);
  }
  return rounds.flat();
}

/**
 * The one uploader every message is charged to whose uploader no key names (a body that is not an "Object Created"
 * event, a key outside `telemetry/<vehicle|fleet>/<id>/`): together they hold one uploader's share of the slots and
 * rounds. Review 18, R18-F1: as uploaders of their own they counted as none running and won every free slot.
 */
export const UNNAMED_UPLOADER = "unnamed";

/**
 * Who uploaded the object a telemetry-queue message announces: the uploader the IAM-scoped start of its key names,
 * `vehicle/<VIN>` or `fleet/<gatewayId>` (contracts/telemetry-keys.ts uploaderOfKey), also for a key outside the
 * layout under it (quarantined unread, its uploader's all the same); otherwise UNNAMED_UPLOADER. The processor meets
 * whatever this cannot parse on its own (processTelemetryMessage), so nothing here fails a message.
 *
 * @example
 * uploaderOfMessage(record.body); // "vehicle/1HGCM82633A004352"
 */
export function uploaderOfMessage(body: string): string {
  let parsed;
  try {
    parsed = parseQueueMessage(body);
  } catch {
    return UNNAMED_UPLOADER;
  }
  if (parsed.kind !== "object") return UNNAMED_UPLOADER;
  return uploaderOfKey(parsed.object.key) ?? UNNAMED_UPLOADER;
}
