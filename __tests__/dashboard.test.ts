import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { DbProxy } from "@cdktf/provider-aws/lib/db-proxy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { Testing } from "cdktf";
import { Dashboard, DashboardProps } from "../stacks/constructs/dashboard";
import { DASHBOARD_GRID_WIDTH } from "../stacks/constructs/dashboard-widgets";
import { assumeRolePolicy } from "../stacks/constructs/policy";
import { restApiTestStack } from "./support/api-stack";
import { synthEnvironment } from "./support/environments";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { title?: string; region?: string; metrics?: unknown[][]; alarms?: string[]; markdown?: string };
}

/** Where each metric dimension's value must come from: a resource type and its name attribute. */
const DIMENSION_SOURCES: Record<string, { type: string; attribute: string }> = {
  ApiName: { type: "aws_api_gateway_rest_api", attribute: "name" },
  Stage: { type: "aws_api_gateway_stage", attribute: "stage_name" },
  FunctionName: { type: "aws_lambda_function", attribute: "function_name" },
  ProxyName: { type: "aws_db_proxy", attribute: "name" },
  DBClusterIdentifier: { type: "aws_rds_cluster", attribute: "cluster_identifier" },
  DBInstanceIdentifier: { type: "aws_rds_cluster_instance", attribute: "identifier" },
};

/** Extracts the dimension name/value pairs of one row of a graph widget's `metrics` array. */
function dimensionsOf(row: unknown[]): [string, string][] {
  const pairs: [string, string][] = [];
  const values = row.slice(2).filter((entry) => typeof entry === "string") as string[];
  for (let index = 0; index + 1 < values.length; index += 2) {
    pairs.push([values[index], values[index + 1]]);
  }
  return pairs;
}

/**
 * Returns why a dimension value names no resource of the synthesized stack, or undefined when it does:
 * either a reference to the expected attribute of an existing resource, or a literal equal to it.
 */
function unresolvedDimension(resources: Resources, dimension: string, value: string): string | undefined {
  const source = DIMENSION_SOURCES[dimension];
  if (!source) {
    return `${dimension}: no resource type is known for this dimension`;
  }
  const reference = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(value);
  if (reference) {
    const [, type, name, attribute] = reference;
    if (type !== source.type || attribute !== source.attribute) {
      return `${dimension}=${value}: expected a reference to ${source.type}.*.${source.attribute}`;
    }
    return resources[type]?.[name] ? undefined : `${dimension}=${value}: ${type}.${name} is not in the stack`;
  }
  const literals = Object.values(resources[source.type] ?? {}).map((resource) => resource[source.attribute]);
  return literals.includes(value) ? undefined : `${dimension}=${value}: no ${source.type} has ${source.attribute} ${value}`;
}

/** Lists every dimension of every graph widget that names no resource of the stack. */
function unresolvedDimensions(synthesized: string): string[] {
  const parsed = JSON.parse(synthesized);
  const resources: Resources = parsed.resource;
  const problems: string[] = [];
  for (const dashboard of Object.values(resources.aws_cloudwatch_dashboard ?? {})) {
    const widgets: Widget[] = JSON.parse(dashboard.dashboard_body as string).widgets;
    for (const widget of widgets.filter((candidate) => candidate.type === "metric")) {
      for (const row of widget.properties.metrics ?? []) {
        for (const [dimension, value] of dimensionsOf(row)) {
          const problem = unresolvedDimension(resources, dimension, value);
          if (problem) {
            problems.push(`${widget.properties.title}: ${problem}`);
          }
        }
      }
    }
  }
  return problems;
}

