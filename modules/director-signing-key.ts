import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { policyJson, type PolicyStatement } from "./iam.js";
import { named } from "./logical-id.js";

/** What KMS lets the director key do, and only this. */
export const DIRECTOR_KEY_SPEC = { keySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY", signingAlgorithm: "ECDSA_SHA_256" } as const;

/** Key administration for the account: everything but using the key to sign. */
const ADMINISTRATION_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
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
}

/**
 * The director's online signing key: an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY). Its key policy
 * gives the account administration and public-key reads but not `kms:Sign`; `kms:Sign` goes only to the
 * roles passed to `grantSign` (the update manager), so no identity policy elsewhere in the account can
 * grant it. The private key never leaves KMS: nothing of it is in Terraform state.
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
        policy: Lazy.stringValue({ produce: () => policyJson(this.statements(`arn:aws:iam::${props.accountId}:root`)) }),
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

  private statements(accountRoot: string): PolicyStatement[] {
    // In a key policy, "Resource": "*" means this key.
    const statements: PolicyStatement[] = [
      { Sid: "AccountAdministersButDoesNotSign", Effect: "Allow", Principal: { AWS: accountRoot }, Action: [...ADMINISTRATION_ACTIONS], Resource: "*" },
    ];
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
