/**
 * A private moto server for one runtime test file, started with the project's own emulator module
 * (which installs the pinned moto into .fleetota/venv on a fresh machine) on a free loopback port.
 * No stack and no proxy: the runtime tests build exactly the resources they need.
 */
import { startEmulator } from "../../../../../local/emulator.js";

export interface MotoServer {
  endpoint: string;
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  stop(): Promise<void>;
}

export const TEST_REGION = "us-east-1";
export const TEST_ACCOUNT = "123456789012";

export async function startMoto(): Promise<MotoServer> {
  const emulator = await startEmulator();
  const { endpoint } = emulator;
  return {
    endpoint,
    clientConfig: { endpoint, region: TEST_REGION, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } },
    stop: () => emulator.stop(),
  };
}
