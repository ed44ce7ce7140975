import { useOfflineEnvironment } from "./terraform";

/** Runs once before all test files, so no worker can start with real credentials or the metadata service. */
export default function globalSetup(): void {
  useOfflineEnvironment();
}
