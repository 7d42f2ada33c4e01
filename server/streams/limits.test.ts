import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import WebSocket from 'ws';
import { CloseCode, encodeControl } from '../../shared/protocol.ts';
import { build, SELF_ID } from '../../test/support/app.ts';
import { TestSocket, until } from '../../test/support/stream-client.ts';
import { type ConfigOverrides, loadConfig } from '../config.ts';

// The defaults: each edge below is the one a deployment gets.
const { streams: defaults } = loadConfig({});

async function listening(t: TestContext, overrides: ConfigOverrides = {}) {
  const app = await build(t, { ...overrides, directory: { internalPort: 0, ...overrides.directory } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { app, port, base: `ws://127.0.0.1:${port}` };
}

/** On "Fly" (the test app has a Machine id), so `fly-client-ip` says which client a request is. */
const from = (ip: string) => ({ 'fly-client-ip': ip });

async function create(app: Awaited<ReturnType<typeof listening>>['app'], headers: Record<string, string>) {
  return app.inject({ method: 'POST', url: '/api/streams', headers, payload: { title: 'Test', creator: 'alice' } });
}

async function createdId(app: Awaited<ReturnType<typeof listening>>['app'], ip: string) {
  const res = await create(app, from(ip));
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: string; publishToken: string };
}

async function viewer(t: TestContext, base: string, id: string, ip: string) {
  const v = new TestSocket(`${base}/ws/watch/${id}?instance=${SELF_ID}`, 'viewer', from(ip));
  t.after(() => v.ws.terminate());
  await v.opened;
  await until(() => v.of('hello').length === 1, 'viewer hello');
  return v;
}

/** The answer to an upgrade the server refused: status, `retry-after`, JSON body. */
function refusedUpgrade(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => {});
    ws.on('unexpected-response', (req, res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) });
      });
    });
  });
}

test(`a watch socket flooding garbage and never reading is closed after its budget, after ${defaults.wsMaxBadMessages} replies (the 1 s target is measured by npm run bench -- flood)`, async (t) => {
  const { app, base } = await listening(t);
  const { id } = await createdId(app, '203.0.113.1');
  const server = new Promise<{ overBudgetAt: number; closedAt: number; bytesWritten: number }>((resolve) => {
    app.websocketServer.once('connection', (ws: WebSocket, req: IncomingMessage) => {
      let received = 0;
      let overBudgetAt = Number.NaN;
      ws.on('message', () => {
        if (++received === defaults.wsMaxBadMessages + 1) overBudgetAt = performance.now();
      });
      const socket = req.socket as Socket;
      ws.on('close', () => resolve({ overBudgetAt, closedAt: performance.now(), bytesWritten: socket.bytesWritten }));
    });
  });
  const attacker = new WebSocket(`${base}/ws/watch/${id}?instance=${SELF_ID}`);
  t.after(() => attacker.terminate());
  attacker.on('error', () => {});
  await new Promise((resolve) => attacker.once('open', resolve));
  attacker.pause();
  // Masked 1-byte text frames, bounded: without the budget each would queue an `error` reply.
  for (let i = 0; i < 20_000; i++) attacker.send('z');

  const seen = await Promise.race([
    server,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the socket was not closed in 15 s')), 15_000)),
  ]);
  const closeMs = seen.closedAt - seen.overBudgetAt;
  t.diagnostic(`closed ${closeMs.toFixed(0)} ms after its budget; ${seen.bytesWritten} bytes written to it`);
  assert.ok(Number.isFinite(closeMs), 'the server counted past the budget before the close');
  // hello, ten short error replies and a close frame: a few KiB, not one reply per message.
  assert.ok(seen.bytesWritten < 8 * 1024, `${seen.bytesWritten} bytes written to the socket`);
  assert.equal(app.streams.stats().viewers, 0);
});

test('exactly the budget of refused messages is answered and the socket stays usable; one more closes it with 1008', async (t) => {
  const { app, base } = await listening(t);
  const { id } = await createdId(app, '203.0.113.1');
  const v = await viewer(t, base, id, '203.0.113.1');
  for (let i = 0; i < defaults.wsMaxBadMessages; i++) v.send(i % 2 === 0 ? 'z' : new Uint8Array([1]));
  await until(() => v.of('error').length === defaults.wsMaxBadMessages, 'an error per refused message');
  v.send(encodeControl({ type: 'chat', text: 'still here' }));
  await until(() => v.of('chat').length === 1, 'chat after the refusals');
  v.send('z');
  assert.deepEqual(await v.waitClosed(), { code: CloseCode.policy, reason: 'too many refused messages' });
  assert.equal(v.of('error').length, defaults.wsMaxBadMessages);
});

test(`one client may hold ${defaults.maxWatchSocketsPerClient} watch sockets; one more is refused with 429 before any 101; others are unaffected`, async (t) => {
  const { app, base } = await listening(t);
  const { id } = await createdId(app, '203.0.113.1');
  const url = `${base}/ws/watch/${id}?instance=${SELF_ID}`;
  const mine = [];
  for (let i = 0; i < defaults.maxWatchSocketsPerClient; i++) mine.push(await viewer(t, base, id, '198.51.100.7'));
  const refused = await refusedUpgrade(url, from('198.51.100.7'));
  assert.deepEqual(refused, {
    status: 429,
    body: { error: `at most ${defaults.maxWatchSocketsPerClient} open watch sockets per address; close one first` },
  });
  await viewer(t, base, id, '198.51.100.8');
  for (let i = 0; i < defaults.maxWatchSocketsPerClient; i++) {
    const plain = await app.inject({ url: `/ws/watch/${id}?instance=${SELF_ID}`, headers: from('198.51.100.8') });
    assert.equal(plain.statusCode, 404, 'a plain GET is no upgrade');
  }
  await viewer(t, base, id, '198.51.100.8');

  // A closed socket frees its slot once the server has seen it close.
  const serverClosed = new Promise((resolve) =>
    app.websocketServer.clients.forEach((ws) => {
      ws.once('close', resolve);
    }),
  );
  mine[0]!.ws.close();
  await serverClosed;
  await viewer(t, base, id, '198.51.100.7');
  assert.equal((await refusedUpgrade(url, from('198.51.100.7'))).status, 429);
  assert.equal(app.streams.stats().viewers, defaults.maxWatchSocketsPerClient + 2);
});

