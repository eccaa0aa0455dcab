/**
 * Real Terraform applying a synthesized stack to the local emulator, the way LocalStack's `tflocal` does
 * it: the stack's JSON unchanged but for the provider (the mirrored version, every service endpoint
 * pointed at the emulator, path-style S3, test credentials) and the backend (a local state in a
 * throwaway folder). The stack's assets are linked in, so Lambda zips and web files upload as written.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_CREDENTIALS } from "../../../local/apply/context.js";
import type { StackDocument } from "../../../local/apply/stack-document.js";
import { runTerraform, writeCliConfig } from "../../stack/support/terraform.js";

/** Every AWS service the stack (or a stack of this project) may call, by the provider's endpoint names. */
const SERVICES = [
  "acm", "apigateway", "cloudfront", "cloudwatch", "cognitoidentity", "cognitoidp", "dynamodb", "events", "iam", "iot", "kms",
  "lambda", "logs", "resourcegroups", "s3", "scheduler", "secretsmanager", "sns", "sqs", "ssm", "sts", "wafv2",
] as const;

export class TerraformRunError extends Error {
  override readonly name = "TerraformRunError";
  constructor(step: string, output: string) {
    // Terraform quotes the source line of a diagnostic: in cdk.tf.json that is the whole stack, so it is cut.
    const readable = output
      .split("\n")
      .map((line) => (line.length > 400 ? `${line.slice(0, 200)} …(${line.length} characters)` : line))
      .join("\n");
    super(`terraform ${step} failed:\n${readable.trim().slice(-8_000)}`);
  }
}

export interface TerraformResource {
  address: string;
  type: string;
  name: string;
  values: Record<string, unknown>;
}

export interface TerraformApplied {
  /** Every resource in the state after apply, by address. */
  resources: Map<string, TerraformResource>;
  outputs: Record<string, unknown>;
  /** Wall time of `terraform apply` alone. */
  applyMs: number;
  /** Output of the apply, for a failure message. */
  log: string;
  /** `terraform plan` right after the apply (with `planAfterApply`): what it would change, `address: action`. */
  drift?: { changes: string[]; planMs: number; log: string };
}

export interface TerraformApplyOptions {
  document: StackDocument;
  stackDir: string;
  endpoint: string;
  providerVersion: string;
  /** Resources Terraform works on at once (its default is 10). */
  parallelism?: number;
  timeoutMs?: number;
  /** Also run `terraform plan` after the apply (a drift check: what the emulator reads back vs what was written). */
  planAfterApply?: boolean;
}

/** The stack's JSON as Terraform will apply it to the emulator. */
export function emulatorDocument(document: StackDocument, endpoint: string, providerVersion: string): StackDocument {
  const json = structuredClone(document) as StackDocument & { terraform: { required_providers: { aws: unknown }; backend?: unknown } };
  json.terraform.required_providers.aws = { source: "hashicorp/aws", version: providerVersion };
  delete json.terraform.backend;
  const aws = json.provider?.aws;
  // Every aws provider block, aliases included (the stack has one for us-east-1: WAF and certificates for CloudFront).
  for (const provider of (Array.isArray(aws) ? aws : [aws]) as Array<Record<string, unknown>>) {
    Object.assign(provider, {
    access_key: LOCAL_CREDENTIALS.accessKeyId,
    secret_key: LOCAL_CREDENTIALS.secretAccessKey,
    skip_credentials_validation: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
    s3_use_path_style: true,
      endpoints: [Object.fromEntries(SERVICES.map((service) => [service, endpoint]))],
    });
  }
  return json;
}

/**
 * Applies the stack with real Terraform to the emulator at `endpoint` and reads the resulting state.
 *
 * @example
 * const applied = await terraformApply({ document: stack, stackDir, endpoint: emulator.endpoint, providerVersion: "5.100.0" });
 * applied.resources.get("aws_sqs_queue.telemetry_queue")?.values.url
 */
export async function terraformApply(options: TerraformApplyOptions): Promise<TerraformApplied> {
  const dir = mkdtempSync(join(tmpdir(), "fleetota-tf-apply-"));
  try {
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(emulatorDocument(options.document, options.endpoint, options.providerVersion)));
    if (existsSync(join(options.stackDir, "assets"))) symlinkSync(join(options.stackDir, "assets"), join(dir, "assets"));
    const cliConfig = writeCliConfig(dir);
    const init = await runTerraform(["init", "-input=false", "-no-color"], dir, cliConfig);
    if (init.status !== 0) throw new TerraformRunError("init", `${init.stdout}${init.stderr}`);

    const started = performance.now();
    const apply = await runTerraform(
      ["apply", "-auto-approve", "-input=false", "-no-color", `-parallelism=${options.parallelism ?? 10}`],
      dir,
      cliConfig,
      options.timeoutMs ?? 600_000,
    );
    const applyMs = Math.round(performance.now() - started);
    const log = `${apply.stdout}${apply.stderr}`;
    if (apply.status !== 0) throw new TerraformRunError(`apply (after ${applyMs} ms)`, log);

    const show = await runTerraform(["show", "-json", "-no-color"], dir, cliConfig);
    if (show.status !== 0) throw new TerraformRunError("show", `${show.stdout}${show.stderr}`);
    const state = JSON.parse(show.stdout) as {
      values?: { outputs?: Record<string, { value: unknown }>; root_module?: { resources?: TerraformResource[] } };
    };
    const resources = new Map((state.values?.root_module?.resources ?? []).map((resource) => [resource.address, resource]));
    const outputs = Object.fromEntries(Object.entries(state.values?.outputs ?? {}).map(([name, output]) => [name, output.value]));
    if (!options.planAfterApply) return { resources, outputs, applyMs, log };

    const planStarted = performance.now();
    const plan = await runTerraform(
      ["plan", "-detailed-exitcode", "-input=false", "-no-color", `-parallelism=${options.parallelism ?? 10}`],
      dir,
      cliConfig,
      options.timeoutMs ?? 600_000,
    );
    const planMs = Math.round(performance.now() - planStarted);
    const planLog = `${plan.stdout}${plan.stderr}`;
    // -detailed-exitcode: 0 no changes, 2 changes, 1 an error.
    if (plan.status !== 0 && plan.status !== 2) throw new TerraformRunError(`plan (after ${planMs} ms)`, planLog);
    const changes = [...plan.stdout.matchAll(/^ {2}# (\S+) (?:will be|must be) ([^\n]+)$/gm)].map(([, address, action]) => `${address}: ${action}`);
    if (plan.status === 2 && changes.length === 0) changes.push("(changes the plan did not list by address)");
    return { resources, outputs, applyMs, log, drift: { changes, planMs, log: planLog } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
