/**
 * AWS IoT: the vehicles' role alias and the IoT policy attached to every vehicle certificate. Things and
 * certificates are not in the stack (`fleetota vehicles register` creates them).
 */
import { CreatePolicyCommand, CreateRoleAliasCommand } from "@aws-sdk/client-iot";
import { InvalidResourceConfigError } from "../errors.js";
import { optionalNumber, optionalString } from "../config.js";
import type { ResourceApplier } from "../context.js";

const roleAlias: ResourceApplier = async (config, node, context) => {
  const alias = optionalString(config.alias);
  const roleArn = optionalString(config.role_arn);
  if (!alias || !roleArn) throw new InvalidResourceConfigError(node.address, "needs alias and role_arn");
  const created = await context.clients.iot.send(
    new CreateRoleAliasCommand({ roleAlias: alias, roleArn, credentialDurationSeconds: optionalNumber(config.credential_duration) ?? 3600 }),
  );
  const arn = created.roleAliasArn ?? `arn:aws:iot:${context.region}:${context.accountId}:rolealias/${alias}`;
  return { id: alias, alias, arn, role_arn: roleArn, credential_duration: optionalNumber(config.credential_duration) ?? 3600 };
};

const policy: ResourceApplier = async (config, node, context) => {
  const name = optionalString(config.name);
  const document = optionalString(config.policy);
  if (!name || !document) throw new InvalidResourceConfigError(node.address, "needs name and policy");
  const created = await context.clients.iot.send(new CreatePolicyCommand({ policyName: name, policyDocument: document }));
  const arn = created.policyArn ?? `arn:aws:iot:${context.region}:${context.accountId}:policy/${name}`;
  return { id: name, name, arn, policy: document, default_version_id: created.policyVersionId ?? "1" };
};

export const iotAppliers: Record<string, ResourceApplier> = { aws_iot_role_alias: roleAlias, aws_iot_policy: policy };
