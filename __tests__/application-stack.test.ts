import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { synthEnvironment } from "./support/environments";
import { parseSynth } from "./support/synthesized";

describe.each(["dev", "stage", "prod"])("application stack %s", (key) => {
  const json = synthEnvironment(key);
  const stack = parseSynth(json);
  const envNames: Record<string, string> = { dev: "Development", stage: "Staging", prod: "Production" };
  const accounts: Record<string, string> = { dev: "000000000000", stage: "111111111111", prod: "222222222222" };

  it("guards the account and tags every resource", () => {
    expect(json).toHaveProviderWithProperties(AwsProvider, {
      region: "ap-northeast-1",
      allowed_account_ids: [accounts[key]],
      default_tags: [{ tags: { Environment: envNames[key], Project: "rdsproxy" } }],
    });
    for (const provider of stack.provider.aws) {
      expect(provider.allowed_account_ids).toEqual([accounts[key]]);
    }
  });

  it("keeps state in S3 under its own key with encryption and native locking", () => {
    expect(stack.terraform.backend.s3).toEqual({
      bucket: `rdsproxy-tfstate-${accounts[key]}-ap-northeast-1`,
      key: `rdsproxy/${key}/terraform.tfstate`,
      region: "ap-northeast-1",
      encrypt: true,
      use_lockfile: true,
    });
  });

  it("requires Terraform 1.10 or later", () => {
    expect(stack.terraform.required_version).toBe(">= 1.10.0");
  });

  it("uses no data source that calls an AWS API", () => {
    const allowed = new Set(["aws_partition", "aws_region", "aws_iam_policy_document", "aws_ecr_authorization_token"]);
    const dataTypes = Object.keys(stack.data ?? {});
    expect(dataTypes.filter((type) => !allowed.has(type))).toEqual([]);
  });
});
