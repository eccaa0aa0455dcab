import { Construct } from "constructs";
import { AssetType, Lazy, TerraformAsset } from "cdktf";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { assumeRolePolicyFor, policyJson, type PolicyStatement } from "./iam.js";
import { named, snake } from "./logical-id.js";

export const LAMBDA_RUNTIME = "nodejs22.x";
/** The tag tools use to find a FleetOTA Lambda by its short name. */
export const FUNCTION_TAG = "fleetota:function";
const projectRoot = resolve(import.meta.dirname, "..");

export class MissingBundleError extends Error {
  override readonly name = "MissingBundleError";
  constructor(readonly functionShortName: string, readonly bundlePath: string) {
    super(`no bundle for function "${functionShortName}" at ${bundlePath}: run \`npm run build\` first`);
  }
}

export interface BundledFunctionProps {
  /** Folder under functions/ and dist/functions/, e.g. `telemetry-processor`. */
  readonly shortName: string;
  /** Full function name, e.g. `fleetota-dev-telemetry-processor`. */
  readonly functionName: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Record<string, string>;
  readonly logRetentionDays: number;
  readonly reservedConcurrency?: number;
  /** The stack's region (the X-Ray grant is limited to it). */
  readonly region: string;
  /** Where the esbuild bundles are; defaults to `<project>/dist/functions`. */
  readonly bundlesDir?: string;
  /**
   * Ship the `.map` files and run with `--enable-source-maps` (readable stack traces, a larger
   * package, a slower cold start). Off: the archive holds the bundle only.
   */
  readonly sourceMaps?: boolean;
}

let stagingRoot: string | undefined;

/**
 * A folder with the bundle's files minus its source maps, for the deployment archive. Staged once per
 * process under the system temp folder and removed at exit.
 */
function stageWithoutSourceMaps(bundlePath: string, shortName: string): string {
  if (!stagingRoot) {
    const root = mkdtempSync(join(tmpdir(), "fleetota-lambda-staging-"));
    process.once("exit", () => rmSync(root, { recursive: true, force: true }));
    stagingRoot = root;
  }
  const staged = mkdtempSync(join(stagingRoot, `${shortName}-`));
  mkdirSync(staged, { recursive: true });
  for (const entry of readdirSync(bundlePath, { withFileTypes: true })) {
    if (entry.isFile() && !entry.name.endsWith(".map")) copyFileSync(join(bundlePath, entry.name), join(staged, entry.name));
  }
  return staged;
}

/**
 * A Lambda function deployed from its esbuild bundle (dist/functions/<shortName>, built by
 * scripts/build.ts): the bundle (without its source maps unless asked) is zipped as a Terraform asset
 * and deployed on nodejs22.x with
 * `index.handler`, its own log group with a retention, and a role whose one inline policy holds only
 * what was granted through `addToPolicy` (plus writing to its own log group).
 *
 * @example
 * const ticker = new BundledFunction(this, "rollout-ticker", tickerProps);
 * ticker.addToPolicy({ Effect: "Allow", Action: "sqs:SendMessage", Resource: updateQueue.queueArn });
 */
export class BundledFunction extends Construct {
  readonly function: LambdaFunction;
  readonly functionName: string;
  readonly functionArn: string;
  readonly timeoutSeconds: number;
  readonly logGroup: CloudwatchLogGroup;
  readonly role: IamRole;
  private readonly statements: PolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    const logicalId = snake(props.shortName);
    const bundlePath = join(props.bundlesDir ?? join(projectRoot, "dist", "functions"), props.shortName);
    if (!existsSync(join(bundlePath, "index.mjs"))) throw new MissingBundleError(props.shortName, bundlePath);

    const asset = new TerraformAsset(this, "bundle", {
      path: props.sourceMaps ? bundlePath : stageWithoutSourceMaps(bundlePath, props.shortName),
      type: AssetType.ARCHIVE,
    });
    const environment = props.sourceMaps ? { NODE_OPTIONS: "--enable-source-maps", ...props.environment } : props.environment;

    this.logGroup = named(
      new CloudwatchLogGroup(this, "logs", {
        name: `/aws/lambda/${props.functionName}`,
        retentionInDays: props.logRetentionDays,
      }),
      `${logicalId}_logs`,
    );
    this.role = named(
      new IamRole(this, "role", {
        name: `${props.functionName}-role`,
        assumeRolePolicy: assumeRolePolicyFor("lambda.amazonaws.com"),
      }),
      `${logicalId}_role`,
    );
    const policy = named(
      new IamRolePolicy(this, "policy", {
        name: `${props.functionName}-policy`,
        role: this.role.id,
        policy: Lazy.stringValue({
          produce: () =>
            policyJson([
              {
                Sid: "WriteOwnLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: `${this.logGroup.arn}:*`,
              },
              // Active tracing: the runtime sends the segments with the function's role. X-Ray has no
              // resource-level permissions; the region condition keeps them to the stack's region.
              {
                Sid: "SendTraces",
                Effect: "Allow",
                Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                Resource: "*",
                Condition: { StringEquals: { "aws:RequestedRegion": props.region } },
              },
              ...this.statements,
            ]),
        }),
      }),
      `${logicalId}_policy`,
    );

    this.function = named(
      new LambdaFunction(this, "function", {
        functionName: props.functionName,
        description: props.description,
        role: this.role.arn,
        runtime: LAMBDA_RUNTIME,
        architectures: ["arm64"],
        handler: "index.handler",
        filename: asset.path,
        sourceCodeHash: asset.assetHash,
        timeout: props.timeoutSeconds,
        memorySize: props.memoryMb,
        reservedConcurrentExecutions: props.reservedConcurrency,
        environment: { variables: environment },
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
        tracingConfig: { mode: "Active" },
        tags: { [FUNCTION_TAG]: props.shortName },
        // The log group and the permissions exist before the first invocation can log or fail.
        dependsOn: [this.logGroup, policy],
      }),
      logicalId,
    );
    this.functionName = this.function.functionName;
    this.functionArn = this.function.arn;
    this.timeoutSeconds = props.timeoutSeconds;
  }

  /** Grants the function one more permission (joins its single inline policy). */
  addToPolicy(statement: PolicyStatement): void {
    this.statements.push(statement);
  }
}
