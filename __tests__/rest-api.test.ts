import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import * as path from "path";
import { Testing } from "cdktf";
import { restApiTestStack } from "./support/api-stack";
import { countByType, planChanges, writeOfflineOverride } from "./support/terraform";

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** Synthesizes the REST API test stack and returns the JSON text and its parsed resources. */
function synthRestApi(environmentKey: string, changes: Record<string, unknown> = {}) {
  const { stack } = restApiTestStack(environmentKey, changes);
  const synthesized = Testing.synth(stack);
  const resources: Resources = JSON.parse(synthesized).resource;
  return { synthesized, resources };
}

/** Returns the only resource of a type with its logical name, and throws when there is not exactly one. */
function single(resources: Resources, type: string): { name: string; config: Record<string, unknown> } {
  const entries = Object.entries(resources[type] ?? {});
  expect({ type, count: entries.length }).toEqual({ type, count: 1 });
  const [name, config] = entries[0];
  return { name, config };
}

function redeploymentTrigger(changes: Record<string, unknown>): string {
  const { resources } = synthRestApi("stage", changes);
  const deployment = single(resources, "aws_api_gateway_deployment").config;
  return (deployment.triggers as Record<string, string>).redeployment;
}

describe("REST API", () => {
  const { synthesized, resources } = synthRestApi("stage");
  const apiName = "rdsproxy-stage-api";
  const restApiName = single(resources, "aws_api_gateway_rest_api").name;

  it("is a regional REST API", () => {
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayRestApi, {
      name: apiName,
      endpoint_configuration: { types: ["REGIONAL"] },
    });
  });

  it("has GET /connect proxied to the function with POST", () => {
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayResource, { path_part: "connect" });
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayMethod, { http_method: "GET" });
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayIntegration, {
      type: "AWS_PROXY",
      integration_http_method: "POST",
      uri: "${aws_lambda_function.Function.invoke_arn}",
    });
  });

  it("requires IAM authorization by default", () => {
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayMethod, { authorization: "AWS_IAM" });
  });

  it("leaves GET /connect open when authorization is NONE", () => {
    const open = synthRestApi("stage", { apiAuthorization: "NONE" }).synthesized;
    expect(open).toHaveResourceWithProperties(ApiGatewayMethod, { authorization: "NONE" });
  });

  it("ships dev with authorization NONE", () => {
    const dev = synthRestApi("dev").synthesized;
    expect(dev).toHaveResourceWithProperties(ApiGatewayMethod, { authorization: "NONE" });
  });

  it("lets only this API, stage and method invoke the function", () => {
    expect(synthesized).toHaveResourceWithProperties(LambdaPermission, {
      action: "lambda:InvokeFunction",
      principal: "apigateway.amazonaws.com",
      function_name: "${aws_lambda_function.Function.function_name}",
      source_arn: `\${aws_api_gateway_rest_api.${restApiName}.execution_arn}/stage/GET/connect`,
    });
  });

  it("permission source ARN has no wildcard", () => {
    const permission = single(resources, "aws_lambda_permission").config;
    expect(permission.source_arn).toMatch(/^\$\{aws_api_gateway_rest_api\.[A-Za-z0-9_]+\.execution_arn\}\/stage\/GET\/connect$/);
    expect(permission.source_arn).not.toContain("*");
  });

  it("replaces the deployment before destroying the old one", () => {
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayDeployment, {
      lifecycle: { create_before_destroy: true },
    });
  });

  it("redeploy trigger hashes the definition", () => {
    const trigger = redeploymentTrigger({});
    expect(trigger).toMatch(/^\$\{sha1\(jsonencode\(\[.*\]\)\)\}$/);
    expect(trigger).toContain("aws_api_gateway_resource.");
    expect(trigger).toContain("aws_api_gateway_method.");
    expect(trigger).toContain("aws_api_gateway_integration.");
    expect(trigger).toContain("aws_lambda_function.Function.invoke_arn");
  });

  it("redeploy trigger changes with the method's authorization", () => {
    expect(redeploymentTrigger({ apiAuthorization: "AWS_IAM" })).not.toEqual(
      redeploymentTrigger({ apiAuthorization: "NONE" }),
    );
  });

  it("redeploy trigger ignores stage settings", () => {
    expect(redeploymentTrigger({ apiThrottlingRateLimit: 5 })).toEqual(redeploymentTrigger({}));
  });

  it("names the stage after the environment key", () => {
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayStage, {
      stage_name: "stage",
      xray_tracing_enabled: true,
    });
  });

  it("writes JSON access logs with the standard request fields", () => {
    const stage = single(resources, "aws_api_gateway_stage").config;
    const settings = stage.access_log_settings as { destination_arn: string; format: string };
    expect(settings.destination_arn).toMatch(/^\$\{aws_cloudwatch_log_group\.RestApi_AccessLogGroup_[A-Z0-9]+\.arn\}$/);
    const format = JSON.parse(settings.format);
    expect(format).toEqual({
      requestId: "$context.requestId",
      extendedRequestId: "$context.extendedRequestId",
      ip: "$context.identity.sourceIp",
      caller: "$context.identity.caller",
      user: "$context.identity.user",
      requestTime: "$context.requestTime",
      httpMethod: "$context.httpMethod",
      resourcePath: "$context.resourcePath",
      status: "$context.status",
      protocol: "$context.protocol",
      responseLength: "$context.responseLength",
      integrationLatency: "$context.integrationLatency",
      responseLatency: "$context.responseLatency",
      integrationError: "$context.integration.error",
    });
  });

  it("creates the access log group with retention and the app key", () => {
    expect(synthesized).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: `/aws/apigateway/${apiName}/access`,
      retention_in_days: 30,
      kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\.AppKey_[A-Z0-9]+\.arn\}$/),
    });
  });

  it("creates the execution log group before the stage", () => {
    expect(synthesized).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: `API-Gateway-Execution-Logs_\${aws_api_gateway_rest_api.${restApiName}.id}/stage`,
      retention_in_days: 30,
      kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\.AppKey_[A-Z0-9]+\.arn\}$/),
    });
    const stage = single(resources, "aws_api_gateway_stage").config;
    expect(stage.depends_on).toContainEqual(expect.stringMatching(/^aws_cloudwatch_log_group\.RestApi_ExecutionLogGroup_/));
  });

  it("sets metrics, INFO logging and throttling on every method", () => {
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayMethodSettings, {
      method_path: "*/*",
      settings: {
        metrics_enabled: true,
        logging_level: "INFO",
        data_trace_enabled: false,
        throttling_burst_limit: 100,
        throttling_rate_limit: 50,
      },
    });
  });

  it("takes throttling limits from the environment", () => {
    const throttled = synthRestApi("stage", { apiThrottlingRateLimit: 2.5, apiThrottlingBurstLimit: 7 }).synthesized;
    expect(throttled).toHaveResourceWithProperties(ApiGatewayMethodSettings, {
      settings: expect.objectContaining({ throttling_burst_limit: 7, throttling_rate_limit: 2.5 }),
    });
  });
});