test('chat: five messages per 10 s per client per stream, across its watch sockets', async (t) => {
  const { app, base } = await listening(t);
  const { id } = await createdId(app, '203.0.113.1');
  const [a1, a2, b] = [
    await viewer(t, base, id, '198.51.100.7'),
    await viewer(t, base, id, '198.51.100.7'),
    await viewer(t, base, id, '198.51.100.8'),
  ];
  for (let i = 0; i < 5; i++) (i % 2 === 0 ? a1 : a2).send(encodeControl({ type: 'chat', text: `a ${i}` }));
  await until(() => b.of('chat').length === 5, 'five chats from one client');
  a2.send(encodeControl({ type: 'chat', text: 'sixth' }));
  await until(() => a2.of('error').length === 1, 'the sixth refused');
  assert.equal(a2.of('error')[0]!.code, 'rate-limited');
  b.send(encodeControl({ type: 'chat', text: 'from b' }));
  await until(() => a1.of('chat').length === 6, 'another client still chats');
  // Two sockets: their messages may interleave in either order.
  assert.deepEqual(
    a1
      .of('chat')
      .map((c) => c.text)
      .sort(),
    ['a 0', 'a 1', 'a 2', 'a 3', 'a 4', 'from b'],
  );
});

test(`POST /api/streams: ${defaults.createStreamsPerMinute} per minute per client, then 429 with retry-after; other clients unaffected`, async (t) => {
  const app = await build(t);
  const firstAt = Date.now();
  for (let i = 0; i < defaults.createStreamsPerMinute; i++) {
    assert.equal((await create(app, from('198.51.100.7'))).statusCode, 201);
  }
  const refused = await create(app, from('198.51.100.7'));
  assert.equal(refused.statusCode, 429);
  // Until the first creation leaves the minute.
  const retryAfterS = Number(refused.headers['retry-after']);
  assert.ok(retryAfterS <= 60 && retryAfterS >= Math.ceil((60_000 - (Date.now() - firstAt)) / 1000), `${retryAfterS}`);
  assert.deepEqual(refused.json(), {
    error: `at most ${defaults.createStreamsPerMinute} new streams per minute from one address; try again later`,
  });
  assert.equal((await create(app, from('198.51.100.8'))).statusCode, 201);
  assert.equal(
    (await create(app, from('2001:db8:1:2::99'))).statusCode,
    201,
    'an IPv6 client is keyed by its /64, a fresh one here',
  );
  for (let i = 0; i < defaults.createStreamsPerMinute - 1; i++) {
    assert.equal((await create(app, from(`2001:db8:1:2::${i}`))).statusCode, 201);
  }
  assert.equal((await create(app, from('2001:db8:1:2:ffff::1'))).statusCode, 429, 'same /64');
});

test('off Fly the socket address is the key: a client cannot claim another fly-client-ip', async (t) => {
  const app = await build(t, { machine: { id: null, region: null } });
  const post = (ip: string) =>
    app.inject({
      method: 'POST',
      url: '/api/streams',
      remoteAddress: '198.51.100.7',
      headers: from(ip),
      payload: { title: 'Test', creator: 'alice' },
    });
  for (let i = 0; i < defaults.createStreamsPerMinute; i++) assert.equal((await post(`10.0.0.${i}`)).statusCode, 201);
  assert.equal((await post('10.0.0.200')).statusCode, 429);
});

test(`at most ${defaults.maxPendingStreams} created streams wait for their publisher; then 503 with the reason until one publishes`, async (t) => {
  const { app, base } = await listening(t);
  const created = [];
  const firstAt = Date.now();
  for (let i = 0; i < defaults.maxPendingStreams; i++) created.push(await createdId(app, `198.51.100.${i}`));
  const full = await create(app, from('203.0.113.50'));
  assert.equal(full.statusCode, 503);
  // Until the oldest pending stream's start timeout: at most the whole timeout, less what has passed since.
  const retryAfterS = Number(full.headers['retry-after']);
  assert.ok(retryAfterS <= defaults.publishStartTimeoutMs / 1000, `retry-after ${retryAfterS}`);
  assert.ok(retryAfterS >= Math.ceil((defaults.publishStartTimeoutMs - (Date.now() - firstAt)) / 1000));
  assert.deepEqual(full.json(), {
    error: `this Machine already has ${defaults.maxPendingStreams} new streams waiting for their publisher`,
  });
  // A Machine's refusal does not count against the client.
  for (let i = 0; i < defaults.createStreamsPerMinute; i++) {
    assert.equal((await create(app, from('203.0.113.50'))).statusCode, 503);
  }

  const { id, publishToken } = created[0]!;
  const pub = new TestSocket(`${base}/ws/publish/${id}?instance=${SELF_ID}&token=${publishToken}`, 'publisher');
  t.after(() => pub.ws.terminate());
  await until(() => pub.of('hello').length === 1, 'publisher hello');
  assert.equal((await create(app, from('203.0.113.50'))).statusCode, 201);
  assert.equal((await create(app, from('203.0.113.51'))).statusCode, 503);
});
