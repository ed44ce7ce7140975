import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";

/** Connection details a database client needs to reach the database through the RDS Proxy. */
export interface DatabaseConnection {
  /** Host name of the proxy's default endpoint. */
  readonly proxyEndpoint: string;
  /** ARN of the proxy; its last part (`prx-…`) is the resource id in `rds-db:connect` ARNs. */
  readonly proxyArn: string;
  /** Port the proxy listens on. */
  readonly port: number;
  readonly databaseName: string;
  /** Database user the client connects as with an IAM auth token. */
  readonly databaseUser: string;
  /** Security group of the proxy; clients open egress to it. */
  readonly proxySecurityGroup: SecurityGroup;
  /** Lets a client security group connect to the proxy port (adds one ingress rule to the proxy's group). */
  allowClientSecurityGroup(id: string, clientSecurityGroup: SecurityGroup): void;
}
