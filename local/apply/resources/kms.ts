/** KMS keys: the director's asymmetric signing key (moto signs with ECDSA P-256 like KMS does). */
import { CreateKeyCommand, type KeySpec, type KeyUsageType } from "@aws-sdk/client-kms";
import { defined, optionalString, tagList } from "../config.js";
import type { ResourceApplier } from "../context.js";

const key: ResourceApplier = async (config, _node, context) => {
  const created = await context.clients.kms.send(
    new CreateKeyCommand(
      defined({
        Description: optionalString(config.description),
        KeySpec: (optionalString(config.customer_master_key_spec) ?? optionalString(config.key_spec) ?? "SYMMETRIC_DEFAULT") as KeySpec,
        KeyUsage: (optionalString(config.key_usage) ?? "ENCRYPT_DECRYPT") as KeyUsageType,
        // Stored, not enforced by moto: the front door evaluates it for the functions' calls (README, local fidelity).
        Policy: optionalString(config.policy),
        Tags: tagList(config.tags).map(({ Key, Value }) => ({ TagKey: Key, TagValue: Value })),
      }),
    ),
  );
  const metadata = created.KeyMetadata!;
  // The key policy as applied: the front door evaluates it with a function's KMS calls (local/identity/function-kms-policy.ts).
  return { id: metadata.KeyId!, key_id: metadata.KeyId!, arn: metadata.Arn!, policy: optionalString(config.policy) ?? "" };
};

export const kmsAppliers: Record<string, ResourceApplier> = { aws_kms_key: key };