/** Builds the REST API test stack plus a minimal cluster, two instances and a proxy, and the dashboard. */
function dashboardStack(changes: Partial<DashboardProps> = {}) {
  const { stack, restApi, function: fn } = restApiTestStack("stage");
  const cluster = new RdsCluster(stack, "Cluster", { clusterIdentifier: "rdsproxy-test-db", engine: "aurora-postgresql" });
  const instances = [1, 2].map(
    (number) =>
      new RdsClusterInstance(stack, `Instance${number}`, {
        identifier: `rdsproxy-test-db-${number}`,
        clusterIdentifier: cluster.clusterIdentifier,
        engine: "aurora-postgresql",
        instanceClass: "db.t4g.medium",
      }),
  );
  const proxyRole = new IamRole(stack, "ProxyRole", { assumeRolePolicy: assumeRolePolicy("rds.amazonaws.com") });
  const proxy = new DbProxy(stack, "Proxy", {
    name: "rdsproxy-test-proxy",
    engineFamily: "POSTGRESQL",
    roleArn: proxyRole.arn,
    vpcSubnetIds: ["subnet-00000000"],
    auth: [{ authScheme: "SECRETS", iamAuth: "REQUIRED", secretArn: "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:test" }],
  });

  const dashboard = new Dashboard(stack, "Dashboard", {
    dashboardName: "rdsproxy-stage",
    region: "ap-northeast-1",
    apiName: restApi.api.name,
    stageName: restApi.stage.stageName,
    functionName: fn.functionName,
    proxyName: proxy.name,
    clusterIdentifier: cluster.clusterIdentifier,
    instanceIdentifiers: instances.map((instance) => instance.identifier),
    alarms: restApi.alarms,
    ...changes,
  });
  const synthesized = Testing.synth(stack);
  const resources: Resources = JSON.parse(synthesized).resource;
  const body = Object.values(resources.aws_cloudwatch_dashboard)[0].dashboard_body as string;
  return { dashboard, synthesized, resources, body, restApi };
}

function metricNames(widgets: Widget[], namespace: string): string[] {
  return widgets.flatMap((widget) =>
    (widget.properties.metrics ?? []).filter((row) => row[0] === namespace).map((row) => row[1] as string),
  );
}

