import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { PolicyStatement, policyDocument } from "./policy";

/** Days KMS waits before deleting a key scheduled for deletion (KMS allows 7 to 30). */
export const KEY_DELETION_WINDOW_DAYS = 30;

/** Props of {@link AppKey}. */
export interface AppKeyProps {
  /** AWS partition, such as `aws`; from the stack's aws_partition data source. */
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  /** Alias name without the `alias/` prefix. */
  readonly aliasName: string;
}

/**
 * The application's customer-managed KMS key: rotated yearly, with an alias. Its key policy lets the
 * account administer it through IAM and lets CloudWatch Logs use it for this account's log groups;
 * other constructs add the statements their services need with {@link AppKey.addToPolicy}.
 */
export class AppKey extends Construct {
  public readonly key: KmsKey;
  public readonly alias: KmsAlias;
  private readonly statements: PolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: AppKeyProps) {
    super(scope, id);
    const { partition, accountId, region } = props;

    this.statements.push(
      {
        Sid: "AllowAccountToAdministerWithIam",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "AllowCloudWatchLogsForThisAccount",
        Effect: "Allow",
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: {
          ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:*` },
        },
      },
    );

    this.key = new KmsKey(this, "Resource", {
      description: `Application key of ${props.aliasName}: database, secrets, logs and alarm topic`,
      enableKeyRotation: true,
      deletionWindowInDays: KEY_DELETION_WINDOW_DAYS,
      policy: Lazy.stringValue({ produce: () => policyDocument(this.statements) }),
    });

    this.alias = new KmsAlias(this, "Alias", {
      name: `alias/${props.aliasName}`,
      targetKeyId: this.key.keyId,
    });
  }

  /** Adds a statement to the key policy; the policy is rendered once every construct has added its own. */
  public addToPolicy(statement: PolicyStatement): void {
    if (this.statements.some((existing) => existing.Sid === statement.Sid)) {
      throw new Error(`The app key policy already has a statement with Sid "${statement.Sid}"`);
    }
    this.statements.push(statement);
  }
}
