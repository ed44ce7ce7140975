import { Testing } from "cdktf";
import { useOfflineEnvironment } from "./terraform";

// Every test file: cdktf's matchers (toHaveResourceWithProperties, toPlanSuccessfully, ...) and an
// offline environment for Terraform.
Testing.setupJest();
useOfflineEnvironment();
