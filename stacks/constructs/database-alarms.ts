import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DbEventSubscription } from "@cdktf/provider-aws/lib/db-event-subscription";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Construct } from "constructs";
import { physicalName } from "../naming";
import { addAlarm } from "./alarm";

/** CloudWatch namespace of Aurora and RDS Proxy metrics. */
export const RDS_NAMESPACE = "AWS/RDS";
/** One-minute periods that must all breach before a load alarm fires, so a short spike stays quiet. */
export const SUSTAINED_BREACH_PERIODS = 3;
/**
 * AvailabilityPercentage is the share of the proxy's health checks of its target that succeeded, so
 * any value below 100 means a check failed, as in a failover, a reboot or a broken secret.
 */
export const PROXY_AVAILABILITY_ALARM_PERCENT = 100;
/** Target role whose availability the proxy alarm watches: the writer behind the default endpoint. */
export const PROXY_WRITER_TARGET_ROLE = "READ_WRITE";

/** Event categories per source type. */
export const RDS_EVENT_CATEGORIES = {
  /** Security Hub RDS.19 expects failure and maintenance; failover is added because clients reconnect then. */
  cluster: ["failure", "failover", "maintenance"],
  /** Security Hub RDS.20 expects configuration change, failure and maintenance; the rest show outages. */
  instance: [
    "availability",
    "configuration change",
    "deletion",
    "failover",
    "failure",
    "maintenance",
    "notification",
    "recovery",
  ],
  /** Security Hub RDS.21 expects configuration change. */
  parameterGroup: ["configuration change"],
  /** Security Hub RDS.22 expects configuration change and failure. */
  securityGroup: ["configuration change", "failure"],
} as const;

/** Alarm thresholds of the data tier; each comes from an environment field with a documented default. */
export interface DatabaseAlarmThresholds {
  /** Cluster CPUUtilization, in percent, reached for three one-minute periods in a row. */
  readonly cpuPercent: number;
  /** An instance's FreeableMemory below this many bytes for three one-minute periods. */
  readonly freeableMemoryBytes: number;
  /** An instance's DatabaseConnections at or above this count for three one-minute periods. */
  readonly connectionsCount: number;
  /** The proxy's ClientConnections at or above this count for three one-minute periods. */
  readonly proxyClientConnectionsCount: number;
  /** The proxy's DatabaseConnectionsCurrentlySessionPinned at or above this count for three one-minute periods. */
  readonly proxyPinnedSessionsCount: number;
}

/** Props of {@link DatabaseAlarms}. */
export interface DatabaseAlarmsProps {
  /** Environment key, such as `dev`; alarm and subscription names are `rdsproxy-<key>-…`. */
  readonly environmentKey: string;
  readonly topic: SnsTopic;
  readonly clusterIdentifier: string;
  readonly instanceIdentifiers: readonly string[];
  readonly proxyName: string;
  /** Name of the proxy's target group that contains the cluster. */
  readonly proxyTargetGroup: string;
  readonly thresholds: DatabaseAlarmThresholds;
}

/**
 * RDS event subscriptions and CloudWatch alarms of the Aurora cluster, its instances and the RDS Proxy,
 * all sent to the alarm topic.
 */
