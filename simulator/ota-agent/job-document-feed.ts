import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import type { Log } from "../../lib/logger.js";
import type { PolledDocument } from "./agent-machine.js";

const JOBS_PREFIX = "jobs/";
const ABSENT_TAG = "absent";

export interface JobDocumentFeedOptions {
  s3: S3Client;
  bucket: string;
  log: Log;
  /** Parallel GETs of changed documents. */
  fetchConcurrency?: number;
}

export interface FeedRefreshStats {
  listed: number;
  fetched: number;
  listCalls: number;
}

/**
 * The fleet's view of `jobs/<VIN>.json`, kept cheap at fleet scale: each refresh is one
 * ListObjectsV2 walk of the `jobs/` prefix (1,000 keys a page), and only documents whose ETag changed
 * are fetched — a vehicle polling its own document would cost one GET per vehicle per tick.
 *
 * @example
 * const feed = new JobDocumentFeed({ s3, bucket, log });
 * await feed.refresh();
 * feed.documentFor("1HGCM82633A004352"); // { tag: "\"9b2c…\"", body: { job, manifest } } or undefined
 */
export class JobDocumentFeed {
  private readonly documents = new Map<string, PolledDocument>();

  constructor(private readonly options: JobDocumentFeedOptions) {}

  /** The latest document for a VIN; `{ body: undefined }` once a document it had was deleted. */
  documentFor(vin: string): PolledDocument | undefined {
    return this.documents.get(vin);
  }

  async refresh(): Promise<FeedRefreshStats> {
    const { s3, bucket } = this.options;
    const listedTags = new Map<string, string>();
    let continuationToken: string | undefined;
    let listCalls = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: JOBS_PREFIX, ContinuationToken: continuationToken }));
      listCalls++;
      for (const object of page.Contents ?? []) {
        const vin = vinOf(object.Key ?? "");
        if (vin && object.ETag) listedTags.set(vin, object.ETag);
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);

    const changed = [...listedTags].filter(([vin, tag]) => this.documents.get(vin)?.tag !== tag);
    await this.fetchAll(changed);
    for (const [vin, document] of this.documents) {
      if (!listedTags.has(vin) && document.tag !== ABSENT_TAG) this.documents.set(vin, { tag: ABSENT_TAG, body: undefined });
    }
    return { listed: listedTags.size, fetched: changed.length, listCalls };
  }

  private async fetchAll(changed: Array<[string, string]>): Promise<void> {
    const queue = [...changed];
    const workers = Array.from({ length: Math.min(queue.length, this.options.fetchConcurrency ?? 16) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.fetchOne(next[0]);
    });
    await Promise.all(workers);
  }

  private async fetchOne(vin: string): Promise<void> {
    try {
      const object = await this.options.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: `${JOBS_PREFIX}${vin}.json` }));
      const text = (await object.Body?.transformToString()) ?? "";
      this.documents.set(vin, { tag: object.ETag ?? text.length.toString(), body: parseOrKeep(text) });
    } catch (error) {
      // Deleted between list and get, or a transient error: the next refresh sees it again.
      this.options.log.debug("job document fetch failed", { vin, error: (error as Error).message });
    }
  }
}

function vinOf(key: string): string | undefined {
  const match = /^jobs\/([A-Za-z0-9]{17})\.json$/.exec(key);
  return match?.[1];
}

/** Unparseable text is handed on as is: the verifier refuses it as malformed. */
function parseOrKeep(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
