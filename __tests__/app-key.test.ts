import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Testing, TerraformStack } from "cdktf";
import { AppKey, KEY_DELETION_WINDOW_DAYS } from "../stacks/constructs/app-key";
import { synthEnvironment } from "./support/environments";
import { parseSynth, resourcesOfType, statement } from "./support/synthesized";

describe("AppKey", () => {
  const json = synthEnvironment("stage");
  const appKey = resourcesOfType(parseSynth(json), "aws_kms_key").find((key) => key.description.startsWith("Application key"))!;

  it("rotates and has an alias", () => {
    expect(json).toHaveResourceWithProperties(KmsKey, {
      enable_key_rotation: true,
      deletion_window_in_days: KEY_DELETION_WINDOW_DAYS,
    });
    expect(json).toHaveResourceWithProperties(KmsAlias, { name: "alias/rdsproxy-stage-app" });
  });

  it("lets the account administer the key through IAM", () => {
    const root = statement(appKey.policy, "AllowAccountToAdministerWithIam");
    expect(root.Principal.AWS).toMatch(/^arn:\$\{data\.aws_partition\.\w+\.partition\}:iam::111111111111:root$/);
  });

  it("lets CloudWatch Logs use the key for this account's log groups only", () => {
    const logs = statement(appKey.policy, "AllowCloudWatchLogsForThisAccount");
    expect(logs.Principal.Service).toBe("logs.ap-northeast-1.amazonaws.com");
    expect(logs.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]).toMatch(
      /:logs:ap-northeast-1:111111111111:log-group:\*$/,
    );
  });

  it("rejects a second statement with the same Sid", () => {
    const stack = new TerraformStack(Testing.app(), "KeyTest");
    const key = new AppKey(stack, "Key", { partition: "aws", accountId: "111111111111", region: "us-east-1", aliasName: "k" });
    const extra = { Sid: "Extra", Effect: "Allow" as const, Action: "kms:Decrypt", Resource: "*" };
    key.addToPolicy(extra);
    expect(() => key.addToPolicy(extra)).toThrow('already has a statement with Sid "Extra"');
  });
});
