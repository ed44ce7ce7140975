import * as fs from "fs";
import * as path from "path";
import { App, Manifest } from "cdktf";
import { ApplicationStack } from "./stacks/application-stack";
import { parseEnvironments } from "./stacks/environment/environment";
import { EnvironmentConfigError } from "./stacks/environment/errors";
import { applicationStackName, bootstrapStackName } from "./stacks/naming";
import { StateBootstrapStack } from "./stacks/state-bootstrap-stack";

/**
 * Removes the output of an earlier synth, so that a failed synth leaves nothing that a later
 * `terraform plan` or `cdktf deploy` could take for current output.
 */
function removePreviousOutput(outdir: string): void {
  fs.rmSync(path.join(outdir, Manifest.fileName), { force: true });
  fs.rmSync(path.join(outdir, Manifest.stacksFolder), { recursive: true, force: true });
}

/** Reads cdktf.json from the working folder, which is the project folder when cdktf runs the app. */
function readCdktfJsonText(): string | undefined {
  const file = path.join(process.cwd(), "cdktf.json");
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

const app = new App();
try {
  const environments = parseEnvironments(app.node.tryGetContext("environments"), {
    cdktfJsonText: readCdktfJsonText(),
  });
  const bucketsWithBootstrap = new Set<string>();
  for (const environment of environments) {
    // Environments that share a state bucket share its bootstrap stack, named after the first of them.
    if (!bucketsWithBootstrap.has(environment.stateBucket)) {
      bucketsWithBootstrap.add(environment.stateBucket);
      new StateBootstrapStack(app, bootstrapStackName(environment.key), { environment });
    }
    new ApplicationStack(app, applicationStackName(environment.key), { environment });
  }
  app.synth();
} catch (error) {
  removePreviousOutput(app.outdir);
  if (error instanceof EnvironmentConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
