import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Log } from "../../lib/logger.js";
import { REPOSITORY_LAYOUT } from "../../uptane/metadata.js";
import type { PolledDocument } from "./agent-machine.js";

export interface JobDocumentFeedOptions {
  /** The vehicle's own S3 client (its own credentials where it has them). */
  s3: S3Client;
  bucket: string;
  log: Log;
}

export interface FeedPollResult {
  document?: PolledDocument;
  /** The GET returned a body (a new or changed document), as opposed to 304 Not Modified or 404. */
  fetched: boolean;
}

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/**
 * One vehicle's view of its own `jobs/<VIN>.json`: a conditional GET on the last ETag (304 when
 * unchanged), never a listing, so a vehicle learns nothing about any other vehicle's job.
 *
 * @example
 * const feed = new JobDocumentFeed({ s3: vehicleS3, bucket, log });
 * const { document } = await feed.poll("1HGCM82633A004352"); // { tag: "\"9b2c…\"", body: { director, imageTargets } }
 */
export class JobDocumentFeed {
  private readonly documents = new Map<string, PolledDocument>();

  constructor(private readonly options: JobDocumentFeedOptions) {}

  /** The document last seen for a VIN (`body` undefined once it is gone). */
  documentFor(vin: string): PolledDocument | undefined {
    return this.documents.get(vin);
  }

  async poll(vin: string): Promise<FeedPollResult> {
    const known = this.documents.get(vin);
    try {
      const object = await this.options.s3.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: REPOSITORY_LAYOUT.jobDocument(vin), IfNoneMatch: known?.body === undefined ? undefined : known.tag }),
      );
      const text = (await object.Body?.transformToString()) ?? "";
      const document = { tag: object.ETag ?? `length:${text.length}`, body: parseOrKeep(text) };
      this.documents.set(vin, document);
      return { document, fetched: true };
    } catch (error) {
      const status = statusOf(error);
      if (status === 304) return { document: known, fetched: false };
      if (status === 404 || (error as Error).name === "NoSuchKey") {
        if (known !== undefined && known.body !== undefined) this.documents.set(vin, { tag: "absent", body: undefined });
        return { document: this.documents.get(vin), fetched: false };
      }
      // A transient error: the next poll asks again; meanwhile the vehicle keeps what it had.
      this.options.log.debug("job document poll failed", { vin, error: (error as Error).message });
      return { document: known, fetched: false };
    }
  }
}

/** Unparseable text is handed on as is: the verifier refuses it as malformed. */
function parseOrKeep(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
