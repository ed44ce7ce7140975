import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import { assumeRolePolicy } from "./policy";

/** AWS managed policy that lets API Gateway create log groups and write execution logs in the account. */
export const API_GATEWAY_LOGS_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs";

/**
 * The access log format: one JSON object per request with the standard $context fields, so Logs
 * Insights can filter by status, caller or latency without parsing text.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
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

/** Name of the access log group of an API. */
export function accessLogGroupName(apiName: string): string {
  return `/aws/apigateway/${apiName}/access`;
}

/**
 * Name of the execution log group of a stage. API Gateway chooses this name itself, so Terraform
 * creates the group under it first to set retention and encryption.
 */
export function executionLogGroupName(restApiId: string, stageName: string): string {
  return `API-Gateway-Execution-Logs_${restApiId}/${stageName}`;
}

/** Props of {@link AccountLogRole}. */
export interface AccountLogRoleProps {
  readonly partition: string;
  /** Physical name of the role. */
  readonly roleName: string;
}

/**
 * API Gateway's account-level CloudWatch Logs role (aws_api_gateway_account). A stage cannot enable
 * execution or access logging until the account has one. The setting is one per account and region,
 * so only one stack there may manage it.
 */
export class AccountLogRole extends Construct {
  public readonly role: IamRole;
  public readonly account: ApiGatewayAccount;

  constructor(scope: Construct, id: string, props: AccountLogRoleProps) {
    super(scope, id);

    this.role = new IamRole(this, "Role", {
      name: props.roleName,
      description: "Lets API Gateway write execution and access logs to CloudWatch Logs in this account and region",
      assumeRolePolicy: assumeRolePolicy("apigateway.amazonaws.com"),
    });
    const policy = new IamRolePolicyAttachment(this, "PushToCloudWatchLogs", {
      role: this.role.name,
      policyArn: `arn:${props.partition}:iam::aws:policy/${API_GATEWAY_LOGS_POLICY}`,
    });

    // API Gateway checks the role's permissions when the setting is applied, so the policy comes first.
    this.account = new ApiGatewayAccount(this, "Resource", {
      cloudwatchRoleArn: this.role.arn,
      dependsOn: [policy],
    });
  }
}
