import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import WebSocket from 'ws';
import { build, SELF_ID } from '../test/support/app.ts';
import { REQUEST_TIMEOUT_CHECK_MS } from './app.ts';
import type { ConfigOverrides } from './config.ts';

/** Slack for a loaded test machine on top of the limit and Node's check interval. */
const SLACK_MS = 2000;

async function listening(t: TestContext, server: ConfigOverrides['server']) {
  const app = await build(t, { server, directory: { internalPort: 0 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as AddressInfo).port };
}

/** A raw connection that records what came back and when it closed. */
function connect(port: number) {
  const socket = net.createConnection({ host: '127.0.0.1', port });
  const started = Date.now();
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.on('error', () => undefined);
  const closed = once(socket, 'close').then(() => ({ afterMs: Date.now() - started, received }));
  return { socket, closed };
}

test('a POST trickling its body past REQUEST_TIMEOUT_MS gets 408 {error} and its connection closed', async (t) => {
  const requestTimeoutMs = 1500;
  const { port } = await listening(t, { requestTimeoutMs });
  const { socket, closed } = connect(port);
  socket.write(
    'POST /api/streams HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
  );
  // A byte every 200 ms: never idle, never done.
  const trickle = setInterval(() => socket.writable && socket.write('{'), 200);
  t.after(() => clearInterval(trickle));
  const { afterMs, received } = await closed;
  assert.match(received, /^HTTP\/1\.1 408 /);
  assert.match(received, /\r\n\r\n\{"error":"the request took too long to arrive"\}$/);
  assert.ok(afterMs >= requestTimeoutMs, `closed after ${afterMs} ms`);
  assert.ok(afterMs < requestTimeoutMs + REQUEST_TIMEOUT_CHECK_MS + SLACK_MS, `closed after ${afterMs} ms`);
});

test('a slow POST that completes within REQUEST_TIMEOUT_MS is answered', async (t) => {
  const { port } = await listening(t, { requestTimeoutMs: 3000 });
  const body = JSON.stringify({ title: 'Slow upload', creator: 'alice' });
  const { socket, closed } = connect(port);
  socket.write(
    `POST /api/streams HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  socket.write(body.slice(0, 10));
  await new Promise((resolve) => setTimeout(resolve, 700));
  socket.write(body.slice(10));
  const { received } = await closed;
  assert.match(received, /^HTTP\/1\.1 201 /);
});

test('a connection silent for CONNECTION_TIMEOUT_MS is closed; one that keeps sending is not', async (t) => {
  const connectionTimeoutMs = 1000;
  // The request timeout stays long: this is the idle timeout at work, not the request's age.
  const { port } = await listening(t, { connectionTimeoutMs, requestTimeoutMs: 30_000 });

  const silent = connect(port);
  silent.socket.write('GET /healthz HTTP/1.1\r\n');
  const busy = connect(port);
  // The head arrives a line every 400 ms, for longer than the idle limit in all.
  const lines = [
    'GET /healthz HTTP/1.1\r\n',
    'Host: x\r\n',
    'X-Slow: 1\r\n',
    'X-Slow: 2\r\n',
    'Connection: close\r\n',
    '\r\n',
  ];
  for (const line of lines) {
    busy.socket.write(line);
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  const quiet = await silent.closed;
  assert.ok(quiet.afterMs >= connectionTimeoutMs, `silent connection closed after ${quiet.afterMs} ms`);
  assert.ok(quiet.afterMs < connectionTimeoutMs + SLACK_MS, `silent connection closed after ${quiet.afterMs} ms`);
  const answered = await busy.closed;
  assert.ok(answered.afterMs > connectionTimeoutMs, `the busy request took ${answered.afterMs} ms`);
  assert.match(answered.received, /^HTTP\/1\.1 200 /);
});

test('a WebSocket is not cut by the connection timeout', async (t) => {
  const connectionTimeoutMs = 500;
  const { app, port } = await listening(t, { connectionTimeoutMs });
  const created = app.streams.create({ title: 'Quiet', creator: 'alice' });
  assert.ok(created.ok);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/watch/${created.stream.id}?instance=${SELF_ID}`);
  t.after(() => ws.terminate());
  await once(ws, 'open');
  let closed = false;
  ws.on('close', () => {
    closed = true;
  });
  // Four times the idle limit without a byte either way (no publisher, heartbeat every 15 s).
  await new Promise((resolve) => setTimeout(resolve, 4 * connectionTimeoutMs));
  assert.equal(closed, false);
  assert.equal(ws.readyState, WebSocket.OPEN);
});
