import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { collectingLogger, fakeLambdaContext, loadFixture } from './helpers.mjs';
import { loadCaBundle } from '../src/config.mjs';
import { buildTlsOptions, classifyDatabaseError } from '../src/database.mjs';
import {
  DatabaseAuthenticationError,
  DatabaseTimeoutError,
  DatabaseTlsError,
  DatabaseUnreachableError,
} from '../src/errors.mjs';
import { createHandler } from '../src/handler.mjs';

const SECRET_TOKEN = 'proxy.example.com:5432/?Action=connect&DBUser=app&X-Amz-Signature=SECRET0123456789abcdef';

// Status codes of the API contract: failures that retrying can fix are 503, the others 500.
const EXPECTED_STATUS_BY_ERROR = [
  [DatabaseTlsError, 'tls', 500],
  [DatabaseAuthenticationError, 'authentication', 500],
  [DatabaseUnreachableError, 'unreachable', 503],
  [DatabaseTimeoutError, 'timeout', 503],
];

/** Stands in for ConnectionManager: returns a fixed result or throws a fixed error. */
function stubConnections({ result, error, hasConnection = false }) {
  return {
    hasConnection,
    async runProbe() {
      if (error !== undefined) {
        throw error;
      }
      return { result, connectionReused: hasConnection };
    },
  };
}

/** Build a handler with a valid configuration and replace its connections with a stub. */
async function handlerWithStub(stub) {
  const { logger, entries } = await collectingLogger();
  const handler = createHandler({
    env: {
      DB_REGION: 'ap-northeast-1',
      DB_PROXY_ENDPOINT: 'proxy.example.com',
      DB_PORT: '5432',
      DB_NAME: 'app',
      DB_USER: 'app_iam',
      DB_CA_BUNDLE_PATH: '/etc/ssl/certs/ca-certificates.crt',
    },
    logger,
  });
  return { handler: withConnections(handler, stub), entries };
}

// The handler reads `connections` through its closure, so the stub replaces runProbe on it.
function withConnections(handler, stub) {
  const { connections } = handler;
  Object.defineProperty(connections, 'hasConnection', { get: () => stub.hasConnection });
  connections.runProbe = stub.runProbe;
  return handler;
}

function assertJsonProxyResponse(response, statusCode) {
  assert.equal(response.statusCode, statusCode);
  assert.equal(response.headers['Content-Type'], 'application/json');
  assert.equal(response.isBase64Encoded, false);
  assert.equal(typeof response.body, 'string');
  return JSON.parse(response.body);
}

