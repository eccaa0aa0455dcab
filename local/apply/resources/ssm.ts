/** SSM parameters (the signing key is NOT one: the CLI creates it on first use). */
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { defined, optionalString } from "../config.js";
import type { ResourceApplier } from "../context.js";

const parameter: ResourceApplier = async (config, _node, context) => {
  const name = String(config.name);
  const written = await context.clients.ssm.send(
    new PutParameterCommand(
      defined({
        Name: name,
        Type: (optionalString(config.type) ?? "String") as "String",
        Value: String(config.value ?? config.insecure_value ?? ""),
        Description: optionalString(config.description),
        Overwrite: true,
      }),
    ),
  );
  const path = name.startsWith("/") ? name.slice(1) : name;
  return { id: name, name, arn: `arn:aws:ssm:${context.region}:${context.accountId}:parameter/${path}`, version: written.Version ?? 1 };
};

export const ssmAppliers: Record<string, ResourceApplier> = { aws_ssm_parameter: parameter };
