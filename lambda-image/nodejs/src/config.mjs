// Read and check the handler's environment variables once per execution environment.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { ConfigurationError, ConfigurationProblem } from './errors.mjs';

export const REGION_VARIABLE = 'DB_REGION';
export const PROXY_ENDPOINT_VARIABLE = 'DB_PROXY_ENDPOINT';
export const PORT_VARIABLE = 'DB_PORT';
export const DATABASE_NAME_VARIABLE = 'DB_NAME';
export const USER_VARIABLE = 'DB_USER';
export const CA_BUNDLE_PATH_VARIABLE = 'DB_CA_BUNDLE_PATH';

/** Path at which both images install the verified Amazon Root CA 1 certificate. */
export const DEFAULT_CA_BUNDLE_PATH = '/etc/pki/amazon/AmazonRootCA1.pem';

// PostgreSQL truncates identifiers to NAMEDATALEN - 1 = 63 bytes, so a longer name would
// log in as a different role or database than configured.
const MAX_IDENTIFIER_BYTES = 63;

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;
const HOST_NAME_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME_PATTERN = new RegExp(`^${HOST_NAME_LABEL}(?:\\.${HOST_NAME_LABEL})*$`);
const MAX_HOST_NAME_LENGTH = 253;

/**
 * Quote a value the way the Python handler's messages do (repr), so both runtimes log the same
 * text for values without quotes or backslashes.
 */
function quote(value) {
  return `'${value}'`;
}

/**
 * Build the configuration from `env`.
 * Throws ConfigurationError that lists every missing or malformed variable at once.
 */
export function loadConfig(env) {
  const problems = [];

  const required = (variable) => {
    const value = env[variable];
    if (value === undefined || value.trim() === '') {
      problems.push(new ConfigurationProblem(variable, 'is missing or empty'));
      return '';
    }
    return value;
  };

  const region = required(REGION_VARIABLE);
  if (region && !REGION_PATTERN.test(region)) {
    problems.push(
      new ConfigurationProblem(REGION_VARIABLE, `is invalid: ${quote(region)} is not an AWS Region code such as 'eu-west-1'`),
    );
  }

  const proxyEndpoint = required(PROXY_ENDPOINT_VARIABLE);
  if (proxyEndpoint && (proxyEndpoint.length > MAX_HOST_NAME_LENGTH || !HOST_NAME_PATTERN.test(proxyEndpoint))) {
    problems.push(
      new ConfigurationProblem(
        PROXY_ENDPOINT_VARIABLE,
        `is invalid: ${quote(proxyEndpoint)} is not a host name; use the proxy endpoint without scheme or port`,
      ),
    );
  }

  let port = 0;
  const portText = required(PORT_VARIABLE);
  if (portText) {
    if (/^[0-9]{1,5}$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65535) {
      port = Number(portText);
    } else {
      problems.push(new ConfigurationProblem(PORT_VARIABLE, `is invalid: ${quote(portText)} is not an integer from 1 to 65535`));
    }
  }

  const databaseName = required(DATABASE_NAME_VARIABLE);
  const user = required(USER_VARIABLE);
  for (const [variable, identifier] of [
    [DATABASE_NAME_VARIABLE, databaseName],
    [USER_VARIABLE, user],
  ]) {
    if (Buffer.byteLength(identifier, 'utf8') > MAX_IDENTIFIER_BYTES) {
      problems.push(
        new ConfigurationProblem(variable, `is invalid: longer than ${MAX_IDENTIFIER_BYTES} bytes, which PostgreSQL would truncate`),
      );
    }
  }

  const caBundlePath = env[CA_BUNDLE_PATH_VARIABLE] ?? DEFAULT_CA_BUNDLE_PATH;
  if (caBundlePath.trim() === '') {
    problems.push(new ConfigurationProblem(CA_BUNDLE_PATH_VARIABLE, `is empty; unset it to use ${DEFAULT_CA_BUNDLE_PATH}`));
  }

  if (problems.length > 0) {
    throw new ConfigurationError(problems);
  }
  return Object.freeze({ region, proxyEndpoint, port, databaseName, user, caBundlePath });
}

/**
 * Read the CA file once and check that it contains a PEM certificate.
 * Throws ConfigurationError naming DB_CA_BUNDLE_PATH when it cannot be loaded.
 */
export function loadCaBundle(caBundlePath) {
  try {
    const pem = readFileSync(caBundlePath, 'utf8');
    // Parses the first certificate and throws when there is none.
    new X509Certificate(pem);
    return pem;
  } catch (error) {
    const problem = new ConfigurationProblem(
      CA_BUNDLE_PATH_VARIABLE,
      `is invalid: cannot load a PEM CA certificate from ${quote(caBundlePath)}`,
    );
    throw new ConfigurationError([problem], { cause: error });
  }
}
