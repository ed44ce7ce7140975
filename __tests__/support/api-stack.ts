import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { TerraformStack, Testing } from "cdktf";
import { AppKey } from "../../stacks/constructs/app-key";
import { assumeRolePolicy } from "../../stacks/constructs/policy";
import { RestApi } from "../../stacks/constructs/rest-api";
import { environmentWith } from "./environments";

/** Name of the stand-in function in {@link restApiTestStack}. */
export const TEST_FUNCTION_NAME = "rdsproxy-test-connect";

/** A test stack with the REST API in front of a minimal image function, and the handles it was built from. */
export interface RestApiTestStack {
  readonly stack: TerraformStack;
  readonly restApi: RestApi;
  readonly function: LambdaFunction;
  readonly topic: SnsTopic;
}

/**
 * Builds a stack with a provider, the app key, an alarm topic, a minimal image function and the
 * REST API, for one shipped environment with some fields replaced.
 */
export function restApiTestStack(environmentKey: string, changes: Record<string, unknown> = {}): RestApiTestStack {
  const settings = environmentWith(environmentKey, changes);
  const stack = new TerraformStack(Testing.app(), "test");
  new AwsProvider(stack, "aws", { region: settings.region });
  const account = { partition: "aws", accountId: settings.account, region: settings.region };

  const appKey = new AppKey(stack, "AppKey", { ...account, aliasName: "rdsproxy-test-app" });
  const topic = new SnsTopic(stack, "Topic", { name: "rdsproxy-test-alarms" });
  const role = new IamRole(stack, "FunctionRole", {
    name: "rdsproxy-test-function",
    assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
  });
  const fn = new LambdaFunction(stack, "Function", {
    functionName: TEST_FUNCTION_NAME,
    role: role.arn,
    packageType: "Image",
    imageUri: `${settings.account}.dkr.ecr.${settings.region}.amazonaws.com/rdsproxy-test:latest`,
  });

  const restApi = new RestApi(stack, "RestApi", {
    partition: "aws",
    namePrefix: `rdsproxy-${settings.key}`,
    function: fn,
    appKey,
    alarmTopic: topic,
    settings,
  });
  return { stack, restApi, function: fn, topic };
}
