import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Annotations, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { dashboardConsoleUrl } from "./console-url";
import { AppKey } from "./constructs/app-key";
import { Dashboard } from "./constructs/dashboard";
import { Database } from "./constructs/database";
import { AppFunction } from "./constructs/function";
import { FunctionImage } from "./constructs/function-image";
import { Monitoring } from "./constructs/monitoring";
import { Networking } from "./constructs/networking";
import { RestApi } from "./constructs/rest-api";
import { AVAILABILITY_ZONE_COUNT, SUBNET_PREFIX_LENGTH, SUBNETS_PER_ZONE } from "./environment/core-fields";
import { EnvironmentConfig } from "./environment/environment";
import { carveSubnets } from "./environment/network-address";
import { configWarnings } from "./environment/warnings";
import { NAME_RULES, PROJECT_NAME, physicalName, stateKey } from "./naming";

/**
 * Region of the AWS Chatbot API. Chatbot configurations are global, but the API that manages them
 * is served from a few regions only.
 */
export const CHATBOT_API_REGION = "us-east-2";

/** Terraform versions the stacks accept: 1.10 added the S3 backend's native locking (use_lockfile). */
export const REQUIRED_TERRAFORM_VERSION = ">= 1.10.0";

/** Partition, account and region that every construct builds ARNs from. */
interface AccountScope {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
}

/** Props of {@link ApplicationStack}. */
export interface ApplicationStackProps {
  readonly environment: EnvironmentConfig;
}

