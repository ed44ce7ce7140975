import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { Construct } from "constructs";
import {
  FUNCTION_APPLICATION_LOG_LEVELS,
  FUNCTION_SYSTEM_LOG_LEVELS,
  FunctionArchitecture,
  MAX_FUNCTION_MEMORY_MB,
  MAX_FUNCTION_TIMEOUT_SECONDS,
  MIN_FUNCTION_MEMORY_MB,
  MIN_FUNCTION_TIMEOUT_SECONDS,
} from "../environment/function-fields";
import { AppKey } from "./app-key";
import { DatabaseConnection } from "./database-connection";
import { FunctionAlarmThresholds, addFunctionAlarms } from "./function-alarms";
import { FunctionRole } from "./function-role";

/**
 * Environment variables the handler images read (a fixed contract with lambda-image/): the region of
 * the IAM auth token, the proxy endpoint and port, the database name and the database user.
 */
export const DATABASE_ENVIRONMENT_VARIABLES = {
  region: "DB_REGION",
  proxyEndpoint: "DB_PROXY_ENDPOINT",
  port: "DB_PORT",
  databaseName: "DB_NAME",
  databaseUser: "DB_USER",
} as const;

/** Days the function's logs are kept. */
export const FUNCTION_LOG_RETENTION_DAYS = 90;

/** Props of {@link AppFunction}. */
export interface AppFunctionProps {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  /** Physical name of the function; also names its role, security group and alarms. */
  readonly functionName: string;
  /** ECR image URI the function runs, preferably pinned by digest. */
  readonly imageUri: string;
  /** Instruction set of the image. */
  readonly architecture: FunctionArchitecture;
  /** Memory in MB, within Lambda's 128 to 10,240. */
  readonly memoryMb: number;
  /** Timeout in seconds, within Lambda's 1 to 900. */
  readonly timeoutSeconds: number;
  readonly applicationLogLevel: (typeof FUNCTION_APPLICATION_LOG_LEVELS)[number];
  readonly systemLogLevel: (typeof FUNCTION_SYSTEM_LOG_LEVELS)[number];
  readonly vpc: Vpc;
  /** Subnets the function's network interfaces are placed in. */
  readonly subnets: readonly Subnet[];
  /** The database the function reaches through the RDS Proxy. */
  readonly database: DatabaseConnection;
  /** Encrypts the log group and the environment variables. */
  readonly appKey: AppKey;
  /** Topic of the function's alarms. */
  readonly alarmTopic: SnsTopic;
  readonly alarmThresholds: FunctionAlarmThresholds;
}

/**
 * The container-image Lambda function that connects to the database. It runs in the function subnets
 * with a security group whose only egress is the proxy port to the proxy's security group. It traces
 * with X-Ray, logs JSON to a log group created first, and has an execution role limited to what it uses.
 */
export class AppFunction extends Construct {
  public readonly function: LambdaFunction;
  public readonly role: FunctionRole;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly securityGroup: SecurityGroup;
  public readonly alarms: CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    checkProps(props);
    const { partition, accountId, region, functionName, database } = props;

    this.logGroup = new CloudwatchLogGroup(this, "LogGroup", {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: FUNCTION_LOG_RETENTION_DAYS,
      kmsKeyId: props.appKey.key.arn,
    });

    // The key policy already lets the account delegate key use to IAM, so the role's kms:Decrypt
    // statement is enough and the key policy gets no statement for the function.
    this.role = new FunctionRole(this, "Role", {
      partition,
      accountId,
      region,
      roleName: functionName,
      logGroupArn: this.logGroup.arn,
      appKeyArn: props.appKey.key.arn,
      proxyArn: database.proxyArn,
      databaseUser: database.databaseUser,
    });

    // No inline rules: Terraform removes the default allow-all egress rule of a new group, and the
    // separate rule below is then the only egress.
    this.securityGroup = new SecurityGroup(this, "SecurityGroup", {
      name: functionName,
      description: `Function ${functionName}: egress to the RDS Proxy only`,
      vpcId: props.vpc.id,
      tags: { Name: functionName },
    });
    new VpcSecurityGroupEgressRule(this, "EgressToProxy", {
      securityGroupId: this.securityGroup.id,
      description: "PostgreSQL to the RDS Proxy",
      ipProtocol: "tcp",
      fromPort: database.port,
      toPort: database.port,
      referencedSecurityGroupId: database.proxySecurityGroup.id,
    });
    database.allowClientSecurityGroup("Function", this.securityGroup);

    this.function = new LambdaFunction(this, "Resource", {
      functionName,
      description: "Connects to Aurora PostgreSQL through the RDS Proxy with IAM authentication and TLS",
      packageType: "Image",
      imageUri: props.imageUri,
      architectures: [props.architecture],
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      role: this.role.role.arn,
      tracingConfig: { mode: "Active" },
      loggingConfig: {
        logFormat: "JSON",
        applicationLogLevel: props.applicationLogLevel,
        systemLogLevel: props.systemLogLevel,
        logGroup: this.logGroup.name,
      },
      vpcConfig: {
        subnetIds: props.subnets.map((subnet) => subnet.id),
        securityGroupIds: [this.securityGroup.id],
      },
      environment: {
        variables: {
          [DATABASE_ENVIRONMENT_VARIABLES.region]: region,
          [DATABASE_ENVIRONMENT_VARIABLES.proxyEndpoint]: database.proxyEndpoint,
          [DATABASE_ENVIRONMENT_VARIABLES.port]: String(database.port),
          [DATABASE_ENVIRONMENT_VARIABLES.databaseName]: database.databaseName,
          [DATABASE_ENVIRONMENT_VARIABLES.databaseUser]: database.databaseUser,
        },
      },
      kmsKeyArn: props.appKey.key.arn,
      tags: { Name: functionName },
      // The log group must exist before Lambda writes to it, and Lambda checks the role's network
      // permissions when it creates a function in a VPC.
      dependsOn: [this.logGroup, this.role.policy],
    });

    this.alarms = addFunctionAlarms(this, {
      functionName: this.function.functionName,
      timeoutSeconds: props.timeoutSeconds,
      topic: props.alarmTopic,
      thresholds: props.alarmThresholds,
    });
  }
}

/** Throws one error that lists every prop outside Lambda's limits; the schema checks config values first. */
function checkProps(props: AppFunctionProps): void {
  const problems: string[] = [];
  if (!Number.isInteger(props.memoryMb) || props.memoryMb < MIN_FUNCTION_MEMORY_MB || props.memoryMb > MAX_FUNCTION_MEMORY_MB) {
    problems.push(`memoryMb ${props.memoryMb} must be a whole number from ${MIN_FUNCTION_MEMORY_MB} to ${MAX_FUNCTION_MEMORY_MB}`);
  }
  if (
    !Number.isInteger(props.timeoutSeconds) ||
    props.timeoutSeconds < MIN_FUNCTION_TIMEOUT_SECONDS ||
    props.timeoutSeconds > MAX_FUNCTION_TIMEOUT_SECONDS
  ) {
    problems.push(
      `timeoutSeconds ${props.timeoutSeconds} must be a whole number from ${MIN_FUNCTION_TIMEOUT_SECONDS} to ${MAX_FUNCTION_TIMEOUT_SECONDS}`,
    );
  }
  if (props.subnets.length === 0) {
    problems.push("subnets must list at least one subnet");
  }
  if (problems.length > 0) {
    throw new Error(`AppFunction ${props.functionName}: ${problems.join("; ")}`);
  }
}
