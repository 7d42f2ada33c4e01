import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:net';
import { type TestContext, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sampleValue } from '../../test/support/prom-text.ts';
import { buildApp } from '../app.ts';
import { type ConfigOverrides, testConfig } from '../config.ts';
import { METRICS_LISTENING_MSG, METRICS_PATH, metricsPlugin } from './plugin.ts';

const SELF_ID = '0123456789abcd';
const OTHER_ID = 'fedcba98765432';
/** A fixed port and address from this suite's range, to prove what is (not) listening there. */
const PROBE_HOST = '127.0.25.1';
const PROBE_PORT = 25091;

async function refused(host: string, port: number): Promise<boolean> {
  const socket = connect({ host, port });
  try {
    await once(socket, 'connect');
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
  } finally {
    socket.destroy();
  }
}

async function app(t: TestContext, overrides: ConfigOverrides = {}) {
  const instance = await buildApp(
    testConfig({ machine: { id: SELF_ID, region: 'ams', appName: 'replaycast-test' }, ...overrides }),
    { prettyLogs: false },
  );
  t.after(() => instance.close());
  return instance;
}

test('an app built for inject opens no metrics port', async (t) => {
  const a = await app(t, { metrics: { host: PROBE_HOST, port: PROBE_PORT } });
  const res = await a.inject({ url: '/healthz' });
  assert.equal(res.statusCode, 200);
  assert.ok(await refused(PROBE_HOST, PROBE_PORT));
});

