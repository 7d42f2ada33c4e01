import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import WebSocket from 'ws';
import { until } from '../test/support/stream-client.ts';
import { requestCutAfterMs } from './shutdown.ts';

/** Bounds a start under tsx, which loads every module of the app and its libraries through its hooks. */
const START_TIMEOUT_MS = 60_000;
const SHUTDOWN_TIMEOUT_MS = 8000;
const SELF = '0123456789abcd';

/** Starts `server/main.ts` on a free port with one demo stream; resolves with its port once it listens. */
async function startServer() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      INTERNAL_PORT: '0',
      METRICS_PORT: '0',
      FLY_MACHINE_ID: SELF,
      FLY_REGION: 'ams',
      DEMO_STREAMS: '1',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.resume();
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  try {
    await until(() => gone || /Server listening at http:\/\/127\.0\.0\.1:\d+/.test(out), 'listening', START_TIMEOUT_MS);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  assert.equal(gone, false, `the server exited at start: ${out}`);
  const port = Number(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
  return { child, exited, port, output: () => out };
}

function getJson(port: number, path: string): Promise<{ streams: Array<{ id: string }> }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

test('SIGTERM with a viewer, a stalled viewer, an SSE feed and a trickling POST open exits 0 within SHUTDOWN_TIMEOUT_MS', async (t) => {
  const server = await startServer();
  t.after(() => server.child.kill('SIGKILL'));
  const { port } = server;
  // The demo stream starts once the app listens.
  let streams: Array<{ id: string }> = [];
  const deadline = Date.now() + 10_000;
  while (streams.length === 0 && Date.now() < deadline) streams = (await getJson(port, '/api/streams')).streams;
  const [stream] = streams;
  assert.ok(stream, 'the demo stream is listed');
  const watch = `/ws/watch/${stream.id}?instance=${SELF}`;

  // A healthy viewer.
  const viewer = new WebSocket(`ws://127.0.0.1:${port}${watch}`);
  viewer.on('error', () => undefined);
  await once(viewer, 'open');

  // A stalled viewer: completes the handshake, then never reads again.
  const stalled = net.createConnection({ host: '127.0.0.1', port });
  stalled.on('error', () => undefined);
  stalled.write(
    `GET ${watch} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await once(stalled, 'data');
  stalled.pause();

  // A directory feed.
  const feed = http.get({ host: '127.0.0.1', port, path: '/api/streams/events' });
  feed.on('error', () => undefined);
  const [feedRes] = (await once(feed, 'response')) as [http.IncomingMessage];
  feedRes.resume();
  feedRes.on('error', () => undefined);

  // A POST whose body trickles in, a byte every 500 ms: it would take 500 s to complete.
  const post = net.createConnection({ host: '127.0.0.1', port });
  post.on('error', () => undefined);
  post.write(
    'POST /api/streams HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
  );
  const trickle = setInterval(() => post.writable && post.write(' '), 500);
  t.after(() => clearInterval(trickle));
  // The request has reached a handler's body parsing before the signal.
  await new Promise((resolve) => setTimeout(resolve, 600));

  const signalled = Date.now();
  server.child.kill('SIGTERM');
  const [code] = await server.exited;
  const elapsedMs = Date.now() - signalled;
  t.diagnostic(`SIGTERM -> exit ${code} after ${elapsedMs} ms (SHUTDOWN_TIMEOUT_MS ${SHUTDOWN_TIMEOUT_MS})`);
  // The server's log lines since the signal, each with its time after it: where the time went.
  const since = server
    .output()
    .split('\n')
    .flatMap((line) => {
      const time = Number(/"time":(\d+)/.exec(line)?.[1]);
      return time >= signalled - 10 ? [{ ms: time - signalled, line }] : [];
    });
  const at = (msg: string) => {
    const found = since.find((l) => l.line.includes(`"msg":"${msg}"`));
    return found === undefined ? 'not logged' : `${found.ms} ms`;
  };
  t.diagnostic(
    `shutting down ${at('shutting down')}, sockets closed ${at('sockets closed')}, cut ${at('closing connections still open')}, nats-server exiting ${at('Server Exiting..')}`,
  );
  assert.equal(code, 0, server.output().split('\n').slice(-8).join('\n'));
  assert.ok(
    elapsedMs <= SHUTDOWN_TIMEOUT_MS,
    `exited after ${elapsedMs} ms; the log since the signal:\n${since.map((l) => `${l.ms} ms ${l.line}`).join('\n')}`,
  );
  assert.doesNotMatch(server.output(), /graceful shutdown timed out/);
  for (const socket of [stalled, post]) socket.destroy();
  viewer.terminate();
});

const cuts: Array<[shutdownTimeoutMs: number, cutAfterMs: number]> = [
  [10_000, 8000],
  [8000, 6000],
  [4000, 3000],
  [2000, 1500],
  [1000, 750],
  [0, 0],
];
for (const [shutdownTimeoutMs, cutAfterMs] of cuts) {
  test(`with SHUTDOWN_TIMEOUT_MS ${shutdownTimeoutMs}, requests still open are cut after ${cutAfterMs} ms`, () => {
    assert.equal(requestCutAfterMs(shutdownTimeoutMs), cutAfterMs);
  });
}
