import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DbEventSubscription } from "@cdktf/provider-aws/lib/db-event-subscription";
import { DbProxy } from "@cdktf/provider-aws/lib/db-proxy";
import { DbProxyDefaultTargetGroup } from "@cdktf/provider-aws/lib/db-proxy-default-target-group";
import { DbProxyTarget } from "@cdktf/provider-aws/lib/db-proxy-target";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { TerraformOutput, Testing } from "cdktf";
import { ApplicationStack } from "../stacks/application-stack";
import { Database, DatabaseProps, POSTGRES_PORT } from "../stacks/constructs/database";
import { applicationStack, environmentWith, synthEnvironment } from "./support/environments";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** Synthesized JSON of one environment, parsed. */
function synthParsed(key: string, changes: Record<string, unknown> = {}): { json: string; resources: Resources; outputs: Record<string, Record<string, string>> } {
  const json = synthEnvironment(key, changes);
  const parsed = JSON.parse(json);
  return { json, resources: parsed.resource, outputs: parsed.output };
}

/** Returns the Terraform reference to an attribute of the single resource of a type whose address contains `part`. */
function reference(resources: Resources, type: string, part: string, attribute: string): string {
  const names = Object.keys(resources[type] ?? {}).filter((name) => name.includes(part));
  if (names.length !== 1) {
    throw new Error(`expected one ${type} named like ${part}, found ${names.join(", ") || "none"}`);
  }
  return `\${${type}.${names[0]}.${attribute}}`;
}

/** Resources of one type, by their Terraform name. */
function resourcesOf(resources: Resources, type: string): Record<string, Record<string, unknown>> {
  return resources[type] ?? {};
}

/** Collects every key and value, at any depth, whose key matches `pattern`. */
function entriesOfKeys(node: unknown, pattern: RegExp): [string, unknown][] {
  if (node === null || typeof node !== "object") {
    return [];
  }
  return Object.entries(node).flatMap(([key, value]): [string, unknown][] => [
    ...(pattern.test(key) ? [[key, value] as [string, unknown]] : []),
    ...entriesOfKeys(value, pattern),
  ]);
}

const MASTER_SECRET_ARN_SUFFIX = ".master_user_secret[0].secret_arn}";