describe('handler responses', () => {
  const getEvent = loadFixture('apigateway-rest-get.json');
  const postEvent = loadFixture('apigateway-rest-post.json');
  const context = fakeLambdaContext();

  test('configuration error returns 500', async () => {
    const { logger } = await collectingLogger();
    const handler = createHandler({ env: { DB_REGION: 'eu-west-1', DB_PROXY_ENDPOINT: 'proxy.example.com', DB_PORT: '99999' }, logger });

    const response = await handler(getEvent, context);

    const body = assertJsonProxyResponse(response, 500);
    assert.equal(body.error.failureClass, 'configuration');
    assert.equal(body.error.requestId, context.awsRequestId);
    for (const variable of ['DB_PORT', 'DB_NAME', 'DB_USER']) {
      assert.ok(body.error.message.includes(variable), `${variable} missing from ${body.error.message}`);
    }
    assert.ok(!body.error.message.includes('DB_REGION'));
  });

  test('configuration error log names variables', async () => {
    const { logger, entries } = await collectingLogger();
    const handler = createHandler({
      env: { DB_REGION: 'eu-west-1', DB_PROXY_ENDPOINT: 'proxy.example.com', DB_NAME: 'app', DB_USER: 'app' },
      logger,
    });

    await handler(getEvent, context);
    await handler(getEvent, context);

    const invocationLines = entries().filter((entry) => entry.message === 'invocation failed');
    assert.equal(invocationLines.length, 2);
    for (const line of invocationLines) {
      assert.equal(line.outcome, 'configuration');
      assert.deepEqual(line.invalidVariables, ['DB_PORT']);
      assert.equal(line.requestId, context.awsRequestId);
      assert.equal(line.apiRequestId, getEvent.requestContext.requestId);
      assert.equal(line.connectionReused, false);
      assert.ok(line.durationMs >= 0);
      assert.equal(line.level, 'ERROR');
    }
  });

  test('configuration checked once per environment', async () => {
    let reads = 0;
    const env = new Proxy(
      {},
      {
        get(target, name) {
          reads += 1;
          return undefined;
        },
      },
    );
    const { logger } = await collectingLogger();
    const handler = createHandler({ env, logger });
    const readsAtColdStart = reads;

    for (let invocation = 0; invocation < 3; invocation += 1) {
      await handler(getEvent, context);
    }

    assert.ok(readsAtColdStart > 0);
    assert.equal(reads, readsAtColdStart);
  });

  test('success returns 200 JSON', async () => {
    const result = { currentUser: 'app_iam', database: 'app', serverVersion: '15.8', tls: true };
    const { handler, entries } = await handlerWithStub(stubConnections({ result, hasConnection: true }));

    const response = await handler(postEvent, context);

    const body = assertJsonProxyResponse(response, 200);
    assert.deepEqual(body, { currentUser: 'app_iam', database: 'app', serverVersion: '15.8', tls: true, connectionReused: true });
    const [line] = entries();
    assert.equal(line.outcome, 'success');
    assert.equal(line.statusCode, 200);
    assert.equal(line.connectionReused, true);
    assert.equal(line.apiRequestId, postEvent.requestContext.requestId);
  });

  for (const [ErrorType, failureClass, statusCode] of EXPECTED_STATUS_BY_ERROR) {
    test(`${failureClass} error response hides details`, async () => {
      const error = new ErrorType(`driver detail with ${SECRET_TOKEN}`, { cause: new Error(`password=${SECRET_TOKEN}`) });
      const { handler, entries } = await handlerWithStub(stubConnections({ error }));

      const response = await handler(getEvent, context);

      const body = assertJsonProxyResponse(response, statusCode);
      assert.equal(body.error.failureClass, failureClass);
      assert.ok(body.error.message.length > 0);
      assert.ok(!response.body.includes(SECRET_TOKEN));
      assert.ok(!response.body.includes('password'));
      assert.ok(!response.body.includes('    at '), 'stack trace in body');
      const [line] = entries();
      assert.equal(line.outcome, failureClass);
      assert.equal(line.statusCode, statusCode);
    });
  }

  test('unexpected error logged and thrown', async () => {
    const { handler, entries } = await handlerWithStub(stubConnections({ error: new RangeError('surprise') }));

    await assert.rejects(handler(getEvent, context), RangeError);

    const [line] = entries();
    assert.equal(line.outcome, 'unexpected_error');
    assert.equal(line.error, 'RangeError');
  });

  test('accepts event without request context', async () => {
    const { logger, entries } = await collectingLogger();
    const handler = createHandler({ env: {}, logger });

    const response = await handler({}, context);

    assert.equal(response.statusCode, 500);
    assert.equal(entries().at(-1).apiRequestId, null);
  });

  test('entry point reads process.env', async () => {
    for (const variable of ['DB_REGION', 'DB_PROXY_ENDPOINT', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_CA_BUNDLE_PATH']) {
      delete process.env[variable];
    }
    process.env.DB_REGION = 'not a region';

    const { handler } = await import('../index.mjs');
    const response = await handler(getEvent, context);

    const body = JSON.parse(response.body);
    assert.equal(response.statusCode, 500);
    assert.equal(body.error.failureClass, 'configuration');
    assert.ok(body.error.message.includes('DB_REGION'));
    delete process.env.DB_REGION;
  });
});

describe('classifyDatabaseError', () => {
  const cases = [
    [Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), DatabaseTlsError],
    [Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), DatabaseTlsError],
    [new Error('The server does not support SSL connections'), DatabaseTlsError],
    [Object.assign(new Error('password authentication failed'), { code: '28P01', severity: 'FATAL' }), DatabaseAuthenticationError],
    [Object.assign(new Error('no pg_hba.conf entry'), { code: '28000', severity: 'FATAL' }), DatabaseAuthenticationError],
    [Object.assign(new Error('permission denied for database'), { code: '42501', severity: 'FATAL' }), DatabaseAuthenticationError],
    [Object.assign(new Error('too many connections for role'), { code: '53300', severity: 'FATAL' }), DatabaseUnreachableError],
    [Object.assign(new Error('the database system is starting up'), { code: '57P03', severity: 'FATAL' }), DatabaseUnreachableError],
    [Object.assign(new Error('unsuitable certificate purpose'), { code: 'INVALID_PURPOSE' }), DatabaseTlsError],
    [Object.assign(new Error('invalid CA certificate'), { code: 'INVALID_CA' }), DatabaseTlsError],
    [Object.assign(new Error('certificate signature failure'), { code: 'CERT_SIGNATURE_FAILURE' }), DatabaseTlsError],
    [Object.assign(new Error('certificate chain too long'), { code: 'CERT_CHAIN_TOO_LONG' }), DatabaseTlsError],
    [Object.assign(new Error('path length constraint exceeded'), { code: 'PATH_LENGTH_EXCEEDED' }), DatabaseTlsError],
    [Object.assign(new Error('certificate revoked'), { code: 'CERT_REVOKED' }), DatabaseTlsError],
    [Object.assign(new Error('database does not exist'), { code: '3D000', severity: 'FATAL' }), DatabaseAuthenticationError],
    [Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014', severity: 'FATAL' }), DatabaseTimeoutError],
    [Object.assign(new Error('terminating connection'), { code: '57P01', severity: 'FATAL' }), DatabaseUnreachableError],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), DatabaseUnreachableError],
    [new Error('Connection terminated unexpectedly'), DatabaseUnreachableError],
    [new Error('Query read timeout'), DatabaseTimeoutError],
    [new Error('timeout expired'), DatabaseTimeoutError],
  ];

  for (const [error, ExpectedType] of cases) {
    test(`maps ${error.code ?? error.message} to ${ExpectedType.name}`, () => {
      const classified = classifyDatabaseError(error);

      assert.ok(classified instanceof ExpectedType, `got ${classified?.constructor.name}`);
      assert.equal(classified.cause, error);
    });
  }

  test('maps end after connect timer to timeout', () => {
    const classified = classifyDatabaseError(new Error('Connection terminated unexpectedly'), { connectTimedOut: true });

    assert.ok(classified instanceof DatabaseTimeoutError);
  });

  test('leaves unknown errors', () => {
    assert.equal(classifyDatabaseError(Object.assign(new Error('no such table'), { code: '42P01', severity: 'FATAL' })), undefined);
    assert.equal(classifyDatabaseError(new TypeError('bug')), undefined);
  });
});

