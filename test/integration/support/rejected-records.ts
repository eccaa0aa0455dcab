/**
 * For integration tests: an object's records file under quarantine/records/ as S3 stores it (through the real SDK),
 * decoded (contracts/rejected-records.ts), with its stored size and content type.
 */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { decodeRejectedRecords, type RejectedRecordsFile } from "../../../contracts/rejected-records.js";
import { isMissingObject } from "../../../lib/s3-errors.js";

export interface StoredRejectedRecords extends RejectedRecordsFile {
  /** Bytes S3 stores (gzip). */
  storedBytes: number;
  contentType?: string;
}

/**
 * The records file at `key`, or undefined when there is none.
 *
 * @example
 * import { rejectedRecordsKey } from "../../../functions/telemetry-processor/quarantine.js";
 * const file = await storedRejectedRecords(s3, bucket, rejectedRecordsKey(object));
 * file?.lines.map((line) => line.refusal);
 */
export async function storedRejectedRecords(s3: S3Client, bucket: string, key: string): Promise<StoredRejectedRecords | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await response.Body!.transformToByteArray();
    return { ...decodeRejectedRecords(bytes), storedBytes: bytes.byteLength, ...(response.ContentType === undefined ? {} : { contentType: response.ContentType }) };
  } catch (error) {
    if (isMissingObject(error)) return undefined;
    throw error;
  }
}
