import { ChatbotSlackChannelConfiguration } from "@cdktf/provider-aws/lib/chatbot-slack-channel-configuration";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { AppKey } from "./app-key";
import { assumeRolePolicy, policyDocument } from "./policy";

/**
 * Actions the Chatbot role may take: read alarms and metrics to render notifications. Log reads are
 * left out, because every member of the Slack channel acts through this role.
 */
export const CHATBOT_ROLE_ACTIONS = ["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"];
/** AWS managed policy that caps what any Slack user can do through the channel, whatever the role allows. */
export const CHATBOT_GUARDRAIL_POLICY = "CloudWatchReadOnlyAccess";
/** Chatbot logs errors only, so Slack message contents stay out of CloudWatch Logs. */
export const CHATBOT_LOGGING_LEVEL = "ERROR";

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  readonly namePrefix: string;
  /** Encrypts the topic; its policy gets the statements that let the publishers use it. */
  readonly appKey: AppKey;
  readonly notifyEmail: string;
  readonly slackWorkspaceId: string;
  readonly slackChannelId: string;
  /** Provider in a region where the AWS Chatbot API is served; the configuration itself is global. */
  readonly chatbotProvider: AwsProvider;
}

/**
 * The alarm topic (encrypted with the app key), its e-mail subscription, a policy that lets this
 * account's CloudWatch alarms and RDS events publish, and the AWS Chatbot Slack channel.
 */
export class Monitoring extends Construct {
  public readonly topic: SnsTopic;
  public readonly chatbotRole: IamRole;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { partition, accountId, region, namePrefix } = props;

    // Publishers to an encrypted topic need the key; scoped to this account's resources.
    props.appKey.addToPolicy({
      Sid: "AllowAlarmTopicPublishers",
      Effect: "Allow",
      Principal: { Service: ["cloudwatch.amazonaws.com", "events.rds.amazonaws.com"] },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": accountId } },
    });

    this.topic = new SnsTopic(this, "Resource", {
      name: `${namePrefix}-alarms`,
      displayName: `${namePrefix} alarms`,
      kmsMasterKeyId: props.appKey.key.arn,
    });

    new SnsTopicPolicy(this, "Policy", {
      arn: this.topic.arn,
      policy: policyDocument([
        {
          Sid: "AllowAccountToManageTopic",
          Effect: "Allow",
          Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
          Action: [
            "SNS:GetTopicAttributes",
            "SNS:SetTopicAttributes",
            "SNS:AddPermission",
            "SNS:RemovePermission",
            "SNS:DeleteTopic",
            "SNS:Subscribe",
            "SNS:ListSubscriptionsByTopic",
            "SNS:Publish",
          ],
          Resource: this.topic.arn,
        },
        {
          Sid: "AllowCloudWatchAlarmsOfThisAccount",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: "SNS:Publish",
          Resource: this.topic.arn,
          Condition: {
            StringEquals: { "aws:SourceAccount": accountId },
            ArnLike: { "aws:SourceArn": `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*` },
          },
        },
        {
          Sid: "AllowRdsEventsOfThisAccount",
          Effect: "Allow",
          Principal: { Service: "events.rds.amazonaws.com" },
          Action: "SNS:Publish",
          Resource: this.topic.arn,
          Condition: {
            StringEquals: { "aws:SourceAccount": accountId },
            ArnLike: { "aws:SourceArn": `arn:${partition}:rds:${region}:${accountId}:es:*` },
          },
        },
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "SNS:Publish",
          Resource: this.topic.arn,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]),
    });

    new SnsTopicSubscription(this, "EmailSubscription", {
      topicArn: this.topic.arn,
      protocol: "email",
      endpoint: props.notifyEmail,
    });

    this.chatbotRole = new IamRole(this, "ChatbotRole", {
      name: `${namePrefix}-chatbot`,
      description: "Lets AWS Chatbot read CloudWatch data for the alarm Slack channel",
      assumeRolePolicy: assumeRolePolicy("chatbot.amazonaws.com"),
    });
    new IamRolePolicy(this, "ChatbotRolePolicy", {
      role: this.chatbotRole.name,
      policy: policyDocument([
        { Sid: "ReadAlarmsAndMetrics", Effect: "Allow", Action: CHATBOT_ROLE_ACTIONS, Resource: "*" },
      ]),
    });

    new ChatbotSlackChannelConfiguration(this, "SlackChannel", {
      provider: props.chatbotProvider,
      configurationName: `${namePrefix}-alarms`,
      iamRoleArn: this.chatbotRole.arn,
      slackTeamId: props.slackWorkspaceId,
      slackChannelId: props.slackChannelId,
      snsTopicArns: [this.topic.arn],
      guardrailPolicyArns: [`arn:${partition}:iam::aws:policy/${CHATBOT_GUARDRAIL_POLICY}`],
      loggingLevel: CHATBOT_LOGGING_LEVEL,
      userAuthorizationRequired: false,
    });
  }
}
