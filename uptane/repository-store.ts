import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Metadata, Root, Targets } from "@tufjs/models";
import { REPOSITORY_LAYOUT, rootFromJson, targetsFromJson } from "./metadata.js";

/**
 * Reading and writing the two repositories' metadata in the data bucket. Published metadata and
 * images are written once (`If-None-Match: *`) under object lock (governance), so a release is never
 * replaced; each root and targets version has its own key (TUF's consistent snapshots), and the newest
 * is found by asking for the next version until there is none.
 */

/** How long published metadata and images stay locked (governance mode: only the bucket administrators' bypass may delete; the lake refuses any longer retention). */
export const PUBLISHED_RETENTION_DAYS = 365;

export class AlreadyPublishedError extends Error {
  override readonly name = "AlreadyPublishedError";
  constructor(readonly key: string) {
    super(`${key} is already published and is never overwritten`);
  }
}

const isMissing = (error: unknown): boolean => ["NoSuchKey", "NotFound"].includes((error as Error).name);

/** The object's bytes, or undefined when there is no such key. */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await response.Body!.transformToByteArray());
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

export async function readJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  const bytes = await readObject(s3, bucket, key);
  return bytes === undefined ? undefined : JSON.parse(bytes.toString("utf8"));
}

/**
 * Writes an object once, locked in governance mode for `retentionDays`; AlreadyPublishedError when the
 * key exists.
 *
 * @example
 * await publishOnce(s3, bucket, REPOSITORY_LAYOUT.image(sha256), bytes, "application/octet-stream");
 */
export async function publishOnce(s3: S3Client, bucket: string, key: string, body: Uint8Array | string, contentType: string, retentionDays = PUBLISHED_RETENTION_DAYS): Promise<void> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        IfNoneMatch: "*",
        ObjectLockMode: "GOVERNANCE",
        // From the real clock, not a release's signing time: the lake refuses a retention longer than a
        // published version's, counted from the time of the request.
        ObjectLockRetainUntilDate: new Date(Date.now() + retentionDays * 86_400_000),
        ChecksumAlgorithm: "SHA256",
      }),
    );
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 412 || (error as Error).name === "PreconditionFailed") throw new AlreadyPublishedError(key);
    throw error;
  }
}

/**
 * Every version of a chained metadata file from `from` on, oldest first, read until the next is missing.
 *
 * @example
 * const roots = await readChain(s3, bucket, REPOSITORY_LAYOUT.directorRoot); // [root 1, root 2, …]
 */
export async function readChain(s3: S3Client, bucket: string, keyOf: (version: number) => string, from = 1): Promise<unknown[]> {
  const chain: unknown[] = [];
  for (let version = from; ; version++) {
    const json = await readJson(s3, bucket, keyOf(version));
    if (json === undefined) return chain;
    chain.push(json);
  }
}

export interface PublishedRepository {
  imageRoots: Array<Metadata<Root>>;
  directorRoots: Array<Metadata<Root>>;
  imageTargets?: Metadata<Targets>;
}

/**
 * What the two repositories have published: both root chains and the newest image targets.
 *
 * @example
 * const repository = await readPublished(s3, bucket);
 * repository.imageTargets?.signed.version // 4
 */
export async function readPublished(s3: S3Client, bucket: string, known?: { imageTargetsVersion?: number }): Promise<PublishedRepository> {
  const [imageRoots, directorRoots, targets] = await Promise.all([
    readChain(s3, bucket, REPOSITORY_LAYOUT.imageRoot),
    readChain(s3, bucket, REPOSITORY_LAYOUT.directorRoot),
    readChain(s3, bucket, REPOSITORY_LAYOUT.imageTargets, Math.max(1, known?.imageTargetsVersion ?? 1)),
  ]);
  const newest = targets[targets.length - 1];
  return {
    imageRoots: imageRoots.map(rootFromJson),
    directorRoots: directorRoots.map(rootFromJson),
    ...(newest === undefined ? {} : { imageTargets: targetsFromJson(newest) }),
  };
}
