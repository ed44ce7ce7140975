import { NAME_RULES, applicationStackName, bootstrapStackName, physicalName, stateKey } from "../stacks/naming";

describe("physicalName", () => {
  it("prefixes the project and environment", () => {
    expect(physicalName("dev", "cluster", NAME_RULES.rdsIdentifier)).toBe("rdsproxy-dev-cluster");
  });

  it("throws when the name exceeds the service's length", () => {
    expect(() => physicalName("dev", "x".repeat(60), NAME_RULES.rdsProxy)).toThrow("is not a valid RDS Proxy name");
  });

  it("throws on characters the service rejects", () => {
    expect(() => physicalName("dev", "Flow_Logs", NAME_RULES.s3Bucket)).toThrow("is not a valid S3 bucket");
  });

  it("throws on a double hyphen in an RDS identifier", () => {
    expect(() => physicalName("dev", "-cluster", NAME_RULES.rdsIdentifier)).toThrow("is not a valid RDS identifier");
  });
});

describe("stack names and state key", () => {
  it("differ per environment", () => {
    expect(applicationStackName("prod")).toBe("rdsproxy-prod");
    expect(bootstrapStackName("prod")).toBe("rdsproxy-prod-state");
    expect(stateKey("prod")).toBe("rdsproxy/prod/terraform.tfstate");
    expect(stateKey("dev")).not.toBe(stateKey("prod"));
  });
});
