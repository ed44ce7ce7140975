import { defaultConnectionsAlarmCount, estimatedMaxConnections } from "../stacks/environment/database-fields";
import { parseEnvironments } from "../stacks/environment/environment";
import { environmentWith, shippedEnvironments } from "./support/environments";

describe("estimatedMaxConnections", () => {
  it.each([
    // LEAST(memory / 9531392, 5000) with the class's nominal memory.
    ["db.t4g.medium", Math.floor((4 * 1024 ** 3) / 9531392)],
    ["db.r7g.large", Math.floor((16 * 1024 ** 3) / 9531392)],
    ["db.r6g.xlarge", Math.floor((32 * 1024 ** 3) / 9531392)],
    ["db.r7g.4xlarge", 5000],
  ])("estimates %s", (instanceClass, expected) => {
    expect(estimatedMaxConnections(instanceClass)).toBe(expected);
  });

  it("returns undefined for an unknown class", () => {
    expect(estimatedMaxConnections("db.z9q.large")).toBeUndefined();
  });
});

describe("dbConnectionsAlarmCount default", () => {
  it("is 80 % of the class's estimate", () => {
    const environment = environmentWith("stage", { dbInstanceClass: "db.r7g.large" });
    expect(environment.dbConnectionsAlarmCount).toBe(Math.floor(estimatedMaxConnections("db.r7g.large")! * 0.8));
    expect(environment.dbConnectionsAlarmCount).toBe(defaultConnectionsAlarmCount("db.r7g.large"));
  });

  it("follows a smaller class", () => {
    const small = environmentWith("stage", { dbInstanceClass: "db.t4g.medium" });
    const large = environmentWith("stage", { dbInstanceClass: "db.r7g.large" });
    expect(small.dbConnectionsAlarmCount).toBeLessThan(large.dbConnectionsAlarmCount);
  });

  it("keeps an explicit value", () => {
    expect(environmentWith("stage", { dbConnectionsAlarmCount: 42 }).dbConnectionsAlarmCount).toBe(42);
  });

  it("must be set for a class without an estimate", () => {
    expect(() =>
      parseEnvironments({ stage: { ...shippedEnvironments().stage, dbInstanceClass: "db.z9q.large" } }),
    ).toThrow(
      'environment "stage", field "dbConnectionsAlarmCount", value <missing>: missing: this template cannot estimate max_connections of db.z9q.large',
    );
  });
});