describe('configuration and log format', () => {
  const getEvent = loadFixture('apigateway-rest-get.json');
  const context = fakeLambdaContext();
  const logLineFields = loadFixture('log-line-fields.json');
  const validEnvironment = { DB_REGION: 'eu-west-1', DB_PROXY_ENDPOINT: 'proxy.example.com', DB_PORT: '5432', DB_NAME: 'app', DB_USER: 'app' };

  test('configuration error body hides values', async () => {
    const missingCaPath = join(tmpdir(), 'secret-dir', 'absent-ca.pem');
    const { logger, entries } = await collectingLogger();
    const handler = createHandler({ env: { ...validEnvironment, DB_CA_BUNDLE_PATH: missingCaPath }, logger });
    const badPortHandler = createHandler({ env: { ...validEnvironment, DB_PORT: '99999' }, logger });

    const response = await handler(getEvent, context);
    const badPortResponse = await badPortHandler(getEvent, context);

    assert.equal(JSON.parse(response.body).error.message, 'invalid function configuration: DB_CA_BUNDLE_PATH');
    assert.ok(!response.body.includes('secret-dir'));
    assert.equal(JSON.parse(badPortResponse.body).error.message, 'invalid function configuration: DB_PORT');
    assert.ok(!badPortResponse.body.includes('99999'));
    const invocationLines = entries().filter((entry) => entry.message === 'invocation failed');
    assert.ok(invocationLines[0].detail.includes(missingCaPath));
    assert.ok(invocationLines[1].detail.includes('99999'));
  });

  test('CA error text matches Python', () => {
    const missingCaPath = join(tmpdir(), 'absent.pem');

    // The Python handler's test asserts the same text.
    assert.throws(() => loadCaBundle(missingCaPath), {
      message: `invalid function configuration: DB_CA_BUNDLE_PATH is invalid: cannot load a PEM CA certificate from '${missingCaPath}'`,
    });
  });

  for (const [name, stub, message, expectedFields] of [
    ['success', { result: { currentUser: 'app_iam', database: 'app', serverVersion: '15.8', tls: true } }, 'invocation succeeded', 'invocationSucceeded'],
    ['handler error', { error: new DatabaseTlsError('bad certificate') }, 'invocation failed', 'invocationFailed'],
    ['unexpected error', { error: Object.assign(new Error('no such table'), { code: '42P01', severity: 'ERROR' }) }, 'invocation failed', 'invocationFailed'],
  ]) {
    test(`log line fields match fixture: ${name}`, async () => {
      const { handler, entries } = await handlerWithStub(stubConnections(stub));

      await handler(getEvent, context).catch(() => {});

      const [line] = entries();
      assert.equal(line.message, message);
      assert.deepEqual(Object.keys(line).sort(), [...logLineFields[expectedFields]].sort());
    });
  }

  test('configuration log line fields match fixture', async () => {
    const { logger, entries } = await collectingLogger();
    const handler = createHandler({ env: {}, logger });

    await handler(getEvent, context);

    const [line] = entries().filter((entry) => entry.message === 'invocation failed');
    assert.deepEqual(Object.keys(line).sort(), [...logLineFields.invocationFailed].sort());
  });

  test('TLS options trust only CA file', () => {
    const config = { proxyEndpoint: 'proxy.example.com' };

    const options = buildTlsOptions(config, 'PEM TEXT');

    assert.equal(options.ca, 'PEM TEXT');
    assert.equal(options.minVersion, 'TLSv1.2');
    assert.equal(options.rejectUnauthorized, true);
    assert.equal(options.servername, 'proxy.example.com');
  });
});
