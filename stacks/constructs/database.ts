import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DbProxy } from "@cdktf/provider-aws/lib/db-proxy";
import { DbProxyDefaultTargetGroup } from "@cdktf/provider-aws/lib/db-proxy-default-target-group";
import { DbProxyTarget } from "@cdktf/provider-aws/lib/db-proxy-target";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { DbEngineMajorVersion } from "../environment/database-fields";
import { NAME_RULES, physicalName } from "../naming";
import { AppKey } from "./app-key";
import { DatabaseAlarms, DatabaseAlarmThresholds } from "./database-alarms";
import { DatabaseConnection } from "./database-connection";
import { assumeRolePolicy, policyDocument } from "./policy";

/** PostgreSQL's port, used by the cluster, the proxy and every security group rule between them. */
export const POSTGRES_PORT = 5432;
/** Aurora engine name of the cluster and its instances. */
export const AURORA_POSTGRESQL_ENGINE = "aurora-postgresql";
/** Log type the cluster exports to CloudWatch Logs: the PostgreSQL server log. */
export const POSTGRESQL_LOG_EXPORT = "postgresql";
/** Days CloudWatch Logs keeps the cluster's and the proxy's logs. */
export const DATABASE_LOG_RETENTION_DAYS = 90;
/** Performance Insights retention in days: 7 is the free tier and what Database Insights standard mode keeps. */
export const PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7;
/** Database Insights mode: standard keeps Performance Insights at its free 7-day retention. */
export const DATABASE_INSIGHTS_MODE = "standard";
/** AWS managed policy that lets RDS publish enhanced monitoring metrics to CloudWatch Logs. */
export const ENHANCED_MONITORING_POLICY = "service-role/AmazonRDSEnhancedMonitoringRole";
/** Aurora allows one writer and up to 15 readers. */
const MAX_INSTANCE_COUNT = 16;
/** RDS subnet groups need subnets in at least two availability zones. */
const MIN_SUBNET_COUNT = 2;

/** Connection pool of the proxy's default target group, and how long idle clients may stay connected. */
export interface DatabaseProxySettings {
  /** Share of the database's max_connections the proxy may open, 1 to 100 percent. */
  readonly maxConnectionsPercent: number;
  /** Share of the database's max_connections the proxy keeps open while idle, 0 to maxConnectionsPercent. */
  readonly maxIdleConnectionsPercent: number;
  /** Seconds a client waits for a pooled connection before the proxy returns an error, 0 to 3600. */
  readonly connectionBorrowTimeoutSeconds: number;
  /** Seconds a client connection may stay idle before the proxy closes it, 1 to 28800 (set on the proxy itself). */
  readonly idleClientTimeoutSeconds: number;
}

/** Props of {@link Database}. */
export interface DatabaseProps {
  /** AWS partition, such as `aws`; from the stack's aws_partition data source. */
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  /** Environment key, such as `dev`; physical names are `rdsproxy-<key>-…`. */
  readonly environmentKey: string;
  readonly vpc: Vpc;
  /** Isolated subnets, in at least two availability zones, for the instances and the proxy. */
  readonly subnets: readonly Subnet[];
  /** Encrypts storage, the master user secret, Performance Insights and both log groups. */
  readonly appKey: AppKey;
  /** Receives RDS events and alarm notifications. */
  readonly alarmTopic: SnsTopic;
  /** Aurora PostgreSQL major version; RDS picks the minor and upgrades it automatically. */
  readonly engineMajorVersion: DbEngineMajorVersion;
  /** Number of instances, 1 to 16: the first is the writer, the rest are readers. */
  readonly instanceCount: number;
  /** Instance class of every instance, such as db.r7g.large. */
  readonly instanceClass: string;
  /** Initial database created in the cluster. */
  readonly databaseName: string;
  /** Master user; RDS keeps its password in Secrets Manager. */
  readonly masterUsername: string;
  /**
   * A least-privilege user for clients, created by hand, and the secret with its password (encrypted
   * with the app key). When omitted, clients connect as the master user.
   */
  readonly applicationUser?: { readonly name: string; readonly secretArn: string };
  /** Days of automated backups, 1 to 35. */
  readonly backupRetentionDays: number;
  /** Blocks deletion of the cluster while true. */
  readonly deletionProtection: boolean;
  /** Deletes the cluster without a final snapshot when true; otherwise RDS takes one named `<cluster>-final`. */
  readonly skipFinalSnapshot: boolean;
  /** Enhanced monitoring interval in seconds (1, 5, 10, 15, 30 or 60). */
  readonly monitoringIntervalSeconds: number;
  readonly proxy: DatabaseProxySettings;
  readonly alarmThresholds: DatabaseAlarmThresholds;
}

