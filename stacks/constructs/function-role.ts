import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { PolicyStatement, assumeRolePolicy, policyDocument } from "./policy";

/** Props of {@link FunctionRole}. */
export interface FunctionRoleProps {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  /** Role name, such as `rdsproxy-dev-function`. */
  readonly roleName: string;
  /** ARN of the function's log group (without the `:*` suffix). */
  readonly logGroupArn: string;
  /** ARN of the key that encrypts the function's environment variables. */
  readonly appKeyArn: string;
  /** ARN of the RDS Proxy the function connects through. */
  readonly proxyArn: string;
  /** Database user the function connects as with an IAM auth token. */
  readonly databaseUser: string;
}

/**
 * Returns the `rds-db:connect` resource of one database user at an RDS Proxy. The resource id is the
 * `prx-…` part of the proxy ARN (`arn:<partition>:rds:<region>:<account>:db-proxy:prx-…`), not the
 * proxy name and not the cluster's resource id.
 */
export function proxyDatabaseUserArn(
  partition: string,
  region: string,
  accountId: string,
  proxyArn: string,
  databaseUser: string,
): string {
  const proxyResourceId = Fn.element(Fn.split(":", proxyArn), 6);
  return `arn:${partition}:rds-db:${region}:${accountId}:dbuser:${proxyResourceId}/${databaseUser}`;
}

/**
 * The function's execution role with one inline policy. Inline statements replace
 * AWSLambdaVPCAccessExecutionRole, because that managed policy also allows writing to every log group.
 */
export class FunctionRole extends Construct {
  public readonly role: IamRole;
  /** The inline policy; the function depends on it, because Lambda checks the network permissions at creation. */
  public readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: FunctionRoleProps) {
    super(scope, id);
    const { partition, accountId, region } = props;

    this.role = new IamRole(this, "Resource", {
      name: props.roleName,
      description: "Execution role of the function that connects to the database through the RDS Proxy",
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
    });

    const statements: PolicyStatement[] = [
      {
        // Lambda manages the function's network interfaces in its subnets. The Describe actions
        // support no resource-level restriction, and Lambda names no interface before it creates one.
        Sid: "ManageNetworkInterfacesForVpcAccess",
        Effect: "Allow",
        Action: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: "*",
      },
      {
        // X-Ray has no resource-level permissions for these actions.
        Sid: "WriteTraces",
        Effect: "Allow",
        Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        Resource: "*",
      },
      {
        Sid: "WriteOwnLogGroup",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [props.logGroupArn, `${props.logGroupArn}:*`],
      },
      {
        Sid: "DecryptEnvironmentVariables",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: props.appKeyArn,
      },
      {
        Sid: "ConnectToDatabaseThroughProxy",
        Effect: "Allow",
        Action: "rds-db:connect",
        Resource: proxyDatabaseUserArn(partition, region, accountId, props.proxyArn, props.databaseUser),
      },
    ];
    this.policy = new IamRolePolicy(this, "Policy", {
      name: "function-access",
      role: this.role.name,
      policy: policyDocument(statements),
    });
  }
}
