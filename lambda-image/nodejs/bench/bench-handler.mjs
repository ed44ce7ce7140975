// Measure the Node.js handler's cold and warm invocation latency against a running TLS
// PostgreSQL made by ../../testing/tls-postgres.sh. Run by ../../bench-handlers.sh; not a test.
//
// Usage: node bench/bench-handler.mjs WORK_DIR PORT INVOCATIONS
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mock } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';

import { createHandler } from '../src/handler.mjs';
import { createLogger } from '../src/logger.mjs';

const ROLE = 'app_iam';
const REGION = 'ap-northeast-1';
const HOST = 'localhost';
// The role's password must be the token for one fixed time, so only the cold invocation,
// which signs a token, runs under a fixed clock. Warm invocations sign nothing.
const SIGNED_AT = Date.parse('2025-01-22T08:15:42Z');
const EVENT_PATH = fileURLToPath(new URL('../../test-fixtures/apigateway-rest-get.json', import.meta.url));

/** Nearest-rank percentile. */
function percentile(samples, fraction) {
  const ordered = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(fraction * ordered.length));
  return ordered[Math.min(rank, ordered.length) - 1];
}

const median = (samples) => {
  const ordered = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(ordered.length / 2);
  return ordered.length % 2 === 1 ? ordered[middle] : (ordered[middle - 1] + ordered[middle]) / 2;
};

async function setRolePassword(workDir, port, password) {
  const admin = new pg.Client({ host: join(workDir, 'socket'), port, user: 'pgadmin', database: 'appdb' });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [ROLE]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE ROLE ${admin.escapeIdentifier(ROLE)} LOGIN`);
    }
    await admin.query(`ALTER ROLE ${admin.escapeIdentifier(ROLE)} PASSWORD ${admin.escapeLiteral(password)}`);
  } finally {
    await admin.end();
  }
}

async function main() {
  const [workDir, portText, invocationsText] = process.argv.slice(2);
  const port = Number(portText);
  const invocations = Number(invocationsText);
  const event = JSON.parse(readFileSync(EVENT_PATH, 'utf8'));
  const context = { awsRequestId: 'bench-request' };

  mock.timers.enable({ apis: ['Date'], now: SIGNED_AT });
  const token = await new Signer({ hostname: HOST, port, username: ROLE, region: REGION }).getAuthToken();
  await setRolePassword(workDir, port, token);

  // The handler's JSON log lines go to /dev/null: they are written, as in Lambda, but not shown.
  const devNull = createWriteStream('/dev/null');
  const logger = createLogger({ write: (line) => devNull.write(`${line}\n`) });
  const env = {
    DB_REGION: REGION,
    DB_PROXY_ENDPOINT: HOST,
    DB_PORT: String(port),
    DB_NAME: 'appdb',
    DB_USER: ROLE,
    DB_CA_BUNDLE_PATH: join(workDir, 'ca.pem'),
  };

  const started = performance.now();
  const handler = createHandler({ env, logger });
  const built = performance.now();
  const coldResponse = await handler(event, context);
  const firstFinished = performance.now();
  mock.timers.reset();
  if (coldResponse.statusCode !== 200) {
    throw new Error(`cold invocation failed: ${coldResponse.body}`);
  }

  const warmMs = [];
  for (let invocation = 0; invocation < invocations; invocation += 1) {
    const invocationStarted = performance.now();
    const response = await handler(event, context);
    warmMs.push(performance.now() - invocationStarted);
    if (response.statusCode !== 200) {
      throw new Error(`warm invocation failed: ${response.body}`);
    }
  }

  const { client } = handler.connections;
  const selectMs = [];
  for (let query = 0; query < invocations; query += 1) {
    const queryStarted = performance.now();
    await client.query('SELECT 1');
    selectMs.push(performance.now() - queryStarted);
  }
  await handler.connections.close();
  devNull.end();

  const format = (value) => value.toFixed(3).padStart(7);
  console.log(`nodejs  build (config + CA file + signer): ${(built - started).toFixed(2).padStart(8)} ms`);
  console.log(`nodejs  cold first invocation (token + TCP + TLS + SCRAM + query): ${(firstFinished - built).toFixed(2).padStart(8)} ms`);
  console.log(`nodejs  warm invocation, n=${invocations}:  median ${format(median(warmMs))} ms  p99 ${format(percentile(warmMs, 0.99))} ms`);
  console.log(
    `nodejs  raw SELECT 1 on same TLS connection, n=${invocations}:  median ${format(median(selectMs))} ms  p99 ${format(percentile(selectMs, 0.99))} ms`,
  );
}

await main();
