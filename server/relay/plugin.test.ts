import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import { pino } from 'pino';
import type { DirectoryView } from '../../shared/directory-api.ts';
import { ownAddressBlock, requireNatsServer, waitFor } from '../../test/support/nats.ts';
import { sampleValue } from '../../test/support/prom-text.ts';
import { buildApp } from '../app.ts';
import { type ConfigOverrides, testConfig } from '../config.ts';
import { machinePlugin } from '../machine.ts';
import { natsServerConfig } from './config-text.ts';
import { DEFAULT_RELAY_LIMITS } from './limits.ts';
import { relayEnginePlugin, relayEngineWiringPlugin } from './plugin.ts';
import { NatsSupervisor } from './supervisor.ts';

type Line = Record<string, unknown> & { msg: string };

/** On "Fly" as one Machine whose DNS never answers: the directory keeps its own view. */
const onFly: ConfigOverrides = {
  machine: { id: '0123456789abcd', region: 'ams', appName: 'replaycast-test' },
  directory: { internalPort: 0, dnsServer: '127.0.0.1:9' },
};

/** The real app on an address of its own, logging into an array; NATS settings as given (nats-server found as in production). */
async function app(
  t: import('node:test').TestContext,
  relay: ConfigOverrides['relay'] = {},
  overrides: ConfigOverrides = {},
  host = ownAddressBlock()(0),
) {
  const lines: Line[] = [];
  const config = testConfig({
    ...overrides,
    server: { host, logLevel: 'info' },
    directory: { ...overrides.directory, host },
    relay: { host, serverBin: null, ...relay },
  });
  const a = await buildApp(config, {
    logStream: { write: (line: string) => void lines.push(JSON.parse(line) as Line) },
  });
  t.after(() => a.close());
  const natsLines = () => lines.filter((l) => l.component === 'nats');
  return { app: a, host, lines, natsLines };
}

async function scrape(a: Awaited<ReturnType<typeof app>>['app']): Promise<string> {
  const endpoint = await a.metrics.endpoint();
  assert.ok(endpoint);
  return (await fetch(`http://${endpoint.address}:${endpoint.port}/metrics`)).text();
}

test('an app that never listens starts nothing (inject tests open no port and spawn no process)', async (t) => {
  requireNatsServer();
  const { app: a, natsLines } = await app(t);
  await a.ready();
  assert.equal(a.relayEngine.mode.kind, 'embedded');
  assert.equal(a.relayEngine.stats().serverPid, null);
  assert.equal(a.relayEngine.connection(), null);
  assert.equal((await a.inject('/healthz')).statusCode, 200);
  assert.deepEqual(natsLines(), []);
});

