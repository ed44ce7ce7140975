import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Construct } from "constructs";
import { addAlarm } from "./alarm";

/** Namespace of API Gateway's REST API metrics. */
export const API_GATEWAY_NAMESPACE = "AWS/ApiGateway";

/** Props of {@link addRestApiAlarms}. */
export interface RestApiAlarmProps {
  /** Prefix of the alarm names, such as `rdsproxy-dev`. */
  readonly namePrefix: string;
  /** Value of the ApiName dimension: the REST API's name. */
  readonly apiName: string;
  /** Value of the Stage dimension. */
  readonly stageName: string;
  /** Access log group, named in the descriptions as the first place to look. */
  readonly accessLogGroupName: string;
  readonly topic: SnsTopic;
  /** Requests in one minute that raise the request count alarm. */
  readonly requestCountThreshold: number;
  /** 5XX responses in one minute that raise the server error alarm. */
  readonly serverErrorThreshold: number;
  /** p99 latency in milliseconds that raises the latency alarm. */
  readonly latencyP99ThresholdMs: number;
}

/** Adds the request count, 5XX and p99 latency alarms of one REST API stage and returns them. */
export function addRestApiAlarms(scope: Construct, props: RestApiAlarmProps): CloudwatchMetricAlarm[] {
  const common = {
    namespace: API_GATEWAY_NAMESPACE,
    dimensions: { ApiName: props.apiName, Stage: props.stageName },
    comparisonOperator: "GreaterThanOrEqualToThreshold" as const,
    topic: props.topic,
  };

  const requestCount = addAlarm(scope, "RequestCountAlarm", {
    ...common,
    alarmName: `${props.namePrefix}-api-request-count`,
    description:
      `${props.apiName} (${props.stageName}) received ${props.requestCountThreshold} or more requests in one minute. ` +
      `Check the callers (ip, caller) in ${props.accessLogGroupName} first; if the traffic is expected, ` +
      "raise apiRequestCountAlarm.",
    metricName: "Count",
    statistic: "Sum",
    threshold: props.requestCountThreshold,
  });

  const serverErrors = addAlarm(scope, "ServerErrorAlarm", {
    ...common,
    alarmName: `${props.namePrefix}-api-5xx-errors`,
    description:
      `${props.apiName} (${props.stageName}) returned ${props.serverErrorThreshold} or more 5XX responses in one minute. ` +
      `Check status and integrationError in ${props.accessLogGroupName} first. A 500 or 503 comes from the ` +
      "handler, and its log line names the failure class (tls, authentication, unreachable, timeout); " +
      "502 means the function failed or returned a malformed response, 504 that it did not answer in 29 s. " +
      "Then check the function, proxy and database alarms.",
    metricName: "5XXError",
    statistic: "Sum",
    threshold: props.serverErrorThreshold,
  });

  const latency = addAlarm(scope, "LatencyAlarm", {
    ...common,
    alarmName: `${props.namePrefix}-api-latency-p99`,
    description:
      `p99 latency of ${props.apiName} (${props.stageName}) reached ${props.latencyP99ThresholdMs} ms in one minute. ` +
      `Check integrationLatency against responseLatency in ${props.accessLogGroupName} first. When the function ` +
      "takes the time, check its Duration and cold starts, then the proxy's connection borrow time and the database CPU.",
    metricName: "Latency",
    statistic: "p99",
    threshold: props.latencyP99ThresholdMs,
  });

  return [requestCount, serverErrors, latency];
}
