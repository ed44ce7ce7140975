// The handler against a real PostgreSQL 15 with TLS and scram-sha-256, where the role's
// password is the IAM auth token for the expected host, port, user, Region and time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import pg from 'pg';

import { collectingLogger, expectedToken, fakeLambdaContext, integrationSkipReason, loadFixture, TlsPostgres } from './helpers.mjs';
import { createHandler } from '../src/handler.mjs';

const ROLE = 'app_iam';
const REGION = 'ap-northeast-1';
const HOST = 'localhost';
const SIGNED_AT = Date.parse('2025-01-22T08:15:42Z');
// RDS IAM auth tokens expire 15 minutes after signing.
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;

const skip = integrationSkipReason();
const getEvent = loadFixture('apigateway-rest-get.json');
const context = fakeLambdaContext();
// Fails a test that runs longer than this, so a missing client timeout fails the run instead
// of hanging it. The slowest test takes about 2.5 s.
const TEST_TIMEOUT_MS = 20_000;

/** Builds a Lambda context whose remaining time is fixed, as for an invocation near its timeout. */
function contextWithRemaining(remainingMs) {
  return { ...context, getRemainingTimeInMillis: () => remainingMs };
}

/**
 * Start a loopback TCP proxy that forwards each chunk from the server after `delayMs`. Every
 * single read finishes well within a per-read timeout, but the whole connect (TLS handshake
 * and SCRAM login take several round trips) takes seconds.
 */
