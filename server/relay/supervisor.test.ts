import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { captureLog, ownAddressBlock, requireNatsServer, waitFor } from '../../test/support/nats.ts';
import { natsServerConfig, type ServerSettings } from './config-text.ts';
import { DEFAULT_RELAY_LIMITS } from './limits.ts';
import { fetchFigures } from './monitor.ts';
import { launchCommand, NatsSupervisor, type SupervisorOptions } from './supervisor.ts';

const SECRET = 'supervisor-test-secret';
const limits = {
  ...DEFAULT_RELAY_LIMITS,
  restartBackoffBaseMs: 100,
  restartBackoffMaxMs: 400,
  logRepeatWindowMs: 60_000,
};

function setup(t: import('node:test').TestContext, overrides: Partial<SupervisorOptions> = {}) {
  const bin = requireNatsServer();
  const address = ownAddressBlock()(0);
  const settings: ServerSettings = {
    name: 'aaaaaaaaaaaaaa',
    localHost: address,
    clientPort: 4222,
    monitorPort: 8222,
    maxPayloadBytes: 2 * 1024 * 1024,
    writeDeadlineMs: 2000,
    cluster: { region: 'ams', host: address, clusterPort: 6222, gatewayPort: 7222, secret: SECRET },
  };
  const captured = captureLog();
  const lines: string[] = [];
  const supervisor = new NatsSupervisor({
    bin,
    log: captured.log,
    secrets: [SECRET],
    ports: [
      { host: address, port: 4222, variable: 'NATS_CLIENT_PORT' },
      { host: address, port: 6222, variable: 'NATS_CLUSTER_PORT' },
    ],
    limits,
    onLine: (line) => lines.push(line.msg),
    ...overrides,
  });
  t.after(() => supervisor.stop());
  return { supervisor, settings, address, captured, lines };
}

test('starts nats-server, and restarts it with backoff when it is killed', async (t) => {
  const { supervisor, settings, address, captured } = setup(t);
  await supervisor.start(natsServerConfig(settings, { routes: [], gateways: [] }));
  await waitFor('running', () => supervisor.state === 'running', 10_000);
  const first = supervisor.pid!;
  const figures = await fetchFigures(address, 8222, 2000);
  assert.equal(figures.routes, 0);
  assert.ok(captured.matching(/^Server is ready$/).length >= 1, 'its output is in the log');

  process.kill(first, 'SIGKILL');
  await waitFor('restarted', () => supervisor.state === 'running' && supervisor.pid !== first, 10_000);
  assert.equal(supervisor.restarts, 1);
  const crash = captured.matching(/^nats: nats-server killed by SIGKILL; restarting in \d+ ms$/);
  assert.equal(crash.length, 1);
  assert.ok((crash[0]!.delayMs as number) <= limits.restartBackoffBaseMs);
});

test('a route change is reloaded in place (same process)', async (t) => {
  const { supervisor, settings, lines } = setup(t);
  const peer = settings.localHost.replace(/\.\d+$/, '.200');
  await supervisor.start(natsServerConfig(settings, { routes: [peer], gateways: [] }));
  await waitFor('running', () => supervisor.state === 'running', 10_000);
  const pid = supervisor.pid;
  await supervisor.update(natsServerConfig(settings, { routes: [], gateways: [] }), 'reload');
  await waitFor('reloaded', () => lines.includes('Reloaded server configuration'), 10_000);
  assert.equal(supervisor.pid, pid);
  assert.equal(supervisor.reloads, 1);
  assert.ok(lines.includes('Reloaded: cluster routes'));
});

