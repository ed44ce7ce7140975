import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { loadFixture } from './helpers.mjs';
import { DEFAULT_CA_BUNDLE_PATH, loadCaBundle, loadConfig } from '../src/config.mjs';
import { ConfigurationError } from '../src/errors.mjs';

const VALID_ENVIRONMENT = Object.freeze({
  DB_REGION: 'ap-northeast-1',
  DB_PROXY_ENDPOINT: 'app-proxy.proxy-c1a2b3c4d5e6.ap-northeast-1.rds.amazonaws.com',
  DB_PORT: '5432',
  DB_NAME: 'app',
  DB_USER: 'app_iam',
});
const REQUIRED_VARIABLES = ['DB_REGION', 'DB_PROXY_ENDPOINT', 'DB_PORT', 'DB_NAME', 'DB_USER'];
const INVALID_VALUE_CASES = loadFixture('invalid-environment-values.json').cases;

function configurationErrorOf(env) {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigurationError, `expected ConfigurationError, got ${error}`);
    return error;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  test('reads every variable', () => {
    const config = loadConfig({ ...VALID_ENVIRONMENT, DB_CA_BUNDLE_PATH: '/opt/ca.pem' });

    assert.equal(config.region, 'ap-northeast-1');
    assert.equal(config.proxyEndpoint, VALID_ENVIRONMENT.DB_PROXY_ENDPOINT);
    assert.equal(config.port, 5432);
    assert.equal(config.databaseName, 'app');
    assert.equal(config.user, 'app_iam');
    assert.equal(config.caBundlePath, '/opt/ca.pem');
    assert.ok(Object.isFrozen(config));
  });

  test('defaults CA path to image file', () => {
    const config = loadConfig(VALID_ENVIRONMENT);

    assert.equal(config.caBundlePath, '/etc/pki/amazon/AmazonRootCA1.pem');
    assert.equal(DEFAULT_CA_BUNDLE_PATH, config.caBundlePath);
  });

  for (const port of ['1', '65535']) {
    test(`accepts port bound ${port}`, () => {
      assert.equal(loadConfig({ ...VALID_ENVIRONMENT, DB_PORT: port }).port, Number(port));
    });
  }

  for (const variable of REQUIRED_VARIABLES) {
    test(`rejects missing ${variable}`, () => {
      const env = { ...VALID_ENVIRONMENT };
      delete env[variable];

      const error = configurationErrorOf(env);

      assert.deepEqual(error.variables, [variable]);
      assert.match(error.message, new RegExp(`${variable} is missing`));
    });

    for (const blank of ['', '   ']) {
      test(`rejects blank ${variable} ${JSON.stringify(blank)}`, () => {
        const error = configurationErrorOf({ ...VALID_ENVIRONMENT, [variable]: blank });

        assert.deepEqual(error.variables, [variable]);
      });
    }
  }

  for (const { variable, value } of INVALID_VALUE_CASES) {
    test(`rejects malformed ${variable}=${JSON.stringify(value.slice(0, 20))}`, () => {
      const error = configurationErrorOf({ ...VALID_ENVIRONMENT, [variable]: value });

      assert.deepEqual(error.variables, [variable]);
      assert.ok(error.message.includes(variable));
    });
  }

  test('reports all problems at once', () => {
    const error = configurationErrorOf({ DB_PORT: '70000', DB_NAME: 'app' });

    assert.deepEqual(error.variables, ['DB_REGION', 'DB_PROXY_ENDPOINT', 'DB_PORT', 'DB_USER']);
    assert.equal(error.failureClass, 'configuration');
    assert.equal(error.statusCode, 500);
  });
});

describe('loadCaBundle', () => {
  const directory = mkdtempSync(join(tmpdir(), 'ca-bundle-'));

  test('rejects missing CA file', () => {
    const missingPath = join(directory, 'absent.pem');

    const error = captureError(() => loadCaBundle(missingPath));

    assert.ok(error instanceof ConfigurationError);
    assert.deepEqual(error.variables, ['DB_CA_BUNDLE_PATH']);
    assert.ok(error.message.includes(missingPath));
    assert.equal(error.cause.code, 'ENOENT');
  });

  test('rejects non-PEM file', () => {
    const notACertificate = join(directory, 'ca.pem');
    writeFileSync(notACertificate, 'this is not a certificate\n');

    const error = captureError(() => loadCaBundle(notACertificate));

    assert.ok(error instanceof ConfigurationError);
    assert.deepEqual(error.variables, ['DB_CA_BUNDLE_PATH']);
  });
});

function captureError(action) {
  try {
    action();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}
