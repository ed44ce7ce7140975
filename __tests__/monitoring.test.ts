import { ChatbotSlackChannelConfiguration } from "@cdktf/provider-aws/lib/chatbot-slack-channel-configuration";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { CHATBOT_API_REGION } from "../stacks/application-stack";
import { synthEnvironment } from "./support/environments";
import { onlyResource, parseSynth, resourcesOfType, statement } from "./support/synthesized";

describe("Monitoring", () => {
  const json = synthEnvironment("prod");
  const stack = parseSynth(json);
  const topic = onlyResource(stack, "aws_sns_topic");
  const topicPolicy = onlyResource(stack, "aws_sns_topic_policy").policy;

  it("encrypts the alarm topic with the app key", () => {
    expect(topic.name).toBe("rdsproxy-prod-alarms");
    expect(topic.kms_master_key_id).toMatch(/aws_kms_key\.AppKey_\w+\.arn/);
  });

  it("lets the publishers use the app key", () => {
    const appKey = resourcesOfType(stack, "aws_kms_key").find((key) => key.description.startsWith("Application key"))!;
    const publishers = statement(appKey.policy, "AllowAlarmTopicPublishers");
    expect(publishers.Principal.Service).toEqual(["cloudwatch.amazonaws.com", "events.rds.amazonaws.com"]);
    expect(publishers.Action).toEqual(["kms:Decrypt", "kms:GenerateDataKey*"]);
    expect(publishers.Condition.StringEquals["aws:SourceAccount"]).toBe("222222222222");
  });

  it("lets CloudWatch alarms of this account publish", () => {
    const cloudwatch = statement(topicPolicy, "AllowCloudWatchAlarmsOfThisAccount");
    expect(cloudwatch.Action).toBe("SNS:Publish");
    expect(cloudwatch.Condition.StringEquals["aws:SourceAccount"]).toBe("222222222222");
    expect(cloudwatch.Condition.ArnLike["aws:SourceArn"]).toMatch(/:cloudwatch:ap-northeast-1:222222222222:alarm:\*$/);
  });

  it("lets RDS events of this account publish", () => {
    const rds = statement(topicPolicy, "AllowRdsEventsOfThisAccount");
    expect(rds.Principal.Service).toBe("events.rds.amazonaws.com");
    expect(rds.Condition.StringEquals["aws:SourceAccount"]).toBe("222222222222");
  });

  it("subscribes the monitoring e-mail address", () => {
    expect(json).toHaveResourceWithProperties(SnsTopicSubscription, {
      protocol: "email",
      endpoint: "notify-monitoring@example.com",
    });
  });

  it("configures the Slack channel through the Chatbot provider", () => {
    expect(json).toHaveResourceWithProperties(ChatbotSlackChannelConfiguration, {
      slack_team_id: "T8XXXXXXX",
      slack_channel_id: "C01YYYYYYYY",
      logging_level: "ERROR",
      provider: "aws.chatbot",
    });
    const chatbot = onlyResource(stack, "aws_chatbot_slack_channel_configuration");
    expect(chatbot.guardrail_policy_arns).toEqual([
      expect.stringMatching(/^arn:\$\{data\.aws_partition\.\w+\.partition\}:iam::aws:policy\/CloudWatchReadOnlyAccess$/),
    ]);
    const chatbotProvider = stack.provider.aws.find((provider) => provider.alias === "chatbot");
    expect(chatbotProvider?.region).toBe(CHATBOT_API_REGION);
  });

  it("lets the Chatbot role read alarms and metrics only", () => {
    const role = resourcesOfType(stack, "aws_iam_role").find((entry) => entry.name === "rdsproxy-prod-chatbot")!;
    expect(JSON.parse(role.assume_role_policy).Statement[0].Principal).toEqual({ Service: "chatbot.amazonaws.com" });
    const policies = resourcesOfType(stack, "aws_iam_role_policy").filter((entry) =>
      String(entry.role).includes("Monitoring_ChatbotRole"),
    );
    expect(policies).toHaveLength(1);
    const statements = JSON.parse(policies[0].policy).Statement;
    expect(statements).toEqual([
      {
        Sid: "ReadAlarmsAndMetrics",
        Effect: "Allow",
        Action: ["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"],
        Resource: "*",
      },
    ]);
    const attachments = resourcesOfType(stack, "aws_iam_role_policy_attachment").filter((entry) =>
      String(entry.role).includes("Monitoring_ChatbotRole"),
    );
    expect(attachments).toHaveLength(0);
  });
});
