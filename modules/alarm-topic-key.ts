import { Construct } from "constructs";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias/index.js";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { policyJson } from "./iam.js";
import { named } from "./logical-id.js";

export interface AlarmTopicKeyProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly accountId: string;
}

/**
 * The customer-managed KMS key that encrypts the alarm topic: the account administers it (IAM decides
 * who may), and CloudWatch may use it only to publish the stack's own alarms (`aws:SourceArn` on
 * `<prefix>-*` alarms of this account). Rotated yearly. The AWS-managed `alias/aws/sns` key cannot be
 * used: its policy does not let CloudWatch publish to the topic.
 *
 * @example
 * import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic/index.js";
 * const key = new AlarmTopicKey(this, "alarm-key", { namePrefix: "fleetota-dev", region: "eu-central-1", accountId: "123456789012" });
 * new SnsTopic(this, "topic", { name: "fleetota-dev-alarms", kmsMasterKeyId: key.keyArn });
 */
export class AlarmTopicKey extends Construct {
  readonly key: KmsKey;
  readonly keyArn: string;

  constructor(scope: Construct, id: string, props: AlarmTopicKeyProps) {
    super(scope, id);
    this.key = named(
      new KmsKey(this, "key", {
        description: `${props.namePrefix} alarm topic encryption`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: policyJson([
          {
            Sid: "AccountAdministersKey",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${props.accountId}:root` },
            Action: "kms:*",
            Resource: "*",
          },
          {
            Sid: "CloudWatchPublishesOwnAlarms",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: { ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${props.region}:${props.accountId}:alarm:${props.namePrefix}-*` } },
          },
        ]),
      }),
      "alarm_topic_key",
    );
    named(new KmsAlias(this, "alias", { name: `alias/${props.namePrefix}-alarms`, targetKeyId: this.key.keyId }), "alarm_topic_key_alias");
    this.keyArn = this.key.arn;
  }
}
