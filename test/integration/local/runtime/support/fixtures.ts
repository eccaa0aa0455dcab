/**
 * Small factories for runtime tests: tiny Lambda artifacts (an ESM `export const handler` zipped like
 * the stack's assets), a loopback collector the test handlers report to, and a hand-made
 * LocalCloudDescription.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import type { LocalCloudDescription, LocalEventSourceMapping, LocalFunction, LocalSchedule } from "../../../../../local/model.js";
import { silentLog, type Log } from "../../../../../lib/logger.js";
import { TEST_ACCOUNT, TEST_REGION } from "./moto.js";

export interface Scratch {
  dir: string;
  remove(): void;
}

export function scratchDir(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), "fleetota-runtime-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Zips `source` as `index.mjs` (the stack's artifact layout) and returns the zip's path. */
export function lambdaArtifact(scratch: Scratch, name: string, source: string): string {
  const path = join(scratch.dir, `${name}.zip`);
  writeFileSync(path, zipSync({ "index.mjs": strToU8(source) }));
  return path;
}

export function lambdaFunction(overrides: Partial<LocalFunction> & { functionName: string; archivePath: string }): LocalFunction {
  return {
    address: `aws_lambda_function.${overrides.functionName}`,
    functionArn: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:${overrides.functionName}`,
    handler: "index.handler",
    environment: {},
    timeoutSeconds: 10,
    memorySizeMb: 256,
    ...overrides,
  };
}

export function sqsMapping(overrides: Partial<LocalEventSourceMapping> & { functionName: string; queueArn: string; queueUrl: string }): LocalEventSourceMapping {
  return {
    address: `aws_lambda_event_source_mapping.${overrides.functionName}`,
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: true,
    enabled: true,
    ...overrides,
  };
}

export function schedule(overrides: Partial<LocalSchedule> & { ruleName: string; scheduleExpression: string; targets: LocalSchedule["targets"] }): LocalSchedule {
  return { address: `aws_cloudwatch_event_rule.${overrides.ruleName}`, enabled: true, ...overrides };
}

export function description(endpoint: string, parts: Partial<Pick<LocalCloudDescription, "functions" | "eventSourceMappings" | "schedules">>): LocalCloudDescription {
  return {
    endpoint,
    region: TEST_REGION,
    accountId: TEST_ACCOUNT,
    stackName: "fleetota-test",
    resources: {},
    outputs: {},
    functions: parts.functions ?? [],
    eventSourceMappings: parts.eventSourceMappings ?? [],
    schedules: parts.schedules ?? [],
    skipped: [],
  };
}

/** Records every JSON body POSTed to it; test handlers report what they received. */
export interface Collector {
  url: string;
  reports: unknown[];
  waitFor(count: number, timeoutMs: number): Promise<unknown[]>;
  close(): Promise<void>;
}

export async function startCollector(): Promise<Collector> {
  const reports: unknown[] = [];
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      reports.push(JSON.parse(body));
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    reports,
    async waitFor(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (reports.length < count) {
        if (Date.now() > deadline) throw new Error(`collector got ${reports.length} of ${count} reports in ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return reports;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Handler source prelude: `report(value)` POSTs JSON to the collector named in COLLECTOR_URL. */
export const REPORT_PRELUDE = `
const report = (value) => fetch(process.env.COLLECTOR_URL, { method: "POST", body: JSON.stringify(value) });
`;

/** A log that keeps lines, for assertions and for printing when a test fails. */
export function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { lines, debug: keep("debug"), info: keep("info"), warn: keep("warn"), error: keep("error") };
}

export { silentLog };