test('no log line shows the secret, not even the reload error that prints the old gateway settings', async (t) => {
  const { supervisor, settings, captured, lines } = setup(t);
  await supervisor.start(natsServerConfig(settings, { routes: [], gateways: [] }));
  await waitFor('running', () => supervisor.state === 'running', 10_000);
  const gateways = [{ region: 'dfw', addresses: [settings.localHost.replace(/\.\d+$/, '.201')] }];
  await supervisor.update(natsServerConfig(settings, { routes: [], gateways }), 'reload');
  const failed = await waitFor('the reload error', () => lines.find((l) => l.startsWith('Failed to reload')), 10_000);
  assert.match(failed, /config reload not supported for Gateway: .*\[redacted\]/);
  assert.ok(captured.lines.length > 10);
  assert.ok(captured.lines.every((l) => !JSON.stringify(l).includes(SECRET)));
});

test('a planned restart starts a new process at once with the new file', async (t) => {
  const { supervisor, settings, address } = setup(t);
  await supervisor.start(natsServerConfig(settings, { routes: [], gateways: [] }));
  await waitFor('running', () => supervisor.state === 'running', 10_000);
  const pid = supervisor.pid;
  await supervisor.update(
    natsServerConfig({ ...settings, maxPayloadBytes: 4096 }, { routes: [], gateways: [] }),
    'restart',
  );
  await waitFor('new process', () => supervisor.state === 'running' && supervisor.pid !== pid, 10_000);
  const varz = (await (await fetch(`http://${address}:8222/varz`)).json()) as { max_payload: number };
  assert.equal(varz.max_payload, 4096);
});

test('a port in use is one line, nothing is spawned, and the server starts once it is free', async (t) => {
  const { supervisor, settings, address, captured } = setup(t);
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen({ host: address, port: 6222 }, resolve));
  await supervisor.start(natsServerConfig(settings, { routes: [], gateways: [] }));
  await waitFor('several retries', () => supervisor.restarts >= 3, 10_000);
  assert.equal(supervisor.pid, null);
  const errors = captured.matching(/cannot start nats-server/);
  assert.equal(errors.length, 1);
  assert.equal(
    errors[0]!.msg,
    `nats: cannot start nats-server: ${address}:6222 (NATS_CLUSTER_PORT) is in use; retrying with backoff`,
  );
  await new Promise<void>((resolve) => squatter.close(() => resolve()));
  await waitFor('running', () => supervisor.state === 'running', 10_000);
});

test('a binary that cannot run is reported and retried, never thrown', async (t) => {
  const { supervisor, settings, captured } = setup(t, { bin: '/nonexistent/nats-server' });
  await supervisor.start(natsServerConfig(settings, { routes: [], gateways: [] }));
  await waitFor('a retry', () => supervisor.restarts >= 1, 10_000);
  // Spawned directly it fails with ENOENT; through setpriv, setpriv exits 127 after saying why.
  assert.match(
    captured.matching(/^nats: nats-server /)[0]!.msg,
    /(ENOENT|exited with code 127); restarting in \d+ ms$/,
  );
});

test('stop ends the process and removes its config file (it holds the secret)', async (t) => {
  const { supervisor, settings } = setup(t);
  await supervisor.start(natsServerConfig(settings, { routes: [], gateways: [] }));
  await waitFor('running', () => supervisor.state === 'running', 10_000);
  const pid = supervisor.pid!;
  const file = supervisor.configFile!;
  assert.equal(existsSync(file), true);
  await supervisor.stop();
  assert.equal(supervisor.state, 'stopped');
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  assert.equal(existsSync(file), false);
});

test('launch command: setpriv gives nats-server a group of its own and ties it to the app', () => {
  assert.deepEqual(launchCommand('/usr/sbin/nats-server', '/tmp/x/nats.conf', '/usr/bin/setpriv'), {
    file: '/usr/bin/setpriv',
    args: ['--pdeathsig', 'KILL', '/usr/sbin/nats-server', '-c', '/tmp/x/nats.conf'],
    detached: true,
  });
  assert.deepEqual(launchCommand('/usr/sbin/nats-server', '/tmp/x/nats.conf', null), {
    file: '/usr/sbin/nats-server',
    args: ['-c', '/tmp/x/nats.conf'],
    detached: false,
  });
});