describe("Dashboard", () => {
  const { synthesized, resources, body } = dashboardStack();
  const widgets: Widget[] = JSON.parse(body).widgets;

  it("has the environment's name", () => {
    expect(synthesized).toHaveResourceWithProperties(CloudwatchDashboard, { dashboard_name: "rdsproxy-stage" });
  });

  it("body is a JSON object of widgets", () => {
    expect(() => JSON.parse(body)).not.toThrow();
    expect(Object.keys(JSON.parse(body))).toEqual(["widgets"]);
    expect(widgets.length).toBeGreaterThan(0);
  });

  it("every widget fits the 24-unit grid", () => {
    for (const widget of widgets) {
      expect({ title: widget.properties.title, fits: widget.x + widget.width <= DASHBOARD_GRID_WIDTH }).toEqual({
        title: widget.properties.title,
        fits: true,
      });
    }
  });

  it("every metric and alarm widget uses the configured region", () => {
    for (const widget of widgets.filter((candidate) => candidate.type !== "text")) {
      expect(widget.properties.region).toBe("ap-northeast-1");
    }
  });

  it("shows API requests, latency and errors", () => {
    expect(metricNames(widgets, "AWS/ApiGateway")).toEqual(
      expect.arrayContaining(["Count", "Latency", "IntegrationLatency", "4XXError", "5XXError"]),
    );
  });

  it("shows function invocations, errors, duration and throttles", () => {
    expect(metricNames(widgets, "AWS/Lambda")).toEqual(
      expect.arrayContaining(["Invocations", "Errors", "Duration", "Throttles"]),
    );
  });

  it("shows proxy connections and pinned sessions", () => {
    const proxyRows = widgets
      .flatMap((widget) => widget.properties.metrics ?? [])
      .filter((row) => row[0] === "AWS/RDS" && row[2] === "ProxyName");
    expect(proxyRows.map((row) => row[1])).toEqual([
      "ClientConnections",
      "DatabaseConnections",
      "DatabaseConnectionsCurrentlySessionPinned",
    ]);
  });

  it("shows cluster CPU, connections and freeable memory", () => {
    const databaseRows = widgets
      .flatMap((widget) => widget.properties.metrics ?? [])
      .filter((row) => row[0] === "AWS/RDS" && row[2] !== "ProxyName");
    const names = databaseRows.map((row) => `${row[1]}/${row[2]}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "CPUUtilization/DBClusterIdentifier",
        "CPUUtilization/DBInstanceIdentifier",
        "DatabaseConnections/DBClusterIdentifier",
        "FreeableMemory/DBInstanceIdentifier",
      ]),
    );
  });

  it("graphs every instance", () => {
    const memoryRows = widgets
      .flatMap((widget) => widget.properties.metrics ?? [])
      .filter((row) => row[1] === "FreeableMemory");
    expect(memoryRows.map((row) => row[3])).toEqual([
      expect.stringMatching(/^\$\{aws_rds_cluster_instance\.Instance1\.identifier\}$/),
      expect.stringMatching(/^\$\{aws_rds_cluster_instance\.Instance2\.identifier\}$/),
    ]);
  });

  it("every metric dimension names a resource in the stack", () => {
    expect(unresolvedDimensions(synthesized)).toEqual([]);
  });

  it("dimension check catches a name of no resource", () => {
    const { synthesized: wrong } = dashboardStack({ proxyName: "rdsproxy-other-proxy" });
    expect(unresolvedDimensions(wrong)).toEqual([
      "Proxy client connections: ProxyName=rdsproxy-other-proxy: no aws_db_proxy has name rdsproxy-other-proxy",
      "Proxy database connections: ProxyName=rdsproxy-other-proxy: no aws_db_proxy has name rdsproxy-other-proxy",
      "Proxy pinned sessions: ProxyName=rdsproxy-other-proxy: no aws_db_proxy has name rdsproxy-other-proxy",
    ]);
  });

  it("alarm widget lists every alarm passed in", () => {
    const alarmWidgets = widgets.filter((widget) => widget.type === "alarm");
    expect(alarmWidgets).toHaveLength(1);
    const alarmNames = Object.keys(resources.aws_cloudwatch_metric_alarm);
    expect(alarmWidgets[0].properties.alarms).toHaveLength(3);
    expect([...(alarmWidgets[0].properties.alarms ?? [])].sort()).toEqual(
      alarmNames.map((name) => `\${aws_cloudwatch_metric_alarm.${name}.arn}`).sort(),
    );
  });

  it("rejects an empty instance list", () => {
    expect(() => dashboardStack({ instanceIdentifiers: [] })).toThrow(
      "Dashboard rdsproxy-stage: instanceIdentifiers is empty; pass the identifier of every cluster instance",
    );
  });
});

describe("Application stack dashboard and outputs", () => {
  const synthesized = synthEnvironment("stage");
  const parsed = JSON.parse(synthesized);
  const resources: Resources = parsed.resource;
  const outputs: Record<string, { value: string; description?: string }> = parsed.output;

  it("every metric dimension names a resource in the stack", () => {
    expect(unresolvedDimensions(synthesized)).toEqual([]);
  });

  it("shows every alarm of the stack", () => {
    const body = Object.values(resources.aws_cloudwatch_dashboard)[0].dashboard_body as string;
    const alarmWidget = (JSON.parse(body).widgets as Widget[]).find((widget) => widget.type === "alarm");
    const alarmArns = Object.keys(resources.aws_cloudwatch_metric_alarm).map(
      (name) => `\${aws_cloudwatch_metric_alarm.${name}.arn}`,
    );
    expect([...(alarmWidget?.properties.alarms ?? [])].sort()).toEqual(alarmArns.sort());
  });

  it.each(["connect_url", "dashboard_url", "function_name", "alarm_topic_arn", "proxy_endpoint"])(
    "has output %s with a description",
    (name) => {
      expect(outputs[name]).toBeDefined();
      expect(outputs[name].description).toEqual(expect.any(String));
    },
  );

  it("connect_url is the stage invoke URL plus /connect", () => {
    expect(outputs.connect_url.value).toMatch(/^\$\{aws_api_gateway_stage\.RestApi_Stage_[A-Z0-9]+\.invoke_url\}\/connect$/);
  });

  it("dashboard_url points at the dashboard in the region", () => {
    expect(outputs.dashboard_url.value).toMatch(
      /^https:\/\/ap-northeast-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=ap-northeast-1#dashboards\/dashboard\/\$\{aws_cloudwatch_dashboard\.Dashboard_[A-Z0-9]+\.dashboard_name\}$/,
    );
  });

  it("function_name and alarm_topic_arn reference their resources", () => {
    expect(outputs.function_name.value).toMatch(/^\$\{aws_lambda_function\.[A-Za-z0-9_]+\.function_name\}$/);
    expect(outputs.alarm_topic_arn.value).toMatch(/^\$\{aws_sns_topic\.Monitoring_[A-Z0-9]+\.arn\}$/);
  });

  it("has exactly one proxy_endpoint output", () => {
    expect(Object.keys(outputs).filter((name) => name.includes("proxy_endpoint"))).toEqual(["proxy_endpoint"]);
  });
});
