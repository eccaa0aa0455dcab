/**
 * Synthesizes the FleetOTA stack for the stack tests with `Testing.synth`, against a throwaway dist/
 * (stub bundles and a small web build) so the tests need no esbuild run, and offers lookups into the
 * parsed Terraform JSON.
 */
import { Testing } from "cdktf";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FleetOtaStack } from "../../../main.js";
import { FUNCTION } from "../../../modules/fleet-functions.js";
import type { FleetOtaStackOverrides } from "../../../modules/stack-config.js";

export type Attributes = Record<string, unknown> & { "//"?: unknown };

export interface SynthesizedStack {
  readonly json: {
    resource: Record<string, Record<string, Attributes>>;
    output: Record<string, { value: unknown }>;
    data?: Record<string, unknown>;
    provider: Record<string, unknown>;
  };
  /** Every resource of a type, by logical id (empty when there is none). */
  resources(type: string): Record<string, Attributes>;
  /** One resource; throws naming what is missing. */
  resource(type: string, name: string): Attributes;
}

/** The account the stack tests deploy to (an AWS deployment needs one). */
export const TEST_ACCOUNT_ID = "123456789012";
/** The role the stack tests deploy with: an AWS deployment names its key administrators. */
export const TEST_DEPLOY_ROLE = `arn:aws:iam::${TEST_ACCOUNT_ID}:role/fleetota-deploy`;
/** What every AWS deployment of the stack tests passes (account and key administrators). */
export const TEST_DEPLOYMENT = { accountId: TEST_ACCOUNT_ID, keyAdministratorArns: [TEST_DEPLOY_ROLE] } as const;

export const WEB_FILES = { "index.html": "<!doctype html><title>FleetOTA</title>", "app.js": "console.log(1)", "assets/style.css": "body{}" } as const;

const temporaryDirs: string[] = [];
process.once("exit", () => temporaryDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A folder under the system temp folder, removed when the test process exits. */
export function temporaryDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `fleetota-${label}-`));
  temporaryDirs.push(dir);
  return dir;
}

/** A dist/ with a stub bundle per function and a tiny web build. */
export function fakeDist(options: { functions?: readonly string[]; web?: boolean } = {}): string {
  const dist = temporaryDir("stack-test-dist");
  for (const name of options.functions ?? Object.values(FUNCTION)) {
    mkdirSync(join(dist, "functions", name), { recursive: true });
    writeFileSync(join(dist, "functions", name, "index.mjs"), `export const handler = async () => ({ name: "${name}" });\n//# sourceMappingURL=index.mjs.map\n`);
    writeFileSync(join(dist, "functions", name, "index.mjs.map"), JSON.stringify({ version: 3, sources: [`${name}/handler.ts`], mappings: "" }));
  }
  if (options.web ?? true) {
    for (const [path, content] of Object.entries(WEB_FILES)) {
      mkdirSync(join(dist, "web", path, ".."), { recursive: true });
      writeFileSync(join(dist, "web", path), content);
    }
  }
  return dist;
}

/**
 * Builds and synthesizes a FleetOtaStack (for TEST_DEPLOYMENT unless overridden); `prepare`
 * may change the stack before it is synthesized (to try to break a rule).
 *
 * @example
 * const stack = synthStack({ namePrefix: "fleetota-test" });
 * stack.resource("aws_sqs_queue", "telemetry_queue").visibility_timeout_seconds
 */
export function synthStack(overrides: FleetOtaStackOverrides = {}, prepare?: (stack: FleetOtaStack) => void): SynthesizedStack {
  const app = Testing.app();
  // Another account given: its own deploy role administers the key (the stack takes only the account's principals).
  const accountId = "accountId" in overrides ? overrides.accountId : TEST_DEPLOYMENT.accountId;
  const deployment = { accountId, keyAdministratorArns: accountId === undefined ? undefined : [`arn:aws:iam::${accountId}:role/fleetota-deploy`] };
  const stack = new FleetOtaStack(app, "fleetota-test", { distDir: fakeDist(), ...deployment, ...overrides });
  prepare?.(stack);
  const json = JSON.parse(Testing.synth(stack)) as SynthesizedStack["json"];
  const resources = (type: string) => json.resource[type] ?? {};
  return {
    json,
    resources,
    resource(type, name) {
      const found = resources(type)[name];
      if (!found) throw new Error(`no ${type}.${name}; have ${Object.keys(resources(type)).join(", ") || "none"}`);
      return found;
    },
  };
}

/** The Terraform interpolation of a resource attribute, as JSON.stringify'd policies carry it. */
export function ref(type: string, name: string, attribute: string): string {
  return `\${${type}.${name}.${attribute}}`;
}

/** Parses a JSON-text attribute (policies, patterns, redrive settings). */
export function parseJson<T = any>(value: unknown): T {
  if (typeof value !== "string") throw new Error(`expected JSON text, got ${typeof value}`);
  return JSON.parse(value) as T;
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Normalizes a string-or-list policy field to a list. */
export function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