test('after listen, the endpoint serves the routing decisions of the public port on config.metrics.host', async (t) => {
  const a = await app(t, { metrics: { host: PROBE_HOST, port: 0 } });
  const publicAddress = await a.listen({ host: '127.0.0.1', port: 0 });
  const endpoint = await a.metrics.endpoint();
  assert.ok(endpoint);
  assert.equal(
    endpoint.address,
    PROBE_HOST,
    'the metrics listener binds config.metrics.host, not the public listen address',
  );
  assert.notEqual(endpoint.port, (a.server.address() as AddressInfo).port);

  assert.equal((await fetch(`${publicAddress}/healthz`)).status, 200);
  const replay = await fetch(`${publicAddress}/api/whoami`, {
    headers: { cookie: `fly-machine-id=${OTHER_ID}` },
    redirect: 'manual',
  });
  assert.equal(replay.status, 307);
  const bad = await fetch(`${publicAddress}/api/whoami?instance=nope`);
  assert.equal(bad.status, 400);

  const res = await fetch(`http://${PROBE_HOST}:${endpoint.port}${METRICS_PATH}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.equal(sampleValue(text, 'replaycast_routing_decisions_total', { action: 'serve', reason: 'any-machine' }), 1);
  assert.equal(sampleValue(text, 'replaycast_routing_decisions_total', { action: 'replay', reason: 'cookie' }), 1);
  assert.equal(
    sampleValue(text, 'replaycast_routing_decisions_total', { action: 'reject', reason: 'bad-instance' }),
    1,
  );
  assert.equal(sampleValue(text, 'replaycast_replays_total', { reason: 'cookie' }), 1);
  assert.match(text, /process_resident_memory_bytes/);

  // The public port never answers with the metrics.
  const pub = await fetch(`${publicAddress}${METRICS_PATH}`);
  assert.doesNotMatch(await pub.text(), /replaycast_routing_decisions_total/);
});

test('the endpoint closes with the app', async (t) => {
  const a = await buildApp(testConfig({ metrics: { host: PROBE_HOST, port: PROBE_PORT + 1 } }), { prettyLogs: false });
  t.after(() => a.close());
  await a.listen({ host: '127.0.0.1', port: 0 });
  assert.equal((await a.metrics.endpoint())?.port, PROBE_PORT + 1);
  assert.equal(await refused(PROBE_HOST, PROBE_PORT + 1), false);
  await a.close();
  assert.ok(await refused(PROBE_HOST, PROBE_PORT + 1));
});

/**
 * What the metrics plugin depends on: `app.streams` and `app.directory`, as fakes with only the fields
 * the metrics read (cast: the real decorators have richer types).
 */
async function registerFakeFeatures(app: FastifyInstance): Promise<void> {
  const streams = {
    stats: () => ({ liveStreams: 3, viewers: 11, framesSent: 500, framesSkipped: 6, chatMessages: 2 }),
  };
  const directory = {
    stats: () => ({ dnsFailures: 5, fetchesFailed: 0, lastDiscoveryOkMs: Date.now(), stale: false }),
  };
  await app.register(fp(async (a) => void a.decorate('streams', streams as never), { name: 'streams' }));
  await app.register(fp(async (a) => void a.decorate('directory', directory as never), { name: 'directory' }));
}

test('a taken metrics port is logged and the app keeps serving', async (t) => {
  const blocker = createServer();
  blocker.listen({ host: PROBE_HOST, port: 0 });
  await once(blocker, 'listening');
  t.after(() => blocker.close());
  const taken = (blocker.address() as AddressInfo).port;

  const lines: { level: number; msg: string; port?: number }[] = [];
  const a = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => void lines.push(JSON.parse(line)) } },
  });
  await registerFakeFeatures(a);
  await a.register(metricsPlugin, { host: PROBE_HOST, port: taken });
  a.get('/healthz', async () => ({ ok: true }));
  t.after(() => a.close());
  const address = await a.listen({ host: '127.0.0.1', port: 0 });
  assert.equal(await a.metrics.endpoint(), null);
  assert.equal((await fetch(`${address}/healthz`)).status, 200);
  assert.ok(
    lines.some((l) => l.level === 50 && l.msg.includes('metrics endpoint could not listen') && l.port === taken),
  );
  assert.ok(!lines.some((l) => l.msg === METRICS_LISTENING_MSG));
});

test('stream and directory stats are read through their decorators; other paths and methods are refused', async (t) => {
  const lines: { msg: string; port?: number; address?: string }[] = [];
  const a = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => void lines.push(JSON.parse(line)) } },
  });
  await registerFakeFeatures(a);
  await a.register(metricsPlugin, { host: '127.0.0.1', port: 0 });
  t.after(() => a.close());
  await a.listen({ host: '127.0.0.1', port: 0 });
  const endpoint = await a.metrics.endpoint();
  assert.ok(endpoint);
  assert.ok(
    lines.some((l) => l.msg === METRICS_LISTENING_MSG && l.port === endpoint.port && l.address === '127.0.0.1'),
    'the endpoint is announced in the log',
  );
  const base = `http://127.0.0.1:${endpoint.port}`;

  const text = await (await fetch(`${base}${METRICS_PATH}`)).text();
  assert.equal(sampleValue(text, 'replaycast_live_streams'), 3);
  assert.equal(sampleValue(text, 'replaycast_viewers'), 11);
  assert.equal(sampleValue(text, 'replaycast_frames_sent_total'), 500);
  assert.equal(sampleValue(text, 'replaycast_frames_skipped_total'), 6);
  assert.equal(sampleValue(text, 'replaycast_chat_messages_total'), 2);
  assert.equal(sampleValue(text, 'replaycast_discovery_failures_total'), 5);
  assert.equal(sampleValue(text, 'replaycast_directory_stale'), 0);
  assert.ok(sampleValue(text, 'replaycast_directory_staleness_seconds')! < 5);

  const withQuery = await fetch(`${base}${METRICS_PATH}?x=1`);
  assert.equal(withQuery.status, 200);
  await withQuery.arrayBuffer();
  const head = await fetch(`${base}${METRICS_PATH}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  const other = await fetch(`${base}/`);
  assert.equal(other.status, 404);
  assert.match((await other.json()).error, /\/metrics/);
  const post = await fetch(`${base}${METRICS_PATH}`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  assert.equal((await post.json()).error, 'use GET');
});
