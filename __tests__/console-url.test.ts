import { consoleBaseUrl, dashboardConsoleUrl } from "../stacks/console-url";

describe("consoleBaseUrl", () => {
  it.each([
    ["ap-northeast-1", "https://ap-northeast-1.console.aws.amazon.com"],
    ["cn-north-1", "https://console.amazonaws.cn"],
    ["us-gov-west-1", "https://console.amazonaws-us-gov.com"],
  ])("serves %s from %s", (region, expected) => {
    expect(consoleBaseUrl(region)).toBe(expected);
  });
});

describe("dashboardConsoleUrl", () => {
  it("opens the dashboard in its region", () => {
    expect(dashboardConsoleUrl("eu-west-1", "rdsproxy-dev")).toBe(
      "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/rdsproxy-dev",
    );
  });
});
