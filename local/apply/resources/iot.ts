/**
 * AWS IoT: the vehicles' and the fleet gateways' role aliases, the IoT policies attached to their
 * certificates, and the gateways' thing type. Things and certificates are not in the stack
 * (`fleetota vehicles register`, `fleetota gateways register` create them).
 */
import { CreatePolicyCommand, CreateRoleAliasCommand, CreateThingTypeCommand } from "@aws-sdk/client-iot";
import { InvalidResourceConfigError } from "../errors.js";
import { block, optionalString, optionalNumber, stringList } from "../config.js";
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

const thingType: ResourceApplier = async (config, node, context) => {
  const name = optionalString(config.name);
  if (!name) throw new InvalidResourceConfigError(node.address, "needs name");
  const properties = block(config.properties);
  const description = optionalString(properties?.description);
  const searchableAttributes = stringList(properties?.searchable_attributes);
  const created = await context.clients.iot.send(
    new CreateThingTypeCommand({
      thingTypeName: name,
      ...(description || searchableAttributes.length ? { thingTypeProperties: { thingTypeDescription: description, searchableAttributes } } : {}),
    }),
  );
  const arn = created.thingTypeArn ?? `arn:aws:iot:${context.region}:${context.accountId}:thingtype/${name}`;
  return { id: name, name, arn };
};

export const iotAppliers: Record<string, ResourceApplier> = { aws_iot_role_alias: roleAlias, aws_iot_policy: policy, aws_iot_thing_type: thingType };