async function startDelayingProxy(serverPort, delayMs) {
  const sockets = new Set();
  const timers = new Set();
  const proxy = createServer((clientSocket) => {
    const upstream = connect(serverPort, '127.0.0.1');
    for (const socket of [clientSocket, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => (socket === clientSocket ? upstream : clientSocket).destroy());
    }
    clientSocket.pipe(upstream);
    upstream.on('data', (chunk) => {
      upstream.pause();
      const timer = setTimeout(() => {
        timers.delete(timer);
        clientSocket.write(chunk);
        upstream.resume();
      }, delayMs);
      timers.add(timer);
    });
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: proxy.address().port,
    close() {
      for (const timer of timers) {
        clearTimeout(timer);
      }
      for (const socket of sockets) {
        socket.destroy();
      }
      return new Promise((resolve) => proxy.close(resolve));
    },
  };
}

describe('handler against TLS PostgreSQL', { skip, timeout: 120_000 }, () => {
  let server;

  before(async () => {
    server = await TlsPostgres.create();
  });

  after(() => {
    server?.destroy();
  });

  function handlerEnvironment(overrides = {}) {
    return {
      DB_REGION: REGION,
      DB_PROXY_ENDPOINT: HOST,
      DB_PORT: String(server.port),
      DB_NAME: 'appdb',
      DB_USER: ROLE,
      DB_CA_BUNDLE_PATH: server.caPath,
      ...overrides,
    };
  }

  /** Fix the clock at SIGNED_AT and set the role's password to the token for that time. */
  async function signRole(t) {
    t.mock.timers.enable({ apis: ['Date'], now: SIGNED_AT });
    const token = await expectedToken({ hostname: HOST, port: server.port, username: ROLE, region: REGION });
    await server.setRolePassword(ROLE, token);
    t.after(() => server.terminateSessions(ROLE));
    return token;
  }

  async function buildHandler(overrides, options = {}) {
    const { logger, lines, entries } = await collectingLogger();
    const handler = createHandler({ env: handlerEnvironment(overrides), logger, ...options });
    return { handler, lines, entries };
  }

  const body = (response) => JSON.parse(response.body);

  test('success reports TLS session', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const token = await signRole(t);
    const { handler, lines, entries } = await buildHandler();
    t.after(() => handler.connections.close());

    const first = await handler(getEvent, context);
    const second = await handler(getEvent, context);

    assert.equal(first.statusCode, 200, first.body);
    const firstBody = body(first);
    assert.equal(firstBody.tls, true);
    assert.equal(firstBody.currentUser, ROLE);
    assert.equal(firstBody.database, 'appdb');
    assert.match(firstBody.serverVersion, /^15/);
    assert.equal(firstBody.connectionReused, false);
    assert.equal(second.statusCode, 200);
    assert.equal(body(second).connectionReused, true);
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => !line.includes(token)));
    assert.deepEqual(
      entries().map((entry) => entry.connectionReused),
      [false, true],
    );
  });

  test('wrong CA fails TLS', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    await signRole(t);
    const { handler } = await buildHandler({ DB_CA_BUNDLE_PATH: server.otherCaPath });

    const response = await handler(getEvent, context);

    assert.equal(response.statusCode, 500);
    assert.equal(body(response).error.failureClass, 'tls');
  });

  test('host name mismatch fails TLS', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // The server certificate names only DNS:localhost, so 127.0.0.1 must fail verification.
    await signRole(t);
    const { handler } = await buildHandler({ DB_PROXY_ENDPOINT: '127.0.0.1' });

    const response = await handler(getEvent, context);

    assert.equal(response.statusCode, 500);
    assert.equal(body(response).error.failureClass, 'tls');
  });

  test('server down then back', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    await signRole(t);
    const { handler } = await buildHandler();
    t.after(() => handler.connections.close());

    server.stop();
    let down;
    try {
      down = await handler(getEvent, context);
    } finally {
      server.start();
    }
    const back = await handler(getEvent, context);

    assert.equal(down.statusCode, 503);
    assert.equal(body(down).error.failureClass, 'unreachable');
    assert.equal(back.statusCode, 200, back.body);
    assert.equal(body(back).tls, true);
  });

  test('killed connection replaced', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    await signRole(t);
    const { handler, entries } = await buildHandler();
    t.after(() => handler.connections.close());

    const first = await handler(getEvent, context);
    const terminated = await server.terminateSessions(ROLE);
    const second = await handler(getEvent, context);

    assert.equal(first.statusCode, 200, first.body);
    assert.equal(terminated, 1);
    assert.equal(second.statusCode, 200, second.body);
    assert.equal(body(second).connectionReused, false);
    assert.ok(entries().some((entry) => entry.message === 'replacing broken connection'));
  });

  test('new connection gets fresh token', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const firstToken = await signRole(t);
    const { handler } = await buildHandler();
    t.after(() => handler.connections.close());
    const later = SIGNED_AT + TOKEN_LIFETIME_MS + 60_000;

    const first = await handler(getEvent, context);
    t.mock.timers.setTime(later);
    const laterToken = await expectedToken({ hostname: HOST, port: server.port, username: ROLE, region: REGION });
    await server.setRolePassword(ROLE, laterToken);
    await server.terminateSessions(ROLE);
    const second = await handler(getEvent, context);

    assert.equal(first.statusCode, 200, first.body);
    assert.notEqual(laterToken, firstToken);
    assert.equal(second.statusCode, 200, second.body);
    assert.equal(body(second).connectionReused, false);
  });

  test('expired token rejected by server', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // Guards the test above: after the password change, the first token no longer logs in.
    const firstToken = await signRole(t);
    t.mock.timers.setTime(SIGNED_AT + 16 * 60_000);
    await server.setRolePassword(ROLE, await expectedToken({ hostname: HOST, port: server.port, username: ROLE, region: REGION }));
    const client = new pg.Client({
      host: HOST,
      port: server.port,
      user: ROLE,
      password: firstToken,
      database: 'appdb',
      ssl: { ca: readFileSync(server.caPath, 'utf8'), rejectUnauthorized: true },
    });

    await assert.rejects(client.connect(), (error) => error.code === '28P01');
  });

  for (const [name, overrides] of [
    ['wrong user', { DB_USER: 'someone_else' }],
    ['wrong region', { DB_REGION: 'us-east-1' }],
  ]) {
    test(`${name} fails authentication`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const token = await signRole(t);
      const { handler, lines } = await buildHandler(overrides);

      const response = await handler(getEvent, context);

      assert.equal(response.statusCode, 500);
      assert.equal(body(response).error.failureClass, 'authentication');
      assert.ok(!response.body.includes(token));
      assert.ok(!response.body.includes('    at '), 'stack trace in body');
      assert.ok(lines.every((line) => !line.includes('X-Amz-Signature')));
    });
  }

  test('silent server times out', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // A listener that accepts TCP connections and never replies plays the part of a stalled proxy.
    const sockets = [];
    const listener = createServer((socket) => sockets.push(socket));
    await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of sockets) {
        socket.destroy();
      }
      listener.close();
    });
    const { handler } = await buildHandler(
      { DB_PORT: String(listener.address().port) },
      { timeouts: { connectMs: 500, statementMs: 500 } },
    );

    const response = await handler(getEvent, context);

    assert.equal(response.statusCode, 503);
    assert.equal(body(response).error.failureClass, 'timeout');
  });

  for (const [name, timeouts, remainingMs, budgetMs] of [
    ['connect timeout caps', { connectMs: 1_000, statementMs: 1_000, safetyMarginMs: 100 }, 25_000, 1_000],
    ['remaining time caps', { connectMs: 5_000, statementMs: 5_000, safetyMarginMs: 500 }, 1_500, 1_000],
  ]) {
    test(`slow proxy stops at deadline: ${name}`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      await signRole(t);
      // 400 ms per reply: each read ends well within the timeout, the whole connect takes > 2 s.
      const proxy = await startDelayingProxy(server.port, 400);
      t.after(() => proxy.close());
      const { handler } = await buildHandler({ DB_PORT: String(proxy.port) }, { timeouts });
      t.after(() => handler.connections.close());

      const started = performance.now();
      const response = await handler(getEvent, contextWithRemaining(remainingMs));
      const elapsedMs = performance.now() - started;

      assert.equal(response.statusCode, 503, response.body);
      assert.equal(body(response).error.failureClass, 'timeout');
      assert.ok(elapsedMs < budgetMs + 300, `took ${elapsedMs} ms`);
    });
  }

  test('slow proxy without deadline succeeds', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // Guards the test above: with enough time the same proxy lets the probe succeed.
    await signRole(t);
    const proxy = await startDelayingProxy(server.port, 400);
    t.after(() => proxy.close());
    // The token is signed for the port that the handler connects to, which is the proxy's.
    await server.setRolePassword(ROLE, await expectedToken({ hostname: HOST, port: proxy.port, username: ROLE, region: REGION }));
    const { handler } = await buildHandler({ DB_PORT: String(proxy.port) });
    t.after(() => handler.connections.close());

    const started = performance.now();
    const response = await handler(getEvent, context);
    const elapsedMs = performance.now() - started;

    assert.equal(response.statusCode, 200, response.body);
    assert.ok(elapsedMs > 1_300, `took ${elapsedMs} ms`);
  });

  test('no replacement without budget', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    await signRole(t);
    const { handler, entries } = await buildHandler({}, { timeouts: { safetyMarginMs: 100, minReplacementMs: 1_000 } });
    t.after(() => handler.connections.close());

    const first = await handler(getEvent, context);
    await server.terminateSessions(ROLE);
    const second = await handler(getEvent, contextWithRemaining(600));
    const third = await handler(getEvent, context);

    assert.equal(first.statusCode, 200, first.body);
    assert.equal(second.statusCode, 503);
    assert.equal(body(second).error.failureClass, 'unreachable');
    assert.ok(entries().some((entry) => entry.message === 'not replacing broken connection: too little time left'));
    assert.equal(third.statusCode, 200, third.body);
    assert.equal(body(third).connectionReused, false);
  });

  test('session has statement timeout', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    await signRole(t);
    const { handler } = await buildHandler({}, { timeouts: { statementMs: 4_500 } });
    t.after(() => handler.connections.close());

    const response = await handler(getEvent, context);
    const { rows } = await handler.connections.client.query('SHOW statement_timeout');

    assert.equal(response.statusCode, 200, response.body);
    assert.equal(rows[0].statement_timeout, '4500ms');
  });

  test('client auth certificate fails TLS', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // A TLS server whose certificate is for clientAuth only, signed by the trusted CA.
    await signRole(t);
    const key = readFileSync(join(server.workDir, 'client-auth-only.key'));
    const cert = readFileSync(join(server.workDir, 'client-auth-only.crt'));
    const sockets = [];
    const listener = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write('S');
        const tlsSocket = new TLSSocket(socket, { isServer: true, key, cert });
        tlsSocket.on('error', () => {});
        sockets.push(tlsSocket);
      });
    });
    await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of sockets) {
        socket.destroy();
      }
      listener.close();
    });
    const { handler } = await buildHandler({ DB_PORT: String(listener.address().port) });

    const response = await handler(getEvent, context);

    assert.equal(response.statusCode, 500, response.body);
    assert.equal(body(response).error.failureClass, 'tls');
  });

  for (const [name, change, undo, failureClass, statusCode, sqlstate] of [
    ['too many connections', `ALTER ROLE ${ROLE} CONNECTION LIMIT 0`, `ALTER ROLE ${ROLE} CONNECTION LIMIT -1`, 'unreachable', 503, '53300'],
    ['no connect privilege', 'REVOKE CONNECT ON DATABASE appdb FROM PUBLIC', 'GRANT CONNECT ON DATABASE appdb TO PUBLIC', 'authentication', 500, '42501'],
  ]) {
    test(`login SQLSTATE classified: ${name}`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
      await signRole(t);
      const { handler, entries } = await buildHandler();
      await server.adminQuery(change);
      let response;
      try {
        response = await handler(getEvent, context);
      } finally {
        await server.adminQuery(undo);
      }

      assert.equal(response.statusCode, statusCode, response.body);
      assert.equal(body(response).error.failureClass, failureClass);
      const [line] = entries().filter((entry) => entry.message === 'invocation failed');
      assert.equal(line.sqlstate, sqlstate);
      assert.ok(!line.detail.includes(ROLE));
    });
  }

  test('idle error marks connection broken', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    await signRole(t);
    const { handler, entries } = await buildHandler();
    t.after(() => handler.connections.close());

    await handler(getEvent, context);
    await server.terminateSessions(ROLE);
    while (!entries().some((entry) => entry.message === 'connection closed while idle')) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const response = await handler(getEvent, context);

    assert.equal(response.statusCode, 200, response.body);
    const replacing = entries().find((entry) => entry.message === 'replacing broken connection');
    assert.equal(replacing.detail, 'connection failed: the server closed the idle connection');
  });
});
