import * as path from "path";
import { Testing } from "cdktf";
import { countByType, planChanges, writeOfflineOverride } from "./support/terraform";
import { applicationStack, environmentWith, shippedEnvironments } from "./support/environments";

/** Resources every environment must plan, with their exact counts for the shipped settings. */
function expectedCounts(instanceCount: number): Record<string, number> {
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
    aws_security_group: 2,
    aws_vpc_security_group_ingress_rule: 1,
    aws_vpc_security_group_egress_rule: 1,
    aws_cloudwatch_log_group: 2,
    // The Chatbot role, then the enhanced monitoring role and the proxy role.
    aws_iam_role: 3,
    aws_iam_role_policy: 1,
    aws_iam_role_policy_attachment: 2,
    // Cluster CPU and three proxy alarms, then freeable memory and connections per instance.
    aws_cloudwatch_metric_alarm: 4 + 2 * instanceCount,
  };
}

describe.each(Object.keys(shippedEnvironments()))("environment %s", (key) => {
  const environment = environmentWith(key);
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
    for (const [type, count] of Object.entries(expectedCounts(environment.dbInstanceCount))) {
      expect({ type, count: counts[type] ?? 0 }).toEqual({ type, count });
    }
    expect(changes.every((change) => change.actions.join() === "create")).toBe(true);
    // Printed for the closing figures: resources planned per environment.
    console.log(`${key}: ${changes.length} resources planned`);
  });
});
