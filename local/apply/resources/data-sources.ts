/** The data sources a stack typically reads, answered with the emulator's account and region. */
import { blocks, optionalString, stringList, type Config } from "../config.js";
import type { ResourceApplier } from "../context.js";

function singleOrList(values: string[]): string | string[] {
  return values.length === 1 ? values[0]! : values;
}

function policyStatement(statement: Config): Record<string, unknown> {
  const rendered: Record<string, unknown> = {};
  if (optionalString(statement.sid)) rendered.Sid = statement.sid;
  rendered.Effect = optionalString(statement.effect) ?? "Allow";
  for (const [argument, key] of [
    ["actions", "Action"],
    ["not_actions", "NotAction"],
    ["resources", "Resource"],
    ["not_resources", "NotResource"],
  ] as const) {
    const values = stringList(statement[argument]);
    if (values.length) rendered[key] = singleOrList(values);
  }
  for (const [argument, key] of [
    ["principals", "Principal"],
    ["not_principals", "NotPrincipal"],
  ] as const) {
    const principals = blocks(statement[argument]);
    if (principals.length) {
      rendered[key] = Object.fromEntries(principals.map((principal) => [String(principal.type), singleOrList(stringList(principal.identifiers))]));
    }
  }
  const conditions = blocks(statement.condition);
  if (conditions.length) {
    const byTest: Record<string, Record<string, string | string[]>> = {};
    for (const condition of conditions) {
      (byTest[String(condition.test)] ??= {})[String(condition.variable)] = singleOrList(stringList(condition.values));
    }
    rendered.Condition = byTest;
  }
  return rendered;
}

const policyDocument: ResourceApplier = (config) => {
  const document = { Version: optionalString(config.version) ?? "2012-10-17", Statement: blocks(config.statement).map(policyStatement) };
  const json = JSON.stringify(document, null, 2);
  return { id: String(json.length), json, minified_json: JSON.stringify(document) };
};

export const dataSourceAppliers: Record<string, ResourceApplier> = {
  aws_caller_identity: (_config, _node, context) => ({
    id: context.accountId,
    account_id: context.accountId,
    arn: `arn:aws:iam::${context.accountId}:user/moto`,
    user_id: "AKIAIOSFODNN7EXAMPLE",
  }),
  aws_region: (_config, _node, context) => ({
    id: context.region,
    name: context.region,
    region: context.region,
    description: context.region,
    endpoint: `ec2.${context.region}.amazonaws.com`,
  }),
  aws_partition: () => ({ id: "aws", partition: "aws", dns_suffix: "amazonaws.com", reverse_dns_prefix: "com.amazonaws" }),
  aws_iam_policy_document: policyDocument,
};
