import { parseEnvironments } from "../stacks/environment/environment";
import { EnvironmentConfigError } from "../stacks/environment/errors";
import { shippedEnvironments } from "./support/environments";

/** Parses the shipped environments with fields of `dev` replaced, and returns the error it throws. */
function errorFor(changes: Record<string, unknown>): EnvironmentConfigError {
  const environments = shippedEnvironments();
  environments.dev = { ...environments.dev, ...changes };
  try {
    parseEnvironments(environments);
  } catch (error) {
    if (error instanceof EnvironmentConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error(`parseEnvironments accepted ${JSON.stringify(changes)}`);
}

/** Formats the line that EnvironmentConfigError prints for one problem. */
function problemLine(field: string, value: unknown, message: string): string {
  return `  - environment "dev", field "${field}", value ${JSON.stringify(value)}: ${message}`;
}

describe("data-tier environment fields", () => {
  it("accepts the shipped environments", () => {
    const environments = parseEnvironments(shippedEnvironments());

    expect(environments.map((environment) => environment.key)).toEqual(["dev", "stage", "prod"]);
  });

  it("applies the documented defaults", () => {
    const [, stage] = parseEnvironments(shippedEnvironments());

    expect(stage).toMatchObject({
      dbEngineMajorVersion: "17",
      dbInstanceCount: 2,
      dbInstanceClass: "db.r7g.large",
      dbBackupRetentionDays: 7,
      dbDeletionProtection: true,
      dbSkipFinalSnapshot: false,
      dbMonitoringIntervalSeconds: 60,
      proxyMaxConnectionsPercent: 90,
      proxyMaxIdleConnectionsPercent: 50,
      proxyConnectionBorrowTimeoutSeconds: 10,
      proxyIdleClientTimeoutSeconds: 1800,
    });
  });

  it.each([
    ["dbEngineMajorVersion", "15", "must be one of 16, 17 (a string)"],
    ["dbEngineMajorVersion", 17, "must be one of 16, 17 (a string)"],
    ["dbInstanceCount", 0, "must be from 1 to 16"],
    ["dbInstanceCount", 17, "must be from 1 to 16"],
    ["dbInstanceCount", 1.5, "must be a whole number"],
    [
      "dbInstanceClass",
      "r7g.large",
      "must be a provisioned RDS instance class such as db.r7g.large or db.t4g.medium (db.serverless is not supported)",
    ],
    [
      "dbInstanceClass",
      "db.serverless",
      "must be a provisioned RDS instance class such as db.r7g.large or db.t4g.medium (db.serverless is not supported)",
    ],
    ["dbBackupRetentionDays", 0, "must be from 1 to 35 days"],
    ["dbBackupRetentionDays", 36, "must be from 1 to 35 days"],
    ["dbBackupRetentionDays", 1.5, "must be a whole number of days"],
    ["dbMonitoringIntervalSeconds", 2, "must be one of 1, 5, 10, 15, 30, 60 (seconds)"],
    ["dbCpuAlarmPercent", 0, "must be from 1 to 100 (percent)"],
    ["dbCpuAlarmPercent", 101, "must be from 1 to 100 (percent)"],
    ["dbCpuAlarmPercent", 50.5, "must be a whole number"],
    ["dbFreeableMemoryAlarmBytes", 0, "must be a positive number of bytes"],
    ["dbFreeableMemoryAlarmBytes", 1.5, "must be a whole number of bytes"],
    ["dbConnectionsAlarmCount", 0, "must be a positive number of connections"],
    ["dbConnectionsAlarmCount", 1.5, "must be a whole number"],
    ["proxyMaxConnectionsPercent", 0, "must be from 1 to 100 (percent)"],
    ["proxyMaxConnectionsPercent", 101, "must be from 1 to 100 (percent)"],
    ["proxyMaxIdleConnectionsPercent", -1, "must be from 0 to 100 (percent)"],
    ["proxyMaxIdleConnectionsPercent", 101, "must be from 0 to 100 (percent)"],
    ["proxyIdleClientTimeoutSeconds", 0, "must be from 1 to 28800 seconds"],
    ["proxyIdleClientTimeoutSeconds", 28801, "must be from 1 to 28800 seconds"],
    ["proxyIdleClientTimeoutSeconds", 1.5, "must be a whole number of seconds"],
    ["proxyConnectionBorrowTimeoutSeconds", -1, "must be from 0 to 3600 seconds"],
    ["proxyConnectionBorrowTimeoutSeconds", 3601, "must be from 0 to 3600 seconds"],
    ["proxyConnectionBorrowTimeoutSeconds", 0.5, "must be a whole number of seconds"],
    ["proxyClientConnectionsAlarmCount", 0, "must be a positive number of connections"],
    ["proxyClientConnectionsAlarmCount", 1.5, "must be a whole number"],
    ["proxyPinnedSessionsAlarmCount", 0, "must be a positive number of sessions"],
    ["proxyPinnedSessionsAlarmCount", 1.5, "must be a whole number"],
  ])("rejects %s = %j", (field, value, message) => {
    const error = errorFor({ [field]: value });

    expect(error.problems).toHaveLength(1);
    expect(error.message).toContain(problemLine(field, value, message));
  });

  it("rejects more idle connections than connections", () => {
    const error = errorFor({ proxyMaxConnectionsPercent: 40, proxyMaxIdleConnectionsPercent: 50 });

    expect(error.problems).toHaveLength(1);
    expect(error.message).toContain(
      problemLine("proxyMaxIdleConnectionsPercent", 50, "must not exceed proxyMaxConnectionsPercent (40)"),
    );
  });

  it("accepts idle connections equal to connections", () => {
    const environments = shippedEnvironments();
    environments.dev = { ...environments.dev, proxyMaxConnectionsPercent: 40, proxyMaxIdleConnectionsPercent: 40 };

    expect(() => parseEnvironments(environments)).not.toThrow();
  });

  it("reports every bad field at once", () => {
    const error = errorFor({ dbInstanceCount: 0, dbBackupRetentionDays: 36, proxyMaxConnectionsPercent: 0 });

    expect(error.problems.map((problem) => problem.field).sort()).toEqual([
      "dbBackupRetentionDays",
      "dbInstanceCount",
      "proxyMaxConnectionsPercent",
    ]);
    expect(error.message).toContain("3 problem(s)");
  });
});
