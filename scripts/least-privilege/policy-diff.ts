/**
 * Compares what a function's code calls with what its policy allows, both ways: an action the code
 * needs and no Allow statement grants is `missing`; an allowed action no code path (nor the platform:
 * logs, queue polling, tracing) needs is `unused`. Wildcard actions are reported on their own, since
 * they grant more than any list of calls can justify.
 */

export interface PolicyStatementLike {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action?: string | readonly string[];
}

export interface PolicyDiff {
  readonly missing: readonly string[];
  readonly unused: ReadonlyArray<{ readonly action: string; readonly sid?: string }>;
  readonly wildcards: ReadonlyArray<{ readonly action: string; readonly sid?: string }>;
}

const asList = (value: string | readonly string[] | undefined): readonly string[] => (value === undefined ? [] : typeof value === "string" ? [value] : value);

/** IAM action names are case-insensitive; `*` and `?` are the only wildcards. */
function matches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return regex.test(action);
}

/**
 * @example
 * policyDiff([{ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"] }], ["s3:GetObject", "sqs:SendMessage"])
 * // { missing: ["sqs:SendMessage"], unused: [{ action: "s3:PutObject" }], wildcards: [] }
 */
export function policyDiff(statements: readonly PolicyStatementLike[], required: readonly string[]): PolicyDiff {
  const grants = statements
    .filter((statement) => statement.Effect === "Allow")
    .flatMap((statement) => asList(statement.Action).map((action) => ({ action, ...(statement.Sid ? { sid: statement.Sid } : {}) })));
  const missing = [...new Set(required)].filter((action) => !grants.some((grant) => matches(grant.action, action))).sort();
  const unused = grants.filter((grant) => !required.some((action) => matches(grant.action, action)));
  const wildcards = grants.filter((grant) => /[*?]/.test(grant.action));
  return { missing, unused, wildcards };
}
