import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { policyJson, type PolicyStatement } from "./iam.js";
import { named } from "./logical-id.js";

/** What KMS lets the director key do, and only this. */
export const DIRECTOR_KEY_SPEC = { keySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY", signingAlgorithm: "ECDSA_SHA_256" } as const;

/**
 * Key administration for the account, action by action: what Terraform needs to create, read, update and
 * delete the key (describe, policy, tags, description, enable/disable, scheduled deletion) and what an
 * operator needs to look at it (public key, grants, aliases, Verify). Never `kms:Sign`, and never
 * `kms:CreateGrant`: a grant is a second way to hand out `kms:Sign`, and with the account as principal any
 * identity policy allowing `kms:CreateGrant` (`kms:*` in AdministratorAccess and PowerUserAccess) could
 * grant itself Sign. No wildcards, so a new KMS action is not administration by accident.
 * `kms:PutKeyPolicy` stays (Terraform writes the policy on every deploy); `keyAdministratorArns` limits it.
 */
export const ADMINISTRATION_ACTIONS = [
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:GetPublicKey",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:ListGrants",
  "kms:PutKeyPolicy",
  "kms:UpdateKeyDescription",
  "kms:EnableKey",
  "kms:DisableKey",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:CreateAlias",
  "kms:UpdateAlias",
  "kms:DeleteAlias",
  "kms:RevokeGrant",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:Verify",
] as const;

export interface DirectorSigningKeyProps {
  readonly namePrefix: string;
  /** The deployment's account: its root administers the key (and cannot sign with it). */
  readonly accountId: string;
  /** Suffix of the logical id: a second generation exists during a rotation (`director_key_2`). */
  readonly generation: number;
  /** 7–30 days during which a key scheduled for deletion can still be recovered. */
  readonly deletionWindowDays: number;
  /**
   * The IAM roles (or users) that deploy the stack, as `aws:PrincipalArn` values (`ArnLike` patterns allowed,
   * e.g. an SSO role with its path): only they, and the account's root user as break-glass, may change the key
   * policy. Empty: every principal in the account whose identity policy allows `kms:PutKeyPolicy` may.
   */
  readonly keyAdministratorArns?: readonly string[];
}

/**
 * The director's online signing key: an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY). Its key policy
 * gives the account administration and public-key reads but not `kms:Sign`; `kms:Sign` goes only to the
 * roles passed to `grantSign` (the update manager). `kms:CreateGrant` is denied to every principal, so no
 * identity policy elsewhere in the account can hand out Sign through a grant; rewriting the key policy
 * (`kms:PutKeyPolicy`) is left to `keyAdministratorArns` and the root user when they are given. The private
 * key never leaves KMS: nothing of it is in Terraform state.
 *
 * @example
 * const director = new DirectorSigningKey(this, "director-key", { namePrefix: "fleetota-dev", accountId: "123456789012", generation: 1, deletionWindowDays: 30 });
 * director.grantSign(updateManager.role.arn);
 */
export class DirectorSigningKey extends Construct {
  readonly key: KmsKey;
  readonly keyArn: string;
  private readonly signers: string[] = [];

  constructor(scope: Construct, id: string, props: DirectorSigningKeyProps) {
    super(scope, id);
    const logicalId = props.generation === 1 ? "director_key" : `director_key_${props.generation}`;
    this.key = named(
      new KmsKey(this, "key", {
        description: `${props.namePrefix}: director targets metadata signing key (generation ${props.generation})`,
        customerMasterKeySpec: DIRECTOR_KEY_SPEC.keySpec,
        keyUsage: DIRECTOR_KEY_SPEC.keyUsage,
        deletionWindowInDays: props.deletionWindowDays,
        policy: Lazy.stringValue({ produce: () => policyJson(this.statements(`arn:aws:iam::${props.accountId}:root`, props.keyAdministratorArns ?? [])) }),
        tags: { "fleetota:role": "director", "fleetota:generation": String(props.generation) },
      }),
      logicalId,
    );
    this.keyArn = this.key.arn;
  }

  /** Lets one role (the update manager's) sign with the key. */
  grantSign(roleArn: string): void {
    this.signers.push(roleArn);
  }

  private statements(accountRoot: string, keyAdministrators: readonly string[]): PolicyStatement[] {
    // In a key policy, "Resource": "*" means this key.
    const statements: PolicyStatement[] = [
      { Sid: "AccountAdministersButDoesNotSign", Effect: "Allow", Principal: { AWS: accountRoot }, Action: [...ADMINISTRATION_ACTIONS], Resource: "*" },
      // Belt and braces over the list above: no grant on this key, whatever a later statement allows.
      { Sid: "NoGrants", Effect: "Deny", Principal: { AWS: "*" }, Action: "kms:CreateGrant", Resource: "*" },
    ];
    if (keyAdministrators.length > 0) {
      // The root user stays in the list: a key policy nobody may change could only be repaired by AWS Support.
      // KMS refuses (lockout safety check) a policy that would stop its own writer, so a wrong ARN fails the deploy, not the key.
      statements.push({
        Sid: "OnlyKeyAdministratorsChangeThePolicy",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "kms:PutKeyPolicy",
        Resource: "*",
        Condition: { ArnNotLike: { "aws:PrincipalArn": [...keyAdministrators, accountRoot] } },
      });
    }
    if (this.signers.length > 0) {
      statements.push({
        Sid: "SignDirectorMetadataOnly",
        Effect: "Allow",
        Principal: { AWS: this.signers },
        Action: "kms:Sign",
        Resource: "*",
        Condition: { StringEquals: { "kms:SigningAlgorithm": DIRECTOR_KEY_SPEC.signingAlgorithm, "kms:MessageType": "RAW" } },
      });
      statements.push({ Sid: "SignersReadThePublicKey", Effect: "Allow", Principal: { AWS: this.signers }, Action: "kms:GetPublicKey", Resource: "*" });
    }
    return statements;
  }
}
