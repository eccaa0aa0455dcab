import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { parkedFailureKey, type ParkedSource } from "../../../../contracts/parked-failure.js";
import { parkedFailure, PARKED_REASON } from "../../../../lib/parked-failures.js";

/**
 * An S3 stand-in holding parked objects: ListObjectsV2 (prefix, delimiter, 1,000 a page, continuation) and GetObject,
 * counting calls. `countOf` makes a record a counted one (standing for that many messages).
 */
export function parkedBucket(
  days: Record<string, Record<string, number>>,
  countOf: (day: string, source: string, index: number) => number | undefined = () => undefined,
): { s3: S3Client; lists: () => number; gets: () => number } {
  const objects = new Map<string, string>();
  for (const [day, bySource] of Object.entries(days)) {
    for (const [source, count] of Object.entries(bySource)) {
      for (let index = 0; index < count; index++) {
        const failure = parkedFailure({
          source: source as ParkedSource,
          identity: [day, String(index)],
          reason: PARKED_REASON.ObjectMissing,
          detail: `parked ${index} of ${day}`,
          message: "{}",
          at: new Date(`${day}T12:00:00.000Z`),
        });
        const count = countOf(day, source, index);
        objects.set(parkedFailureKey(failure), JSON.stringify(count === undefined ? failure : { ...failure, count }));
      }
    }
  }
  const keys = [...objects.keys()].sort();
  let lists = 0;
  let gets = 0;
  const send = async (command: unknown) => {
    if (command instanceof GetObjectCommand) {
      gets++;
      const body = objects.get(command.input.Key!)!;
      return { Body: { transformToString: async () => body } };
    }
    if (!(command instanceof ListObjectsV2Command)) throw new Error("unexpected command");
    lists++;
    const { Prefix = "", Delimiter, ContinuationToken } = command.input;
    const entries: Array<{ key?: string; folder?: string }> = [];
    for (const key of keys) {
      if (!key.startsWith(Prefix) || (ContinuationToken !== undefined && key <= ContinuationToken)) continue;
      const cut = Delimiter ? key.indexOf(Delimiter, Prefix.length) : -1;
      if (cut < 0) entries.push({ key });
      else if (entries.at(-1)?.folder !== key.slice(0, cut + 1)) entries.push({ folder: key.slice(0, cut + 1) });
      if (entries.length > 1_000) break;
    }
    const page = entries.slice(0, 1_000);
    const last = page.at(-1);
    return {
      Contents: page.filter((entry) => entry.key).map((entry) => ({ Key: entry.key, LastModified: new Date(`${entry.key!.split("/")[2]}T12:00:00.000Z`) })),
      CommonPrefixes: page.filter((entry) => entry.folder).map((entry) => ({ Prefix: entry.folder })),
      IsTruncated: entries.length > 1_000,
      NextContinuationToken: last?.key ?? (last?.folder ? `${last.folder}\uffff` : undefined),
    };
  };
  return { s3: { send } as unknown as S3Client, lists: () => lists, gets: () => gets };
}
