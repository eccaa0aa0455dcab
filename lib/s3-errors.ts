/** The HTTP status of an AWS SDK error (`$metadata.httpStatusCode`), when it has one. */
export const s3StatusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/**
 * S3 says the key holds no object: NoSuchKey, or a 404 without a body to name it (a HEAD, or a GET the SDK could not
 * parse). Needs the caller's role to list the prefix, or S3 answers 403 instead.
 *
 * @example
 * isMissingObject(Object.assign(new Error("gone"), { name: "NoSuchKey" })); // true
 */
export const isMissingObject = (error: unknown): boolean => (error as Error).name === "NoSuchKey" || s3StatusOf(error) === 404;
