import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The hashicorp/aws provider that @cdktf/provider-aws 20.1.0 is generated from. */
export const AWS_PROVIDER_SOURCE = "registry.terraform.io/hashicorp/aws";
/** Where this project's machines keep a filesystem mirror with that provider. */
export const DEFAULT_PROVIDER_MIRROR = "/opt/tf-plugins";
/** Environment variable that names another mirror folder. */
export const PROVIDER_MIRROR_VARIABLE = "TF_PROVIDER_MIRROR";

/** Fake credentials for offline plans: the provider signs nothing because it calls nothing. */
export const FAKE_AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
export const FAKE_AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/** Returns the mirror folder to use, or undefined when none exists, so that the registry is used. */
export function providerMirror(): string | undefined {
  const configured = process.env[PROVIDER_MIRROR_VARIABLE];
  if (configured) {
    if (!fs.existsSync(configured)) {
      throw new Error(`${PROVIDER_MIRROR_VARIABLE} names ${configured}, which does not exist`);
    }
    return configured;
  }
  return fs.existsSync(path.join(DEFAULT_PROVIDER_MIRROR, AWS_PROVIDER_SOURCE)) ? DEFAULT_PROVIDER_MIRROR : undefined;
}

/**
 * Writes a Terraform CLI configuration that installs hashicorp/aws from the mirror and everything
 * else from the registry, and returns its path. Without a mirror, it returns undefined.
 */
export function writeCliConfig(): string | undefined {
  const mirror = providerMirror();
  if (!mirror) {
    return undefined;
  }
  const file = path.join(os.tmpdir(), `rdsproxy-terraform-${process.getuid?.() ?? "user"}.tfrc`);
  const config = [
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirror)}`,
    `    include = [${JSON.stringify(AWS_PROVIDER_SOURCE)}]`,
    "  }",
    "  direct {",
    `    exclude = [${JSON.stringify(AWS_PROVIDER_SOURCE)}]`,
    "  }",
    "}",
    "",
  ].join("\n");
  fs.writeFileSync(file, config);
  return file;
}

/** Sets the process environment for offline Terraform runs: no metadata service, fake credentials. */
export function useOfflineEnvironment(): void {
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  process.env.AWS_ACCESS_KEY_ID = FAKE_AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = FAKE_AWS_SECRET_ACCESS_KEY;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.CHECKPOINT_DISABLE = "1";
  process.env.TF_IN_AUTOMATION = "1";
  process.env.TF_INPUT = "0";
  const cliConfig = writeCliConfig();
  if (cliConfig) {
    process.env.TF_CLI_CONFIG_FILE = cliConfig;
  }
}

/** Name of the override file the tests add next to a synthesized stack. */
export const OFFLINE_OVERRIDE_FILE = "offline_override.tf.json";

/**
 * Writes a Terraform override file into a synthesized stack folder: a local backend in place of S3,
 * and fake credentials with the provider's skip flags. It also drops allowed_account_ids, because
 * offline the provider cannot learn the account and the guard would reject the plan.
 */
export function writeOfflineOverride(stackDir: string): void {
  const synthesized = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
  const awsProviders: Record<string, unknown>[] = synthesized.provider?.aws ?? [];
  const offlineSettings = {
    access_key: FAKE_AWS_ACCESS_KEY_ID,
    secret_key: FAKE_AWS_SECRET_ACCESS_KEY,
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
    allowed_account_ids: null,
  };
  const override = {
    terraform: { backend: { local: { path: "offline.tfstate" } } },
    provider: {
      aws: awsProviders.map((provider) => ({
        ...(provider.alias ? { alias: provider.alias } : {}),
        ...offlineSettings,
      })),
    },
  };
  fs.writeFileSync(path.join(stackDir, OFFLINE_OVERRIDE_FILE), JSON.stringify(override, null, 2));
}

/** Runs terraform in a folder and returns its standard output; throws with stderr on failure. */
export function terraform(stackDir: string, args: string[]): string {
  try {
    return execFileSync("terraform", args, { cwd: stackDir, encoding: "utf8", stdio: "pipe", maxBuffer: 256 * 1024 * 1024 });
  } catch (error) {
    const failure = error as { stderr?: string; stdout?: string };
    throw new Error(`terraform ${args.join(" ")} failed in ${stackDir}:\n${failure.stderr ?? ""}${failure.stdout ?? ""}`);
  }
}

/** One planned change, from `terraform show -json`. */
export interface PlannedChange {
  readonly address: string;
  readonly type: string;
  readonly actions: string[];
}

/** Initializes a synthesized stack, plans it offline and returns the planned changes of managed resources. */
export function planChanges(stackDir: string): PlannedChange[] {
  terraform(stackDir, ["init", "-input=false", "-no-color"]);
  terraform(stackDir, ["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color", "-out=offline.tfplan"]);
  const plan = JSON.parse(terraform(stackDir, ["show", "-json", "offline.tfplan"]));
  return (plan.resource_changes ?? [])
    .filter((change: { mode: string }) => change.mode === "managed")
    .map((change: { address: string; type: string; change: { actions: string[] } }) => ({
      address: change.address,
      type: change.type,
      actions: change.change.actions,
    }));
}

/** Counts planned resources by type. */
export function countByType(changes: readonly PlannedChange[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const change of changes) {
    counts[change.type] = (counts[change.type] ?? 0) + 1;
  }
  return counts;
}
