/**
 * Requests exactly as the real AWS SDK sends them (captured by a loopback server that only records), and
 * presigned URLs made by the SDK's own SigV4 signer, for the front door's tests.
 */
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { SignatureV4 } from "@smithy/signature-v4";

export interface CapturedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  /** The body as sent (UTF-8). */
  readonly body: string;
}

export interface TestCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * Runs `send` with an SDK config pointed at a recorder and returns the first request it made.
 *
 * @example
 * import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
 * const request = await capturedRequest((config) => new S3Client(config).send(new GetObjectCommand({ Bucket: "lake", Key: "jobs/V.json" })), credentials);
 */
export async function capturedRequest(send: (config: object) => Promise<unknown>, credentials: TestCredentials): Promise<CapturedRequest> {
  let seen: CapturedRequest | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      seen ??= { method: request.method ?? "GET", url: request.url ?? "/", headers: request.headers, body: Buffer.concat(chunks).toString("utf8") };
      response.writeHead(400, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const config = { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: "us-east-1", credentials, maxAttempts: 1, forcePathStyle: true };
  await send(config).catch(() => undefined);
  await new Promise((closed) => server.close(closed));
  if (!seen) throw new Error("the client sent no request");
  return seen;
}

/** SHA-256 (and HMAC-SHA-256 with a secret) for the SDK signer, from node:crypto. */
class Sha256 {
  readonly #hash;
  constructor(secret?: string | Uint8Array) {
    this.#hash = secret === undefined ? createHash("sha256") : createHmac("sha256", secret);
  }
  update(data: string | Uint8Array): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {}
}

/**
 * A presigned S3 URL target (path and query) made by the SDK's SigV4 signer.
 *
 * @example
 * const target = await presignedTarget({ host: "127.0.0.1:4566", path: "/lake/jobs/V.json", credentials, expiresIn: 60 });
 */
export async function presignedTarget(options: { host: string; path: string; method?: string; credentials: TestCredentials; expiresIn?: number; signingDate?: Date; service?: string }): Promise<string> {
  const signer = new SignatureV4({ service: options.service ?? "s3", region: "us-east-1", credentials: options.credentials, sha256: Sha256 as never, uriEscapePath: false });
  const signed = await signer.presign(
    { method: options.method ?? "GET", protocol: "http:", hostname: options.host.split(":")[0]!, port: Number(options.host.split(":")[1]), path: options.path, headers: { host: options.host }, query: {} },
    { expiresIn: options.expiresIn ?? 300, ...(options.signingDate ? { signingDate: options.signingDate } : {}) },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join("&");
  return `${options.path}?${query}`;
}
