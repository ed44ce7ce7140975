// The handler against a real PostgreSQL 15 with TLS and scram-sha-256, where the role's
// password is the IAM auth token for the expected host, port, user, Region and time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
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

describe('handler against TLS PostgreSQL', { skip }, () => {
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

  test('success reports TLS session', async (t) => {
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

  test('wrong CA fails TLS', async (t) => {
    await signRole(t);
    const { handler } = await buildHandler({ DB_CA_BUNDLE_PATH: server.otherCaPath });

    const response = await handler(getEvent, context);

    assert.equal(response.statusCode, 500);
    assert.equal(body(response).error.failureClass, 'tls');
  });

  test('host name mismatch fails TLS', async (t) => {
    // The server certificate names only DNS:localhost, so 127.0.0.1 must fail verification.
    await signRole(t);
    const { handler } = await buildHandler({ DB_PROXY_ENDPOINT: '127.0.0.1' });

    const response = await handler(getEvent, context);

    assert.equal(response.statusCode, 500);
    assert.equal(body(response).error.failureClass, 'tls');
  });

  test('server down then back', async (t) => {
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

  test('killed connection replaced', async (t) => {
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

  test('new connection gets fresh token', async (t) => {
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

  test('expired token rejected by server', async (t) => {
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
    test(`${name} fails authentication`, async (t) => {
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

  test('silent server times out', async (t) => {
    // A listener that accepts TCP connections and never answers stands in for a stalled proxy.
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
});
