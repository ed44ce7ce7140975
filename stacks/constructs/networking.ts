import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { Construct } from "constructs";
import { KEY_DELETION_WINDOW_DAYS } from "./app-key";
import { PrivateBucket } from "./private-bucket";
import { PolicyStatement, policyDocument } from "./policy";

/** Prefix length of every subnet: 1,019 usable addresses, room for Lambda's network interfaces. */
export const SUBNET_PREFIX_LENGTH = 22;
/** Flow log records older than this many days are deleted from the bucket. */
export const FLOW_LOG_RETENTION_DAYS = 365;
/** Seconds over which flow log records are aggregated (600 is the cheaper of the two allowed values). */
export const FLOW_LOG_AGGREGATION_SECONDS = 600;

/** Props of {@link Networking}. */
export interface NetworkingProps {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  readonly vpcCidr: string;
  /** Availability zones, one function subnet and one database subnet in each. */
  readonly availabilityZones: readonly string[];
  /** Subnet CIDRs in zone order: function subnets first, then database subnets. */
  readonly subnetCidrs: readonly string[];
  /** Prefix of physical names, such as `rdsproxy-dev`. */
  readonly namePrefix: string;
  /** Name of the flow log bucket (globally unique). */
  readonly flowLogBucketName: string;
}

/**
 * The VPC with isolated function and database subnets in each zone and no route to the internet.
 * It also has an S3 gateway endpoint and a default security group without rules. Flow logs of all
 * traffic go to a private bucket encrypted with their own key.
 */
export class Networking extends Construct {
  public readonly vpc: Vpc;
  public readonly functionSubnets: Subnet[];
  public readonly databaseSubnets: Subnet[];
  public readonly routeTables: RouteTable[];
  public readonly flowLogKey: KmsKey;
  public readonly flowLogBucket: PrivateBucket;

  constructor(scope: Construct, id: string, props: NetworkingProps) {
    super(scope, id);
    const { partition, accountId, region, availabilityZones, subnetCidrs, namePrefix } = props;
    if (subnetCidrs.length !== availabilityZones.length * 2) {
      throw new Error(
        `Networking needs ${availabilityZones.length * 2} subnet CIDRs for ${availabilityZones.length} zones; got ${subnetCidrs.length}`,
      );
    }

    this.vpc = new Vpc(this, "Resource", {
      cidrBlock: props.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: namePrefix },
    });

    new DefaultSecurityGroup(this, "DefaultSecurityGroup", {
      vpcId: this.vpc.id,
      ingress: [],
      egress: [],
      tags: { Name: `${namePrefix}-default-unused` },
    });

    const functionRouteTable = new RouteTable(this, "FunctionRouteTable", {
      vpcId: this.vpc.id,
      tags: { Name: `${namePrefix}-function` },
    });
    const databaseRouteTable = new RouteTable(this, "DatabaseRouteTable", {
      vpcId: this.vpc.id,
      tags: { Name: `${namePrefix}-database` },
    });
    this.routeTables = [functionRouteTable, databaseRouteTable];

    this.functionSubnets = availabilityZones.map((zone, index) =>
      this.isolatedSubnet(`FunctionSubnet${index + 1}`, zone, subnetCidrs[index], functionRouteTable, `${namePrefix}-function-${zone}`),
    );
    this.databaseSubnets = availabilityZones.map((zone, index) =>
      this.isolatedSubnet(
        `DatabaseSubnet${index + 1}`,
        zone,
        subnetCidrs[availabilityZones.length + index],
        databaseRouteTable,
        `${namePrefix}-database-${zone}`,
      ),
    );

    new VpcEndpoint(this, "S3GatewayEndpoint", {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: this.routeTables.map((table) => table.id),
      tags: { Name: `${namePrefix}-s3` },
    });

    this.flowLogKey = new KmsKey(this, "FlowLogKey", {
      description: `Encrypts the VPC flow logs of ${namePrefix}`,
      enableKeyRotation: true,
      deletionWindowInDays: KEY_DELETION_WINDOW_DAYS,
      policy: policyDocument([
        {
          Sid: "AllowAccountToAdministerWithIam",
          Effect: "Allow",
          Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
          Action: "kms:*",
          Resource: "*",
        },
        {
          Sid: "AllowLogDeliveryForThisAccount",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
          Resource: "*",
          Condition: {
            StringEquals: { "aws:SourceAccount": accountId },
            ArnLike: { "aws:SourceArn": `arn:${partition}:logs:${region}:${accountId}:*` },
          },
        },
      ]),
      tags: { Name: `${namePrefix}-flowlogs` },
    });
    new KmsAlias(this, "FlowLogKeyAlias", {
      name: `alias/${namePrefix}-flowlogs`,
      targetKeyId: this.flowLogKey.keyId,
    });

    this.flowLogBucket = new PrivateBucket(this, "FlowLogBucket", {
      bucketName: props.flowLogBucketName,
      kmsKeyArn: this.flowLogKey.arn,
      expirationDays: FLOW_LOG_RETENTION_DAYS,
      extraStatements: (bucketArn): PolicyStatement[] => [
        {
          Sid: "AllowLogDeliveryWrite",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: `${bucketArn}/AWSLogs/${accountId}/*`,
          Condition: {
            StringEquals: { "aws:SourceAccount": accountId, "s3:x-amz-acl": "bucket-owner-full-control" },
            ArnLike: { "aws:SourceArn": `arn:${partition}:logs:${region}:${accountId}:*` },
          },
        },
        {
          Sid: "AllowLogDeliveryAclCheck",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: ["s3:GetBucketAcl", "s3:ListBucket"],
          Resource: bucketArn,
          Condition: {
            StringEquals: { "aws:SourceAccount": accountId },
            ArnLike: { "aws:SourceArn": `arn:${partition}:logs:${region}:${accountId}:*` },
          },
        },
      ],
    });

    new FlowLog(this, "FlowLog", {
      vpcId: this.vpc.id,
      trafficType: "ALL",
      logDestinationType: "s3",
      logDestination: this.flowLogBucket.bucket.arn,
      maxAggregationInterval: FLOW_LOG_AGGREGATION_SECONDS,
      tags: { Name: `${namePrefix}-all-traffic` },
      // The bucket policy must exist first, or log delivery fails its permission check at creation.
      dependsOn: [this.flowLogBucket.policy],
    });
  }

  private isolatedSubnet(id: string, zone: string, cidr: string, routeTable: RouteTable, name: string): Subnet {
    const subnet = new Subnet(this, id, {
      vpcId: this.vpc.id,
      availabilityZone: zone,
      cidrBlock: cidr,
      mapPublicIpOnLaunch: false,
      tags: { Name: name },
    });
    new RouteTableAssociation(this, `${id}RouteTable`, {
      subnetId: subnet.id,
      routeTableId: routeTable.id,
    });
    return subnet;
  }
}
