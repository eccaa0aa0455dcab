/**
 * A private moto server for one runtime test file: python3 -m moto.server on a free loopback port,
 * killed at the end. (The local cloud's own emulator module installs and starts moto for `npm start`;
 * these fixtures only need a running server.)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export interface MotoServer {
  endpoint: string;
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  stop(): Promise<void>;
}

export const TEST_REGION = "us-east-1";
export const TEST_ACCOUNT = "123456789012";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto did not answer on ${endpoint} within ${timeoutMs} ms`);
}

export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const python = process.env.FLEETOTA_PYTHON ?? "python3";
  const child = spawn(python, ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(endpoint, child, 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    endpoint,
    clientConfig: { endpoint, region: TEST_REGION, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      }),
  };
}
