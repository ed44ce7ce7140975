import * as fs from "fs";
import * as path from "path";
import { App, Testing } from "cdktf";
import { ApplicationStack } from "../../stacks/application-stack";
import { EnvironmentConfig, parseEnvironments } from "../../stacks/environment/environment";

/** Root of the repository. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** context.environments from the shipped cdktf.json. */
export function shippedEnvironments(): Record<string, Record<string, unknown>> {
  const cdktfJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "cdktf.json"), "utf8"));
  return cdktfJson.context.environments;
}

/** Parses one shipped environment with some fields replaced (a value of undefined removes the field). */
export function environmentWith(key: string, changes: Record<string, unknown> = {}): EnvironmentConfig {
  const raw: Record<string, unknown> = { ...shippedEnvironments()[key], ...changes };
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) {
      delete raw[field];
    }
  }
  const [environment] = parseEnvironments({ [key]: raw });
  return environment;
}

/** Builds the application stack of one environment in a test app. */
export function applicationStack(environment: EnvironmentConfig, app: App = Testing.app()): ApplicationStack {
  return new ApplicationStack(app, `rdsproxy-${environment.key}`, { environment });
}

/** Synthesizes one environment's stack to JSON, as the construct matchers expect. */
export function synthEnvironment(key: string, changes: Record<string, unknown> = {}): string {
  return Testing.synth(applicationStack(environmentWith(key, changes)));
}
