import * as fs from "fs";
import * as path from "path";
import { duplicateEnvironmentKeyProblems } from "../stacks/environment/duplicate-keys";
import { parseEnvironments } from "../stacks/environment/environment";
import { EnvironmentConfigError } from "../stacks/environment/errors";
import { PROJECT_ROOT, shippedEnvironments } from "./support/environments";

/** Returns the shipped dev entry, a valid environment, with some fields changed. */
function devWith(changes: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, unknown> = { ...shippedEnvironments().dev, ...changes };
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) {
      delete raw[field];
    }
  }
  return raw;
}

/** Parses and returns the error message; fails the test when parsing succeeds. */
function errorFor(environments: Record<string, unknown>): string {
  try {
    parseEnvironments(environments);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentConfigError);
    return (error as Error).message;
  }
  throw new Error("expected parseEnvironments to reject the configuration");
}

describe("shipped environments", () => {
  it("parse without problems", () => {
    const environments = parseEnvironments(shippedEnvironments());
    expect(environments.map((environment) => environment.key)).toEqual(["dev", "stage", "prod"]);
  });

  it("apply documented defaults", () => {
    const [stage] = parseEnvironments({ stage: shippedEnvironments().stage });
    expect(stage.stateBucket).toBe("rdsproxy-tfstate-111111111111-ap-northeast-1");
    expect(stage.dbDeletionProtection).toBe(true);
    expect(stage.dbSkipFinalSnapshot).toBe(false);
    expect(stage.dbBackupRetentionDays).toBeGreaterThanOrEqual(7);
  });

  it("default availability zones to a and c of the region", () => {
    const [dev] = parseEnvironments({ dev: devWith({ availabilityZones: undefined }) });
    expect(dev.availabilityZones).toEqual(["ap-northeast-1a", "ap-northeast-1c"]);
  });
});

