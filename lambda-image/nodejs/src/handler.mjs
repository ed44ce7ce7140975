// The Lambda handler: check the database connection and report it as an API response.
import { performance } from 'node:perf_hooks';

import { loadCaBundle, loadConfig } from './config.mjs';
import { ConnectionManager, createIamTokenGenerator, DEFAULT_TIMEOUTS, sqlstateOf } from './database.mjs';
import { ConfigurationError, HandlerError } from './errors.mjs';
import { createLogger } from './logger.mjs';
import { errorResponse, successResponse } from './responses.mjs';

/**
 * Read and check the configuration once and return the handler for one execution environment.
 * The returned function carries the ConnectionManager as `handler.connections` (undefined
 * when the configuration is invalid).
 */
export function createHandler({ env, timeouts = DEFAULT_TIMEOUTS, logger = createLogger() }) {
  let connections;
  let configurationError;
  try {
    const config = loadConfig(env);
    const caBundle = loadCaBundle(config.caBundlePath);
    connections = new ConnectionManager({
      config,
      caBundle,
      generateToken: createIamTokenGenerator(config),
      timeouts,
      logger,
    });
  } catch (error) {
    if (!(error instanceof ConfigurationError)) {
      throw error;
    }
    configurationError = error;
    logger.error('invalid configuration', { invalidVariables: error.variables, error: error.name, detail: error.message });
  }

  const fail = (error, started, logFields, connectionReused) => {
    logger.error('invocation failed', {
      ...logFields,
      outcome: error.failureClass,
      statusCode: error.statusCode,
      durationMs: elapsedMs(started),
      connectionReused,
      error: error.name,
      sqlstate: error.sqlstate,
      invalidVariables: error instanceof ConfigurationError ? error.variables : [],
      detail: error.message,
    });
    return errorResponse(error, logFields.requestId);
  };

  const handler = async (event, context) => {
    const started = performance.now();
    const logFields = { requestId: context?.awsRequestId ?? null, apiRequestId: event?.requestContext?.requestId ?? null };

    if (configurationError !== undefined) {
      return fail(configurationError, started, logFields, false);
    }

    const warm = connections.hasConnection;
    let outcome;
    try {
      // Benchmarks pass a context without getRemainingTimeInMillis.
      outcome = await connections.runProbe({ remainingMs: context?.getRemainingTimeInMillis?.() });
    } catch (error) {
      if (error instanceof HandlerError) {
        return fail(error, started, logFields, warm);
      }
      // Unknown failures go to the Lambda runtime, which records them with the stack trace;
      // API Gateway then returns 502 without details.
      logger.error('invocation failed', {
        ...logFields,
        outcome: 'unexpected_error',
        statusCode: null,
        durationMs: elapsedMs(started),
        connectionReused: warm,
        error: error?.name ?? typeof error,
        sqlstate: sqlstateOf(error),
        invalidVariables: [],
        detail: null,
      });
      throw error;
    }

    logger.info('invocation succeeded', {
      ...logFields,
      outcome: 'success',
      statusCode: 200,
      durationMs: elapsedMs(started),
      connectionReused: outcome.connectionReused,
    });
    return successResponse(outcome.result, outcome.connectionReused);
  };
  handler.connections = connections;
  return handler;
}

function elapsedMs(started) {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
