import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildApp } from '../../server/app.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { METRICS_PATH } from '../../server/metrics/plugin.ts';
import { MACHINE_COOKIE } from '../../shared/machine-id.ts';
import { durationMs, machineEnv, REPO_ROOT, readFlyToml } from './fly-toml.ts';

/** fly.toml's invariants, asserted against the code that runs on the Machine. */
const toml = readFlyToml();
const env = machineEnv(toml);
/** The config a Machine of this app starts with: Fly's variables plus [env]. */
const config = loadConfig(env);
const OTHER_ID = 'fedcba98765432';
/** Keeps DNS lookups of tests on loopback (nothing listens there, so discovery just fails fast). */
const DEAD_DNS = '127.0.0.1:25053';

test('durationMs reads fly.toml durations and rejects anything else', () => {
  const rows: [string | number, number][] = [
    ['15s', 15_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    [5, 5000],
    ['1.5s', 1500],
  ];
  for (const [value, ms] of rows) assert.equal(durationMs(value), ms, String(value));
  for (const bad of ['15', 's', '-1s', '15 s', '', -1])
    assert.throws(() => durationMs(bad), /not a fly.toml duration/, String(bad));
  assert.throws(() => durationMs(undefined));
});

test('app and primary_region are set (placeholders for fly launch)', () => {
  assert.match(toml.app ?? '', /^[a-z0-9-]{1,63}$/);
  assert.match(toml.primary_region ?? '', /^[a-z]{3}$/);
  assert.equal(config.machine.appName, toml.app);
});

test('[env] names are not FLY_-prefixed, values are strings, and the server reads and validates each one', () => {
  const entries = Object.entries(toml.env ?? {});
  assert.ok(entries.length > 0);
  for (const [name, value] of entries) {
    assert.ok(!name.startsWith('FLY_'), `${name}: Fly reserves FLY_ names`);
    assert.equal(typeof value, 'string', `${name}: give [env] values as strings`);
    // A variable the server never reads would silently do nothing: a malformed value must be rejected by name.
    assert.throws(
      () => loadConfig({ ...env, [name]: 'not valid!' }),
      (err) => err instanceof ConfigError && err.variable === name,
      name,
    );
  }
});

test('[env] sets the private port and discovery interval the code reads', () => {
  assert.equal(toml.env?.INTERNAL_PORT, String(config.directory.internalPort));
  assert.equal(toml.env?.DISCOVERY_INTERVAL_MS, String(config.directory.discoveryIntervalMs));
  assert.notEqual(config.directory.internalPort, config.server.port, 'the private port is not the public one');
  assert.notEqual(config.metrics.port, config.server.port, 'metrics stay off the public port');
});

test('internal_port is the port the server listens on, on every interface (6PN is IPv6)', () => {
  assert.equal(toml.http_service?.internal_port, config.server.port);
  assert.equal(config.server.host, '::');
});

test('force_https is on and Machines hosting streams are never auto-stopped', () => {
  assert.equal(toml.http_service?.force_https, true);
  assert.equal(toml.http_service?.auto_stop_machines, 'off');
  assert.equal(toml.http_service?.auto_start_machines, true);
});

test('concurrency counts connections (long-lived WebSockets), soft limit below hard limit', () => {
  const c = toml.http_service?.concurrency;
  assert.equal(c?.type, 'connections');
  assert.ok(Number.isInteger(c?.soft_limit) && Number.isInteger(c?.hard_limit));
  assert.ok(c!.soft_limit! > 0 && c!.soft_limit! < c!.hard_limit!);
});

test('deploy strategy keeps Machine ids (rolling, never bluegreen)', () => {
  assert.equal(toml.deploy?.strategy, 'rolling');
});

test("kill_timeout outlasts the graceful drain of server/main.ts and stays within Fly's cap", () => {
  const killMs = durationMs(toml.kill_timeout);
  // main.ts hard-exits one second after SHUTDOWN_TIMEOUT_MS; Fly must not SIGKILL before that.
  assert.ok(
    killMs > config.server.shutdownTimeoutMs + 1000,
    `kill_timeout ${killMs} ms <= drain ${config.server.shutdownTimeoutMs} ms + 1 s`,
  );
  assert.ok(killMs <= 300_000);
});

test('the replay cache remembers the fly-machine-id cookie for at least 10 s', () => {
  const entries = toml.http_service?.http_options?.replay_cache ?? [];
  const entry = entries.find((e) => e.type === 'cookie' && e.name === MACHINE_COOKIE);
  assert.ok(entry, `a cookie replay_cache entry named ${MACHINE_COOKIE}`);
  assert.equal(entry.path_prefix, '/');
  assert.ok(Number.isInteger(entry.ttl_seconds) && entry.ttl_seconds! >= 10);
});

test('NATS: its ports are the ones the code reads, none of them public, and RELAY_SECRET is no [env] value', () => {
  const { relay } = config;
  const nats = [relay.clientPort, relay.clusterPort, relay.gatewayPort, relay.monitorPort];
  assert.deepEqual(
    ['NATS_CLIENT_PORT', 'NATS_CLUSTER_PORT', 'NATS_GATEWAY_PORT', 'NATS_MONITOR_PORT'].map((n) => toml.env?.[n]),
    nats.map(String),
  );
  const toml2 = toml as { services?: Array<{ internal_port?: number }> };
  const exposed = [toml.http_service?.internal_port, ...(toml2.services ?? []).map((s) => s.internal_port)];
  for (const port of nats) assert.ok(!exposed.includes(port), `NATS port ${port} is never a public service`);
  assert.equal(
    new Set([...nats, config.server.port, config.directory.internalPort, config.metrics.port]).size,
    7,
    'no port shared',
  );
  assert.equal(toml.env?.RELAY_SECRET, undefined, 'a secret, set with fly secrets set');
  assert.equal(toml.env?.NATS_URL, undefined);
});

test('[build] names the Dockerfile, which exists', () => {
  assert.ok(toml.build?.dockerfile);
  assert.ok(existsSync(join(REPO_ROOT, toml.build.dockerfile)));
});

test('[metrics] points at the private metrics endpoint', () => {
  assert.equal(toml.metrics?.port, config.metrics.port);
  assert.equal(toml.metrics?.path, METRICS_PATH);
  assert.notEqual(toml.metrics?.port, toml.http_service?.internal_port, 'never scraped through the public port');
});

test('every health check path answers 200 on any Machine, whatever cookie is sent', async (t) => {
  const checks = toml.http_service?.checks ?? [];
  assert.ok(checks.length > 0);
  const app = await buildApp(
    {
      ...config,
      server: { ...config.server, logLevel: 'silent' },
      directory: { ...config.directory, dnsServer: DEAD_DNS },
    },
    { prettyLogs: false },
  );
  t.after(() => app.close());
  for (const check of checks) {
    assert.ok(durationMs(check.timeout) < durationMs(check.interval), 'check timeout below its interval');
    for (const cookie of [undefined, `${MACHINE_COOKIE}=${OTHER_ID}`]) {
      const method = (check.method ?? 'GET').toUpperCase() as 'GET' | 'HEAD';
      const res = await app.inject({ method, url: check.path!, headers: cookie === undefined ? {} : { cookie } });
      assert.equal(res.statusCode, 200, `${method} ${check.path} with cookie ${cookie}`);
      assert.equal(res.headers['fly-replay'], undefined);
    }
  }
});