/** One environment: provider, state backend, and every construct wired to the next. */
export class ApplicationStack extends TerraformStack {
  public readonly networking: Networking;
  public readonly appKey: AppKey;
  public readonly monitoring: Monitoring;
  public readonly database: Database;
  public readonly functionImage: FunctionImage;
  public readonly function: AppFunction;
  public readonly restApi: RestApi;
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ApplicationStackProps) {
    super(scope, id);
    const env = props.environment;
    const namePrefix = `${PROJECT_NAME}-${env.key}`;
    for (const warning of configWarnings(env)) {
      Annotations.of(this).addWarning(warning);
    }

    const chatbotProvider = this.configureProviders(env);
    this.configureStateBackend(env);
    const partitionData = new DataAwsPartition(this, "Partition");
    const partition = partitionData.partition;
    const account = { partition, accountId: env.account, region: env.region };

    this.networking = new Networking(this, "Networking", {
      ...account,
      vpcCidr: env.vpcCidr,
      availabilityZones: env.availabilityZones,
      subnetCidrs: carveSubnets(env.vpcCidr, SUBNET_PREFIX_LENGTH, AVAILABILITY_ZONE_COUNT * SUBNETS_PER_ZONE),
      namePrefix,
      flowLogBucketName: physicalName(env.key, `flowlogs-${env.account}-${env.region}`, NAME_RULES.s3Bucket),
    });

    this.appKey = new AppKey(this, "AppKey", { ...account, aliasName: `${namePrefix}-app` });

    this.monitoring = new Monitoring(this, "Monitoring", {
      ...account,
      namePrefix,
      appKey: this.appKey,
      notifyEmail: env.monitoringNotifyEmail,
      slackWorkspaceId: env.slackWorkspaceId,
      slackChannelId: env.slackChannelId,
      chatbotProvider,
    });

    this.database = this.createDatabase(env, account);

    this.functionImage = new FunctionImage(this, "FunctionImage", {
      accountId: env.account,
      region: env.region,
      dnsSuffix: partitionData.dnsSuffix,
      repositoryName: physicalName(env.key, "function", NAME_RULES.ecrRepository),
      appKey: this.appKey,
      runtime: env.functionRuntime,
      architecture: env.functionArchitecture,
      imageUri: env.functionImageUri,
    });
    this.function = this.createFunction(env, account);

    this.restApi = new RestApi(this, "RestApi", {
      partition,
      namePrefix,
      function: this.function.function,
      appKey: this.appKey,
      alarmTopic: this.monitoring.topic,
      settings: env,
    });

    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: namePrefix,
      region: env.region,
      apiName: this.restApi.api.name,
      stageName: this.restApi.stage.stageName,
      functionName: this.function.function.functionName,
      proxyName: this.database.proxyName,
      clusterIdentifier: this.database.clusterIdentifier,
      instanceIdentifiers: this.database.instanceIdentifiers,
      alarms: [...this.restApi.alarms, ...this.function.alarms, ...this.database.alarms.alarms],
    });

    this.addOutputs(env);
  }

  /** Configures the AWS providers (the environment's region, and the Chatbot API's) and returns the Chatbot one. */
  private configureProviders(env: EnvironmentConfig): AwsProvider {
    const defaultTags = [{ tags: { Environment: env.envName, Project: PROJECT_NAME } }];
    new AwsProvider(this, "aws", {
      region: env.region,
      allowedAccountIds: [env.account],
      defaultTags,
    });
    return new AwsProvider(this, "aws_chatbot", {
      alias: "chatbot",
      region: CHATBOT_API_REGION,
      allowedAccountIds: [env.account],
      defaultTags,
    });
  }

  private configureStateBackend(env: EnvironmentConfig): void {
    new S3Backend(this, {
      bucket: env.stateBucket,
      key: stateKey(env.key),
      region: env.region,
      encrypt: true,
    });
    // NOTE: cdktf 0.21's S3BackendConfig has no use_lockfile and TerraformStack no required_version.
    this.addOverride("terraform.backend.s3.use_lockfile", true);
    this.addOverride("terraform.required_version", REQUIRED_TERRAFORM_VERSION);
  }

  private createDatabase(env: EnvironmentConfig, account: AccountScope): Database {
    return new Database(this, "Database", {
      ...account,
      environmentKey: env.key,
      vpc: this.networking.vpc,
      subnets: this.networking.databaseSubnets,
      appKey: this.appKey,
      alarmTopic: this.monitoring.topic,
      engineMajorVersion: env.dbEngineMajorVersion,
      instanceCount: env.dbInstanceCount,
      instanceClass: env.dbInstanceClass,
      databaseName: env.dbName,
      masterUsername: env.dbUser,
      applicationUser:
        env.functionDbUser && env.functionDbUserSecretArn
          ? { name: env.functionDbUser, secretArn: env.functionDbUserSecretArn }
          : undefined,
      backupRetentionDays: env.dbBackupRetentionDays,
      deletionProtection: env.dbDeletionProtection,
      skipFinalSnapshot: env.dbSkipFinalSnapshot,
      monitoringIntervalSeconds: env.dbMonitoringIntervalSeconds,
      proxy: {
        maxConnectionsPercent: env.proxyMaxConnectionsPercent,
        maxIdleConnectionsPercent: env.proxyMaxIdleConnectionsPercent,
        connectionBorrowTimeoutSeconds: env.proxyConnectionBorrowTimeoutSeconds,
        idleClientTimeoutSeconds: env.proxyIdleClientTimeoutSeconds,
      },
      alarmThresholds: {
        cpuPercent: env.dbCpuAlarmPercent,
        freeableMemoryBytes: env.dbFreeableMemoryAlarmBytes,
        connectionsCount: env.dbConnectionsAlarmCount,
        proxyClientConnectionsCount: env.proxyClientConnectionsAlarmCount,
        proxyPinnedSessionsCount: env.proxyPinnedSessionsAlarmCount,
      },
    });
  }

  private createFunction(env: EnvironmentConfig, account: AccountScope): AppFunction {
    return new AppFunction(this, "Function", {
      ...account,
      functionName: physicalName(env.key, "function", NAME_RULES.lambdaFunction),
      imageUri: this.functionImage.imageUri,
      architecture: env.functionArchitecture,
      memoryMb: env.functionMemoryMb,
      timeoutSeconds: env.functionTimeoutSeconds,
      applicationLogLevel: env.functionApplicationLogLevel,
      systemLogLevel: env.functionSystemLogLevel,
      vpc: this.networking.vpc,
      subnets: this.networking.functionSubnets,
      database: this.database,
      appKey: this.appKey,
      alarmTopic: this.monitoring.topic,
      alarmThresholds: {
        errorsCount: env.functionErrorsAlarmCount,
        throttlesCount: env.functionThrottlesAlarmCount,
        concurrentExecutionsCount: env.functionConcurrentExecutionsAlarmCount,
        durationTimeoutFraction: env.functionDurationAlarmTimeoutFraction,
      },
    });
  }

  /** Adds the outputs that operators and CI read with `terraform output -json`. */
  private addOutputs(env: EnvironmentConfig): void {
    new TerraformOutput(this, "connect_url", {
      description: "Invoke URL of GET /connect on the environment's stage",
      value: this.restApi.connectUrl,
    });
    new TerraformOutput(this, "dashboard_url", {
      description: "CloudWatch console URL of the environment's dashboard",
      value: dashboardConsoleUrl(env.region, this.dashboard.dashboard.dashboardName),
    });
    new TerraformOutput(this, "function_name", {
      description: "Name of the Lambda function behind GET /connect",
      value: this.function.function.functionName,
    });
    new TerraformOutput(this, "function_image_uri", {
      description: "Image the function runs: the pushed digest in build mode, or functionImageUri as given",
      value: this.functionImage.imageUri,
    });
    new TerraformOutput(this, "alarm_topic_arn", {
      description: "ARN of the SNS topic that receives every alarm of the environment",
      value: this.monitoring.topic.arn,
    });
    new TerraformOutput(this, "proxy_endpoint", {
      description: "Host name of the RDS Proxy's default endpoint; clients connect here with TLS and an IAM auth token",
      value: this.database.proxyEndpoint,
    });
    new TerraformOutput(this, "cluster_endpoint", {
      description: "Writer endpoint of the Aurora cluster; reachable only from the proxy's security group",
      value: this.database.cluster.endpoint,
    });
    new TerraformOutput(this, "cluster_reader_endpoint", {
      description: "Reader endpoint of the Aurora cluster; reachable only from the proxy's security group",
      value: this.database.cluster.readerEndpoint,
    });
    new TerraformOutput(this, "master_secret_arn", {
      description: "ARN of the Secrets Manager secret in which RDS manages the master user's password",
      value: this.database.masterSecretArn,
    });
  }
}
