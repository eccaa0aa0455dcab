import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { DASHBOARD_SECURITY_HEADERS } from "../contracts/dashboard-headers.js";
import { extname, join, resolve, sep } from "node:path";
import type { AddressInfo } from "node:net";

/**
 * The local stand-in for the dashboard's CloudFront distribution: serves the built web app (dist/web)
 * and, under `/data/`, the documents the dashboard publisher wrote to the dashboard bucket.
 */
export interface DashboardServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The built web app, usually `dist/web`. */
  webDir: string;
  /**
   * Reads one object of the dashboard bucket by its key, e.g. `data/fleet.json`; undefined when absent.
   * `npm start` passes one that GETs from the emulator.
   */
  readData(key: string): Promise<Buffer | undefined>;
}

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

const DATA_ROUTE = "/data/";
/** Object keys the data route accepts: path segments of safe characters, none of them dot-only. */
const SAFE_DATA_KEY = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

const SECURITY_HEADERS = DASHBOARD_SECURITY_HEADERS;

/**
 * The Host values the server answers: its own address and `localhost`, on its port. Anything else is a page
 * that resolved its own name to 127.0.0.1 (DNS rebinding) and would read `/data/` (VINs, positions, parked
 * failures) as same-origin; it is refused with 421 before anything is read.
 *
 * @example
 * allowedHosts(8080); // Set { "127.0.0.1:8080", "localhost:8080" }
 */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

/** A request path that is malformed or tries to leave the served folder. */
export class UnsafePathError extends Error {
  override readonly name = "UnsafePathError";
  constructor(readonly path: string) {
    super(`refusing unsafe path ${JSON.stringify(path)}`);
  }
}

/**
 * Starts the dashboard server on 127.0.0.1; it answers only requests for its own host (`allowedHosts`).
 *
 * @example
 * const server = await serveDashboard({ webDir: "dist/web", readData: async (key) => documents.get(key) });
 * console.log(`dashboard at ${server.url}`);
 * await server.close();
 */
export async function serveDashboard(options: DashboardServerOptions): Promise<DashboardServer> {
  const webDir = resolve(options.webDir);
  let hosts: ReadonlySet<string> = new Set();
  const server = createServer((request, response) => {
    if (!hosts.has((request.headers.host ?? "").toLowerCase())) {
      send(response, 421, "text/plain; charset=utf-8", `refusing Host ${JSON.stringify(request.headers.host ?? "")}: open ${[...hosts][0] ? `http://${[...hosts][0]}/` : "the printed URL"}\n`);
      return;
    }
    handleRequest(request, response, webDir, options.readData).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, "text/plain; charset=utf-8", `internal error: ${describe(error)}\n`);
      else response.destroy();
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once("error", rejectListen);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", rejectListen);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  hosts = allowedHosts(port);
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolveClose, rejectClose) => {
        server.close((error) => (error ? rejectClose(error) : resolveClose()));
        server.closeAllConnections();
      }),
  };
}

async function handleRequest(
  request: IncomingMessage,
  response: ServerResponse,
  webDir: string,
  readData: DashboardServerOptions["readData"],
): Promise<void> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("allow", "GET, HEAD");
    send(response, 405, "text/plain; charset=utf-8", "method not allowed\n");
    return;
  }
  let pathname: string;
  try {
    pathname = decodeRequestPath(request.url ?? "/");
  } catch (error) {
    send(response, 400, "text/plain; charset=utf-8", `${describe(error)}\n`);
    return;
  }

  if (pathname.startsWith(DATA_ROUTE)) {
    const key = pathname.slice(1);
    if (!SAFE_DATA_KEY.test(key.slice(DATA_ROUTE.length - 1))) {
      send(response, 400, "text/plain; charset=utf-8", `${new UnsafePathError(pathname).message}\n`);
      return;
    }
    const body = await readData(key);
    if (body === undefined) {
      send(response, 404, "text/plain; charset=utf-8", `no ${key} yet\n`, { "cache-control": "no-store" });
      return;
    }
    send(response, 200, contentType(key), body, { "cache-control": "no-store" });
    return;
  }

  const file = resolveStaticFile(webDir, pathname);
  if (!file) {
    send(response, 400, "text/plain; charset=utf-8", `${new UnsafePathError(pathname).message}\n`);
    return;
  }
  const found = await stat(file).catch(() => undefined);
  if (!found?.isFile()) {
    send(response, 404, "text/plain; charset=utf-8", "not found\n");
    return;
  }
  send(response, 200, contentType(file), await readFile(file), { "cache-control": "no-cache" });
}

/** Decodes the path of a request URL; throws UnsafePathError on bad escapes, NUL or backslashes. */
export function decodeRequestPath(url: string): string {
  const rawPath = url.split(/[?#]/, 1)[0] ?? "/";
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw new UnsafePathError(rawPath);
  }
  if (!decoded.startsWith("/") || decoded.includes("\0") || decoded.includes("\\")) throw new UnsafePathError(rawPath);
  return decoded;
}

/** Maps a decoded request path to a file inside webDir (`/` → index.html); undefined when it would leave it. */
export function resolveStaticFile(webDir: string, pathname: string): string | undefined {
  const relativePath = pathname.endsWith("/") ? `${pathname}index.html` : pathname;
  const file = resolve(join(webDir, relativePath));
  return file.startsWith(webDir + sep) ? file : undefined;
}

function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { ...SECURITY_HEADERS, "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
  response.end(response.req.method === "HEAD" ? undefined : body);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