/**
 * The data tier: an Aurora PostgreSQL cluster that forces TLS and accepts IAM authentication, and its
 * instances. In front of them, an RDS Proxy requires TLS and IAM authentication from clients and signs
 * in to the cluster with the RDS-managed master user secret. Clients reach the proxy only through
 * {@link Database.allowClientSecurityGroup}, and the cluster accepts connections only from the proxy.
 */
export class Database extends Construct implements DatabaseConnection {
  public readonly cluster: RdsCluster;
  /** The writer first, then the readers. */
  public readonly instances: RdsClusterInstance[];
  public readonly proxy: DbProxy;
  public readonly clusterSecurityGroup: SecurityGroup;
  public readonly proxySecurityGroup: SecurityGroup;
  public readonly clusterLogGroup: CloudwatchLogGroup;
  public readonly proxyLogGroup: CloudwatchLogGroup;
  public readonly proxyRole: IamRole;
  public readonly monitoringRole: IamRole;
  public readonly alarms: DatabaseAlarms;

  public readonly clusterIdentifier: string;
  public readonly instanceIdentifiers: string[];
  public readonly proxyName: string;
  /** ARN of the Secrets Manager secret that RDS creates for the master user. */
  public readonly masterSecretArn: string;

  public readonly proxyEndpoint: string;
  public readonly proxyArn: string;
  public readonly port = POSTGRES_PORT;
  public readonly databaseName: string;
  public readonly databaseUser: string;

  private readonly proxyClientRules: Construct;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    checkDatabaseProps(props);
    const { partition, accountId, region, environmentKey, appKey } = props;
    const subnetIds = props.subnets.map((subnet) => subnet.id);

    this.clusterIdentifier = physicalName(environmentKey, "aurora", NAME_RULES.rdsIdentifier);
    this.instanceIdentifiers = Array.from({ length: props.instanceCount }, (_, index) =>
      physicalName(environmentKey, `aurora-${index + 1}`, NAME_RULES.rdsIdentifier),
    );
    this.proxyName = physicalName(environmentKey, "proxy", NAME_RULES.rdsProxy);
    this.databaseName = props.databaseName;
    this.databaseUser = props.applicationUser?.name ?? props.masterUsername;

    // Neither security group has inline rules, so the standalone rule resources below are the only rules.
    // Terraform removes the allow-all egress rule that AWS adds to a new group.
    this.clusterSecurityGroup = new SecurityGroup(this, "ClusterSecurityGroup", {
      name: physicalName(environmentKey, "aurora"),
      description: "Aurora cluster: PostgreSQL from the RDS Proxy only",
      vpcId: props.vpc.id,
      tags: { Name: physicalName(environmentKey, "aurora") },
    });
    this.proxySecurityGroup = new SecurityGroup(this, "ProxySecurityGroup", {
      name: physicalName(environmentKey, "proxy"),
      description: "RDS Proxy: PostgreSQL from allowed clients, to the Aurora cluster only",
      vpcId: props.vpc.id,
      tags: { Name: physicalName(environmentKey, "proxy") },
    });
    // The cluster group has no egress rule because security groups are stateful, so replies to the
    // proxy's connections pass without one. The cluster opens no connections of its own into the VPC.
    new VpcSecurityGroupIngressRule(this, "ClusterIngressFromProxy", {
      securityGroupId: this.clusterSecurityGroup.id,
      description: "PostgreSQL from the RDS Proxy",
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      referencedSecurityGroupId: this.proxySecurityGroup.id,
    });
    new VpcSecurityGroupEgressRule(this, "ProxyEgressToCluster", {
      securityGroupId: this.proxySecurityGroup.id,
      description: "PostgreSQL to the Aurora cluster",
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      referencedSecurityGroupId: this.clusterSecurityGroup.id,
    });
    this.proxyClientRules = new Construct(this, "ProxyClients");

    // The cluster.
    const subnetGroup = new DbSubnetGroup(this, "SubnetGroup", {
      name: physicalName(environmentKey, "database"),
      description: "Database subnets of the Aurora cluster and the RDS Proxy",
      subnetIds,
    });

    const parameterGroupFamily = `${AURORA_POSTGRESQL_ENGINE}${props.engineMajorVersion}`;
    const parameterGroup = new RdsClusterParameterGroup(this, "ClusterParameterGroup", {
      name: physicalName(environmentKey, `aurora-${parameterGroupFamily}`, NAME_RULES.rdsIdentifier),
      family: parameterGroupFamily,
      description: "Rejects connections without TLS",
      parameter: [{ name: "rds.force_ssl", value: "1" }],
      // A new major version needs a group of the new family before the cluster can switch to it.
      lifecycle: { createBeforeDestroy: true },
    });