test('off Fly with nats-server: a standalone server, the app connected, ready; it outlasts the stream sockets and stops with the app', async (t) => {
  requireNatsServer();
  const { app: a, host, lines } = await app(t);
  await a.listen({ host, port: 0 });
  await waitFor('relay ready', () => a.relayEngine.status() === 'ok', 20_000);
  assert.match(lines.find((l) => l.mode === 'embedded')!.msg, /standalone \(not on Fly/);

  const nc = a.relayEngine.connection()!;
  const sub = nc.subscribe('plugin.echo', { max: 1 });
  nc.publish('plugin.echo', 'hello');
  for await (const msg of sub) assert.equal(msg.string(), 'hello');

  const text = await waitFor(
    'nats figures in the metrics',
    async () => {
      const s = await scrape(a);
      return (sampleValue(s, 'replaycast_nats_connections') ?? 0) >= 1 ? s : false;
    },
    10_000,
  );
  assert.equal(sampleValue(text, 'replaycast_relay_ready'), 1);
  assert.equal(sampleValue(text, 'replaycast_nats_server_up'), 1);
  assert.equal(sampleValue(text, 'replaycast_nats_routes'), 0);

  const pid = a.relayEngine.stats().serverPid!;
  await a.close();
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  const order = (re: RegExp) => lines.findIndex((l) => re.test(l.msg));
  // The stream sockets drain (preClose) while nats-server still runs; it exits in the last onClose.
  assert.ok(order(/^sockets closed$/) >= 0 && order(/^Server Exiting/) > order(/^sockets closed$/));
});

test('no nats-server binary: one line saying how to enable it, readiness off, the app serves on', async (t) => {
  const { app: a, host, natsLines } = await app(t, { serverBin: '/nonexistent/nats-server' }, onFly);
  const base = await a.listen({ host, port: 0 });
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.deepEqual(
    natsLines().map((l) => l.msg),
    [
      'nats: off (NATS_SERVER_BIN=/nonexistent/nats-server is not an executable file; to enable it: apt-get install nats-server); everything else works without it',
    ],
  );
  assert.equal(a.relayEngine.status(), 'off');
  assert.equal(a.directory.snapshot().relay, 'off', 'in the snapshot peers fetch');
  const view = (await (await fetch(`${base}/api/streams`)).json()) as DirectoryView;
  assert.deepEqual(
    view.machines.map((m) => [m.id, m.relay]),
    [['0123456789abcd', 'off']],
    'and in the public directory',
  );
  const text = await scrape(a);
  assert.equal(sampleValue(text, 'replaycast_relay_enabled'), 0);
  assert.equal(sampleValue(text, 'replaycast_relay_ready'), 0);
});

test('on Fly without RELAY_SECRET: off, and the line says how to set it', async (t) => {
  requireNatsServer();
  const { app: a, host, natsLines } = await app(t, {}, onFly);
  await a.listen({ host, port: 0 });
  assert.equal(natsLines().length, 1);
  assert.match(natsLines()[0]!.msg, /^nats: off \(RELAY_SECRET is not set.*fly secrets set RELAY_SECRET/);
});

test('a NATS port in use: one line, the app serves on, and NATS comes up once the port is free', async (t) => {
  requireNatsServer();
  const host = ownAddressBlock()(0);
  const held = new Set<net.Socket>();
  const squatter = net.createServer((socket) => held.add(socket));
  await new Promise<void>((resolve) => squatter.listen({ host, port: 4222 }, resolve));
  const { app: a, lines } = await app(t, {}, {}, host);
  const base = await a.listen({ host, port: 0 });
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  await waitFor('two retries', () => a.relayEngine.stats().serverRestarts >= 2, 20_000);
  const errors = lines.filter((l) => /cannot start nats-server/.test(l.msg));
  assert.deepEqual(
    errors.map((l) => l.msg),
    [`nats: cannot start nats-server: ${host}:4222 (NATS_CLIENT_PORT) is in use; retrying with backoff`],
  );
  assert.notEqual(a.relayEngine.status(), 'ok');
  assert.equal(held.size, 0, 'the app never dialled what holds the port');
  await new Promise<void>((resolve) => squatter.close(() => resolve()));
  await waitFor('ready once the port is free', () => a.relayEngine.status() === 'ok', 40_000);
});

test('NATS_URL: the app connects to that cluster and starts no server of its own', async (t) => {
  const bin = requireNatsServer();
  const external = ownAddressBlock()(0);
  const server = new NatsSupervisor({
    bin,
    log: pino({ level: 'silent' }),
    secrets: [],
    ports: [],
    limits: DEFAULT_RELAY_LIMITS,
  });
  t.after(() => server.stop());
  await server.start(
    natsServerConfig(
      {
        name: 'external',
        localHost: external,
        clientPort: 4222,
        monitorPort: 8222,
        maxPayloadBytes: 1024 * 1024,
        writeDeadlineMs: 2000,
        cluster: null,
      },
      { routes: [], gateways: [] },
    ),
  );
  const { app: a, host, natsLines } = await app(t, { natsUrl: `nats://${external}:4222` });
  await a.listen({ host, port: 0 });
  await waitFor('connected', () => a.relayEngine.status() === 'ok', 20_000);
  assert.equal(a.relayEngine.mode.kind, 'external');
  assert.equal(a.relayEngine.stats().serverPid, null);
  assert.match(natsLines()[0]!.msg, new RegExp(`^nats: external cluster at nats://${external}:4222`));
});

test('the engine needs app.machine, and its wiring the directory and the metrics: a wrong order fails at start-up', async () => {
  const relay = testConfig().relay;
  const lonely = Fastify();
  await assert.rejects(
    async () => lonely.register(relayEnginePlugin, relay),
    /dependency 'machine' of plugin 'relay-engine'/,
  );
  const noDirectory = Fastify();
  await noDirectory.register(machinePlugin, { id: null, region: null, appName: null });
  await noDirectory.register(relayEnginePlugin, relay);
  await assert.rejects(
    async () => noDirectory.register(relayEngineWiringPlugin),
    /dependency 'directory' of plugin 'relay-engine-wiring'/,
  );
});
