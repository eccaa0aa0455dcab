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
