/**
 * Returns the AWS console address that serves a region: China and GovCloud regions have their own
 * console hosts.
 */
export function consoleBaseUrl(region: string): string {
  if (region.startsWith("cn-")) {
    return "https://console.amazonaws.cn";
  }
  if (region.startsWith("us-gov-")) {
    return "https://console.amazonaws-us-gov.com";
  }
  // NOTE: isolated (us-iso*) regions have no public console; the URL built here does not work there.
  return `https://${region}.console.aws.amazon.com`;
}

/** Returns the CloudWatch console URL of a dashboard. */
export function dashboardConsoleUrl(region: string, dashboardName: string): string {
  return `${consoleBaseUrl(region)}/cloudwatch/home?region=${region}#dashboards/dashboard/${dashboardName}`;
}
