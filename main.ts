import { App } from "cdktf";
import { ApplicationStack } from "./stacks/application-stack";
import { StateBootstrapStack } from "./stacks/state-bootstrap-stack";
import { parseEnvironments } from "./stacks/environment/environment";
import { EnvironmentConfigError } from "./stacks/environment/errors";
import { applicationStackName, bootstrapStackName } from "./stacks/naming";

const app = new App();
try {
  const environments = parseEnvironments(app.node.tryGetContext("environments"));
  for (const environment of environments) {
    new StateBootstrapStack(app, bootstrapStackName(environment.key), { environment });
    new ApplicationStack(app, applicationStackName(environment.key), { environment });
  }
} catch (error) {
  if (error instanceof EnvironmentConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
app.synth();