export class DatabaseAlarms extends Construct {
  public readonly eventSubscriptions: DbEventSubscription[];
  public readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: DatabaseAlarmsProps) {
    super(scope, id);
    const { environmentKey, topic, thresholds } = props;
    const name = (suffix: string): string => physicalName(environmentKey, suffix);

    // Event subscriptions. The parameter group and security group subscriptions cover every source of
    // their type in the account and region, which is what Security Hub RDS.21 and RDS.22 check for.
    // RDS reports events of DB security groups (the EC2-Classic kind) only; VPC security group changes
    // appear in CloudTrail instead.
    this.eventSubscriptions = [
      new DbEventSubscription(this, "ClusterEvents", {
        name: name("aurora-cluster-events"),
        snsTopic: topic.arn,
        sourceType: "db-cluster",
        sourceIds: [props.clusterIdentifier],
        eventCategories: [...RDS_EVENT_CATEGORIES.cluster],
      }),
      new DbEventSubscription(this, "InstanceEvents", {
        name: name("aurora-instance-events"),
        snsTopic: topic.arn,
        sourceType: "db-instance",
        sourceIds: [...props.instanceIdentifiers],
        eventCategories: [...RDS_EVENT_CATEGORIES.instance],
      }),
      new DbEventSubscription(this, "ParameterGroupEvents", {
        name: name("db-parameter-group-events"),
        snsTopic: topic.arn,
        sourceType: "db-parameter-group",
        eventCategories: [...RDS_EVENT_CATEGORIES.parameterGroup],
      }),
      new DbEventSubscription(this, "SecurityGroupEvents", {
        name: name("db-security-group-events"),
        snsTopic: topic.arn,
        sourceType: "db-security-group",
        eventCategories: [...RDS_EVENT_CATEGORIES.securityGroup],
      }),
    ];

    // Cluster.
    this.alarms.push(
      addAlarm(this, "ClusterCpu", {
        alarmName: name("aurora-cpu"),
        description:
          `Aurora cluster CPU at or above ${thresholds.cpuPercent} % for ${SUSTAINED_BREACH_PERIODS} minutes. ` +
          "Check first: Top SQL in Database Insights, then whether the load moved from readers to the writer.",
        namespace: RDS_NAMESPACE,
        metricName: "CPUUtilization",
        dimensions: { DBClusterIdentifier: props.clusterIdentifier },
        statistic: "Average",
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: thresholds.cpuPercent,
        evaluationPeriods: SUSTAINED_BREACH_PERIODS,
        topic,
      }),
    );

    // Instances: ids follow the instance's role, Writer for the first and Reader<n> for the others.
    props.instanceIdentifiers.forEach((instanceIdentifier, index) => {
      const role = index === 0 ? "Writer" : `Reader${index}`;
      this.alarms.push(
        addAlarm(this, `${role}FreeableMemory`, {
          alarmName: name(`aurora-${index + 1}-freeable-memory`),
          description:
            `Aurora instance ${index + 1} has less than ${formatMebibytes(thresholds.freeableMemoryBytes)} of freeable memory. ` +
            "Check first: DatabaseConnections and work_mem-heavy queries in Database Insights; then consider a larger class.",
          namespace: RDS_NAMESPACE,
          metricName: "FreeableMemory",
          dimensions: { DBInstanceIdentifier: instanceIdentifier },
          statistic: "Minimum",
          comparisonOperator: "LessThanThreshold",
          threshold: thresholds.freeableMemoryBytes,
          evaluationPeriods: SUSTAINED_BREACH_PERIODS,
          topic,
        }),
        addAlarm(this, `${role}Connections`, {
          alarmName: name(`aurora-${index + 1}-connections`),
          description:
            `Aurora instance ${index + 1} has ${thresholds.connectionsCount} or more connections. ` +
            "Check first: the proxy's pinned sessions and clients that connect to the cluster endpoint directly.",
          namespace: RDS_NAMESPACE,
          metricName: "DatabaseConnections",
          dimensions: { DBInstanceIdentifier: instanceIdentifier },
          statistic: "Maximum",
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          threshold: thresholds.connectionsCount,
          evaluationPeriods: SUSTAINED_BREACH_PERIODS,
          topic,
        }),
      );
    });

    // Proxy. RDS publishes proxy metrics once per proxy node, so counts are summed across nodes.
    this.alarms.push(
      addAlarm(this, "ProxyClientConnections", {
        alarmName: name("proxy-client-connections"),
        description:
          `RDS Proxy has ${thresholds.proxyClientConnectionsCount} or more client connections. ` +
          "Check first: the function's concurrent executions and whether handlers close their connections.",
        namespace: RDS_NAMESPACE,
        metricName: "ClientConnections",
        dimensions: { ProxyName: props.proxyName },
        statistic: "Sum",
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: thresholds.proxyClientConnectionsCount,
        evaluationPeriods: SUSTAINED_BREACH_PERIODS,
        topic,
      }),
      addAlarm(this, "ProxyPinnedSessions", {
        alarmName: name("proxy-pinned-sessions"),
        description:
          `RDS Proxy has ${thresholds.proxyPinnedSessionsCount} or more pinned sessions, which defeat pooling. ` +
          "Check first: the proxy log for the pinning reason (SET statements, prepared statements, temporary tables).",
        namespace: RDS_NAMESPACE,
        metricName: "DatabaseConnectionsCurrentlySessionPinned",
        dimensions: { ProxyName: props.proxyName },
        statistic: "Sum",
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: thresholds.proxyPinnedSessionsCount,
        evaluationPeriods: SUSTAINED_BREACH_PERIODS,
        topic,
      }),
      // AvailabilityPercentage is published with the ProxyName, TargetGroup and TargetRole dimensions only.
      addAlarm(this, "ProxyAvailability", {
        alarmName: name("proxy-availability"),
        description:
          `RDS Proxy could not reach the writer for part of a minute (availability below ${PROXY_AVAILABILITY_ALARM_PERCENT} %). ` +
          "Check first: RDS events for a failover or reboot, then the proxy log for secret or TLS errors.",
        namespace: RDS_NAMESPACE,
        metricName: "AvailabilityPercentage",
        dimensions: {
          ProxyName: props.proxyName,
          TargetGroup: props.proxyTargetGroup,
          TargetRole: PROXY_WRITER_TARGET_ROLE,
        },
        statistic: "Average",
        comparisonOperator: "LessThanThreshold",
        threshold: PROXY_AVAILABILITY_ALARM_PERCENT,
        topic,
      }),
    );
  }
}

/** Formats a byte count for an alarm description, such as `512 MiB`. */
function formatMebibytes(bytes: number): string {
  const BYTES_PER_MEBIBYTE = 1024 * 1024;
  const mebibytes = bytes / BYTES_PER_MEBIBYTE;
  return Number.isInteger(mebibytes) ? `${mebibytes} MiB` : `${bytes} bytes`;
}