describe("REST API account log role", () => {
  it("manages the account setting by default", () => {
    const { synthesized, resources } = synthRestApi("stage");
    const [roleName] = Object.entries(resources.aws_iam_role).find(
      ([, role]) => role.name === "rdsproxy-stage-api-cloudwatch-logs",
    ) ?? [""];
    expect(synthesized).toHaveResourceWithProperties(IamRole, {
      name: "rdsproxy-stage-api-cloudwatch-logs",
      assume_role_policy: expect.stringContaining('"Service":"apigateway.amazonaws.com"'),
    });
    expect(synthesized).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      policy_arn: "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    });
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayAccount, {
      cloudwatch_role_arn: `\${aws_iam_role.${roleName}.arn}`,
    });
  });

  it("stage and method settings wait for the account setting", () => {
    const { resources } = synthRestApi("stage");
    const account = single(resources, "aws_api_gateway_account").name;
    const stage = single(resources, "aws_api_gateway_stage").config;
    const methodSettings = single(resources, "aws_api_gateway_method_settings").config;
    expect(stage.depends_on).toContain(`aws_api_gateway_account.${account}`);
    expect(methodSettings.depends_on).toContain(`aws_api_gateway_account.${account}`);
  });

  it("is absent when apiManageAccountLogRole is false", () => {
    const { synthesized, resources } = synthRestApi("stage", { apiManageAccountLogRole: false });
    expect(synthesized).not.toHaveResource(ApiGatewayAccount);
    const roleNames = Object.values(resources.aws_iam_role ?? {}).map((role) => role.name);
    expect(roleNames).not.toContain("rdsproxy-stage-api-cloudwatch-logs");
    const stage = single(resources, "aws_api_gateway_stage").config;
    expect(stage.depends_on).toEqual([expect.stringMatching(/^aws_cloudwatch_log_group\.RestApi_ExecutionLogGroup_/)]);
  });
});

