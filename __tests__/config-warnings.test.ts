import { Testing } from "cdktf";
import { CONFIG_WARNING_PREFIX, configWarnings } from "../stacks/environment/warnings";
import { applicationStack, environmentWith } from "./support/environments";

describe("configWarnings", () => {
  it("stays quiet for the shipped environments", () => {
    for (const key of ["dev", "stage", "prod"]) {
      expect(configWarnings(environmentWith(key))).toEqual([]);
    }
  });

  it("warns when the function outlasts API Gateway", () => {
    const [warning] = configWarnings(environmentWith("dev", { functionTimeoutSeconds: 30 }));
    expect(warning).toContain(CONFIG_WARNING_PREFIX);
    expect(warning).toContain('environment "dev": functionTimeoutSeconds is 30');
    expect(warning).toContain("Use 28 or less");
  });

  it("warns when the borrow timeout reaches the function timeout", () => {
    const warnings = configWarnings(environmentWith("stage", { proxyConnectionBorrowTimeoutSeconds: 25 }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("proxyConnectionBorrowTimeoutSeconds (25) is not below functionTimeoutSeconds (25)");
  });

  it("reaches the stack as synth warnings", () => {
    const stack = applicationStack(environmentWith("dev", { functionTimeoutSeconds: 40 }), Testing.app());
    const warnings = stack.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => String(entry.data));
    expect(warnings).toEqual([expect.stringContaining("functionTimeoutSeconds is 40")]);
  });
});
