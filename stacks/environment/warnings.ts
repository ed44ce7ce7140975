import { MAX_API_LATENCY_ALARM_MS } from "./api-fields";
import { EnvironmentConfig } from "./environment";

/** Prefix of every synth warning about environment values, so they are easy to search for. */
export const CONFIG_WARNING_PREFIX = "[rdsproxy:config]";

/** API Gateway's integration timeout in seconds: a REST API waits this long for the function at most. */
const API_INTEGRATION_TIMEOUT_SECONDS = MAX_API_LATENCY_ALARM_MS / 1000;

/**
 * Returns warnings about values that are valid on their own but work against each other, such as a
 * function that may run longer than the API waits for it.
 */
export function configWarnings(env: EnvironmentConfig): string[] {
  const warnings: string[] = [];
  if (env.functionTimeoutSeconds >= API_INTEGRATION_TIMEOUT_SECONDS) {
    warnings.push(
      `${CONFIG_WARNING_PREFIX} environment "${env.key}": functionTimeoutSeconds is ${env.functionTimeoutSeconds}, ` +
        `but API Gateway waits ${API_INTEGRATION_TIMEOUT_SECONDS} s at most, so callers get 504 before a slow ` +
        `invocation ends. Use ${API_INTEGRATION_TIMEOUT_SECONDS - 1} or less.`,
    );
  }
  if (env.proxyConnectionBorrowTimeoutSeconds >= env.functionTimeoutSeconds) {
    warnings.push(
      `${CONFIG_WARNING_PREFIX} environment "${env.key}": proxyConnectionBorrowTimeoutSeconds ` +
        `(${env.proxyConnectionBorrowTimeoutSeconds}) is not below functionTimeoutSeconds (${env.functionTimeoutSeconds}), ` +
        "so a saturated pool times the function out instead of failing the request. Lower it.",
    );
  }
  return warnings;
}
