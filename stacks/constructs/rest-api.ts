import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Fn, ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { EnvironmentConfig } from "../environment/environment";
import { AppKey } from "./app-key";
import { addRestApiAlarms } from "./rest-api-alarms";
import { ACCESS_LOG_FORMAT, AccountLogRole, accessLogGroupName, executionLogGroupName } from "./rest-api-logging";

/** Path part of the only resource, `/connect`. */
export const CONNECT_PATH_PART = "connect";
/** HTTP method of `/connect`. */
export const CONNECT_HTTP_METHOD = "GET";
/** Lambda proxy integration: API Gateway passes the whole request and returns the function's response. */
export const CONNECT_INTEGRATION_TYPE = "AWS_PROXY";
/** Days API Gateway's access and execution logs are kept. */
export const API_LOG_RETENTION_DAYS = 30;
/** Execution log level of every method: one line per request stage, without bodies (data trace stays off). */
export const API_EXECUTION_LOGGING_LEVEL = "INFO";

/** The environment values the REST API reads. */
export type RestApiSettings = Pick<
  EnvironmentConfig,
  | "key"
  | "apiAuthorization"
  | "apiThrottlingRateLimit"
  | "apiThrottlingBurstLimit"
  | "apiManageAccountLogRole"
  | "apiRequestCountAlarm"
  | "apiServerErrorAlarmCount"
  | "apiLatencyP99AlarmMs"
>;

/** Props of {@link RestApi}. */
export interface RestApiProps {
  /** AWS partition, such as `aws`, from the stack's aws_partition data source. */
  readonly partition: string;
  /** Prefix of physical names, such as `rdsproxy-dev`. */
  readonly namePrefix: string;
  /** The function behind GET /connect. */
  readonly function: LambdaFunction;
  /** Encrypts the access and execution log groups. */
  readonly appKey: AppKey;
  /** Receives the API's alarms. */
  readonly alarmTopic: SnsTopic;
  /** Authorization, throttling and alarm thresholds. The environment key names the stage. */
  readonly settings: RestApiSettings;
}

/**
 * A regional REST API with GET /connect proxied to the function, one stage named after the environment
 * with JSON access logs, execution logs, X-Ray tracing and throttling, and its alarms.
 */
export class RestApi extends Construct {
  public readonly api: ApiGatewayRestApi;
  public readonly connectResource: ApiGatewayResource;
  public readonly connectMethod: ApiGatewayMethod;
  public readonly integration: ApiGatewayIntegration;
  public readonly deployment: ApiGatewayDeployment;
  public readonly stage: ApiGatewayStage;
  public readonly accessLogGroup: CloudwatchLogGroup;
  public readonly executionLogGroup: CloudwatchLogGroup;
  /** The account-level logging role; undefined when apiManageAccountLogRole is false. */
  public readonly accountLogRole?: AccountLogRole;
  public readonly alarms: CloudwatchMetricAlarm[];
  /** The invoke URL of GET /connect. */
  public readonly connectUrl: string;

