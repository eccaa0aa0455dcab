/**
 * An applied stack as the local cloud describes it, for the front door's judgment of local functions: each
 * function with its execution role (`<function>-role`) and one inline policy of the given statements.
 */
import type { LocalCloudDescription } from "../../../../../local/model.js";

export interface FunctionStackOptions {
  readonly accountId: string;
  readonly region?: string;
  /** Each function's name and its role's statements (none: a role without an inline policy). */
  readonly functions: Readonly<Record<string, readonly object[]>>;
  /** Other applied resources (tables, queues, keys) by Terraform address. */
  readonly resources?: Readonly<Record<string, Record<string, unknown>>>;
  /** The function's ARN as Lambda names it in `lambda:SourceFunctionArn`. */
  readonly functionArn?: (name: string) => string;
}

/**
 * @example
 * functionStack({ accountId: "123456789012", functions: { "fleetota-dev-telemetry-processor": [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] } });
 */
export function functionStack(options: FunctionStackOptions): LocalCloudDescription {
  const names = Object.keys(options.functions);
  const roleArn = (name: string) => `arn:aws:iam::${options.accountId}:role/${name}-role`;
  const resources: Record<string, Record<string, unknown>> = { ...options.resources };
  for (const name of names) {
    resources[`aws_lambda_function.${name}`] = { role: roleArn(name) };
    resources[`aws_iam_role.${name}`] = { arn: roleArn(name), name: `${name}-role`, id: `${name}-role` };
    const statements = options.functions[name]!;
    if (statements.length) resources[`aws_iam_role_policy.${name}`] = { role: `${name}-role`, policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) };
  }
  return {
    endpoint: "http://127.0.0.1:4566",
    region: options.region ?? "us-east-1",
    accountId: options.accountId,
    stackName: "fleetota-dev",
    resources,
    outputs: {},
    functions: names.map((name) => ({
      address: `aws_lambda_function.${name}`,
      functionName: name,
      functionArn: options.functionArn?.(name) ?? "arn",
      handler: "index.handler",
      archivePath: "x",
      environment: {},
      timeoutSeconds: 30,
      memorySizeMb: 256,
    })),
    eventSourceMappings: [],
    schedules: [],
    skipped: [],
  };
}