describe("Database", () => {
  const dev = synthParsed("dev");
  const stage = synthParsed("stage");
  const appKeyArn = reference(dev.resources, "aws_kms_key", "AppKey", "arn");
  const clusterSecurityGroupId = reference(dev.resources, "aws_security_group", "ClusterSecurityGroup", "id");
  const proxySecurityGroupId = reference(dev.resources, "aws_security_group", "ProxySecurityGroup", "id");
  const masterSecretArn = reference(dev.resources, "aws_rds_cluster", "Database_Cluster", "master_user_secret[0].secret_arn");

  describe("cluster", () => {
    it("runs Aurora PostgreSQL 17 by default", () => {
      expect(dev.json).toHaveResourceWithProperties(RdsCluster, {
        cluster_identifier: "rdsproxy-dev-aurora",
        engine: "aurora-postgresql",
        engine_version: "17",
      });
    });

    it("pins major version 16 when configured", () => {
      const json = synthEnvironment("dev", { dbEngineMajorVersion: "16" });

      expect(json).toHaveResourceWithProperties(RdsCluster, { engine_version: "16" });
      expect(json).toHaveResourceWithProperties(RdsClusterParameterGroup, { family: "aurora-postgresql16" });
    });

    it("forces TLS with a cluster parameter group", () => {
      expect(dev.json).toHaveResourceWithProperties(RdsClusterParameterGroup, {
        family: "aurora-postgresql17",
        parameter: [{ name: "rds.force_ssl", value: "1" }],
      });
      expect(dev.json).toHaveResourceWithProperties(RdsCluster, {
        db_cluster_parameter_group_name: reference(dev.resources, "aws_rds_cluster_parameter_group", "Database", "name"),
      });
    });

    it("encrypts storage with the app key", () => {
      expect(dev.json).toHaveResourceWithProperties(RdsCluster, { storage_encrypted: true, kms_key_id: appKeyArn });
    });

    it("enables IAM database authentication", () => {
      expect(dev.json).toHaveResourceWithProperties(RdsCluster, { iam_database_authentication_enabled: true });
    });

    it("lets RDS manage the master password", () => {
      expect(dev.json).toHaveResourceWithProperties(RdsCluster, {
        master_username: "dbadmin",
        database_name: "mydbname",
        manage_master_user_password: true,
        master_user_secret_kms_key_id: appKeyArn,
      });
    });

    it("puts no password in the JSON", () => {
      const cluster = Object.values(resourcesOf(dev.resources, "aws_rds_cluster"))[0];
      const passwordEntries = entriesOfKeys(JSON.parse(dev.json), /(^|_)password(_wo)?$|secret_string/);

      expect(Object.keys(cluster).filter((key) => key.startsWith("master_password"))).toEqual([]);
      expect(dev.json).not.toMatch(/"master_password/);
      expect(dev.json).not.toMatch(/secret_string/);
      // Only flags and Terraform references (resolved at apply, kept out of the JSON) may sit under such keys.
      for (const [key, value] of passwordEntries) {
        const expected = typeof value === "boolean" ? value : expect.stringMatching(/^\$\{[^}]+\}$/);
        expect({ key, value }).toEqual({ key, value: expected });
      }
    });

    it("turns on Database Insights standard", () => {
      expect(dev.json).toHaveResourceWithProperties(RdsCluster, {
        database_insights_mode: "standard",
        performance_insights_enabled: true,
        performance_insights_kms_key_id: appKeyArn,
        performance_insights_retention_period: 7,
      });
    });

    it("exports the PostgreSQL log to its own log group", () => {
      const logGroupName = `/aws/rds/cluster/rdsproxy-dev-aurora/postgresql`;
      const logGroupAddress = Object.entries(resourcesOf(dev.resources, "aws_cloudwatch_log_group")).find(
        ([, logGroup]) => logGroup.name === logGroupName,
      )?.[0];

      expect(dev.json).toHaveResourceWithProperties(CloudwatchLogGroup, {
        name: logGroupName,
        retention_in_days: 90,
        kms_key_id: appKeyArn,
      });
      expect(dev.json).toHaveResourceWithProperties(RdsCluster, {
        enabled_cloudwatch_logs_exports: ["postgresql"],
        depends_on: [`aws_cloudwatch_log_group.${logGroupAddress}`],
      });
    });

    it("places the cluster in the database subnets", () => {
      expect(dev.json).toHaveResourceWithProperties(RdsCluster, {
        db_subnet_group_name: reference(dev.resources, "aws_db_subnet_group", "Database", "name"),
        vpc_security_group_ids: [clusterSecurityGroupId],
        port: POSTGRES_PORT,
      });
      const subnetGroup = Object.values(resourcesOf(dev.resources, "aws_db_subnet_group"))[0];
      expect(subnetGroup.subnet_ids).toEqual([
        reference(dev.resources, "aws_subnet", "DatabaseSubnet1", "id"),
        reference(dev.resources, "aws_subnet", "DatabaseSubnet2", "id"),
      ]);
    });

    it("keeps backups and copies tags to snapshots", () => {
      expect(dev.json).toHaveResourceWithProperties(RdsCluster, { backup_retention_period: 1, copy_tags_to_snapshot: true });
      expect(stage.json).toHaveResourceWithProperties(RdsCluster, { backup_retention_period: 7 });
    });

    it("protects stage and takes a final snapshot", () => {
      expect(stage.json).toHaveResourceWithProperties(RdsCluster, {
        deletion_protection: true,
        skip_final_snapshot: false,
        final_snapshot_identifier: "rdsproxy-stage-aurora-final",
      });
    });

    it("skips protection and final snapshot in dev", () => {
      const cluster = Object.values(resourcesOf(dev.resources, "aws_rds_cluster"))[0];

      expect(cluster.deletion_protection).toBe(false);
      expect(cluster.skip_final_snapshot).toBe(true);
      expect(cluster).not.toHaveProperty("final_snapshot_identifier");
    });
  });

  describe("instances", () => {
    it("creates dbInstanceCount instances of dbInstanceClass", () => {
      const json = synthEnvironment("dev", { dbInstanceCount: 3, dbInstanceClass: "db.t4g.medium" });
      const instances = Object.values(JSON.parse(json).resource.aws_rds_cluster_instance) as Record<string, unknown>[];

      expect(instances.map((instance) => instance.identifier).sort()).toEqual([
        "rdsproxy-dev-aurora-1",
        "rdsproxy-dev-aurora-2",
        "rdsproxy-dev-aurora-3",
      ]);
      expect(instances.every((instance) => instance.instance_class === "db.t4g.medium")).toBe(true);
    });

    it("creates the writer before the readers", () => {
      const writerAddress = Object.keys(resourcesOf(dev.resources, "aws_rds_cluster_instance")).find((name) =>
        name.includes("Writer"),
      );

      expect(dev.json).toHaveResourceWithProperties(RdsClusterInstance, {
        identifier: "rdsproxy-dev-aurora-1",
        promotion_tier: 0,
      });
      expect(dev.json).toHaveResourceWithProperties(RdsClusterInstance, {
        identifier: "rdsproxy-dev-aurora-2",
        promotion_tier: 1,
        depends_on: [`aws_rds_cluster_instance.${writerAddress}`],
      });
    });

    it("keeps instances private and monitored", () => {
      for (const instance of Object.values(resourcesOf(dev.resources, "aws_rds_cluster_instance"))) {
        expect(instance).toMatchObject({
          cluster_identifier: reference(dev.resources, "aws_rds_cluster", "Database_Cluster", "id"),
          engine_version: reference(dev.resources, "aws_rds_cluster", "Database_Cluster", "engine_version"),
          publicly_accessible: false,
          auto_minor_version_upgrade: true,
          copy_tags_to_snapshot: true,
          monitoring_interval: 60,
          monitoring_role_arn: reference(dev.resources, "aws_iam_role", "MonitoringRole", "arn"),
          performance_insights_enabled: true,
          performance_insights_kms_key_id: appKeyArn,
          performance_insights_retention_period: 7,
        });
      }
    });

    it("uses the configured monitoring interval", () => {
      const json = synthEnvironment("dev", { dbMonitoringIntervalSeconds: 15 });

      expect(json).toHaveResourceWithProperties(RdsClusterInstance, { monitoring_interval: 15 });
    });

    it("lets only RDS monitoring of this account assume the monitoring role", () => {
      const role = Object.values(resourcesOf(dev.resources, "aws_iam_role")).find(
        (candidate) => candidate.name === "rdsproxy-dev-rds-monitoring",
      );
      const trust = JSON.parse(role?.assume_role_policy as string);

      expect(trust.Statement).toEqual([
        expect.objectContaining({
          Principal: { Service: "monitoring.rds.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "000000000000" } },
        }),
      ]);
      expect(Object.values(resourcesOf(dev.resources, "aws_iam_role_policy_attachment"))).toContainEqual({
        role: reference(dev.resources, "aws_iam_role", "MonitoringRole", "name"),
        policy_arn: `arn:\${data.aws_partition.Partition.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
      });
    });
  });

  describe("proxy", () => {
    it("requires TLS at the proxy", () => {
      expect(dev.json).toHaveResourceWithProperties(DbProxy, {
        name: "rdsproxy-dev-proxy",
        engine_family: "POSTGRESQL",
        require_tls: true,
        debug_logging: false,
      });
    });

    it("requires IAM auth and signs in with the master secret", () => {
      const proxy = Object.values(resourcesOf(dev.resources, "aws_db_proxy"))[0];

      expect(proxy.auth).toEqual([
        expect.objectContaining({
          auth_scheme: "SECRETS",
          iam_auth: "REQUIRED",
          secret_arn: masterSecretArn,
          client_password_auth_type: "POSTGRES_SCRAM_SHA_256",
        }),
      ]);
      expect(masterSecretArn.endsWith(MASTER_SECRET_ARN_SUFFIX)).toBe(true);
    });

    it("runs in the database subnets with its own security group", () => {
      expect(dev.json).toHaveResourceWithProperties(DbProxy, {
        vpc_subnet_ids: [
          reference(dev.resources, "aws_subnet", "DatabaseSubnet1", "id"),
          reference(dev.resources, "aws_subnet", "DatabaseSubnet2", "id"),
        ],
        vpc_security_group_ids: [proxySecurityGroupId],
        role_arn: reference(dev.resources, "aws_iam_role", "ProxyRole", "arn"),
      });
    });

    it("pools connections as configured", () => {
      const json = synthEnvironment("dev", {
        proxyMaxConnectionsPercent: 75,
        proxyMaxIdleConnectionsPercent: 25,
        proxyConnectionBorrowTimeoutSeconds: 5,
        proxyIdleClientTimeoutSeconds: 900,
      });

      expect(json).toHaveResourceWithProperties(DbProxyDefaultTargetGroup, {
        connection_pool_config: {
          max_connections_percent: 75,
          max_idle_connections_percent: 25,
          connection_borrow_timeout: 5,
        },
      });
      expect(json).toHaveResourceWithProperties(DbProxy, { idle_client_timeout: 900 });
    });

    it("targets the cluster", () => {
      expect(dev.json).toHaveResourceWithProperties(DbProxyTarget, {
        db_proxy_name: reference(dev.resources, "aws_db_proxy", "Database_Proxy", "name"),
        target_group_name: reference(dev.resources, "aws_db_proxy_default_target_group", "Database", "name"),
        db_cluster_identifier: reference(dev.resources, "aws_rds_cluster", "Database_Cluster", "cluster_identifier"),
      });
    });

    it("creates its log group first", () => {
      const logGroupAddress = Object.entries(resourcesOf(dev.resources, "aws_cloudwatch_log_group")).find(
        ([, logGroup]) => logGroup.name === "/aws/rds/proxy/rdsproxy-dev-proxy",
      )?.[0];
      const proxy = Object.values(resourcesOf(dev.resources, "aws_db_proxy"))[0];

      expect(dev.json).toHaveResourceWithProperties(CloudwatchLogGroup, {
        name: "/aws/rds/proxy/rdsproxy-dev-proxy",
        retention_in_days: 90,
        kms_key_id: appKeyArn,
      });
      expect(proxy.depends_on).toContain(`aws_cloudwatch_log_group.${logGroupAddress}`);
    });

    it("lets only RDS of this account assume the proxy role", () => {
      const role = Object.values(resourcesOf(dev.resources, "aws_iam_role")).find(
        (candidate) => candidate.name === "rdsproxy-dev-rds-proxy",
      );
      const trust = JSON.parse(role?.assume_role_policy as string);

      expect(trust.Statement).toEqual([
        expect.objectContaining({
          Effect: "Allow",
          Principal: { Service: "rds.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "000000000000" } },
        }),
      ]);
    });

    it("allows the proxy role only the master secret and the app key", () => {
      const policies = Object.values(resourcesOf(dev.resources, "aws_iam_role_policy")).filter(
        (policy) => policy.role === reference(dev.resources, "aws_iam_role", "ProxyRole", "id"),
      );
      const attachments = Object.values(resourcesOf(dev.resources, "aws_iam_role_policy_attachment")).filter(
        (attachment) => attachment.role === reference(dev.resources, "aws_iam_role", "ProxyRole", "name"),
      );

      expect(policies).toHaveLength(1);
      expect(attachments).toEqual([]);
      expect(JSON.parse(policies[0].policy as string).Statement).toEqual([
        {
          Sid: "ReadMasterUserSecret",
          Effect: "Allow",
          Action: "secretsmanager:GetSecretValue",
          Resource: masterSecretArn,
        },
        {
          Sid: "DecryptMasterUserSecret",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: appKeyArn,
          Condition: { StringEquals: { "kms:ViaService": "secretsmanager.ap-northeast-1.amazonaws.com" } },
        },
      ]);
    });
  });

  describe("security groups", () => {
    it("lets only the proxy reach the cluster", () => {
      const clusterIngress = Object.values(resourcesOf(dev.resources, "aws_vpc_security_group_ingress_rule")).filter(
        (rule) => rule.security_group_id === clusterSecurityGroupId,
      );

      expect(clusterIngress).toEqual([
        expect.objectContaining({
          ip_protocol: "tcp",
          from_port: 5432,
          to_port: 5432,
          referenced_security_group_id: proxySecurityGroupId,
        }),
      ]);
    });

    it("gives the cluster no egress", () => {
      const clusterEgress = Object.values(resourcesOf(dev.resources, "aws_vpc_security_group_egress_rule")).filter(
        (rule) => rule.security_group_id === clusterSecurityGroupId,
      );

      expect(clusterEgress).toEqual([]);
    });

    it("lets the proxy reach only the cluster", () => {
      const proxyEgress = Object.values(resourcesOf(dev.resources, "aws_vpc_security_group_egress_rule")).filter(
        (rule) => rule.security_group_id === proxySecurityGroupId,
      );

      expect(proxyEgress).toEqual([
        expect.objectContaining({
          ip_protocol: "tcp",
          from_port: 5432,
          to_port: 5432,
          referenced_security_group_id: clusterSecurityGroupId,
        }),
      ]);
    });

    it("has no inline rules and no CIDR rules", () => {
      for (const group of Object.values(resourcesOf(dev.resources, "aws_security_group"))) {
        expect(group).not.toHaveProperty("ingress");
        expect(group).not.toHaveProperty("egress");
      }
      expect(dev.json).not.toMatch(/0\.0\.0\.0\/0/);
      expect(dev.json).not.toMatch(/"cidr_ipv4"/);
    });

    it("admits a client security group to the proxy", () => {
      const stack = applicationStack(environmentWith("dev"));
      const client = new SecurityGroup(stack, "ClientSecurityGroup", { name: "client", vpcId: stack.networking.vpc.id });
      const clientRules = (json: string) =>
        Object.values(JSON.parse(json).resource.aws_vpc_security_group_ingress_rule as Record<string, Record<string, unknown>>).filter(
          (rule) => rule.referenced_security_group_id === "${aws_security_group.ClientSecurityGroup.id}",
        );
      const before = Testing.synth(stack);

      stack.database.allowClientSecurityGroup("TestClient", client);
      const json = Testing.synth(stack);

      expect(clientRules(before)).toEqual([]);
      expect(clientRules(json)).toHaveLength(1);
      expect(json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
        security_group_id: proxySecurityGroupId,
        referenced_security_group_id: "${aws_security_group.ClientSecurityGroup.id}",
        ip_protocol: "tcp",
        from_port: 5432,
        to_port: 5432,
      });
    });
  });

  describe("events and alarms", () => {
    const topicArn = reference(dev.resources, "aws_sns_topic", "Monitoring", "arn");

    it("subscribes to cluster and instance events", () => {
      expect(dev.json).toHaveResourceWithProperties(DbEventSubscription, {
        sns_topic: topicArn,
        source_type: "db-cluster",
        source_ids: [reference(dev.resources, "aws_rds_cluster", "Database_Cluster", "cluster_identifier")],
        event_categories: ["failure", "failover", "maintenance"],
      });
      expect(dev.json).toHaveResourceWithProperties(DbEventSubscription, {
        sns_topic: topicArn,
        source_type: "db-instance",
        source_ids: [
          reference(dev.resources, "aws_rds_cluster_instance", "Writer", "identifier"),
          reference(dev.resources, "aws_rds_cluster_instance", "Reader1", "identifier"),
        ],
        event_categories: [
          "availability",
          "configuration change",
          "deletion",
          "failover",
          "failure",
          "maintenance",
          "notification",
          "recovery",
        ],
      });
    });

    it("subscribes to parameter and security group events", () => {
      const subscriptions = Object.values(resourcesOf(dev.resources, "aws_db_event_subscription"));
      const byType = (sourceType: string) => subscriptions.find((subscription) => subscription.source_type === sourceType);

      expect(byType("db-parameter-group")).toMatchObject({ sns_topic: topicArn, event_categories: ["configuration change"] });
      expect(byType("db-security-group")).toMatchObject({
        sns_topic: topicArn,
        event_categories: ["configuration change", "failure"],
      });
      expect(byType("db-parameter-group")).not.toHaveProperty("source_ids");
      expect(byType("db-security-group")).not.toHaveProperty("source_ids");
    });

    it("alarms on cluster CPU for three minutes", () => {
      const json = synthEnvironment("dev", { dbCpuAlarmPercent: 70 });

      expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        namespace: "AWS/RDS",
        metric_name: "CPUUtilization",
        dimensions: { DBClusterIdentifier: reference(dev.resources, "aws_rds_cluster", "Database_Cluster", "cluster_identifier") },
        comparison_operator: "GreaterThanOrEqualToThreshold",
        threshold: 70,
        period: 60,
        evaluation_periods: 3,
        datapoints_to_alarm: 3,
        alarm_actions: [topicArn],
      });
    });

    it("alarms per instance on memory and connections", () => {
      const json = synthEnvironment("dev", { dbFreeableMemoryAlarmBytes: 1024, dbConnectionsAlarmCount: 77 });
      const resources: Resources = JSON.parse(json).resource;

      for (const role of ["Writer", "Reader1"]) {
        const instanceIdentifier = reference(resources, "aws_rds_cluster_instance", role, "identifier");
        expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
          metric_name: "FreeableMemory",
          dimensions: { DBInstanceIdentifier: instanceIdentifier },
          comparison_operator: "LessThanThreshold",
          threshold: 1024,
          alarm_actions: [topicArn],
        });
        expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
          metric_name: "DatabaseConnections",
          dimensions: { DBInstanceIdentifier: instanceIdentifier },
          comparison_operator: "GreaterThanOrEqualToThreshold",
          threshold: 77,
          alarm_actions: [topicArn],
        });
      }
    });

    it("states the memory threshold in MiB when it is whole", () => {
      const json = synthEnvironment("dev", { dbFreeableMemoryAlarmBytes: 256 * 1024 * 1024 });
      const descriptions = Object.values(JSON.parse(json).resource.aws_cloudwatch_metric_alarm as Record<string, any>)
        .filter((alarm) => alarm.metric_name === "FreeableMemory")
        .map((alarm) => alarm.alarm_description);
      expect(descriptions).toHaveLength(2);
      for (const description of descriptions) {
        expect(description).toContain("less than 256 MiB of freeable memory");
      }
    });

    it("alarms on proxy connections, pinning and availability", () => {
      const json = synthEnvironment("dev", { proxyClientConnectionsAlarmCount: 300, proxyPinnedSessionsAlarmCount: 4 });
      const proxyName = reference(dev.resources, "aws_db_proxy", "Database_Proxy", "name");

      expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        metric_name: "ClientConnections",
        dimensions: { ProxyName: proxyName },
        comparison_operator: "GreaterThanOrEqualToThreshold",
        threshold: 300,
        alarm_actions: [topicArn],
      });
      expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        metric_name: "DatabaseConnectionsCurrentlySessionPinned",
        dimensions: { ProxyName: proxyName },
        comparison_operator: "GreaterThanOrEqualToThreshold",
        threshold: 4,
        alarm_actions: [topicArn],
      });
      expect(json).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        metric_name: "AvailabilityPercentage",
        dimensions: {
          ProxyName: proxyName,
          TargetGroup: reference(dev.resources, "aws_db_proxy_default_target_group", "Database", "name"),
          TargetRole: "READ_WRITE",
        },
        comparison_operator: "LessThanThreshold",
        threshold: 100,
        alarm_actions: [topicArn],
      });
    });

    it("says what to check first in every data-tier alarm", () => {
      const alarms = Object.entries(resourcesOf(dev.resources, "aws_cloudwatch_metric_alarm")).filter(([name]) =>
        name.startsWith("Database_"),
      );

      expect(alarms).toHaveLength(4 + 2 * 2);
      for (const [, alarm] of alarms) {
        expect(alarm.alarm_description).toMatch(/Check first: /);
      }
    });
  });

  describe("outputs", () => {
    it("exposes endpoints and the master secret ARN", () => {
      expect(dev.outputs.proxy_endpoint.value).toBe(reference(dev.resources, "aws_db_proxy", "Database_Proxy", "endpoint"));
      expect(dev.outputs.cluster_endpoint.value).toBe(reference(dev.resources, "aws_rds_cluster", "Database_Cluster", "endpoint"));
      expect(dev.outputs.cluster_reader_endpoint.value).toBe(
        reference(dev.resources, "aws_rds_cluster", "Database_Cluster", "reader_endpoint"),
      );
      expect(dev.outputs.master_secret_arn.value).toBe(masterSecretArn);
      for (const output of Object.values(dev.outputs)) {
        expect(output.description).toEqual(expect.any(String));
      }
    });

    it("gives the function what it needs to connect", () => {
      const stack: ApplicationStack = applicationStack(environmentWith("dev"));
      const database = stack.database;

      expect(database.port).toBe(5432);
      expect(database.databaseName).toBe("mydbname");
      expect(database.databaseUser).toBe("dbadmin");
      new TerraformOutput(stack, "test_proxy_endpoint", { value: database.proxyEndpoint });
      new TerraformOutput(stack, "test_proxy_arn", { value: database.proxyArn });
      const outputs = JSON.parse(Testing.synth(stack)).output;
      expect(outputs.test_proxy_endpoint.value).toBe(reference(dev.resources, "aws_db_proxy", "Database_Proxy", "endpoint"));
      expect(outputs.test_proxy_arn.value).toBe(reference(dev.resources, "aws_db_proxy", "Database_Proxy", "arn"));
      expect(database.proxySecurityGroup).toBeInstanceOf(SecurityGroup);
      expect(database.clusterIdentifier).toBe("rdsproxy-dev-aurora");
      expect(database.instanceIdentifiers).toEqual(["rdsproxy-dev-aurora-1", "rdsproxy-dev-aurora-2"]);
      expect(database.proxyName).toBe("rdsproxy-dev-proxy");
    });
  });

  describe("props", () => {
    /** Props of the dev stack's database with some replaced, for a second Database in the same stack. */
    function propsWith(stack: ApplicationStack, changes: Partial<DatabaseProps>): DatabaseProps {
      const environment = environmentWith("dev");
      return {
        partition: "aws",
        accountId: environment.account,
        region: environment.region,
        environmentKey: "other",
        vpc: stack.networking.vpc,
        subnets: stack.networking.databaseSubnets,
        appKey: stack.appKey,
        alarmTopic: stack.monitoring.topic,
        engineMajorVersion: "17",
        instanceCount: 1,
        instanceClass: "db.t4g.medium",
        databaseName: "appdb",
        masterUsername: "dbadmin",
        backupRetentionDays: 1,
        deletionProtection: false,
        skipFinalSnapshot: true,
        monitoringIntervalSeconds: 60,
        proxy: {
          maxConnectionsPercent: 90,
          maxIdleConnectionsPercent: 50,
          connectionBorrowTimeoutSeconds: 10,
          idleClientTimeoutSeconds: 1800,
        },
        alarmThresholds: {
          cpuPercent: 90,
          freeableMemoryBytes: 1,
          connectionsCount: 1,
          proxyClientConnectionsCount: 1,
          proxyPinnedSessionsCount: 1,
        },
        ...changes,
      };
    }

    it("throws when given one subnet", () => {
      const stack = applicationStack(environmentWith("dev"));
      const props = propsWith(stack, { subnets: stack.networking.databaseSubnets.slice(0, 1) });

      expect(() => new Database(stack, "Other", props)).toThrow(
        "subnets: got 1; RDS needs subnets in at least 2 availability zones",
      );
    });

    it("throws when the instance count is out of range", () => {
      const stack = applicationStack(environmentWith("dev"));

      expect(() => new Database(stack, "Other", propsWith(stack, { instanceCount: 0 }))).toThrow(
        "instanceCount: got 0; must be a whole number from 1 to 16",
      );
    });

    it("throws when idle connections exceed connections", () => {
      const stack = applicationStack(environmentWith("dev"));
      const props = propsWith(stack, {
        proxy: { maxConnectionsPercent: 40, maxIdleConnectionsPercent: 50, connectionBorrowTimeoutSeconds: 10, idleClientTimeoutSeconds: 1800 },
      });

      expect(() => new Database(stack, "Other", props)).toThrow(
        "proxy.maxIdleConnectionsPercent: got 50; must not exceed proxy.maxConnectionsPercent (40)",
      );
    });

    it("lists every bad prop in one error", () => {
      const stack = applicationStack(environmentWith("dev"));
      const props = propsWith(stack, { instanceCount: 0, subnets: [] });

      expect(() => new Database(stack, "Other", props)).toThrow(/Invalid Database props:\n {2}- subnets: .*\n {2}- instanceCount: /);
    });

    it("builds with valid props", () => {
      const stack = applicationStack(environmentWith("dev"));

      expect(() => new Database(stack, "Other", propsWith(stack, {}))).not.toThrow();
    });
  });
});