describe("REST API alarms", () => {
  const { synthesized, resources } = synthRestApi("stage", {
    apiRequestCountAlarm: 80,
    apiServerErrorAlarmCount: 3,
    apiLatencyP99AlarmMs: 2500,
  });
  const topicName = single(resources, "aws_sns_topic").name;
  const topicArn = `\${aws_sns_topic.${topicName}.arn}`;
  const dimensions = { ApiName: "rdsproxy-stage-api", Stage: "stage" };

  it.each([
    ["rdsproxy-stage-api-request-count", "Count", { statistic: "Sum" }, 80],
    ["rdsproxy-stage-api-5xx-errors", "5XXError", { statistic: "Sum" }, 3],
    ["rdsproxy-stage-api-latency-p99", "Latency", { extended_statistic: "p99" }, 2500],
  ])("%s alarms on %s at the threshold", (alarmName, metricName, statistic, threshold) => {
    expect(synthesized).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: alarmName,
      namespace: "AWS/ApiGateway",
      metric_name: metricName,
      dimensions,
      ...statistic,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      threshold,
      alarm_actions: [topicArn],
      ok_actions: [topicArn],
    });
  });

  it("uses the sample's request count of 80 by default", () => {
    const defaults = synthRestApi("stage").synthesized;
    expect(defaults).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "rdsproxy-stage-api-request-count",
      threshold: 80,
    });
  });

  it("each description says what to check first", () => {
    const alarms = Object.values(resources.aws_cloudwatch_metric_alarm);
    expect(alarms).toHaveLength(3);
    for (const alarm of alarms) {
      expect({ alarm: alarm.alarm_name, description: alarm.alarm_description }).toEqual({
        alarm: alarm.alarm_name,
        description: expect.stringMatching(/Check .+ in \/aws\/apigateway\/rdsproxy-stage-api\/access first[.;]/),
      });
    }
  });

  it("exposes its alarms for the dashboard", () => {
    const { restApi } = restApiTestStack("stage");
    expect(restApi.alarms).toHaveLength(3);
  });
});

describe.each([true, false])("REST API with apiManageAccountLogRole %s", (manageAccountLogRole) => {
  const { stack } = restApiTestStack("stage", { apiManageAccountLogRole: manageAccountLogRole });
  const outdir = Testing.fullSynth(stack);
  const stackDir = path.join(outdir, "stacks", "test");
  writeOfflineOverride(stackDir);

  it("is valid Terraform", () => {
    expect(outdir).toBeValidTerraform();
  });

  it("plans offline with the API Gateway resources", () => {
    const counts = countByType(planChanges(stackDir));
    expect(counts.aws_api_gateway_rest_api).toBe(1);
    expect(counts.aws_api_gateway_deployment).toBe(1);
    expect(counts.aws_api_gateway_stage).toBe(1);
    expect(counts.aws_api_gateway_method_settings).toBe(1);
    expect(counts.aws_cloudwatch_log_group).toBe(2);
    expect(counts.aws_api_gateway_account ?? 0).toBe(manageAccountLogRole ? 1 : 0);
  });
});
