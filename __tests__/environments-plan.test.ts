import * as path from "path";
import { Testing } from "cdktf";
import { FUNCTION_IMAGE_RETAINED_COUNT } from "../stacks/constructs/function-image";
import { countByType, planChanges, writeOfflineOverride } from "./support/terraform";
import { applicationStack, environmentWith, shippedEnvironments } from "./support/environments";

/** Resources every environment must plan, with their exact counts for the shipped settings. */
function expectedCounts(instanceCount: number, manageAccountLogRole: boolean): Record<string, number> {
  const accountLogRole = manageAccountLogRole ? 1 : 0;
  return {
    aws_vpc: 1,
    aws_subnet: 4,
    aws_route_table: 2,
    aws_route_table_association: 4,
    aws_default_security_group: 1,
    aws_vpc_endpoint: 1,
    aws_flow_log: 1,
    aws_kms_key: 2,
    aws_kms_alias: 2,
    aws_s3_bucket: 1,
    aws_s3_bucket_policy: 1,
    aws_s3_bucket_public_access_block: 1,
    aws_sns_topic: 1,
    aws_sns_topic_policy: 1,
    aws_sns_topic_subscription: 1,
    aws_chatbot_slack_channel_configuration: 1,
    // Data tier: the Aurora cluster, its instances, the RDS Proxy, events and alarms.
    aws_rds_cluster: 1,
    aws_rds_cluster_instance: instanceCount,
    aws_rds_cluster_parameter_group: 1,
    aws_db_subnet_group: 1,
    aws_db_proxy: 1,
    aws_db_proxy_default_target_group: 1,
    aws_db_proxy_target: 1,
    aws_db_event_subscription: 4,
    // Cluster, proxy and function security groups; the function's group adds one ingress and one egress rule.
    aws_security_group: 3,
    aws_vpc_security_group_ingress_rule: 2,
    aws_vpc_security_group_egress_rule: 2,
    // Cluster, proxy and function log groups, then the API's access and execution log groups.
    aws_cloudwatch_log_group: 3 + 2,
    // The Chatbot role, then the enhanced monitoring role, the proxy role and the function role.
    aws_iam_role: 4 + accountLogRole,
    // Inline policies of the Chatbot, proxy and function roles.
    aws_iam_role_policy: 3,
    // The enhanced monitoring role's managed policy, and the API Gateway log role's when managed.
    aws_iam_role_policy_attachment: 1 + accountLogRole,
    // Cluster CPU and three proxy alarms, then freeable memory and connections per instance, then four function alarms.
    aws_cloudwatch_metric_alarm: 4 + 2 * instanceCount + 4 + 3,
    // Function: the image repository (no docker resources in image-URI mode) and the function.
    aws_ecr_repository: 1,
    aws_ecr_lifecycle_policy: 1,
    aws_lambda_function: 1,
    docker_image: 0,
    docker_registry_image: 0,
    // REST API: GET /connect, its deployment and stage, the account log role when managed, and the dashboard.
    aws_api_gateway_rest_api: 1,
    aws_api_gateway_resource: 1,
    aws_api_gateway_method: 1,
    aws_api_gateway_integration: 1,
    aws_api_gateway_deployment: 1,
    aws_api_gateway_stage: 1,
    aws_api_gateway_method_settings: 1,
    aws_api_gateway_account: accountLogRole,
    aws_lambda_permission: 1,
    aws_cloudwatch_dashboard: 1,
  };
}

/** Returns an image URI in the environment's account and region, pinned by digest, as a pipeline would pass it. */
function pipelineImageUri(key: string): string {
  const { account, region } = shippedEnvironments()[key] as { account: string; region: string };
  return `${account}.dkr.ecr.${region}.amazonaws.com/rdsproxy-${key}-function@sha256:${"0123456789abcdef".repeat(4)}`;
}

// Planned in image-URI mode: a stack with the docker provider cannot be initialized offline.
describe.each(Object.keys(shippedEnvironments()))("environment %s", (key) => {
  const environment = environmentWith(key, { functionImageUri: pipelineImageUri(key) });
  const outdir = Testing.fullSynth(applicationStack(environment));
  const stackDir = path.join(outdir, "stacks", `rdsproxy-${key}`);
  writeOfflineOverride(stackDir);

  it("is valid Terraform", () => {
    expect(outdir).toBeValidTerraform();
  });

  it("plans successfully offline", () => {
    expect(outdir).toPlanSuccessfully();
  });

  it("plans every expected resource", () => {
    const changes = planChanges(stackDir);
    const counts = countByType(changes);
    const expected = expectedCounts(environment.dbInstanceCount, environment.apiManageAccountLogRole);
    for (const [type, count] of Object.entries(expected)) {
      expect({ type, count: counts[type] ?? 0 }).toEqual({ type, count });
    }
    expect(changes.every((change) => change.actions.join() === "create")).toBe(true);
    // Printed for the closing figures: resources planned per environment.
    console.log(`${key}: ${changes.length} resources planned`);
  });
});

describe("environment stage without the account log role", () => {
  const environment = environmentWith("stage", {
    functionImageUri: pipelineImageUri("stage"),
    apiManageAccountLogRole: false,
  });
  const outdir = Testing.fullSynth(applicationStack(environment));
  const stackDir = path.join(outdir, "stacks", "rdsproxy-stage");
  writeOfflineOverride(stackDir);

  it("plans without the API Gateway account setting and its role", () => {
    const changes = planChanges(stackDir);
    const counts = countByType(changes);
    for (const [type, count] of Object.entries(expectedCounts(environment.dbInstanceCount, false))) {
      expect({ type, count: counts[type] ?? 0 }).toEqual({ type, count });
    }
    expect(changes.map((change) => change.address).filter((address) => address.includes("AccountLogRole"))).toEqual([]);
  });
});

describe.each(Object.keys(shippedEnvironments()))("shipped environment %s in build mode", (key) => {
  const synthesized = JSON.parse(Testing.synth(applicationStack(environmentWith(key))));

  it("builds and pushes the function image", () => {
    expect(synthesized.provider.docker).toHaveLength(1);
    expect(Object.keys(synthesized.resource.docker_image)).toHaveLength(1);
    expect(Object.keys(synthesized.resource.docker_registry_image)).toHaveLength(1);
    expect(Object.keys(synthesized.data.aws_ecr_authorization_token)).toHaveLength(1);
  });

  it("runs the pushed digest", () => {
    const [lambda] = Object.values(synthesized.resource.aws_lambda_function) as { image_uri: string }[];
    expect(lambda.image_uri).toMatch(/^\$\{aws_ecr_repository\.\w+\.repository_url\}@\$\{docker_registry_image\.\w+\.sha256_digest\}$/);
    const [lifecycle] = Object.values(synthesized.resource.aws_ecr_lifecycle_policy) as { policy: string }[];
    expect(JSON.parse(lifecycle.policy).rules[0].selection.countNumber).toBe(FUNCTION_IMAGE_RETAINED_COUNT);
  });
});
