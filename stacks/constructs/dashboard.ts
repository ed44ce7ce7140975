import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";
import {
  GRAPH_HEIGHT,
  GraphSpec,
  MetricSpec,
  Widget,
  alarmStatusRow,
  graphRow,
  headingRow,
} from "./dashboard-widgets";

/** Props of {@link Dashboard}: the names CloudWatch uses as metric dimensions, and the alarms to show. */
export interface DashboardProps {
  readonly dashboardName: string;
  /** Region of every metric and alarm on the dashboard. */
  readonly region: string;
  /** The REST API's name (ApiName dimension). */
  readonly apiName: string;
  /** The REST API's stage name (Stage dimension). */
  readonly stageName: string;
  /** The Lambda function's name (FunctionName dimension). */
  readonly functionName: string;
  /** The RDS Proxy's name (ProxyName dimension). */
  readonly proxyName: string;
  /** The Aurora cluster's identifier (DBClusterIdentifier dimension). */
  readonly clusterIdentifier: string;
  /** Identifiers of the cluster's instances (DBInstanceIdentifier dimension), at least one. */
  readonly instanceIdentifiers: readonly string[];
  /** Alarms shown in the alarm status widget, in order. */
  readonly alarms: readonly CloudwatchMetricAlarm[];
}

/**
 * A CloudWatch dashboard that follows one request from the API through the function and the proxy to
 * the database, one row per tier, with the status of every alarm at the bottom.
 */
export class Dashboard extends Construct {
  public readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    if (props.instanceIdentifiers.length === 0) {
      throw new Error(`Dashboard ${props.dashboardName}: instanceIdentifiers is empty; pass the identifier of every cluster instance`);
    }

    const tiers: { heading: string; graphs: GraphSpec[] }[] = [
      { heading: "## API Gateway: requests to GET /connect", graphs: apiGraphs(props) },
      { heading: "## Lambda: the function behind the API", graphs: functionGraphs(props) },
      { heading: "## RDS Proxy: client and database connections", graphs: proxyGraphs(props) },
      { heading: "## Aurora PostgreSQL: cluster and instances", graphs: databaseGraphs(props) },
    ];
    const widgets: Widget[] = [];
    let y = 0;
    for (const tier of tiers) {
      widgets.push(headingRow(tier.heading, y));
      y += 1;
      widgets.push(...graphRow(tier.graphs, y, props.region));
      y += GRAPH_HEIGHT;
    }
    widgets.push(alarmStatusRow("Alarms", props.alarms.map((alarm) => alarm.arn), y, props.region));

    this.dashboard = new CloudwatchDashboard(this, "Resource", {
      dashboardName: props.dashboardName,
      dashboardBody: JSON.stringify({ widgets }),
    });
  }
}

function apiGraphs(props: DashboardProps): GraphSpec[] {
  const metric = (metricName: string, stat: string, label: string): MetricSpec => ({
    namespace: "AWS/ApiGateway",
    metricName,
    dimensions: { ApiName: props.apiName, Stage: props.stageName },
    stat,
    label,
  });
  return [
    { title: "API requests", unit: "Count", metrics: [metric("Count", "Sum", "Requests")] },
    {
      title: "API latency",
      unit: "Milliseconds",
      metrics: [
        metric("Latency", "p99", "Latency p99"),
        metric("Latency", "p50", "Latency p50"),
        metric("IntegrationLatency", "p99", "Integration latency p99"),
      ],
    },
    {
      title: "API errors",
      unit: "Count",
      metrics: [metric("4XXError", "Sum", "4XX responses"), metric("5XXError", "Sum", "5XX responses")],
    },
  ];
}

function functionGraphs(props: DashboardProps): GraphSpec[] {
  const metric = (metricName: string, stat: string, label: string): MetricSpec => ({
    namespace: "AWS/Lambda",
    metricName,
    dimensions: { FunctionName: props.functionName },
    stat,
    label,
  });
  return [
    { title: "Function invocations", unit: "Count", metrics: [metric("Invocations", "Sum", "Invocations")] },
    { title: "Function errors", unit: "Count", metrics: [metric("Errors", "Sum", "Errors")] },
    {
      title: "Function duration",
      unit: "Milliseconds",
      metrics: [metric("Duration", "p99", "Duration p99"), metric("Duration", "Average", "Duration average")],
    },
    { title: "Function throttles", unit: "Count", metrics: [metric("Throttles", "Sum", "Throttles")] },
  ];
}

function proxyGraphs(props: DashboardProps): GraphSpec[] {
  const metric = (metricName: string, label: string): MetricSpec => ({
    namespace: "AWS/RDS",
    metricName,
    dimensions: { ProxyName: props.proxyName },
    stat: "Maximum",
    label,
  });
  return [
    { title: "Proxy client connections", unit: "Count", metrics: [metric("ClientConnections", "Client connections")] },
    {
      title: "Proxy database connections",
      unit: "Count",
      metrics: [metric("DatabaseConnections", "Database connections")],
    },
    {
      title: "Proxy pinned sessions",
      unit: "Count",
      metrics: [metric("DatabaseConnectionsCurrentlySessionPinned", "Pinned sessions")],
    },
  ];
}

function databaseGraphs(props: DashboardProps): GraphSpec[] {
  const cluster = (metricName: string, stat: string, label: string): MetricSpec => ({
    namespace: "AWS/RDS",
    metricName,
    dimensions: { DBClusterIdentifier: props.clusterIdentifier },
    stat,
    label,
  });
  const perInstance = (metricName: string, stat: string): MetricSpec[] =>
    props.instanceIdentifiers.map((instance, index) => ({
      namespace: "AWS/RDS",
      metricName,
      dimensions: { DBInstanceIdentifier: instance },
      stat,
      label: `Instance ${index + 1}`,
    }));
  return [
    {
      title: "Database CPU (%)",
      unit: "Percent",
      metrics: [cluster("CPUUtilization", "Maximum", "Cluster maximum"), ...perInstance("CPUUtilization", "Maximum")],
    },
    {
      title: "Database connections",
      unit: "Count",
      metrics: [cluster("DatabaseConnections", "Maximum", "Cluster"), ...perInstance("DatabaseConnections", "Maximum")],
    },
    { title: "Database freeable memory", unit: "Bytes", metrics: perInstance("FreeableMemory", "Minimum") },
  ];
}
