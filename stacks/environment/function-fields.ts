import { z } from "zod";

/** Runtimes with an image folder under lambda-image/. */
export const FUNCTION_RUNTIMES = ["python", "nodejs"] as const;
export type FunctionRuntime = (typeof FUNCTION_RUNTIMES)[number];
export const FUNCTION_ARCHITECTURES = ["x86_64", "arm64"] as const;
export type FunctionArchitecture = (typeof FUNCTION_ARCHITECTURES)[number];

/** Lambda's memory range, in MB. */
export const MIN_FUNCTION_MEMORY_MB = 128;
export const MAX_FUNCTION_MEMORY_MB = 10240;
/** Enough for the driver, TLS and the SDK signer with room for a cold start. */
export const DEFAULT_FUNCTION_MEMORY_MB = 512;
/** Lambda's timeout range, in seconds. */
export const MIN_FUNCTION_TIMEOUT_SECONDS = 1;
export const MAX_FUNCTION_TIMEOUT_SECONDS = 900;
/** Below API Gateway's 29-second integration timeout, so the function returns before the API gives up. */
export const DEFAULT_FUNCTION_TIMEOUT_SECONDS = 25;

export const FUNCTION_APPLICATION_LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
export const FUNCTION_SYSTEM_LOG_LEVELS = ["DEBUG", "INFO", "WARN"] as const;

/** Starting point: any error in a one-minute period raises the alarm. */
export const DEFAULT_FUNCTION_ERRORS_ALARM_COUNT = 1;
/** Starting point: any throttle in a one-minute period raises the alarm. */
export const DEFAULT_FUNCTION_THROTTLES_ALARM_COUNT = 1;
/** Starting point: 10 % of the default account concurrency quota of 1,000. */
export const DEFAULT_FUNCTION_CONCURRENT_EXECUTIONS_ALARM_COUNT = 100;
/** Starting point: p99 duration above 80 % of the timeout means requests are close to timing out. */
export const DEFAULT_FUNCTION_DURATION_ALARM_TIMEOUT_FRACTION = 0.8;

/**
 * An ECR image URI: `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>` followed by a tag,
 * a digest, or both. Lambda runs images from ECR only.
 */
export const ECR_IMAGE_URI =
  /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9]+([._/-][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
/** A URI pinned by digest; synth warns about any other URI, because a tag can move to another image. */
export const DIGEST_PINNED_IMAGE_URI = /@sha256:[a-f0-9]{64}$/;

function count(defaultValue: number, unit: string) {
  return z
    .number()
    .int({ message: "must be a whole number" })
    .positive({ message: `must be a positive number of ${unit}` })
    .default(defaultValue);
}

/** Fields of the function: image, runtime, sizing, logging and alarms. */
export const functionFields = {
  /** Handler runtime, one folder under lambda-image/. */
  functionRuntime: z
    .enum(FUNCTION_RUNTIMES, { message: `must be one of ${FUNCTION_RUNTIMES.join(", ")}` })
    .default("python"),
  /** Instruction set the image is built for and the function runs on. */
  functionArchitecture: z
    .enum(FUNCTION_ARCHITECTURES, { message: `must be one of ${FUNCTION_ARCHITECTURES.join(", ")}` })
    .default("x86_64"),
  /** Memory in MB; Lambda allocates CPU in proportion. */
  functionMemoryMb: z
    .number()
    .int({ message: "must be a whole number of MB" })
    .min(MIN_FUNCTION_MEMORY_MB, { message: `must be from ${MIN_FUNCTION_MEMORY_MB} to ${MAX_FUNCTION_MEMORY_MB} MB` })
    .max(MAX_FUNCTION_MEMORY_MB, { message: `must be from ${MIN_FUNCTION_MEMORY_MB} to ${MAX_FUNCTION_MEMORY_MB} MB` })
    .default(DEFAULT_FUNCTION_MEMORY_MB),
  /** Function timeout in seconds. */
  functionTimeoutSeconds: z
    .number()
    .int({ message: "must be a whole number of seconds" })
    .min(MIN_FUNCTION_TIMEOUT_SECONDS, {
      message: `must be from ${MIN_FUNCTION_TIMEOUT_SECONDS} to ${MAX_FUNCTION_TIMEOUT_SECONDS} seconds`,
    })
    .max(MAX_FUNCTION_TIMEOUT_SECONDS, {
      message: `must be from ${MIN_FUNCTION_TIMEOUT_SECONDS} to ${MAX_FUNCTION_TIMEOUT_SECONDS} seconds`,
    })
    .default(DEFAULT_FUNCTION_TIMEOUT_SECONDS),
  /**
   * An image built by a pipeline. When set, the stack neither builds nor pushes an image and has no
   * docker provider. When omitted, Terraform builds lambda-image/<functionRuntime> and pushes it to ECR.
   */
  functionImageUri: z
    .string()
    .regex(ECR_IMAGE_URI, {
      message:
        "must be an ECR image URI such as 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/repo@sha256:<64 hex digits> (a tag, a digest or both)",
    })
    .optional(),
  functionApplicationLogLevel: z
    .enum(FUNCTION_APPLICATION_LOG_LEVELS, { message: `must be one of ${FUNCTION_APPLICATION_LOG_LEVELS.join(", ")}` })
    .default("INFO"),
  functionSystemLogLevel: z
    .enum(FUNCTION_SYSTEM_LOG_LEVELS, { message: `must be one of ${FUNCTION_SYSTEM_LOG_LEVELS.join(", ")}` })
    .default("INFO"),
  functionErrorsAlarmCount: count(DEFAULT_FUNCTION_ERRORS_ALARM_COUNT, "errors"),
  functionThrottlesAlarmCount: count(DEFAULT_FUNCTION_THROTTLES_ALARM_COUNT, "throttles"),
  functionConcurrentExecutionsAlarmCount: count(DEFAULT_FUNCTION_CONCURRENT_EXECUTIONS_ALARM_COUNT, "executions"),
  /** Fraction of the timeout (0 to 1, exclusive of 0) that the p99 duration must stay below. */
  functionDurationAlarmTimeoutFraction: z
    .number()
    .gt(0, { message: "must be greater than 0 and at most 1 (a fraction of the timeout)" })
    .max(1, { message: "must be greater than 0 and at most 1 (a fraction of the timeout)" })
    .default(DEFAULT_FUNCTION_DURATION_ALARM_TIMEOUT_FRACTION),
};
