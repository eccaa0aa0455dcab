import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";

/**
 * An S3 stand-in that keeps put objects and honours IfNoneMatch "*" and IfMatch <etag> as S3 does (412 otherwise); a
 * read of a missing key answers NoSuchKey (404), as S3 does to a caller that may list it.
 */
export function recordingS3(): { s3: S3Client; puts: Map<string, string> } {
  const puts = new Map<string, string>();
  const versions = new Map<string, number>();
  const etagOf = (key: string) => `"v${versions.get(key)}"`;
  const preconditionFailed = () => new S3ServiceException({ name: "PreconditionFailed", $fault: "client", $metadata: { httpStatusCode: 412 } });
  const send = async (command: unknown) => {
    if (command instanceof GetObjectCommand) {
      const body = puts.get(command.input.Key!);
      if (body === undefined) throw new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } });
      return { ETag: etagOf(command.input.Key!), Body: { transformToString: async () => body } };
    }
    if (!(command instanceof PutObjectCommand)) throw new Error("unexpected command");
    const { Key, Body, IfNoneMatch, IfMatch } = command.input;
    if (IfNoneMatch === "*" && puts.has(Key!)) throw preconditionFailed();
    if (IfMatch !== undefined && (!puts.has(Key!) || IfMatch !== etagOf(Key!))) throw preconditionFailed();
    puts.set(Key!, String(Body));
    versions.set(Key!, (versions.get(Key!) ?? 0) + 1);
    return {};
  };
  return { s3: { send } as unknown as S3Client, puts };
}
