import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import * as path from "path";
import { Testing } from "cdktf";
import { STATE_NONCURRENT_VERSION_DAYS, StateBootstrapStack } from "../stacks/state-bootstrap-stack";
import { environmentWith } from "./support/environments";
import { onlyResource, parseSynth, statement } from "./support/synthesized";
import { planChanges, writeOfflineOverride } from "./support/terraform";

describe("StateBootstrapStack", () => {
  const environment = environmentWith("stage");
  const json = Testing.synth(new StateBootstrapStack(Testing.app(), "rdsproxy-stage-state", { environment }));
  const stack = parseSynth(json);

  it("creates the bucket named in the application stack's backend", () => {
    expect(json).toHaveResourceWithProperties(S3Bucket, { bucket: "rdsproxy-tfstate-111111111111-ap-northeast-1" });
  });

  it("protects the bucket from destroy", () => {
    expect(onlyResource(stack, "aws_s3_bucket").lifecycle).toEqual({ prevent_destroy: true });
    expect(onlyResource(stack, "aws_s3_bucket").force_destroy).toBe(false);
  });

  it("versions, encrypts and blocks public access", () => {
    expect(json).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    expect(json).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    const encryption = onlyResource(stack, "aws_s3_bucket_server_side_encryption_configuration");
    expect(encryption.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("AES256");
  });

  it("keeps overwritten state versions for 90 days", () => {
    const lifecycle = onlyResource(stack, "aws_s3_bucket_lifecycle_configuration");
    expect(lifecycle.rule).toEqual([
      expect.objectContaining({
        status: "Enabled",
        noncurrent_version_expiration: [{ noncurrent_days: STATE_NONCURRENT_VERSION_DAYS }],
      }),
    ]);
    expect(lifecycle.rule[0].expiration).toBeUndefined();
  });

  it("allows TLS requests only", () => {
    const deny = statement(onlyResource(stack, "aws_s3_bucket_policy").policy, "DenyInsecureTransport");
    expect(deny.Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
  });

  it("requires Terraform 1.10 or later", () => {
    expect(stack.terraform.required_version).toBe(">= 1.10.0");
  });

  it("keeps its own state in a local file at the project root", () => {
    expect(stack.terraform.backend).toEqual({ local: { path: "../../../terraform.rdsproxy-stage-state.tfstate" } });
  });

  it("plans offline", () => {
    const outdir = Testing.fullSynth(new StateBootstrapStack(Testing.app(), "rdsproxy-stage-state", { environment }));
    const stackDir = path.join(outdir, "stacks", "rdsproxy-stage-state");
    writeOfflineOverride(stackDir);
    const types = planChanges(stackDir).map((change) => change.type).sort();
    expect(types).toEqual([
      "aws_s3_bucket",
      "aws_s3_bucket_lifecycle_configuration",
      "aws_s3_bucket_ownership_controls",
      "aws_s3_bucket_policy",
      "aws_s3_bucket_public_access_block",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_versioning",
    ]);
  });
});
