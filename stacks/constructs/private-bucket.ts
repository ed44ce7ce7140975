import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import {
  S3BucketLifecycleConfiguration,
  S3BucketLifecycleConfigurationRule,
} from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Construct } from "constructs";
import { PolicyStatement, denyInsecureTransport, policyDocument } from "./policy";

/** Props of {@link PrivateBucket}. */
export interface PrivateBucketProps {
  readonly bucketName: string;
  /** KMS key for default encryption. When omitted, the bucket uses SSE-S3 (AES256). */
  readonly kmsKeyArn?: string;
  /** Keeps every object version. Default false. */
  readonly versioned?: boolean;
  /** Deletes objects this many days after creation. When omitted, objects are kept. */
  readonly expirationDays?: number;
  /** Deletes object versions this many days after they stop being current. When omitted, they are kept. */
  readonly noncurrentVersionExpirationDays?: number;
  /** Statements added to the bucket policy after the TLS-only statement. */
  readonly extraStatements?: (bucketArn: string) => PolicyStatement[];
  /** Makes Terraform refuse to destroy the bucket. Default false. */
  readonly preventDestroy?: boolean;
}

/**
 * An S3 bucket with every public access path blocked, ACLs disabled, default encryption and a
 * policy that denies requests without TLS.
 */
export class PrivateBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);

    this.bucket = new S3Bucket(this, "Resource", {
      bucket: props.bucketName,
      forceDestroy: false,
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });

    const publicAccessBlock = new S3BucketPublicAccessBlock(this, "PublicAccessBlock", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });

    new S3BucketOwnershipControls(this, "OwnershipControls", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });

    new S3BucketServerSideEncryptionConfigurationA(this, "Encryption", {
      bucket: this.bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: props.kmsKeyArn
            ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn }
            : { sseAlgorithm: "AES256" },
          bucketKeyEnabled: props.kmsKeyArn !== undefined,
        },
      ],
    });

    if (props.versioned) {
      new S3BucketVersioningA(this, "Versioning", {
        bucket: this.bucket.id,
        versioningConfiguration: { status: "Enabled" },
      });
    }

    const rules: S3BucketLifecycleConfigurationRule[] = [];
    if (props.expirationDays !== undefined) {
      rules.push({
        id: "expire-objects",
        status: "Enabled",
        filter: [{ prefix: "" }],
        expiration: [{ days: props.expirationDays }],
      });
    }
    if (props.noncurrentVersionExpirationDays !== undefined) {
      rules.push({
        id: "expire-noncurrent-versions",
        status: "Enabled",
        filter: [{ prefix: "" }],
        noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionExpirationDays }],
      });
    }
    if (rules.length > 0) {
      new S3BucketLifecycleConfiguration(this, "Lifecycle", { bucket: this.bucket.id, rule: rules });
    }

    this.policy = new S3BucketPolicy(this, "Policy", {
      bucket: this.bucket.id,
      policy: policyDocument([
        denyInsecureTransport(this.bucket.arn),
        ...(props.extraStatements ? props.extraStatements(this.bucket.arn) : []),
      ]),
      // S3 rejects a policy write while the public access block is being applied.
      dependsOn: [publicAccessBlock],
    });
  }
}
