import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { REQUIRED_TERRAFORM_VERSION } from "./application-stack";
import { PrivateBucket } from "./constructs/private-bucket";
import { EnvironmentConfig } from "./environment/environment";
import { PROJECT_NAME } from "./naming";

/** Noncurrent state versions are kept this long, so an overwritten state can be recovered. */
export const STATE_NONCURRENT_VERSION_DAYS = 90;

/** Props of {@link StateBootstrapStack}. */
export interface StateBootstrapStackProps {
  readonly environment: EnvironmentConfig;
}

/**
 * Creates the S3 bucket that stores one environment's Terraform state. It keeps its own state in a
 * local file at the project root, because the bucket does not exist before it runs.
 */
export class StateBootstrapStack extends TerraformStack {
  public readonly stateBucket: PrivateBucket;

  constructor(scope: Construct, id: string, props: StateBootstrapStackProps) {
    super(scope, id);
    const env = props.environment;

    new AwsProvider(this, "aws", {
      region: env.region,
      allowedAccountIds: [env.account],
      defaultTags: [{ tags: { Environment: env.envName, Project: PROJECT_NAME } }],
    });
    // Relative to cdktf.out/stacks/<stack>/, so the file lands at the project root and outlives re-synth.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    this.addOverride("terraform.required_version", REQUIRED_TERRAFORM_VERSION);

    this.stateBucket = new PrivateBucket(this, "StateBucket", {
      bucketName: env.stateBucket,
      versioned: true,
      noncurrentVersionExpirationDays: STATE_NONCURRENT_VERSION_DAYS,
      preventDestroy: true,
    });

    new TerraformOutput(this, "state_bucket_name", {
      value: this.stateBucket.bucket.bucket,
      description: "Bucket that stores this environment's Terraform state",
    });
  }
}
