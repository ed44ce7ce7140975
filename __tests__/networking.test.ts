import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { synthEnvironment } from "./support/environments";
import { onlyResource, parseSynth, resourcesOfType, statement } from "./support/synthesized";

describe("Networking", () => {
  const json = synthEnvironment("dev");
  const stack = parseSynth(json);

  it("creates the VPC with the environment's CIDR and DNS on", () => {
    expect(json).toHaveResourceWithProperties(Vpc, {
      cidr_block: "10.100.0.0/16",
      enable_dns_support: true,
      enable_dns_hostnames: true,
    });
  });

  it("creates a /22 function and database subnet in each zone", () => {
    const subnets = resourcesOfType(stack, "aws_subnet");
    const described = subnets.map((subnet) => [subnet.availability_zone, subnet.cidr_block, subnet.tags.Name]);
    expect(described.sort((a, b) => a[1].localeCompare(b[1], "en", { numeric: true }))).toEqual([
      ["ap-northeast-1a", "10.100.0.0/22", "rdsproxy-dev-function-ap-northeast-1a"],
      ["ap-northeast-1c", "10.100.4.0/22", "rdsproxy-dev-function-ap-northeast-1c"],
      ["ap-northeast-1a", "10.100.8.0/22", "rdsproxy-dev-database-ap-northeast-1a"],
      ["ap-northeast-1c", "10.100.12.0/22", "rdsproxy-dev-database-ap-northeast-1c"],
    ]);
    expect(subnets.every((subnet) => subnet.map_public_ip_on_launch === false)).toBe(true);
  });

  it("gives route tables no route to the internet", () => {
    expect(resourcesOfType(stack, "aws_route")).toHaveLength(0);
    expect(resourcesOfType(stack, "aws_internet_gateway")).toHaveLength(0);
    expect(resourcesOfType(stack, "aws_nat_gateway")).toHaveLength(0);
    for (const table of resourcesOfType(stack, "aws_route_table")) {
      expect(table.route).toBeUndefined();
    }
    expect(resourcesOfType(stack, "aws_route_table_association")).toHaveLength(4);
  });

  it("attaches an S3 gateway endpoint to both route tables", () => {
    expect(json).toHaveResourceWithProperties(VpcEndpoint, {
      service_name: "com.amazonaws.ap-northeast-1.s3",
      vpc_endpoint_type: "Gateway",
    });
    expect(onlyResource(stack, "aws_vpc_endpoint").route_table_ids).toHaveLength(2);
  });

  it("leaves the default security group without rules", () => {
    expect(json).toHaveResourceWithProperties(DefaultSecurityGroup, { ingress: [], egress: [] });
  });

  it("logs all traffic to the flow log bucket", () => {
    expect(json).toHaveResourceWithProperties(FlowLog, { traffic_type: "ALL", log_destination_type: "s3" });
    const flowLog = onlyResource(stack, "aws_flow_log");
    expect(flowLog.log_destination).toMatch(/aws_s3_bucket\.Networking_FlowLogBucket_\w+\.arn/);
    expect(flowLog.depends_on.some((dependency: string) => dependency.startsWith("aws_s3_bucket_policy."))).toBe(true);
  });

  it("encrypts the flow log bucket with its own rotating key", () => {
    expect(json).toHaveResourceWithProperties(KmsKey, {
      enable_key_rotation: true,
      description: "Encrypts the VPC flow logs of rdsproxy-dev",
    });
    const encryption = onlyResource(stack, "aws_s3_bucket_server_side_encryption_configuration");
    expect(encryption.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("aws:kms");
    expect(encryption.rule[0].apply_server_side_encryption_by_default.kms_master_key_id).toMatch(
      /aws_kms_key\.Networking_FlowLogKey_\w+\.arn/,
    );
    expect(json).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {});
  });

  it("lets log delivery use the flow log key for this account only", () => {
    const key = resourcesOfType(stack, "aws_kms_key").find((entry) => entry.description.includes("flow logs"));
    const delivery = statement(key!.policy, "AllowLogDeliveryForThisAccount");
    expect(delivery.Principal).toEqual({ Service: "delivery.logs.amazonaws.com" });
    expect(delivery.Condition.StringEquals["aws:SourceAccount"]).toBe("000000000000");
  });

  it("blocks all public access to the flow log bucket", () => {
    expect(json).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it("denies requests to the flow log bucket without TLS", () => {
    const policy = onlyResource(stack, "aws_s3_bucket_policy").policy;
    const deny = statement(policy, "DenyInsecureTransport");
    expect(deny.Effect).toBe("Deny");
    expect(deny.Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
    expect(statement(policy, "AllowLogDeliveryWrite").Resource).toMatch(/\/AWSLogs\/000000000000\/\*$/);
  });
});
