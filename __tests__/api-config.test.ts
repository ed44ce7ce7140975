import { parseEnvironments } from "../stacks/environment/environment";
import { EnvironmentConfigError } from "../stacks/environment/errors";
import {
  DEFAULT_API_LATENCY_P99_ALARM_MS,
  DEFAULT_API_REQUEST_COUNT_ALARM,
  DEFAULT_API_SERVER_ERROR_ALARM_COUNT,
  DEFAULT_API_THROTTLING_BURST_LIMIT,
  DEFAULT_API_THROTTLING_RATE_LIMIT,
} from "../stacks/environment/api-fields";
import { environmentWith, shippedEnvironments } from "./support/environments";

/** Parses the shipped stage environment with one field replaced and returns the error it raises. */
function errorFor(field: string, value: unknown): EnvironmentConfigError {
  const raw = { ...shippedEnvironments().stage, [field]: value };
  try {
    parseEnvironments({ stage: raw });
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentConfigError);
    return error as EnvironmentConfigError;
  }
  throw new Error(`expected ${field} = ${JSON.stringify(value)} to be rejected, but it parsed`);
}

describe("API environment fields", () => {
  it("default to IAM authorization and the account log role", () => {
    const stage = environmentWith("stage");
    expect(stage.apiAuthorization).toBe("AWS_IAM");
    expect(stage.apiManageAccountLogRole).toBe(true);
  });

  it("default throttling and alarm thresholds", () => {
    const stage = environmentWith("stage");
    expect(stage.apiThrottlingRateLimit).toBe(DEFAULT_API_THROTTLING_RATE_LIMIT);
    expect(stage.apiThrottlingBurstLimit).toBe(DEFAULT_API_THROTTLING_BURST_LIMIT);
    expect(stage.apiRequestCountAlarm).toBe(DEFAULT_API_REQUEST_COUNT_ALARM);
    expect(stage.apiRequestCountAlarm).toBe(80);
    expect(stage.apiServerErrorAlarmCount).toBe(DEFAULT_API_SERVER_ERROR_ALARM_COUNT);
    expect(stage.apiLatencyP99AlarmMs).toBe(DEFAULT_API_LATENCY_P99_ALARM_MS);
  });

  it("dev ships with authorization NONE", () => {
    expect(environmentWith("dev").apiAuthorization).toBe("NONE");
  });

  it("stage and prod ship with IAM authorization", () => {
    expect(environmentWith("stage").apiAuthorization).toBe("AWS_IAM");
    expect(environmentWith("prod").apiAuthorization).toBe("AWS_IAM");
  });

  it("accept the 29000 ms latency maximum", () => {
    expect(environmentWith("stage", { apiLatencyP99AlarmMs: 29000 }).apiLatencyP99AlarmMs).toBe(29000);
  });
});

describe("API environment field errors", () => {
  it.each([
    ["apiAuthorization", "COGNITO", "must be one of NONE, AWS_IAM"],
    ["apiAuthorization", "aws_iam", "must be one of NONE, AWS_IAM"],
    ["apiThrottlingRateLimit", 0, "must be a positive number of requests per second"],
    ["apiThrottlingRateLimit", -5, "must be a positive number of requests per second"],
    ["apiThrottlingBurstLimit", 0, "must be a positive number of requests"],
    ["apiThrottlingBurstLimit", 10.5, "must be a whole number of requests"],
    ["apiRequestCountAlarm", 0, "must be a positive number of requests"],
    ["apiRequestCountAlarm", 1.5, "must be a whole number of requests"],
    ["apiServerErrorAlarmCount", 0, "must be a positive number of responses"],
    ["apiServerErrorAlarmCount", 2.5, "must be a whole number"],
    ["apiLatencyP99AlarmMs", 29001, "must be from 1 to 29000 milliseconds"],
    ["apiLatencyP99AlarmMs", 0, "must be from 1 to 29000 milliseconds"],
    ["apiLatencyP99AlarmMs", 100.5, "must be a whole number of milliseconds"],
  ])("%s = %p is rejected", (field, value, message) => {
    const error = errorFor(field, value);
    expect(error.problems).toContainEqual({ environment: "stage", field, value, message });
    expect(error.message).toContain(`environment "stage", field "${field}", value ${JSON.stringify(value)}: ${message}`);
  });

  it("apiManageAccountLogRole must be a boolean", () => {
    const error = errorFor("apiManageAccountLogRole", "false");
    expect(error.problems).toEqual([
      {
        environment: "stage",
        field: "apiManageAccountLogRole",
        value: "false",
        message: "must be true or false, without quotes, not a JSON string",
      },
    ]);
  });

  it("reports every bad API field at once", () => {
    const raw = {
      ...shippedEnvironments().stage,
      apiAuthorization: "OPEN",
      apiThrottlingRateLimit: 0,
      apiLatencyP99AlarmMs: 30000,
    };
    expect(() => parseEnvironments({ stage: raw })).toThrow(EnvironmentConfigError);
    try {
      parseEnvironments({ stage: raw });
    } catch (error) {
      const fields = (error as EnvironmentConfigError).problems.map((problem) => problem.field);
      expect(fields).toEqual(["apiAuthorization", "apiThrottlingRateLimit", "apiLatencyP99AlarmMs"]);
    }
  });
});
