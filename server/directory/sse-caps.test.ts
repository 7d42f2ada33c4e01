import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import Fastify from 'fastify';
import { FakeStreamSource, fakeStreamsPlugin, MemoryDns, waitFor } from '../../test/support/directory-cluster.ts';
import { buildApp } from '../app.ts';
import { loadConfig, testConfig } from '../config.ts';
import { machinePlugin } from '../machine.ts';
import { DEFAULT_DIRECTORY_LIMITS, type DirectoryLimits } from './limits.ts';
import { directoryPlugin } from './plugin.ts';

// Per-client caps on the directory's SSE feed. Loopback block of this file: 127.0.23.90-98.
const SERVER = '127.0.23.90';

async function server(t: import('node:test').TestContext, machineId: string | null, limits: Partial<DirectoryLimits>) {
  const app = Fastify({ logger: false });
  await app.register(machinePlugin, { id: machineId, region: machineId === null ? null : 'ams', appName: null });
  await app.register(fakeStreamsPlugin, { source: new FakeStreamSource() });
  await app.register(directoryPlugin, {
    host: SERVER,
    internalPort: 0,
    internalToken: null,
    discoveryIntervalMs: 5000,
    dnsServer: null,
    limits: { ...DEFAULT_DIRECTORY_LIMITS, ...limits },
    resolver: new MemoryDns().resolver,
  });
  await app.listen({ host: SERVER, port: 0 });
  t.after(() => app.close());
  const { port } = app.server.address() as { port: number };
  return { app, port };
}

interface Feed {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The whole body of a refusal; the first chunk of a feed. */
  body: string;
  close(): void;
}

/** Opens `GET /api/streams/events` from `from`; resolves with the refusal or once the feed's first event arrived. */
function openFeed(port: number, from: string, headers: Record<string, string> = {}): Promise<Feed> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: SERVER, port, path: '/api/streams/events', localAddress: from, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      const done = () => resolve({ status: res.statusCode!, headers: res.headers, body, close: () => req.destroy() });
      res.on('data', (chunk: string) => {
        body += chunk;
        if (res.statusCode === 200 && body.includes('event: state')) done();
      });
      res.on('end', done);
    });
    req.on('error', reject);
  });
}

test('SSE per client: 8 feeds by default, the 9th gets 429 with a reason before any event; a close frees a slot', async (t) => {
  const { app, port } = await server(t, null, {});
  const feeds = await Promise.all(Array.from({ length: 8 }, () => openFeed(port, '127.0.23.91')));
  assert.deepEqual(
    feeds.map((f) => f.status),
    Array(8).fill(200),
  );

  const ninth = await openFeed(port, '127.0.23.91');
  assert.equal(ninth.status, 429);
  assert.equal(ninth.headers['retry-after'], '3');
  assert.match(ninth.headers['content-type'] ?? '', /^application\/json/);
  assert.doesNotMatch(ninth.body, /event:/);
  assert.match(JSON.parse(ninth.body).error, /too many live directory feeds from your address \(limit 8\)/);

  const neighbour = await openFeed(port, '127.0.23.92');
  assert.equal(neighbour.status, 200, 'another client is not affected');
  assert.equal(app.directory.stats().sseClients, 9);

  feeds[0]!.close();
  await waitFor('the closed feed is released', () => app.directory.stats().sseClients === 8, 2000);
  const again = await openFeed(port, '127.0.23.91');
  assert.equal(again.status, 200, 'the slot came back');
  assert.equal((await openFeed(port, '127.0.23.91')).status, 429);
});

test('SSE per client on Fly: keyed by fly-client-ip; off Fly the header is ignored', async (t) => {
  const onFly = await server(t, 'aaaaaaaaaaaaaa', { sseMaxFeedsPerClient: 2 });
  const as = (ip: string) => openFeed(onFly.port, '127.0.23.93', { 'fly-client-ip': ip });
  assert.equal((await as('203.0.113.7')).status, 200);
  assert.equal((await as('203.0.113.7')).status, 200);
  assert.equal((await as('203.0.113.7')).status, 429);
  assert.equal((await as('203.0.113.8')).status, 200, 'another visitor behind the same proxy address');

  const offFly = await server(t, null, { sseMaxFeedsPerClient: 2 });
  const claims = (ip: string) => openFeed(offFly.port, '127.0.23.94', { 'fly-client-ip': ip });
  assert.equal((await claims('203.0.113.1')).status, 200);
  assert.equal((await claims('203.0.113.2')).status, 200);
  assert.equal((await claims('203.0.113.3')).status, 429, 'a forged header buys nothing off Fly');
});

test('MAX_SSE_PER_CLIENT reaches the feed through buildApp', async (t) => {
  const host = '127.0.23.95';
  const config = testConfig({
    server: { host, port: 0 },
    directory: { host, limits: loadConfig({ MAX_SSE_PER_CLIENT: '1' }).directory.limits },
  });
  const app = await buildApp(config, { prettyLogs: false });
  t.after(() => app.close());
  await app.listen({ host, port: 0 });
  const { port } = app.server.address() as { port: number };
  const get = () =>
    new Promise<number>((resolve, reject) => {
      http
        .get({ host, port, path: '/api/streams/events', localAddress: '127.0.23.96' }, (res) =>
          resolve(res.statusCode!),
        )
        .on('error', reject);
    });
  assert.equal(await get(), 200);
  assert.equal(await get(), 429);
});
