// Open, reuse and replace the TLS connection to PostgreSQL, and classify its failures.
import { isIP } from 'node:net';

import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';

import {
  DatabaseAuthenticationError,
  DatabaseTimeoutError,
  DatabaseTlsError,
  DatabaseUnreachableError,
} from './errors.mjs';

// Both stay well below the 25 s function timeout, even when a broken warm connection costs
// one statement timeout before the replacement connects and runs the probe:
// 5 + 5 + 5 = 15 s at most.
export const CONNECT_TIMEOUT_MS = 5_000;
export const STATEMENT_TIMEOUT_MS = 5_000;

export const DEFAULT_TIMEOUTS = Object.freeze({ connectMs: CONNECT_TIMEOUT_MS, statementMs: STATEMENT_TIMEOUT_MS });

const APPLICATION_NAME = 'rds-proxy-probe';

// NOTE: behind an RDS Proxy, pg_stat_ssl describes the proxy's own session to the database,
// not the function's session to the proxy. The function's session always uses verified TLS,
// because the connection is opened only with the TLS options below.
export const PROBE_QUERY =
  "SELECT current_user, current_database(), current_setting('server_version') AS server_version, " +
  '(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS tls';

// SQLSTATE codes, from the PostgreSQL 15 manual, appendix A "Error Codes".
const AUTHENTICATION_SQLSTATES = new Set(['28000', '28P01', '3D000']); // authorization, password, no such database
const STATEMENT_TIMEOUT_SQLSTATES = new Set(['57014']); // query_canceled, raised by statement_timeout
const SERVER_SHUTDOWN_SQLSTATES = new Set(['57P01', '57P02', '57P03']); // admin/crash shutdown, cannot connect now

// OpenSSL certificate verification codes that Node.js reports on TLS sockets.
const TLS_VERIFICATION_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REJECTED',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
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

/**
 * Map a driver or socket error to the handler's failure class, or undefined when unknown.
 * `connectTimedOut` is true when the client's own connect timer fired, because pg then
 * reports only that the connection ended.
 */
export function classifyDatabaseError(error, { connectTimedOut = false } = {}) {
  const code = error?.code;
  const message = String(error?.message ?? '');

  if (connectTimedOut || PG_TIMEOUT_MESSAGES.has(message) || code === 'ETIMEDOUT') {
    return new DatabaseTimeoutError(`timed out: ${message}`, { cause: error });
  }
  if (TLS_VERIFICATION_CODES.has(code) || /^ERR_(TLS|SSL)_/.test(code ?? '') || PG_TLS_MESSAGES.has(message)) {
    return new DatabaseTlsError(`TLS handshake failed: ${code ?? ''} ${message}`.trim(), { cause: error });
  }
  if (AUTHENTICATION_SQLSTATES.has(code)) {
    return new DatabaseAuthenticationError(`server error ${code}: ${message}`, { cause: error });
  }
  if (STATEMENT_TIMEOUT_SQLSTATES.has(code)) {
    return new DatabaseTimeoutError(`server error ${code}: ${message}`, { cause: error });
  }
  if (SERVER_SHUTDOWN_SQLSTATES.has(code)) {
    return new DatabaseUnreachableError(`server error ${code}: ${message}`, { cause: error });
  }
  if (NETWORK_ERROR_CODES.has(code) || PG_CONNECTION_LOST_PATTERN.test(message)) {
    return new DatabaseUnreachableError(`connection failed: ${code ?? ''} ${message}`.trim(), { cause: error });
  }
  return undefined;
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
   * A warm connection that the server closed, or that fails as unreachable or timed out,
   * is closed and replaced once; a failure on a new connection is thrown at once.
   */
  async runProbe() {
    if (this.#client !== undefined && this.#brokenClients.has(this.#client)) {
      this.#logger.warn('replacing broken connection', { failureClass: 'unreachable', error: 'closed while idle' });
      await this.close();
    }
    if (this.#client !== undefined) {
      try {
        return { result: await this.#query(this.#client), connectionReused: true };
      } catch (error) {
        if (!(error instanceof DatabaseUnreachableError || error instanceof DatabaseTimeoutError)) {
          throw error;
        }
        this.#logger.warn('replacing broken connection', { failureClass: error.failureClass, error: error.message });
      }
    }

    this.#client = await this.#open();
    return { result: await this.#query(this.#client), connectionReused: false };
  }

  async close() {
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      // The socket may already be gone, and nothing is left to do with it then.
      await client.end().catch(() => {});
    }
  }

  async #open() {
    const token = await this.#generateToken();
    const client = new pg.Client({
      user: this.#config.user,
      password: token,
      host: this.#config.proxyEndpoint,
      port: this.#config.port,
      database: this.#config.databaseName,
      ssl: {
        ca: this.#caBundle,
        // The endpoint is the TLS server name (SNI), and Node.js checks the certificate
        // against it. RFC 6066 forbids IP addresses as SNI, so those are checked as the host.
        ...(isIP(this.#config.proxyEndpoint) === 0 ? { servername: this.#config.proxyEndpoint } : {}),
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
      application_name: APPLICATION_NAME,
      connectionTimeoutMillis: this.#timeouts.connectMs,
      // Server-side limit, sent as a startup parameter, and a client-side limit for a
      // server that stops responding.
      statement_timeout: this.#timeouts.statementMs,
      query_timeout: this.#timeouts.statementMs,
    });
    // An idle client whose server closes the connection emits 'error'; without a listener
    // that event would crash the process, so mark the connection for replacement.
    client.on('error', (error) => {
      this.#brokenClients.add(client);
      this.#logger.warn('connection closed while idle', { error: error.message });
    });

    let connectTimedOut = false;
    const connectTimer = setTimeout(() => {
      connectTimedOut = true;
    }, this.#timeouts.connectMs);
    try {
      await client.connect();
      return client;
    } catch (error) {
      throw classifyDatabaseError(error, { connectTimedOut }) ?? error;
    } finally {
      clearTimeout(connectTimer);
    }
  }

  async #query(client) {
    let rows;
    try {
      ({ rows } = await client.query(PROBE_QUERY));
    } catch (error) {
      // A connection that failed mid-query is in an unknown state and is never reused.
      await this.close();
      throw classifyDatabaseError(error) ?? error;
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
