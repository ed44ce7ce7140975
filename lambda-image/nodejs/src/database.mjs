// Open, reuse and replace the TLS connection to PostgreSQL, and classify its failures.
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';

import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';

import {
  DatabaseAuthenticationError,
  DatabaseTimeoutError,
  DatabaseTlsError,
  DatabaseUnreachableError,
} from './errors.mjs';

// Caps for one connect attempt (TCP, TLS handshake and login) and for the probe statement.
// Every invocation also ends before its deadline: the Lambda context's remaining time minus
// DEADLINE_SAFETY_MARGIN_MS, which leaves time to log and return the error response.
export const CONNECT_TIMEOUT_MS = 5_000;
export const STATEMENT_TIMEOUT_MS = 5_000;
export const DEADLINE_SAFETY_MARGIN_MS = 1_000;
// A broken warm connection is replaced only when at least this much time is left before the
// deadline, because a shorter connect attempt would most likely time out anyway.
export const MIN_REPLACEMENT_BUDGET_MS = 1_000;

export const DEFAULT_TIMEOUTS = Object.freeze({
  connectMs: CONNECT_TIMEOUT_MS,
  statementMs: STATEMENT_TIMEOUT_MS,
  safetyMarginMs: DEADLINE_SAFETY_MARGIN_MS,
  minReplacementMs: MIN_REPLACEMENT_BUDGET_MS,
});

const APPLICATION_NAME = 'rds-proxy-probe';

// NOTE: behind an RDS Proxy, pg_stat_ssl describes the proxy's own session to the database,
// not the function's session to the proxy. The function's session always uses verified TLS,
// because the connection is opened only with the TLS options below.
export const PROBE_QUERY =
  "SELECT current_user, current_database(), current_setting('server_version') AS server_version, " +
  '(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS tls';

// SQLSTATE codes, from the PostgreSQL 15 manual, appendix A "Error Codes".
// Class 28 (invalid authorization), insufficient_privilege (for example no CONNECT privilege)
// and invalid_catalog_name (no such database) are login problems that retrying cannot fix.
const AUTHENTICATION_SQLSTATE_CLASS = '28';
const AUTHENTICATION_SQLSTATES = new Set(['42501', '3D000']);
const STATEMENT_TIMEOUT_SQLSTATES = new Set(['57014']); // query_canceled, raised by statement_timeout
// Class 53 (insufficient resources, such as too_many_connections) and admin shutdown, crash
// shutdown and cannot_connect_now: the server may accept the connection later.
const INSUFFICIENT_RESOURCES_SQLSTATE_CLASS = '53';
const SERVER_UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const SQLSTATE_PATTERN = /^[0-9A-Z]{5}$/;

// Every certificate verification code that Node.js reports on TLS sockets: the X509_V_ERR_*
// names of OpenSSL without the prefix, from Node.js's GetValidationErrorCode (crypto_common.cc).
const TLS_VERIFICATION_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'OUT_OF_MEM',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

// Messages of errors that pg 8.x creates without a code.
const PG_TIMEOUT_MESSAGES = new Set(['timeout expired', 'Query read timeout', 'Connection terminated due to connection timeout']);
const PG_TLS_MESSAGES = new Set([
  'The server does not support SSL connections',
  'There was an error establishing an SSL connection',
]);
const PG_CONNECTION_LOST_PATTERN = /^Connection terminated|not queryable|Client was closed/;

/** Return the SQLSTATE of a PostgreSQL server error, or null for any other error. */
export function sqlstateOf(error) {
  const code = error?.code;
  // pg copies the server's SQLSTATE into `code`, and only server errors carry `severity`.
  return typeof code === 'string' && SQLSTATE_PATTERN.test(code) && error?.severity !== undefined ? code : null;
}

/** Map a server error's SQLSTATE to the handler's failure class, or undefined when unknown. */
function classifySqlstate(sqlstate, error) {
  const description = `server error ${sqlstate}`;
  let classified;
  if (sqlstate.startsWith(AUTHENTICATION_SQLSTATE_CLASS) || AUTHENTICATION_SQLSTATES.has(sqlstate)) {
    classified = new DatabaseAuthenticationError(description, { cause: error });
  } else if (STATEMENT_TIMEOUT_SQLSTATES.has(sqlstate)) {
    classified = new DatabaseTimeoutError(description, { cause: error });
  } else if (sqlstate.startsWith(INSUFFICIENT_RESOURCES_SQLSTATE_CLASS) || SERVER_UNAVAILABLE_SQLSTATES.has(sqlstate)) {
    classified = new DatabaseUnreachableError(description, { cause: error });
  } else {
    return undefined;
  }
  classified.sqlstate = sqlstate;
  return classified;
}

