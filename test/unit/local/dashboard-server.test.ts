import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DOCUMENT_STATUS, fetchDocument, nextState } from "../../../web/src/data-client.js";
import { serveDashboard } from "../../../local/dashboard-server.js";

/** A web folder with an index page, and a sibling secret file that must never be served. */
async function fixtureSite() {
  const root = await mkdtemp(join(tmpdir(), "fleetota-site-"));
  const webDir = join(root, "web");
  await mkdir(webDir);
  await writeFile(join(webDir, "index.html"), "<!doctype html><title>FleetOTA</title>");
  await writeFile(join(webDir, "app.js"), "console.log('app')");
  await writeFile(join(root, "secret.txt"), "do not serve");
  return { root, webDir };
}

async function withServer(data: Record<string, unknown>, run: (url: string, keysRead: string[]) => Promise<void>) {
  const { root, webDir } = await fixtureSite();
  const keysRead: string[] = [];
  const server = await serveDashboard({
    webDir,
    async readData(key) {
      keysRead.push(key);
      return key in data ? Buffer.from(JSON.stringify(data[key])) : undefined;
    },
  });
  try {
    await run(server.url, keysRead);
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** GET with the path sent byte for byte (fetch would normalise `..` and `%2e%2e` before sending). */
/** `host`: the Host header to send instead of the URL's; null sends none (HTTP/1.0 style). */
function rawGet(url: string, path: string, host?: string | null): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, method: "GET", ...(host === undefined ? {} : host === null ? { setHost: false } : { headers: { host } }) }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const validDocument = { schemaVersion: 1, generatedAt: "2026-11-26T18:00:00.000Z", queues: [] };

test("serves the index, scripts and data with their content types", async () => {
  await withServer({ "data/queues.json": validDocument }, async (url, keysRead) => {
    const index = await fetch(url);
    const script = await fetch(new URL("app.js", url));
    const data = await fetch(new URL("data/queues.json", url));

    assert.is(index.status, 200);
    assert.match(index.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(script.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.match(data.headers.get("content-type") ?? "", /^application\/json/);
    assert.is(data.headers.get("cache-control"), "no-store");
    assert.equal(await data.json(), validDocument);
    assert.equal(keysRead, ["data/queues.json"]);
  });
});

test("listens on the loopback interface only", async () => {
  await withServer({}, async (url) => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  });
});

test("refuses paths that leave the web folder or the data prefix", async () => {
  await withServer({}, async (url, keysRead) => {
    for (const path of ["/../secret.txt", "/%2e%2e/secret.txt", "/data/..%2f..%2fsecret.txt", "/data/%2e%2e/x", "/a%00b", "/..%5csecret.txt", "/%E0%A4%A"]) {
      const response = await rawGet(url, path);
      assert.is(response.status, 400, `${path} answered ${response.status}`);
      assert.not.match(response.body, /do not serve/);
    }
    assert.equal(keysRead, []);
  });
});

test("answers 404 for a missing data document and 405 for writes", async () => {
  await withServer({}, async (url) => {
    const missing = await fetch(new URL("data/fleet.json", url));
    const post = await fetch(url, { method: "POST", body: "x" });

    assert.is(missing.status, 404);
    assert.is(post.status, 405);
  });
});

test("the page's data client reads ready, missing and foreign documents as such", async () => {
  const data = { "data/queues.json": validDocument, "data/alarms.json": { schemaVersion: 99, generatedAt: "x" } };
  await withServer(data, async (url) => {
    const dataUrl = new URL("data/", url);

    const ready = await fetchDocument("queues.json", dataUrl);
    const missing = await fetchDocument("fleet.json", dataUrl);
    const foreign = await fetchDocument("alarms.json", dataUrl);

    assert.is(ready.kind, "ready");
    assert.is(missing.kind, "missing");
    assert.is(foreign.kind, "failed");
    assert.match(foreign.kind === "failed" ? foreign.error : "", /schema version 99/);
  });
});

test("a failed poll keeps the last good data; a missing document clears it", () => {
  const ready = nextState({ status: DOCUMENT_STATUS.Loading, data: undefined, error: undefined }, { kind: "ready", data: validDocument as never });

  const failed = nextState(ready, { kind: "failed", error: "HTTP 500" });
  const missing = nextState(failed, { kind: "missing" });

  assert.is(failed.status, DOCUMENT_STATUS.Failed);
  assert.equal(failed.data, validDocument);
  assert.is(missing.data, undefined);
});

test("DNS rebinding: a request naming another host (or another port) is refused before anything is read; 127.0.0.1 and localhost on its port are served", async () => {
  await withServer({ "data/fleet.json": validDocument }, async (url, keysRead) => {
    const { port } = new URL(url);
    for (const host of [`attacker.example:${port}`, "attacker.example", `127.0.0.1.nip.io:${port}`, `127.0.0.1:${Number(port) + 1}`, "127.0.0.1", null]) {
      for (const path of ["/data/fleet.json", "/", "/app.js"]) {
        const refused = await rawGet(url, path, host);
        // Without a Host header Node's server itself answers 400 (requireHostHeader) before the handler runs.
        assert.is(refused.status, host === null ? 400 : 421, `${String(host)} ${path}`);
        assert.not.match(refused.body, /schemaVersion|FleetOTA|console/);
      }
    }
    assert.equal(keysRead, [], "no data read for a foreign host");
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`]) {
      assert.is((await rawGet(url, "/data/fleet.json", host)).status, 200, host);
    }
  });
});

test.run();
