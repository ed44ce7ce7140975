import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Construct } from "constructs";

/** One minute: the finest period of the standard metrics used here, in seconds. */
export const ONE_MINUTE_SECONDS = 60;

/** Props of {@link addAlarm}. */
export interface AlarmProps {
  /** Physical alarm name, unique in the account and region. */
  readonly alarmName: string;
  /** Meaning of the alarm and the first thing to check, shown in the e-mail and in Slack. */
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  /** A statistic such as `Sum`, `Average`, `Maximum`, or a percentile such as `p99`. */
  readonly statistic: string;
  readonly comparisonOperator:
    | "GreaterThanOrEqualToThreshold"
    | "GreaterThanThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold";
  readonly threshold: number;
  /** Topic that receives ALARM and OK notifications. */
  readonly topic: SnsTopic;
  /** Seconds per period. Default one minute. */
  readonly periodSeconds?: number;
  /** Periods evaluated. Default 1. */
  readonly evaluationPeriods?: number;
  /** Periods that must breach among those evaluated. Default: all of them. */
  readonly datapointsToAlarm?: number;
  /** Treatment of missing data. Default `notBreaching`, so an idle resource stays OK. */
  readonly treatMissingData?: "breaching" | "notBreaching" | "ignore" | "missing";
}

const PERCENTILE = /^p\d{1,2}(\.\d+)?$/;

/**
 * Adds a CloudWatch metric alarm that notifies the topic on ALARM and on OK. Every alarm in the
 * project comes from here, so they all notify the same way.
 */
export function addAlarm(scope: Construct, id: string, props: AlarmProps): CloudwatchMetricAlarm {
  const evaluationPeriods = props.evaluationPeriods ?? 1;
  const isPercentile = PERCENTILE.test(props.statistic);
  return new CloudwatchMetricAlarm(scope, id, {
    alarmName: props.alarmName,
    alarmDescription: props.description,
    namespace: props.namespace,
    metricName: props.metricName,
    dimensions: props.dimensions,
    statistic: isPercentile ? undefined : props.statistic,
    extendedStatistic: isPercentile ? props.statistic : undefined,
    comparisonOperator: props.comparisonOperator,
    threshold: props.threshold,
    period: props.periodSeconds ?? ONE_MINUTE_SECONDS,
    evaluationPeriods,
    datapointsToAlarm: props.datapointsToAlarm ?? evaluationPeriods,
    treatMissingData: props.treatMissingData ?? "notBreaching",
    alarmActions: [props.topic.arn],
    okActions: [props.topic.arn],
  });
}
