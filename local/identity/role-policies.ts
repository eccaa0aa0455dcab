/**
 * A role's permissions as the applied stack wrote them: the statements of every inline policy
 * (`aws_iam_role_policy`) of the role, read from the description the applier built (IAM is skipped in
 * moto, but its resolved configuration is kept there). Pure.
 */
import type { LocalCloudDescription } from "../model.js";
import type { VehiclePolicyDocument } from "./vehicle-policy.js";

/**
 * @example
 * rolePolicyFromDescription(cloud.description, "arn:aws:iam::123456789012:role/fleetota-dev-vehicle");
 * // { Version: "2012-10-17", Statement: [{ Sid: "PutOwnTelemetry", … }, …] }
 */
export function rolePolicyFromDescription(description: Pick<LocalCloudDescription, "resources">, roleArn: string): VehiclePolicyDocument | undefined {
  const entries = Object.entries(description.resources);
  const role = entries.find(([address, attributes]) => address.startsWith("aws_iam_role.") && attributes.arn === roleArn)?.[1];
  if (!role) return undefined;
  const names = new Set([role.id, role.name].filter((value) => typeof value === "string"));
  const statements = entries
    .filter(([address, attributes]) => address.startsWith("aws_iam_role_policy.") && names.has(attributes.role as string))
    .flatMap(([, attributes]) => {
      const document = JSON.parse(String(attributes.policy)) as VehiclePolicyDocument;
      return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
    });
  return statements.length ? { Version: "2012-10-17", Statement: statements } : undefined;
}
