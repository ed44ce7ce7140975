// Shared test helpers: safe AWS settings, API Gateway REST proxy events, a fake Lambda
// context and a throwaway TLS PostgreSQL server made by ../../testing/tls-postgres.sh.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';

// Fixed fake credentials, no metadata service and no shared config files, so that no
// request can leave this machine. Set before any test creates an SDK client.
Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
});
for (const variable of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) {
  delete process.env[variable];
}

const LAMBDA_IMAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES_DIR = join(LAMBDA_IMAGE_DIR, 'test-fixtures');
const TLS_POSTGRES_SCRIPT = join(LAMBDA_IMAGE_DIR, 'testing', 'tls-postgres.sh');
const PG_BIN_DIR = process.env.PG_BIN_DIR || newestPgBinDir();
const RUNNING_IN_CI = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';

/** Return the newest /usr/lib/postgresql/<major>/bin, where Debian installs each major. */
function newestPgBinDir() {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)) : [];
  majors.sort((a, b) => Number(a) - Number(b));
  return majors.length > 0 ? join(root, majors[majors.length - 1], 'bin') : join(root, '15', 'bin');
}

export function loadFixture(name) {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, name), 'utf8'));
}

/** The properties of the Node.js Lambda context object that the handler reads. */
export function fakeLambdaContext() {
  const recorded = loadFixture('lambda-context.json');
  return {
    functionName: recorded.functionName,
    functionVersion: recorded.functionVersion,
    invokedFunctionArn: recorded.invokedFunctionArn,
    memoryLimitInMB: recorded.memoryLimitInMB,
    awsRequestId: recorded.awsRequestId,
    logGroupName: recorded.logGroupName,
    logStreamName: recorded.logStreamName,
    getRemainingTimeInMillis: () => recorded.timeoutMs,
  };
}

/** Builds a logger that keeps parsed JSON lines, on top of the handler's own logger. */
export async function collectingLogger() {
  const { createLogger } = await import('../src/logger.mjs');
  const lines = [];
  const logger = createLogger({ write: (line) => lines.push(line) });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line)) };
}

function missingTools() {
  const missing = [];
  for (const tool of ['openssl', 'bash']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      missing.push(tool);
    }
  }
  for (const binary of ['initdb', 'pg_ctl', 'postgres', 'psql']) {
    if (!existsSync(join(PG_BIN_DIR, binary))) {
      missing.push(join(PG_BIN_DIR, binary));
    }
  }
  return missing;
}

/**
 * Return the reason the integration tests cannot run here, or undefined when they can.
 * Throws when CI=true, because nothing may be skipped in CI.
 */
export function integrationSkipReason() {
  const missing = missingTools();
  if (missing.length === 0) {
    return undefined;
  }
  const reason = `integration tests need these tools, which are missing: ${missing.join(', ')}`;
  if (RUNNING_IN_CI) {
    throw new Error(reason);
  }
  return reason;
}

export async function findFreePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class TlsPostgres {
  constructor(workDir, port) {
    this.workDir = workDir;
    this.port = port;
    this.caPath = join(workDir, 'ca.pem');
    this.otherCaPath = join(workDir, 'other-ca.pem');
  }

  static async create() {
    const parentDir = process.env.HANDLER_TEST_TMPDIR || tmpdir();
    const server = new TlsPostgres(mkdtempSync(join(parentDir, 'handler-pg-')), await findFreePort());
    // 'exit' listeners run on process.exit() and after a failed run; SIGTERM and SIGINT are
    // turned into an exit first, because by default they end the process without listeners.
    const stopOnExit = () => server.destroy();
    const exitOnSignal = (signal) => process.exit(signal === 'SIGINT' ? 130 : 143);
    process.once('exit', stopOnExit);
    process.once('SIGTERM', exitOnSignal);
    process.once('SIGINT', exitOnSignal);
    server.removeExitHandlers = () => {
      process.off('exit', stopOnExit);
      process.off('SIGTERM', exitOnSignal);
      process.off('SIGINT', exitOnSignal);
    };
    server.runScript('init');
    server.start();
    return server;
  }

  runScript(command) {
    execFileSync('bash', [TLS_POSTGRES_SCRIPT, command, this.workDir, String(this.port)], { stdio: 'inherit' });
  }

  start() {
    this.runScript('start');
  }

  stop() {
    if (existsSync(this.workDir)) {
      this.runScript('stop');
    }
  }

  /** Stop the server and delete its work directory; calling it twice is not an error. */
  destroy() {
    this.removeExitHandlers?.();
    this.stop();
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /** Run one statement as the superuser over the Unix socket, which needs no password. */
  async adminQuery(sql, values = []) {
    const client = new pg.Client({ host: join(this.workDir, 'socket'), port: this.port, user: 'pgadmin', database: 'appdb' });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  async setRolePassword(role, password) {
    const client = new pg.Client({ host: join(this.workDir, 'socket'), port: this.port, user: 'pgadmin', database: 'appdb' });
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount === 0) {
        await client.query(`CREATE ROLE ${client.escapeIdentifier(role)} LOGIN`);
      }
      await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} PASSWORD ${client.escapeLiteral(password)}`);
    } finally {
      await client.end();
    }
  }

  async terminateSessions(role) {
    const rows = await this.adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    return rows.length;
  }
}

/**
 * Compute the token that RDS would accept for these values at the current (mocked) time,
 * independently of the handler's code path. The caller fixes the clock with mock timers first.
 */
export async function expectedToken({ hostname, port, username, region }) {
  return new Signer({ hostname, port, username, region }).getAuthToken();
}
