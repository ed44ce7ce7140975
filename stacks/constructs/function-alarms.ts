import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Construct } from "constructs";
import { addAlarm } from "./alarm";

/** Milliseconds per second, for the duration threshold. */
const MILLISECONDS_PER_SECOND = 1000;

/** Thresholds of the function's alarms. */
export interface FunctionAlarmThresholds {
  /** Errors in one minute that raise the alarm. */
  readonly errorsCount: number;
  /** Throttled invocations in one minute that raise the alarm. */
  readonly throttlesCount: number;
  /** Concurrent executions (maximum in one minute) that raise the alarm. */
  readonly concurrentExecutionsCount: number;
  /** Fraction of the timeout, greater than 0 and at most 1, that the p99 duration must stay below. */
  readonly durationTimeoutFraction: number;
}

/** Props of {@link addFunctionAlarms}. */
export interface FunctionAlarmsProps {
  readonly functionName: string;
  readonly timeoutSeconds: number;
  readonly topic: SnsTopic;
  readonly thresholds: FunctionAlarmThresholds;
}

/** Returns the p99 duration threshold in milliseconds: the fraction of the timeout, rounded down. */
export function durationThresholdMs(timeoutSeconds: number, timeoutFraction: number): number {
  return Math.floor(timeoutSeconds * MILLISECONDS_PER_SECOND * timeoutFraction);
}

/** Adds the function's Errors, Throttles, ConcurrentExecutions and p99 Duration alarms. */
export function addFunctionAlarms(scope: Construct, props: FunctionAlarmsProps): CloudwatchMetricAlarm[] {
  const { functionName, topic, thresholds } = props;
  const metric = { namespace: "AWS/Lambda", dimensions: { FunctionName: functionName }, topic };
  const durationMs = durationThresholdMs(props.timeoutSeconds, thresholds.durationTimeoutFraction);

  return [
    addAlarm(scope, "ErrorsAlarm", {
      ...metric,
      alarmName: `${functionName}-errors`,
      description:
        `${functionName} returned errors. Check the function's log group for ERROR lines first, ` +
        "then whether the proxy accepts IAM authentication for the database user.",
      metricName: "Errors",
      statistic: "Sum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: thresholds.errorsCount,
    }),
    addAlarm(scope, "ThrottlesAlarm", {
      ...metric,
      alarmName: `${functionName}-throttles`,
      description:
        `${functionName} was throttled. Check the account's concurrency quota and ConcurrentExecutions first, ` +
        "then the API's request rate.",
      metricName: "Throttles",
      statistic: "Sum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: thresholds.throttlesCount,
    }),
    addAlarm(scope, "ConcurrentExecutionsAlarm", {
      ...metric,
      alarmName: `${functionName}-concurrent-executions`,
      description:
        `${functionName} runs many instances at once. Check the API's request count first, then the ` +
        "proxy's client connections, since every instance holds one.",
      metricName: "ConcurrentExecutions",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: thresholds.concurrentExecutionsCount,
    }),
    addAlarm(scope, "DurationAlarm", {
      ...metric,
      alarmName: `${functionName}-duration-p99`,
      description:
        `p99 duration of ${functionName} is above ${durationMs} ms, close to its ${props.timeoutSeconds} s timeout. ` +
        "Check the proxy's connection borrow time and database latency first, then cold starts in the log group.",
      metricName: "Duration",
      statistic: "p99",
      comparisonOperator: "GreaterThanThreshold",
      threshold: durationMs,
    }),
  ];
}
