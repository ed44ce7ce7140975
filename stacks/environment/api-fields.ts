import { z } from "zod";

/** Method authorization of GET /connect: open, or signed with SigV4 by a caller with execute-api:Invoke. */
export const API_AUTHORIZATIONS = ["NONE", "AWS_IAM"] as const;
export type ApiAuthorization = (typeof API_AUTHORIZATIONS)[number];

/** Steady-state requests per second the stage accepts before it throttles. */
export const DEFAULT_API_THROTTLING_RATE_LIMIT = 50;
/** Requests the stage accepts in a burst above the rate. */
export const DEFAULT_API_THROTTLING_BURST_LIMIT = 100;
/** Starting point taken from the original sample: 80 requests in one minute raise the alarm. */
export const DEFAULT_API_REQUEST_COUNT_ALARM = 80;
/** Starting point: any 5XX response in one minute raises the alarm. */
export const DEFAULT_API_SERVER_ERROR_ALARM_COUNT = 1;
/** Starting point: p99 latency above 3 s means callers wait on the database or a cold start. */
export const DEFAULT_API_LATENCY_P99_ALARM_MS = 3000;
/** API Gateway's integration timeout, in milliseconds. */
export const MAX_API_LATENCY_ALARM_MS = 29000;

/** Fields of the REST API in front of the function. */
export const apiFields = {
  /** Authorization of GET /connect. Default AWS_IAM; dev ships with NONE, as the original sample. */
  apiAuthorization: z
    .enum(API_AUTHORIZATIONS, { message: `must be one of ${API_AUTHORIZATIONS.join(", ")}` })
    .default("AWS_IAM"),
  apiThrottlingRateLimit: z
    .number()
    .positive({ message: "must be a positive number of requests per second" })
    .default(DEFAULT_API_THROTTLING_RATE_LIMIT),
  apiThrottlingBurstLimit: z
    .number()
    .int({ message: "must be a whole number of requests" })
    .positive({ message: "must be a positive number of requests" })
    .default(DEFAULT_API_THROTTLING_BURST_LIMIT),
  /**
   * Manages API Gateway's account-level CloudWatch Logs role in this account and region. Only one
   * stack per account and region may do so. Default true.
   */
  apiManageAccountLogRole: z.boolean().default(true),
  apiRequestCountAlarm: z
    .number()
    .int({ message: "must be a whole number of requests" })
    .positive({ message: "must be a positive number of requests" })
    .default(DEFAULT_API_REQUEST_COUNT_ALARM),
  apiServerErrorAlarmCount: z
    .number()
    .int({ message: "must be a whole number" })
    .positive({ message: "must be a positive number of responses" })
    .default(DEFAULT_API_SERVER_ERROR_ALARM_COUNT),
  apiLatencyP99AlarmMs: z
    .number()
    .int({ message: "must be a whole number of milliseconds" })
    .positive({ message: `must be from 1 to ${MAX_API_LATENCY_ALARM_MS} milliseconds` })
    .max(MAX_API_LATENCY_ALARM_MS, { message: `must be from 1 to ${MAX_API_LATENCY_ALARM_MS} milliseconds` })
    .default(DEFAULT_API_LATENCY_P99_ALARM_MS),
};
