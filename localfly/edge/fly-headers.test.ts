import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  clientResponseHeaders,
  type EdgeRequestContext,
  flyRequestHeaders,
  nowMicros,
  plainIp,
} from './fly-headers.ts';

const ctx: EdgeRequestContext = {
  clientIp: '127.0.0.1',
  edgeIp: '127.0.0.1',
  edgePort: 8080,
  region: 'ams',
  requestId: '01ARZ3NDEKTSV4RRFFQ69G5FAV-ams',
  startMicros: 1_700_000_000_000_001,
};

test('the headers Fly adds, and hop-by-hop and forged proxy headers dropped', () => {
  const out = flyRequestHeaders(
    {
      host: 'localhost:8080',
      accept: 'text/html',
      cookie: 'fly-machine-id=286533db064e58',
      connection: 'keep-alive, x-private',
      'x-private': 'hop',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      expect: '100-continue',
      'fly-replay-src': 'forged',
      'fly-client-ip': '6.6.6.6',
      'fly-force-instance-id': '286533db064e58',
    },
    ctx,
    false,
  );
  assert.deepEqual(out, {
    host: 'localhost:8080',
    accept: 'text/html',
    cookie: 'fly-machine-id=286533db064e58',
    'fly-force-instance-id': '286533db064e58',
    'x-forwarded-for': '127.0.0.1, 127.0.0.1',
    'fly-client-ip': '127.0.0.1',
    'x-forwarded-proto': 'http',
    'fly-forwarded-proto': 'http',
    'x-forwarded-port': '8080',
    'fly-forwarded-port': '8080',
    'x-forwarded-ssl': 'off',
    'fly-forwarded-ssl': 'off',
    'fly-region': 'ams',
    'fly-request-id': '01ARZ3NDEKTSV4RRFFQ69G5FAV-ams',
    via: '1.1 fly.io',
    'x-request-start': 't=1700000000000001',
  });
});

test('a WebSocket handshake keeps connection/upgrade; an existing x-forwarded-for and via are extended', () => {
  const out = flyRequestHeaders(
    { connection: 'Upgrade', upgrade: 'websocket', 'x-forwarded-for': '10.0.0.1', via: '1.1 corp' },
    ctx,
    true,
  );
  assert.equal(out.connection, 'Upgrade');
  assert.equal(out.upgrade, 'websocket');
  assert.equal(out['x-forwarded-for'], '10.0.0.1, 127.0.0.1, 127.0.0.1');
  assert.equal(out.via, '1.1 corp, 1.1 fly.io');
});

test('response headers: repeated set-cookie kept, hop-by-hop and fly-replay dropped, request id and via added', () => {
  const out = clientResponseHeaders(
    [
      'Content-Type',
      'text/plain',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
      'Connection',
      'keep-alive',
      'Transfer-Encoding',
      'chunked',
      'fly-replay',
      'instance=x',
    ],
    'rid-ams',
  );
  assert.deepEqual(out, {
    'content-type': 'text/plain',
    'set-cookie': ['a=1', 'b=2'],
    'fly-request-id': 'rid-ams',
    via: '1.1 fly.io',
  });
  const upgraded = clientResponseHeaders(
    ['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Accept', 'abc'],
    'rid',
    true,
  );
  assert.deepEqual(upgraded, {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-accept': 'abc',
    'fly-request-id': 'rid',
    via: '1.1 fly.io',
  });
});

test('plainIp and nowMicros', () => {
  assert.equal(plainIp('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(plainIp('::1'), '::1');
  assert.equal(plainIp(undefined), '');
  const before = Date.now() * 1000;
  const t = nowMicros();
  assert.ok(Number.isSafeInteger(t) && t >= before - 2000 && t <= Date.now() * 1000 + 2000, String(t));
});