    this.monitoringRole = new IamRole(this, "MonitoringRole", {
      name: physicalName(environmentKey, "rds-monitoring", NAME_RULES.iamRole),
      description: "Lets RDS publish enhanced monitoring metrics of the Aurora instances",
      assumeRolePolicy: assumeRolePolicy("monitoring.rds.amazonaws.com", accountId),
    });
    new IamRolePolicyAttachment(this, "MonitoringRolePolicy", {
      role: this.monitoringRole.name,
      policyArn: `arn:${partition}:iam::aws:policy/${ENHANCED_MONITORING_POLICY}`,
    });

    this.clusterLogGroup = new CloudwatchLogGroup(this, "ClusterLogGroup", {
      name: `/aws/rds/cluster/${this.clusterIdentifier}/${POSTGRESQL_LOG_EXPORT}`,
      retentionInDays: DATABASE_LOG_RETENTION_DAYS,
      kmsKeyId: appKey.key.arn,
    });

    const finalSnapshotIdentifier = props.skipFinalSnapshot ? undefined : `${this.clusterIdentifier}-final`;
    this.cluster = new RdsCluster(this, "Cluster", {
      clusterIdentifier: this.clusterIdentifier,
      engine: AURORA_POSTGRESQL_ENGINE,
      // Major version only: RDS picks the newest minor. hashicorp/aws 5.100 keeps "17" in state when
      // RDS reports 17.x (engine_version_actual carries the minor), so a minor upgrade plans no change.
      engineVersion: props.engineMajorVersion,
      databaseName: props.databaseName,
      masterUsername: props.masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: appKey.key.arn,
      iamDatabaseAuthenticationEnabled: true,
      port: POSTGRES_PORT,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.clusterSecurityGroup.id],
      dbClusterParameterGroupName: parameterGroup.name,
      storageEncrypted: true,
      kmsKeyId: appKey.key.arn,
      backupRetentionPeriod: props.backupRetentionDays,
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection,
      skipFinalSnapshot: props.skipFinalSnapshot,
      finalSnapshotIdentifier,
      enabledCloudwatchLogsExports: [POSTGRESQL_LOG_EXPORT],
      databaseInsightsMode: DATABASE_INSIGHTS_MODE,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: appKey.key.arn,
      performanceInsightsRetentionPeriod: PERFORMANCE_INSIGHTS_RETENTION_DAYS,
      // RDS would create the log group itself, with no retention and no key, if it did not exist yet.
      dependsOn: [this.clusterLogGroup],
    });
    this.masterSecretArn = this.cluster.masterUserSecret.get(0).secretArn;

    this.instances = [];
    for (const [index, identifier] of this.instanceIdentifiers.entries()) {
      const isWriter = index === 0;
      this.instances.push(
        new RdsClusterInstance(this, isWriter ? "Writer" : `Reader${index}`, {
          identifier,
          clusterIdentifier: this.cluster.id,
          engine: this.cluster.engine,
          engineVersion: this.cluster.engineVersion,
          instanceClass: props.instanceClass,
          dbSubnetGroupName: subnetGroup.name,
          publiclyAccessible: false,
          autoMinorVersionUpgrade: true,
          copyTagsToSnapshot: true,
          // Failover prefers tier 0, so readers (tier 1) stay readers while the writer is healthy.
          promotionTier: isWriter ? 0 : 1,
          monitoringInterval: props.monitoringIntervalSeconds,
          monitoringRoleArn: this.monitoringRole.arn,
          performanceInsightsEnabled: true,
          performanceInsightsKmsKeyId: appKey.key.arn,
          performanceInsightsRetentionPeriod: PERFORMANCE_INSIGHTS_RETENTION_DAYS,
          // The first instance created in a cluster becomes the writer, so readers wait for it.
          dependsOn: isWriter ? undefined : [this.instances[0]],
        }),
      );
    }

    // The proxy.
    this.proxyRole = new IamRole(this, "ProxyRole", {
      name: physicalName(environmentKey, "rds-proxy", NAME_RULES.iamRole),
      description: "Lets the RDS Proxy read the database user secrets of the Aurora cluster",
      assumeRolePolicy: assumeRolePolicy("rds.amazonaws.com", accountId),
    });
    const proxyRolePolicy = new IamRolePolicy(this, "ProxyRolePolicy", {
      name: "read-database-user-secrets",
      role: this.proxyRole.id,
      policy: policyDocument([
        {
          Sid: "ReadMasterUserSecret",
          Effect: "Allow",
          Action: "secretsmanager:GetSecretValue",
          Resource: this.masterSecretArn,
        },
        ...(props.applicationUser
          ? [
              {
                Sid: "ReadApplicationUserSecret",
                Effect: "Allow" as const,
                Action: "secretsmanager:GetSecretValue",
                Resource: props.applicationUser.secretArn,
              },
            ]
          : []),
        {
          Sid: "DecryptMasterUserSecret",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: appKey.key.arn,
          Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
        },
      ]),
    });

    this.proxyLogGroup = new CloudwatchLogGroup(this, "ProxyLogGroup", {
      name: `/aws/rds/proxy/${this.proxyName}`,
      retentionInDays: DATABASE_LOG_RETENTION_DAYS,
      kmsKeyId: appKey.key.arn,
    });

    this.proxy = new DbProxy(this, "Proxy", {
      name: this.proxyName,
      engineFamily: "POSTGRESQL",
      roleArn: this.proxyRole.arn,
      vpcSubnetIds: subnetIds,
      vpcSecurityGroupIds: [this.proxySecurityGroup.id],
      requireTls: true,
      debugLogging: false,
      idleClientTimeout: props.proxy.idleClientTimeoutSeconds,
      auth: [
        {
          description: "Master user: IAM authentication from clients, the RDS-managed secret to the cluster",
          authScheme: "SECRETS",
          iamAuth: "REQUIRED",
          secretArn: this.masterSecretArn,
          clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256",
        },
        ...(props.applicationUser
          ? [
              {
                description: `Application user ${props.applicationUser.name}: IAM authentication from clients, its own secret to the cluster`,
                authScheme: "SECRETS",
                iamAuth: "REQUIRED",
                secretArn: props.applicationUser.secretArn,
                clientPasswordAuthType: "POSTGRES_SCRAM_SHA_256",
              },
            ]
          : []),
      ],
      // The proxy reads the secret as soon as it exists, and writes to its log group from the start.
      dependsOn: [proxyRolePolicy, this.proxyLogGroup],
    });
    this.proxyEndpoint = this.proxy.endpoint;
    this.proxyArn = this.proxy.arn;

    const targetGroup = new DbProxyDefaultTargetGroup(this, "ProxyTargetGroup", {
      dbProxyName: this.proxy.name,
      connectionPoolConfig: {
        maxConnectionsPercent: props.proxy.maxConnectionsPercent,
        maxIdleConnectionsPercent: props.proxy.maxIdleConnectionsPercent,
        connectionBorrowTimeout: props.proxy.connectionBorrowTimeoutSeconds,
      },
    });
    new DbProxyTarget(this, "ProxyTarget", {
      dbProxyName: this.proxy.name,
      targetGroupName: targetGroup.name,
      dbClusterIdentifier: this.cluster.clusterIdentifier,
      // The target is healthy only once the writer accepts connections.
      dependsOn: [this.instances[0]],
    });

    this.alarms = new DatabaseAlarms(this, "Alarms", {
      environmentKey,
      topic: props.alarmTopic,
      // Resource attributes rather than the plain names, so that each subscription and alarm is created
      // after its source: RDS rejects an event subscription whose source does not exist yet.
      clusterIdentifier: this.cluster.clusterIdentifier,
      instanceIdentifiers: this.instances.map((instance) => instance.identifier),
      proxyName: this.proxy.name,
      proxyTargetGroup: targetGroup.name,
      thresholds: props.alarmThresholds,
    });
  }

  public allowClientSecurityGroup(id: string, clientSecurityGroup: SecurityGroup): void {
    new VpcSecurityGroupIngressRule(this.proxyClientRules, id, {
      securityGroupId: this.proxySecurityGroup.id,
      description: "PostgreSQL from a client of the RDS Proxy",
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      referencedSecurityGroupId: clientSecurityGroup.id,
    });
  }
}

/** Throws one error that lists every prop the cluster or the proxy cannot be built with. */
function checkDatabaseProps(props: DatabaseProps): void {
  const problems: string[] = [];
  if (props.subnets.length < MIN_SUBNET_COUNT) {
    problems.push(
      `subnets: got ${props.subnets.length}; RDS needs subnets in at least ${MIN_SUBNET_COUNT} availability zones`,
    );
  }
  if (!Number.isInteger(props.instanceCount) || props.instanceCount < 1 || props.instanceCount > MAX_INSTANCE_COUNT) {
    problems.push(`instanceCount: got ${props.instanceCount}; must be a whole number from 1 to ${MAX_INSTANCE_COUNT}`);
  }
  if (props.proxy.maxIdleConnectionsPercent > props.proxy.maxConnectionsPercent) {
    problems.push(
      `proxy.maxIdleConnectionsPercent: got ${props.proxy.maxIdleConnectionsPercent}; ` +
        `must not exceed proxy.maxConnectionsPercent (${props.proxy.maxConnectionsPercent})`,
    );
  }
  if (problems.length > 0) {
    throw new Error(`Invalid Database props:\n  - ${problems.join("\n  - ")}`);
  }
}