  constructor(scope: Construct, id: string, props: RestApiProps) {
    super(scope, id);
    const { settings } = props;
    const apiName = `${props.namePrefix}-api`;
    const stageName = settings.key;

    this.api = new ApiGatewayRestApi(this, "Resource", {
      name: apiName,
      description: `GET /connect: opens a connection to Aurora PostgreSQL through the RDS Proxy (${props.namePrefix})`,
      endpointConfiguration: { types: ["REGIONAL"] },
    });

    this.connectResource = new ApiGatewayResource(this, "ConnectResource", {
      restApiId: this.api.id,
      parentId: this.api.rootResourceId,
      pathPart: CONNECT_PATH_PART,
    });
    this.connectMethod = new ApiGatewayMethod(this, "ConnectMethod", {
      restApiId: this.api.id,
      resourceId: this.connectResource.id,
      httpMethod: CONNECT_HTTP_METHOD,
      authorization: settings.apiAuthorization,
    });
    // Lambda is always invoked with POST, whatever the client's method.
    this.integration = new ApiGatewayIntegration(this, "ConnectIntegration", {
      restApiId: this.api.id,
      resourceId: this.connectResource.id,
      httpMethod: this.connectMethod.httpMethod,
      type: CONNECT_INTEGRATION_TYPE,
      integrationHttpMethod: "POST",
      uri: props.function.invokeArn,
    });

    new LambdaPermission(this, "InvokePermission", {
      statementId: "AllowRestApiToInvokeConnect",
      action: "lambda:InvokeFunction",
      functionName: props.function.functionName,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${this.api.executionArn}/${stageName}/${CONNECT_HTTP_METHOD}/${CONNECT_PATH_PART}`,
    });

    // The ids stay the same when a method is updated in place, so the literal definition is hashed too.
    // Any change to it replaces the deployment, and the stage then points at the new one.
    const definition = [
      this.connectResource.id,
      CONNECT_PATH_PART,
      this.connectMethod.id,
      CONNECT_HTTP_METHOD,
      settings.apiAuthorization,
      this.integration.id,
      CONNECT_INTEGRATION_TYPE,
      props.function.invokeArn,
    ];
    this.deployment = new ApiGatewayDeployment(this, "Deployment", {
      restApiId: this.api.id,
      description: `Deployment of ${apiName}, replaced whenever GET /${CONNECT_PATH_PART} changes`,
      triggers: { redeployment: Fn.sha1(Fn.jsonencode(definition)) },
      lifecycle: { createBeforeDestroy: true },
    });

    this.accessLogGroup = new CloudwatchLogGroup(this, "AccessLogGroup", {
      name: accessLogGroupName(apiName),
      retentionInDays: API_LOG_RETENTION_DAYS,
      kmsKeyId: props.appKey.key.arn,
    });
    this.executionLogGroup = new CloudwatchLogGroup(this, "ExecutionLogGroup", {
      name: executionLogGroupName(this.api.id, stageName),
      retentionInDays: API_LOG_RETENTION_DAYS,
      kmsKeyId: props.appKey.key.arn,
    });

    const loggingReady: ITerraformDependable[] = [this.executionLogGroup];
    if (settings.apiManageAccountLogRole) {
      this.accountLogRole = new AccountLogRole(this, "AccountLogRole", {
        partition: props.partition,
        roleName: `${apiName}-cloudwatch-logs`,
      });
      loggingReady.push(this.accountLogRole.account);
    }

    this.stage = new ApiGatewayStage(this, "Stage", {
      restApiId: this.api.id,
      deploymentId: this.deployment.id,
      stageName,
      description: `Stage ${stageName} of ${apiName}`,
      xrayTracingEnabled: true,
      accessLogSettings: { destinationArn: this.accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
      dependsOn: loggingReady,
    });
    new ApiGatewayMethodSettings(this, "MethodSettings", {
      restApiId: this.api.id,
      stageName: this.stage.stageName,
      methodPath: "*/*",
      settings: {
        metricsEnabled: true,
        loggingLevel: API_EXECUTION_LOGGING_LEVEL,
        dataTraceEnabled: false,
        throttlingBurstLimit: settings.apiThrottlingBurstLimit,
        throttlingRateLimit: settings.apiThrottlingRateLimit,
      },
      dependsOn: loggingReady,
    });
    this.connectUrl = `${this.stage.invokeUrl}/${CONNECT_PATH_PART}`;

    this.alarms = addRestApiAlarms(this, {
      namePrefix: props.namePrefix,
      apiName,
      stageName,
      accessLogGroupName: accessLogGroupName(apiName),
      topic: props.alarmTopic,
      requestCountThreshold: settings.apiRequestCountAlarm,
      serverErrorThreshold: settings.apiServerErrorAlarmCount,
      latencyP99ThresholdMs: settings.apiLatencyP99AlarmMs,
    });
  }
}
