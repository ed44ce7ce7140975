import { EnvironmentConfig, parseEnvironments } from "../stacks/environment/environment";
import { EnvironmentConfigError } from "../stacks/environment/errors";
import { shippedEnvironments } from "./support/environments";

const DIGEST = `sha256:${"0f".repeat(32)}`;

/** Parses the shipped dev environment with some function fields replaced. */
function parseDev(changes: Record<string, unknown>): EnvironmentConfig {
  const [environment] = parseEnvironments({ dev: { ...shippedEnvironments().dev, ...changes } });
  return environment;
}

/** Returns the EnvironmentConfigError message for the changed dev environment, or fails the test. */
function errorFor(changes: Record<string, unknown>): string {
  try {
    parseDev(changes);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentConfigError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(changes)} to be rejected`);
}

describe("function fields defaults", () => {
  const dev = parseDev({});

  it("uses python on x86_64", () => {
    expect(dev.functionRuntime).toBe("python");
    expect(dev.functionArchitecture).toBe("x86_64");
  });

  it("uses 512 MB and 25 seconds", () => {
    expect(dev.functionMemoryMb).toBe(512);
    expect(dev.functionTimeoutSeconds).toBe(25);
  });

  it("builds the image when no URI is given", () => {
    expect(dev.functionImageUri).toBeUndefined();
  });

  it("logs at INFO", () => {
    expect(dev.functionApplicationLogLevel).toBe("INFO");
    expect(dev.functionSystemLogLevel).toBe("INFO");
  });
});

describe("function fields accepted values", () => {
  it("accepts nodejs on arm64", () => {
    const dev = parseDev({ functionRuntime: "nodejs", functionArchitecture: "arm64" });
    expect(dev.functionRuntime).toBe("nodejs");
    expect(dev.functionArchitecture).toBe("arm64");
  });

  it.each([
    `000000000000.dkr.ecr.ap-northeast-1.amazonaws.com/rdsproxy-dev-function@${DIGEST}`,
    "000000000000.dkr.ecr.ap-northeast-1.amazonaws.com/team/app:v1.2.3",
    `000000000000.dkr.ecr.ap-northeast-1.amazonaws.com/app:v1@${DIGEST}`,
  ])("accepts image URI %s", (uri) => {
    expect(parseDev({ functionImageUri: uri }).functionImageUri).toBe(uri);
  });

  it("accepts Lambda's memory and timeout limits", () => {
    const smallest = parseDev({ functionMemoryMb: 128, functionTimeoutSeconds: 1 });
    expect(smallest.functionMemoryMb).toBe(128);
    expect(smallest.functionTimeoutSeconds).toBe(1);
    const largest = parseDev({ functionMemoryMb: 10240, functionTimeoutSeconds: 900 });
    expect(largest.functionMemoryMb).toBe(10240);
    expect(largest.functionTimeoutSeconds).toBe(900);
  });
});

describe("function fields rejected values", () => {
  it.each([
    [{ functionRuntime: "ruby" }, 'field "functionRuntime", value "ruby": must be one of python, nodejs'],
    [{ functionArchitecture: "amd64" }, 'field "functionArchitecture", value "amd64": must be one of x86_64, arm64'],
    [{ functionMemoryMb: 127 }, 'field "functionMemoryMb", value 127: must be from 128 to 10240 MB'],
    [{ functionMemoryMb: 10241 }, 'field "functionMemoryMb", value 10241: must be from 128 to 10240 MB'],
    [{ functionMemoryMb: 512.5 }, 'field "functionMemoryMb", value 512.5: must be a whole number of MB'],
    [{ functionTimeoutSeconds: 0 }, 'field "functionTimeoutSeconds", value 0: must be from 1 to 900 seconds'],
    [{ functionTimeoutSeconds: 901 }, 'field "functionTimeoutSeconds", value 901: must be from 1 to 900 seconds'],
    [{ functionTimeoutSeconds: 2.5 }, 'field "functionTimeoutSeconds", value 2.5: must be a whole number of seconds'],
    [{ functionApplicationLogLevel: "VERBOSE" }, "must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL"],
    [{ functionSystemLogLevel: "ERROR" }, 'field "functionSystemLogLevel", value "ERROR": must be one of DEBUG, INFO, WARN'],
    [{ functionErrorsAlarmCount: 0 }, 'field "functionErrorsAlarmCount", value 0: must be a positive number of errors'],
    [{ functionThrottlesAlarmCount: 0 }, 'field "functionThrottlesAlarmCount", value 0: must be a positive number of throttles'],
    [
      { functionConcurrentExecutionsAlarmCount: 1.5 },
      'field "functionConcurrentExecutionsAlarmCount", value 1.5: must be a whole number',
    ],
    [
      { functionConcurrentExecutionsAlarmCount: -1 },
      'field "functionConcurrentExecutionsAlarmCount", value -1: must be a positive number of executions',
    ],
    [
      { functionDurationAlarmTimeoutFraction: 0 },
      'field "functionDurationAlarmTimeoutFraction", value 0: must be greater than 0 and at most 1 (a fraction of the timeout)',
    ],
    [
      { functionDurationAlarmTimeoutFraction: 1.2 },
      'field "functionDurationAlarmTimeoutFraction", value 1.2: must be greater than 0 and at most 1 (a fraction of the timeout)',
    ],
  ])("rejects %j", (changes, message) => {
    const text = errorFor(changes);
    expect(text).toContain('environment "dev"');
    expect(text).toContain(message);
  });

  it.each([
    "python:3.13",
    "000000000000.dkr.ecr.ap-northeast-1.amazonaws.com/",
    "000000000000.dkr.ecr.ap-northeast-1.amazonaws.com/App:latest",
    "000000000000.dkr.ecr.ap-northeast-1.amazonaws.com/app@sha256:1234",
    "public.ecr.aws/lambda/python:3.13",
  ])("rejects malformed image URI %s", (uri) => {
    expect(errorFor({ functionImageUri: uri })).toContain(
      `field "functionImageUri", value ${JSON.stringify(uri)}: must be an ECR image URI such as ` +
        "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/repo@sha256:<64 hex digits> (a tag, a digest or both)",
    );
  });

  it("rejects an image URI in another region", () => {
    const uri = "000000000000.dkr.ecr.us-east-1.amazonaws.com/app:v1";
    expect(errorFor({ functionImageUri: uri })).toContain(
      `field "functionImageUri", value ${JSON.stringify(uri)}: must be in the environment's region ap-northeast-1: ` +
        "Lambda pulls images from its own region only",
    );
  });

  it("lists every function problem at once", () => {
    const text = errorFor({ functionRuntime: "go", functionArchitecture: "riscv", functionMemoryMb: 1 });
    expect(text).toContain("3 problem(s)");
    expect(text).toContain('"functionRuntime"');
    expect(text).toContain('"functionArchitecture"');
    expect(text).toContain('"functionMemoryMb"');
  });
});