/**
 * Map a driver or socket error to the handler's failure class, or undefined when unknown.
 * `connectTimedOut` is true when the client's own connect timer fired, because pg then
 * reports only that the connection ended. `duringTlsHandshake` is true when the error
 * happened after the TLS handshake started and before it finished. The description never
 * contains the server's message text, only the SQLSTATE, because the message can repeat
 * values from the login.
 */
export function classifyDatabaseError(error, { connectTimedOut = false, duringTlsHandshake = false } = {}) {
  const code = error?.code;
  const message = String(error?.message ?? '');

  if (connectTimedOut || PG_TIMEOUT_MESSAGES.has(message) || code === 'ETIMEDOUT') {
    return new DatabaseTimeoutError(`timed out: ${message}`, { cause: error });
  }
  const tlsFailure =
    TLS_VERIFICATION_CODES.has(code) ||
    /^ERR_(TLS|SSL)_/.test(code ?? '') ||
    error?.library === 'SSL routines' ||
    PG_TLS_MESSAGES.has(message) ||
    (duringTlsHandshake && !NETWORK_ERROR_CODES.has(code));
  if (tlsFailure) {
    return new DatabaseTlsError(`TLS handshake failed: ${code ?? ''} ${message}`.trim(), { cause: error });
  }
  const sqlstate = sqlstateOf(error);
  if (sqlstate !== null) {
    return classifySqlstate(sqlstate, error);
  }
  if (NETWORK_ERROR_CODES.has(code) || PG_CONNECTION_LOST_PATTERN.test(message)) {
    return new DatabaseUnreachableError(`connection failed: ${code ?? ''} ${message}`.trim(), { cause: error });
  }
  return undefined;
}

/**
 * Build the pg `ssl` options: trust only `caBundle`, verify the host name, and require TLS 1.2
 * or later.
 */
