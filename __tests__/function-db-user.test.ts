import { DbProxy } from "@cdktf/provider-aws/lib/db-proxy";
import * as path from "path";
import { Testing } from "cdktf";
import { parseEnvironments } from "../stacks/environment/environment";
import { applicationStack, environmentWith, shippedEnvironments, synthEnvironment } from "./support/environments";
import { planChanges, writeOfflineOverride } from "./support/terraform";
import { onlyResource, parseSynth, resourcesOfType } from "./support/synthesized";

const SECRET_ARN = "arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:rdsproxy/stage/app_user-AbCdEf";
const APP_USER = { functionDbUser: "app_user", functionDbUserSecretArn: SECRET_ARN };

describe("function database user", () => {
  const json = synthEnvironment("stage", APP_USER);
  const stack = parseSynth(json);

  it("adds an IAM-only proxy auth entry for the user's secret", () => {
    const proxy = onlyResource(stack, "aws_db_proxy");
    expect(proxy.auth).toHaveLength(2);
    expect(proxy.auth[1]).toMatchObject({ auth_scheme: "SECRETS", iam_auth: "REQUIRED", secret_arn: SECRET_ARN });
    expect(json).toHaveResourceWithProperties(DbProxy, { require_tls: true });
  });

  it("lets the proxy role read that secret as well", () => {
    const policy = resourcesOfType(stack, "aws_iam_role_policy").find((entry) => entry.name === "read-database-user-secrets")!;
    const reads = JSON.parse(policy.policy).Statement.filter(
      (statement: { Action: string }) => statement.Action === "secretsmanager:GetSecretValue",
    );
    expect(reads.map((statement: { Resource: string }) => statement.Resource)).toEqual([
      expect.stringMatching(/master_user_secret\[0\]\.secret_arn/),
      SECRET_ARN,
    ]);
  });

  it("connects the function as that user", () => {
    const fn = onlyResource(stack, "aws_lambda_function");
    expect(fn.environment.variables.DB_USER).toBe("app_user");
    const rolePolicy = resourcesOfType(stack, "aws_iam_role_policy").find((entry) =>
      String(entry.policy).includes("rds-db:connect"),
    )!;
    expect(rolePolicy.policy).toContain(":dbuser:${element(split(");
    expect(rolePolicy.policy).toContain('aws_db_proxy.Database_Proxy_66FAF030.arn), 6)}/app_user"');
    expect(rolePolicy.policy).not.toContain("/dbadmin");
  });

  it("plans offline with both auth entries", () => {
    const pinned = `111111111111.dkr.ecr.ap-northeast-1.amazonaws.com/rdsproxy-stage-function@sha256:${"ab".repeat(32)}`;
    const outdir = Testing.fullSynth(applicationStack(environmentWith("stage", { ...APP_USER, functionImageUri: pinned })));
    const stackDir = path.join(outdir, "stacks", "rdsproxy-stage");
    writeOfflineOverride(stackDir);
    expect(planChanges(stackDir).filter((change) => change.type === "aws_db_proxy")).toHaveLength(1);
  });

  it("keeps the master user when omitted", () => {
    const plain = parseSynth(synthEnvironment("stage"));
    expect(onlyResource(plain, "aws_db_proxy").auth).toHaveLength(1);
    expect(onlyResource(plain, "aws_lambda_function").environment.variables.DB_USER).toBe("dbadmin");
  });
});

describe("function database user fields", () => {
  function errorFor(changes: Record<string, unknown>): string {
    try {
      parseEnvironments({ stage: { ...shippedEnvironments().stage, ...changes } });
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("expected the configuration to be rejected");
  }

  it("needs the secret with the user", () => {
    expect(errorFor({ functionDbUser: "app_user" })).toContain(
      'field "functionDbUserSecretArn", value <missing>: missing: the proxy needs the secret',
    );
  });

  it("needs the user with the secret", () => {
    expect(errorFor({ functionDbUserSecretArn: SECRET_ARN })).toContain('field "functionDbUser", value <missing>: missing');
  });

  it("rejects the master user's name", () => {
    expect(errorFor({ ...APP_USER, functionDbUser: "dbadmin" })).toContain("must differ from dbUser");
  });

  it("rejects a reserved role name", () => {
    expect(errorFor({ ...APP_USER, functionDbUser: "rds_superuser" })).toContain('must not start with "pg_" or "rds_"');
  });

  it("rejects a malformed secret ARN once", () => {
    const message = errorFor({ ...APP_USER, functionDbUserSecretArn: "app_user_secret" });
    expect(message).toContain("must be a Secrets Manager secret ARN");
    expect(message).not.toContain("missing: the proxy needs the secret");
  });

  it("rejects a secret in another account", () => {
    expect(errorFor({ ...APP_USER, functionDbUserSecretArn: SECRET_ARN.replace("111111111111", "222222222222") })).toContain(
      "must be a secret in the environment's account 111111111111 and region ap-northeast-1",
    );
  });
});