describe("invalid environment values", () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ["missing field", { vpcCidr: undefined }, "vpcCidr", "missing required field"],
    ["unknown field", { vpcCdir: "10.0.0.0/16" }, "vpcCdir", "unknown field"],
    ["CIDR that is not a network", { vpcCidr: "10.100.0.0/33" }, "vpcCidr", "IPv4 network in CIDR notation"],
    ["CIDR with host bits", { vpcCidr: "10.100.0.1/16" }, "vpcCidr", "no host bits set"],
    ["CIDR with a bad octet", { vpcCidr: "10.300.0.0/16" }, "vpcCidr", "IPv4 network in CIDR notation"],
    ["CIDR too small for four /22", { vpcCidr: "10.100.0.0/21" }, "vpcCidr", "/20 or larger"],
    ["CIDR larger than AWS allows", { vpcCidr: "10.0.0.0/8" }, "vpcCidr", "from /16 to /20"],
    ["account id of 11 digits", { account: "12345678901" }, "account", "12-digit AWS account id"],
    ["account id as a number", { account: 123456789012 }, "account", "must be a JSON string in double quotes, not a JSON number"],
    ["boolean as a string", { dbDeletionProtection: "false" }, "dbDeletionProtection", "must be true or false, without quotes, not a JSON string"],
    ["count as a string", { dbInstanceCount: "2" }, "dbInstanceCount", "must be a JSON number without quotes, not a JSON string"],
    ["null for a string", { region: null }, "region", "must be a JSON string in double quotes, not a JSON null"],
    ["malformed region", { region: "tokyo" }, "region", "AWS region name"],
    ["zone outside the region", { availabilityZones: ["ap-northeast-1a", "us-east-1a"] }, "availabilityZones", "not in that region: us-east-1a"],
    ["one zone only", { availabilityZones: ["ap-northeast-1a"] }, "availabilityZones", "exactly 2 availability zones"],
    ["the same zone twice", { availabilityZones: ["ap-northeast-1a", "ap-northeast-1a"] }, "availabilityZones", "distinct"],
    ["malformed zone", { availabilityZones: ["ap-northeast-1a", "ap-northeast-1-c"] }, "availabilityZones", "not in that region"],
    ["malformed e-mail", { monitoringNotifyEmail: "ops.example.com" }, "monitoringNotifyEmail", "e-mail address"],
    ["lowercase Slack workspace id", { slackWorkspaceId: "t8xxxxxxx" }, "slackWorkspaceId", "Slack workspace id"],
    ["Slack channel id without C or G", { slackChannelId: "X01YYYYYYYY" }, "slackChannelId", "Slack channel id"],
    ["reserved master user postgres", { dbUser: "postgres" }, "dbUser", "reserves"],
    ["reserved master user rdsadmin", { dbUser: "rdsadmin" }, "dbUser", "reserves"],
    ["SQL keyword as master user", { dbUser: "select" }, "dbUser", "reserves"],
    ["master user with pg_ prefix", { dbUser: "pg_admin" }, "dbUser", 'must not start with "pg_"'],
    ["master user of 17 characters", { dbUser: "a".repeat(17) }, "dbUser", "1 to 16 characters"],
    ["master user starting with a digit", { dbUser: "1admin" }, "dbUser", "starting with a letter"],
    ["database name template1", { dbName: "template1" }, "dbName", "exists in every cluster"],
    ["database name of 64 characters", { dbName: "d".repeat(64) }, "dbName", "1 to 63 characters"],
    ["database name with a hyphen", { dbName: "my-db" }, "dbName", "lowercase letters, digits or underscores"],
    ["state bucket with dots", { stateBucket: "my.state.bucket" }, "stateBucket", "valid S3 bucket name"],
  ];

  it.each(cases)("rejects %s", (_name, changes, field, allowed) => {
    const message = errorFor({ dev: devWith(changes) });
    expect(message).toContain('environment "dev"');
    expect(message).toContain(`field "${field}"`);
    expect(message).toContain(allowed);
  });

  it("names the received value", () => {
    const message = errorFor({ dev: devWith({ vpcCidr: "10.100.0.0/24" }) });
    expect(message).toContain('value "10.100.0.0/24"');
  });

  it("reports every problem at once", () => {
    const message = errorFor({
      dev: devWith({ account: "1", region: "nowhere" }),
      prod: { ...shippedEnvironments().prod, dbUser: "postgres" },
    });
    expect(message).toContain('environment "dev", field "account"');
    expect(message).toContain('environment "dev", field "region"');
    expect(message).toContain('environment "prod", field "dbUser"');
  });

  it("checks across fields while another field is invalid", () => {
    const message = errorFor({
      dev: devWith({ dbInstanceCount: "2", proxyMaxConnectionsPercent: 40, proxyMaxIdleConnectionsPercent: 60 }),
    });
    expect(message).toContain('field "dbInstanceCount"');
    expect(message).toContain('field "proxyMaxIdleConnectionsPercent", value 60: must not exceed proxyMaxConnectionsPercent (40)');
  });

  it("checks default zones against the region while another field is invalid", () => {
    const message = errorFor({ dev: devWith({ account: "1", availabilityZones: ["us-east-1a", "us-east-1b"] }) });
    expect(message).toContain('field "account"');
    expect(message).toContain('field "availabilityZones"');
  });

  it("rejects a state bucket shared across accounts", () => {
    const message = errorFor({
      dev: devWith({ stateBucket: "shared-state-bucket" }),
      stage: { ...shippedEnvironments().stage, stateBucket: "shared-state-bucket" },
    });
    expect(message).toContain('environment "stage", field "stateBucket", value "shared-state-bucket"');
    expect(message).toContain('is also the state bucket of environment "dev" in account 000000000000');
  });

  it("accepts a state bucket shared in one account and region", () => {
    const environments = parseEnvironments({
      dev: devWith({ stateBucket: "shared-state-bucket" }),
      qa: devWith({ envName: "QA", stateBucket: "shared-state-bucket", apiManageAccountLogRole: false }),
    });
    expect(environments.map((environment) => environment.stateBucket)).toEqual(["shared-state-bucket", "shared-state-bucket"]);
  });

  it("rejects two managers of the account-level API log role", () => {
    const message = errorFor({ dev: devWith({}), qa: devWith({ envName: "QA" }) });
    expect(message).toContain('environment "qa", field "apiManageAccountLogRole", value true');
    expect(message).toContain('environment "dev" already manages API Gateway\'s account-level log role in account 000000000000, ap-northeast-1');
  });

  it("rejects duplicate environment names", () => {
    const message = errorFor({ dev: devWith({}), qa: devWith({ vpcCidr: "10.130.0.0/16", apiManageAccountLogRole: false }) });
    expect(message).toContain('environment "qa", field "envName", value "Development"');
    expect(message).toContain('already used by environment "dev"');
  });

  it("rejects an environment key that cannot name resources", () => {
    const message = errorFor({ Dev_1: devWith({}) });
    expect(message).toContain('environment "Dev_1"');
    expect(message).toContain("environment key must be 1 to 10 lowercase letters or digits");
  });

  it("rejects a missing environments object", () => {
    const message = errorFor(undefined as unknown as Record<string, unknown>);
    expect(message).toContain('field "context.environments"');
  });
});

describe("environment keys defined twice in cdktf.json", () => {
  const text = `{
    "app": "x",
    "context": {
      "environments": {
        "dev": { "envName": "Development" },
        "stage": { "envName": "Staging", "tags": { "dev": 1 } },
        "dev": { "envName": "Development 2" }
      }
    }
  }`;

  it("are reported once, by key", () => {
    const problems = duplicateEnvironmentKeyProblems(text);
    expect(problems.map((problem) => problem.environment)).toEqual(["dev"]);
    expect(problems[0].message).toContain("defined more than once under context.environments");
  });

  it("make parseEnvironments reject the configuration", () => {
    let message = "";
    try {
      parseEnvironments(shippedEnvironments(), { cdktfJsonText: text });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('environment "dev", (the environment itself), value "dev": is defined more than once');
  });

  it("are not reported for the shipped cdktf.json", () => {
    const shippedText = fs.readFileSync(path.join(PROJECT_ROOT, "cdktf.json"), "utf8");
    expect(duplicateEnvironmentKeyProblems(shippedText)).toEqual([]);
  });
});