export function buildTlsOptions(config, caBundle) {
  return {
    ca: caBundle,
    // The endpoint is the TLS server name (SNI), and Node.js checks the certificate
    // against it. RFC 6066 forbids IP addresses as SNI, so those are checked as the host.
    ...(isIP(config.proxyEndpoint) === 0 ? { servername: config.proxyEndpoint } : {}),
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}

/**
 * Create the function that signs RDS IAM auth tokens with the function's AWS credentials.
 * A token is valid for 15 minutes and only for opening a connection, so the caller asks for
 * a new one for every connection.
 */
export function createIamTokenGenerator(config) {
  const signer = new Signer({
    hostname: config.proxyEndpoint,
    port: config.port,
    username: config.user,
    region: config.region,
  });
  return async () => {
    try {
      return await signer.getAuthToken();
    } catch (error) {
      if (error?.name === 'CredentialsProviderError') {
        throw new DatabaseAuthenticationError('no AWS credentials to sign the IAM auth token', { cause: error });
      }
      throw error;
    }
  };
}

/** Keep one connection for warm invocations and replace it when it breaks. */
export class ConnectionManager {
  #config;
  #caBundle;
  #generateToken;
  #timeouts;
  #logger;
  #client = undefined;
  #brokenClients = new WeakSet();

  constructor({ config, caBundle, generateToken, timeouts = DEFAULT_TIMEOUTS, logger }) {
    this.#config = config;
    this.#caBundle = caBundle;
    this.#generateToken = generateToken;
    this.#timeouts = timeouts;
    this.#logger = logger;
  }

  get hasConnection() {
    return this.#client !== undefined;
  }

  /** The open pg client, for benchmarks that compare a raw query on it. */
  get client() {
    return this.#client;
  }

  /**
   * Run PROBE_QUERY and return `{ result, connectionReused }`.
   * `remainingMs` is the Lambda context's remaining time. Connecting and the query end before
   * that time minus the safety margin, or throw DatabaseTimeoutError. A warm connection that
   * the server closed, or that fails as unreachable or timed out, is closed and replaced once,
   * and only when at least `minReplacementMs` are left. A failure on a new connection is
   * thrown at once.
   */
  async runProbe({ remainingMs } = {}) {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...this.#timeouts };
    const invocationDeadline =
      remainingMs === undefined ? Infinity : performance.now() + remainingMs - timeouts.safetyMarginMs;

    if (this.#client !== undefined) {
      try {
        if (this.#brokenClients.has(this.#client)) {
          await this.close();
          throw new DatabaseUnreachableError('connection failed: the server closed the idle connection');
        }
        return { result: await this.#query(this.#client, invocationDeadline, timeouts), connectionReused: true };
      } catch (error) {
        if (!(error instanceof DatabaseUnreachableError || error instanceof DatabaseTimeoutError)) {
          throw error;
        }
        const fields = { failureClass: error.failureClass, error: error.name, sqlstate: error.sqlstate, detail: error.message };
        if (invocationDeadline - performance.now() < timeouts.minReplacementMs) {
          this.#logger.warn('not replacing broken connection: too little time left', fields);
          throw error;
        }
        this.#logger.warn('replacing broken connection', fields);
      }
    }

    this.#client = await this.#open(invocationDeadline, timeouts);
    return { result: await this.#query(this.#client, invocationDeadline, timeouts), connectionReused: false };
  }

  async close() {
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      // The socket may already be gone, and nothing is left to do with it then.
      await client.end().catch(() => {});
    }
  }

  async #open(invocationDeadline, timeouts) {
    const connectMs = millisecondsUntil(Math.min(invocationDeadline, performance.now() + timeouts.connectMs));
    const token = await this.#generateToken();
    const client = new pg.Client({
      user: this.#config.user,
      password: token,
      host: this.#config.proxyEndpoint,
      port: this.#config.port,
      database: this.#config.databaseName,
      ssl: buildTlsOptions(this.#config, this.#caBundle),
      application_name: APPLICATION_NAME,
      // A total limit for TCP, the TLS handshake and the login.
      connectionTimeoutMillis: connectMs,
      // Server-side limit, sent as a startup parameter.
      statement_timeout: timeouts.statementMs,
    });
    // An idle client whose server closes the connection emits 'error'; without a listener
    // that event would crash the process, so mark the connection for replacement.
    client.on('error', (error) => {
      this.#brokenClients.add(client);
      this.#logger.warn('connection closed while idle', { error: error?.name ?? 'Error', code: error?.code ?? null });
    });

    // pg emits 'sslconnect' when it starts the TLS handshake on its new TLS socket.
    let duringTlsHandshake = false;
    client.connection.once('sslconnect', () => {
      duringTlsHandshake = true;
      client.connection.stream.once('secureConnect', () => {
        duringTlsHandshake = false;
      });
    });
    let connectTimedOut = false;
    const connectTimer = setTimeout(() => {
      connectTimedOut = true;
    }, connectMs);
    try {
      await client.connect();
      return client;
    } catch (error) {
      throw classifyDatabaseError(error, { connectTimedOut, duringTlsHandshake }) ?? error;
    } finally {
      clearTimeout(connectTimer);
    }
  }

  async #query(client, invocationDeadline, timeouts) {
    let rows;
    try {
      // query_timeout is the client-side limit for a server that stops responding.
      const queryTimeoutMs = millisecondsUntil(Math.min(invocationDeadline, performance.now() + timeouts.statementMs));
      ({ rows } = await client.query({ text: PROBE_QUERY, query_timeout: queryTimeoutMs }));
    } catch (error) {
      // A connection that failed mid-query is in an unknown state and is never reused.
      await this.close();
      throw error instanceof DatabaseTimeoutError ? error : (classifyDatabaseError(error) ?? error);
    }
    const [row] = rows;
    return {
      currentUser: row.current_user,
      database: row.current_database,
      serverVersion: row.server_version,
      tls: row.tls,
    };
  }
}

/**
 * Return the whole milliseconds left before `deadline` (a performance.now() value), at least 1
 * because pg treats 0 as no timeout. Throws DatabaseTimeoutError when no time is left.
 */
function millisecondsUntil(deadline) {
  const remaining = Math.floor(deadline - performance.now());
  if (remaining < 1) {
    throw new DatabaseTimeoutError('timed out: the invocation deadline passed');
  }
  return remaining;
}
