import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Testing, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AppKey } from "../stacks/constructs/app-key";
import { DatabaseConnection } from "../stacks/constructs/database-connection";
import { AppFunction, AppFunctionProps, DATABASE_ENVIRONMENT_VARIABLES, FUNCTION_LOG_RETENTION_DAYS } from "../stacks/constructs/function";
import { DEFAULT_IMAGE_FOLDER_ROOT, FunctionImage } from "../stacks/constructs/function-image";
import { LOCAL_ONLY_FOLDER_NAMES } from "../stacks/constructs/image-context";
import {
  DEFAULT_FUNCTION_CONCURRENT_EXECUTIONS_ALARM_COUNT,
  DEFAULT_FUNCTION_DURATION_ALARM_TIMEOUT_FRACTION,
  DEFAULT_FUNCTION_ERRORS_ALARM_COUNT,
  DEFAULT_FUNCTION_MEMORY_MB,
  DEFAULT_FUNCTION_THROTTLES_ALARM_COUNT,
  DEFAULT_FUNCTION_TIMEOUT_SECONDS,
  FunctionRuntime,
} from "../stacks/environment/function-fields";

const ACCOUNT = "123456789012";
const REGION = "ap-northeast-1";
const FUNCTION_NAME = "rdsproxy-test-function";
const PROXY_ARN = `arn:aws:rds:${REGION}:${ACCOUNT}:db-proxy:prx-0123456789abcdef0`;
const PINNED_URI = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/rdsproxy-test-function@sha256:${"cd".repeat(32)}`;

/** A stand-in for the database construct: a real proxy security group and fixed strings for the rest. */
class FakeDatabase implements DatabaseConnection {
  public readonly proxyEndpoint = "rdsproxy-test.proxy-abcdefghijkl.ap-northeast-1.rds.amazonaws.com";
  public readonly proxyArn = PROXY_ARN;
  public readonly port = 5432;
  public readonly databaseName = "appdb";
  public readonly databaseUser = "dbadmin";
  public readonly proxySecurityGroup: SecurityGroup;
  public readonly clients: { id: string; group: SecurityGroup }[] = [];

  constructor(private readonly scope: Construct, vpc: Vpc) {
    this.proxySecurityGroup = new SecurityGroup(scope, "ProxySecurityGroup", { name: "proxy", vpcId: vpc.id });
  }

  public allowClientSecurityGroup(id: string, clientSecurityGroup: SecurityGroup): void {
    this.clients.push({ id, group: clientSecurityGroup });
    new VpcSecurityGroupIngressRule(this.scope, `ProxyIngressFrom${id}`, {
      securityGroupId: this.proxySecurityGroup.id,
      ipProtocol: "tcp",
      fromPort: this.port,
      toPort: this.port,
      referencedSecurityGroupId: clientSecurityGroup.id,
    });
  }
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;

interface Built {
  readonly json: string;
  readonly resources: Resources;
  readonly database: FakeDatabase;
  readonly fn: AppFunction;
}

/** Builds a test stack with the function's neighbours and one AppFunction. */
function buildFunction(changes: Partial<AppFunctionProps> = {}, imageFor?: (stack: TerraformStack, appKey: AppKey) => string): Built {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new AwsProvider(stack, "aws", { region: REGION });
  const appKey = new AppKey(stack, "AppKey", { partition: "aws", accountId: ACCOUNT, region: REGION, aliasName: "test-app" });
  const vpc = new Vpc(stack, "Vpc", { cidrBlock: "10.0.0.0/16" });
  const subnets = ["10.0.0.0/22", "10.0.4.0/22"].map(
    (cidrBlock, index) => new Subnet(stack, `Subnet${index}`, { vpcId: vpc.id, cidrBlock }),
  );
  const topic = new SnsTopic(stack, "Topic", { name: "alarms" });
  const database = new FakeDatabase(stack, vpc);
  const fn = new AppFunction(stack, "Function", {
    partition: "aws",
    accountId: ACCOUNT,
    region: REGION,
    functionName: FUNCTION_NAME,
    imageUri: imageFor ? imageFor(stack, appKey) : PINNED_URI,
    architecture: "x86_64",
    memoryMb: DEFAULT_FUNCTION_MEMORY_MB,
    timeoutSeconds: DEFAULT_FUNCTION_TIMEOUT_SECONDS,
    applicationLogLevel: "INFO",
    systemLogLevel: "WARN",
    vpc,
    subnets,
    database,
    appKey,
    alarmTopic: topic,
    alarmThresholds: {
      errorsCount: DEFAULT_FUNCTION_ERRORS_ALARM_COUNT,
      throttlesCount: DEFAULT_FUNCTION_THROTTLES_ALARM_COUNT,
      concurrentExecutionsCount: DEFAULT_FUNCTION_CONCURRENT_EXECUTIONS_ALARM_COUNT,
      durationTimeoutFraction: DEFAULT_FUNCTION_DURATION_ALARM_TIMEOUT_FRACTION,
    },
    ...changes,
  });
  const json = Testing.synth(stack);
  return { json, resources: JSON.parse(json).resource, database, fn };
}

function only(built: Built, type: string): { address: string; body: Record<string, unknown> } {
  const entries = Object.entries(built.resources[type] ?? {});
  expect(entries).toHaveLength(1);
  return { address: `${type}.${entries[0][0]}`, body: entries[0][1] };
}

function ref(built: Built, type: string, attribute: string): string {
  return `\${${only(built, type).address}.${attribute}}`;
}

function refByName(built: Built, type: string, name: string, attribute: string): string {
  const names = Object.keys(built.resources[type] ?? {}).filter((key) => key.startsWith(name));
  expect(names).toHaveLength(1);
  return `\${${type}.${names[0]}.${attribute}}`;
}

interface Statement {
  readonly Sid: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: string | string[];
}

/**
 * Parses a policy document that contains Terraform expressions. An expression such as
 * `${element(split(":", x), 6)}` has quotes that Terraform reads before the JSON, so they are escaped here.
 */
function statementsOf(policy: unknown): Statement[] {
  const escaped = String(policy).replace(/\$\{[^{}]*\}/g, (expression) => JSON.stringify(expression).slice(1, -1));
  return JSON.parse(escaped).Statement;
}

function functionStatements(built: Built): Statement[] {
  return statementsOf(only(built, "aws_iam_role_policy").body.policy);
}

/**
 * Evaluates a string as Terraform reads it from JSON configuration (a template), with `terraform console`
 * in a folder that has only that local value: no provider, no state, no network.
 */
function evaluateTemplate(template: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "terraform-console-"));
  try {
    fs.writeFileSync(path.join(folder, "main.tf.json"), JSON.stringify({ locals: { evaluated: template } }));
    const output = execFileSync("terraform", ["console"], { cwd: folder, input: "local.evaluated\n", encoding: "utf8" });
    return JSON.parse(output.trim());
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

describe("AppFunction Lambda function", () => {
  const built = buildFunction();
  const lambda = only(built, "aws_lambda_function").body;

  it("runs the image with the configured sizing", () => {
    expect(built.json).toHaveResourceWithProperties({ tfResourceType: "aws_lambda_function" }, {
      function_name: FUNCTION_NAME,
      package_type: "Image",
      image_uri: PINNED_URI,
      architectures: ["x86_64"],
      memory_size: 512,
      timeout: 25,
    });
  });

  it("has no zip-package arguments", () => {
    expect(lambda).not.toHaveProperty("runtime");
    expect(lambda).not.toHaveProperty("handler");
    expect(lambda).not.toHaveProperty("filename");
  });

  it("traces with X-Ray", () => {
    expect(lambda.tracing_config).toEqual({ mode: "Active" });
  });

  it("logs JSON to its own log group", () => {
    expect(lambda.logging_config).toEqual({
      log_format: "JSON",
      application_log_level: "INFO",
      system_log_level: "WARN",
      log_group: ref(built, "aws_cloudwatch_log_group", "name"),
    });
  });

  it("runs in the function subnets with its own security group", () => {
    expect(lambda.vpc_config).toEqual({
      subnet_ids: [refByName(built, "aws_subnet", "Subnet0", "id"), refByName(built, "aws_subnet", "Subnet1", "id")],
      security_group_ids: [refByName(built, "aws_security_group", "Function_SecurityGroup", "id")],
    });
  });

  it("passes the connection settings in encrypted variables", () => {
    expect(lambda.environment).toEqual({
      variables: {
        DB_REGION: REGION,
        DB_PROXY_ENDPOINT: built.database.proxyEndpoint,
        DB_PORT: "5432",
        DB_NAME: "appdb",
        DB_USER: "dbadmin",
      },
    });
    expect(Object.values(DATABASE_ENVIRONMENT_VARIABLES).sort()).toEqual(["DB_NAME", "DB_PORT", "DB_PROXY_ENDPOINT", "DB_REGION", "DB_USER"]);
    expect(lambda.kms_key_arn).toBe(ref(built, "aws_kms_key", "arn"));
  });

  it("depends on its log group and role policy", () => {
    expect(lambda.depends_on).toEqual([only(built, "aws_cloudwatch_log_group").address, only(built, "aws_iam_role_policy").address]);
    expect(lambda.role).toBe(ref(built, "aws_iam_role", "arn"));
  });
});

describe("AppFunction log group", () => {
  it("is named after the function, kept and encrypted", () => {
    const built = buildFunction();
    expect(only(built, "aws_cloudwatch_log_group").body).toEqual({
      name: `/aws/lambda/${FUNCTION_NAME}`,
      retention_in_days: FUNCTION_LOG_RETENTION_DAYS,
      kms_key_id: ref(built, "aws_kms_key", "arn"),
    });
    expect(FUNCTION_LOG_RETENTION_DAYS).toBe(90);
  });
});

describe("AppFunction network", () => {
  const built = buildFunction();
  const functionGroup = refByName(built, "aws_security_group", "Function_SecurityGroup", "id");

  it("reaches only the proxy on the database port", () => {
    const egress = only(built, "aws_vpc_security_group_egress_rule").body;
    expect(egress).toEqual({
      security_group_id: functionGroup,
      description: "PostgreSQL to the RDS Proxy",
      ip_protocol: "tcp",
      from_port: 5432,
      to_port: 5432,
      referenced_security_group_id: refByName(built, "aws_security_group", "ProxySecurityGroup", "id"),
    });
  });

  it("has no other egress", () => {
    const group = Object.entries(built.resources.aws_security_group).find(([name]) => name.startsWith("Function_"));
    expect(group?.[1]).not.toHaveProperty("egress");
    expect(group?.[1]).not.toHaveProperty("ingress");
    expect(built.resources.aws_security_group_rule).toBeUndefined();
    expect(built.json).not.toContain("cidr_ipv4");
    expect(built.json).not.toContain("prefix_list_id");
  });

  it("asks the database to admit its group", () => {
    expect(built.database.clients.map((client) => client.id)).toEqual(["Function"]);
    expect(built.database.clients[0].group).toBe(built.fn.securityGroup);
    expect(only(built, "aws_vpc_security_group_ingress_rule").body.referenced_security_group_id).toBe(functionGroup);
  });
});

describe("AppFunction role", () => {
  const built = buildFunction();
  const statements = functionStatements(built);
  const bySid = (sid: string): Statement | undefined => statements.find((statement) => statement.Sid === sid);

  it("trusts only Lambda", () => {
    const trust = JSON.parse(String(only(built, "aws_iam_role").body.assume_role_policy));
    expect(trust.Statement).toEqual([
      { Sid: "AllowServiceToAssumeRole", Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
  });

  it("grants exactly five statements", () => {
    expect(statements.map((statement) => statement.Sid)).toEqual([
      "ManageNetworkInterfacesForVpcAccess",
      "WriteTraces",
      "WriteOwnLogGroup",
      "DecryptEnvironmentVariables",
      "ConnectToDatabaseThroughProxy",
    ]);
    expect(statements.every((statement) => statement.Effect === "Allow")).toBe(true);
  });

  it("manages network interfaces for VPC access", () => {
    expect(bySid("ManageNetworkInterfacesForVpcAccess")?.Action).toEqual([
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]);
  });

  it("writes X-Ray traces", () => {
    expect(bySid("WriteTraces")?.Action).toEqual(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]);
  });

  it("writes logs to its own log group only", () => {
    const logGroupArn = ref(built, "aws_cloudwatch_log_group", "arn");
    expect(bySid("WriteOwnLogGroup")).toEqual({
      Sid: "WriteOwnLogGroup",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [logGroupArn, `${logGroupArn}:*`],
    });
    const logStatements = statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith("logs:")));
    expect(logStatements).toHaveLength(1);
  });

  it("decrypts with the app key only", () => {
    expect(bySid("DecryptEnvironmentVariables")?.Action).toBe("kms:Decrypt");
    expect(bySid("DecryptEnvironmentVariables")?.Resource).toBe(ref(built, "aws_kms_key", "arn"));
  });

  it("connects as the database user at the proxy", () => {
    expect(bySid("ConnectToDatabaseThroughProxy")?.Action).toBe("rds-db:connect");
    expect(bySid("ConnectToDatabaseThroughProxy")?.Resource).toBe(
      `arn:aws:rds-db:${REGION}:${ACCOUNT}:dbuser:\${element(split(":", "${PROXY_ARN}"), 6)}/dbadmin`,
    );
  });

  it("names the proxy resource id in rds-db:connect", () => {
    const resource = String(bySid("ConnectToDatabaseThroughProxy")?.Resource);
    expect(evaluateTemplate(resource)).toBe(`arn:aws:rds-db:${REGION}:${ACCOUNT}:dbuser:prx-0123456789abcdef0/dbadmin`);
  });

  it("uses no managed policy", () => {
    expect(built.resources.aws_iam_role_policy_attachment).toBeUndefined();
    expect(only(built, "aws_iam_role").body).not.toHaveProperty("managed_policy_arns");
  });

  it("adds nothing to the key policy", () => {
    const keyPolicy = String(only(built, "aws_kms_key").body.policy);
    expect(keyPolicy).not.toContain("aws_iam_role");
  });
});

describe("AppFunction alarms", () => {
  const built = buildFunction();
  const alarms = Object.values(built.resources.aws_cloudwatch_metric_alarm);
  const byMetric = (metric: string): Record<string, unknown> | undefined => alarms.find((alarm) => alarm.metric_name === metric);
  const topic = ref(built, "aws_sns_topic", "arn");
  const functionNameRef = ref(built, "aws_lambda_function", "function_name");

  it("watches four metrics", () => {
    expect(alarms.map((alarm) => alarm.metric_name).sort()).toEqual(["ConcurrentExecutions", "Duration", "Errors", "Throttles"]);
  });

  it.each([
    ["Errors", "Sum", DEFAULT_FUNCTION_ERRORS_ALARM_COUNT],
    ["Throttles", "Sum", DEFAULT_FUNCTION_THROTTLES_ALARM_COUNT],
    ["ConcurrentExecutions", "Maximum", DEFAULT_FUNCTION_CONCURRENT_EXECUTIONS_ALARM_COUNT],
  ])("alarms on %s", (metric, statistic, threshold) => {
    expect(byMetric(metric)).toMatchObject({
      namespace: "AWS/Lambda",
      dimensions: { FunctionName: functionNameRef },
      statistic,
      threshold,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      alarm_actions: [topic],
      ok_actions: [topic],
    });
  });

  it("alarms on p99 duration near the timeout", () => {
    const duration = byMetric("Duration");
    expect(duration).toMatchObject({
      extended_statistic: "p99",
      threshold: 20000,
      comparison_operator: "GreaterThanThreshold",
      alarm_actions: [topic],
    });
    expect(duration).not.toHaveProperty("statistic");
  });

  it("scales the duration threshold with the timeout", () => {
    const longer = buildFunction({ timeoutSeconds: 60 });
    const duration = Object.values(longer.resources.aws_cloudwatch_metric_alarm).find((alarm) => alarm.metric_name === "Duration");
    expect(duration?.threshold).toBe(48000);
  });

  it("says what to check first", () => {
    for (const alarm of alarms) {
      expect(String(alarm.alarm_description)).toMatch(/Check .+ first/);
    }
  });
});

describe("AppFunction image modes", () => {
  let scratch: string;
  let imageFolderRoot: string;

  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "function-test-"));
    imageFolderRoot = path.join(scratch, "lambda-image");
    fs.cpSync(DEFAULT_IMAGE_FOLDER_ROOT, imageFolderRoot, {
      recursive: true,
      filter: (source) => !LOCAL_ONLY_FOLDER_NAMES.has(path.basename(source)),
    });
  });

  afterAll(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  const imageFor =
    (runtime: FunctionRuntime, imageUri?: string) =>
    (stack: TerraformStack, appKey: AppKey): string =>
      new FunctionImage(stack, "FunctionImage", {
        accountId: ACCOUNT,
        region: REGION,
        dnsSuffix: new DataAwsPartition(stack, "Partition").dnsSuffix,
        repositoryName: FUNCTION_NAME,
        appKey,
        runtime,
        architecture: "x86_64",
        imageUri,
        imageFolderRoot,
        stagingRoot: path.join(scratch, "staging"),
      }).imageUri;

  it.each(["python", "nodejs"] as const)("runs the pushed digest of the %s build", (runtime) => {
    const built = buildFunction({}, imageFor(runtime));
    expect(only(built, "aws_lambda_function").body.image_uri).toBe(
      `${ref(built, "aws_ecr_repository", "repository_url")}@${ref(built, "docker_registry_image", "sha256_digest")}`,
    );
    expect(String((only(built, "docker_image").body.build as Record<string, unknown>).context)).toMatch(/^assets\//);
  });

  it.each(["python", "nodejs"] as const)("runs the given URI with the %s runtime", (runtime) => {
    const built = buildFunction({}, imageFor(runtime, PINNED_URI));
    expect(only(built, "aws_lambda_function").body.image_uri).toBe(PINNED_URI);
    expect(built.resources.docker_image).toBeUndefined();
  });

  it("runs arm64 when asked", () => {
    const built = buildFunction({ architecture: "arm64" });
    expect(only(built, "aws_lambda_function").body.architectures).toEqual(["arm64"]);
  });
});

describe("AppFunction props", () => {
  it.each([
    [{ memoryMb: 64 }, "memoryMb 64 must be a whole number from 128 to 10240"],
    [{ memoryMb: 10241 }, "memoryMb 10241 must be a whole number from 128 to 10240"],
    [{ timeoutSeconds: 0 }, "timeoutSeconds 0 must be a whole number from 1 to 900"],
    [{ timeoutSeconds: 901 }, "timeoutSeconds 901 must be a whole number from 1 to 900"],
    [{ subnets: [] }, "subnets must list at least one subnet"],
  ])("rejects %j", (changes, message) => {
    expect(() => buildFunction(changes as Partial<AppFunctionProps>)).toThrow(`AppFunction ${FUNCTION_NAME}: ${message}`);
  });

  it("lists every problem at once", () => {
    expect(() => buildFunction({ memoryMb: 64, timeoutSeconds: 0 })).toThrow(
      `AppFunction ${FUNCTION_NAME}: memoryMb 64 must be a whole number from 128 to 10240; ` +
        "timeoutSeconds 0 must be a whole number from 1 to 900",
    );
  });
});
