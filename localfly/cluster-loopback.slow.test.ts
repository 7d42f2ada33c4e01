import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { type LogEvent, startCluster } from './cluster.ts';
import { fixture, isolatedNetwork, refused, repoRoot } from './fixtures/support.ts';
import { reservePort } from './machines/ports.ts';
import { WildcardBindError } from './machines/readiness.ts';

// Loopback mode, asked for explicitly: what localfly does where it cannot make network namespaces.

/** Pids of processes whose environment has FLY_APP_NAME=<app> (the Machines of one cluster). */
function processesOfApp(app: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`FLY_APP_NAME=${app}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('loopback: a typical Fly app (0.0.0.0 on a shared port) gets one clear refusal, not a half-started cluster', async () => {
  const app = `loopback-refusal-${process.pid}`;
  const logs: LogEvent[] = [];
  let edge: string | undefined;
  await assert.rejects(
    startCluster({
      command: [process.execPath, fixture('foreign-app.mjs')],
      regions: 'ams:1,dfw:2',
      app,
      cwd: repoRoot,
      ...isolatedNetwork(),
      network: 'loopback',
      machinePort: await reservePort('0.0.0.0', 0, 'test'),
      startTimeoutMs: 15_000,
      onLog: (e) => logs.push(e),
      onListening: (info) => {
        edge = info.edges.ams;
      },
    }),
    (err: Error) => {
      assert.ok(err instanceof WildcardBindError, String(err));
      assert.match(err.message, /^refused: Machine [0-9a-f]{14}/);
      assert.match(err.message, /0\.0\.0\.0:\d+/);
      assert.match(err.message, /in loopback mode all Machines share the host network.*run localfly as root/);
      return true;
    },
  );
  assert.ok(
    !logs.some((l) => l.source === 'localfly' && l.message.startsWith('started on')),
    'no Machine counted as started',
  );
  assert.deepEqual(processesOfApp(app), [], 'no Machine process is left');
  assert.ok(edge !== undefined && (await refused('127.0.0.1', Number(new URL(edge).port))), 'the edges are closed');
});

test('loopback: Machines on their own loopback addresses, told HOST and FLY_DNS_SERVER; the start line says what is not emulated', async (t) => {
  const c = await startCluster({
    command: [process.execPath, fixture('echo-app.mjs')],
    regions: 'ams:1,dfw:1',
    app: 'loopback-test',
    cwd: repoRoot,
    ...isolatedNetwork(),
    network: 'loopback',
  });
  t.after(() => c.stop());
  assert.deepEqual(c.network, {
    mode: 'loopback',
    summary:
      'loopback (asked for with --network loopback); Machines share the host network: wildcard binds (0.0.0.0, ::) and the system resolver are not emulated; apps must bind HOST and ask FLY_DNS_SERVER',
    machineDns: null,
    run: null,
  });
  const dfw = c.machines().find((m) => m.region === 'dfw')!;
  assert.match(dfw.address, /^127\.\d+\.\d+\.\d+$/);
  assert.equal(dfw.privateIp, `::ffff:${dfw.address}`);
  assert.equal(dfw.netns, null);
  const echo = (await (await fetch(`${c.edges.ams}/`, { headers: { 'fly-force-instance-id': dfw.id } })).json()) as {
    env: Record<string, string>;
  };
  assert.equal(echo.env.HOST, dfw.address);
  assert.equal(echo.env.FLY_DNS_SERVER, c.dns);
  assert.equal(echo.env.FLY_PRIVATE_IP, dfw.privateIp);

  const machinePorts = c.machines().map((m) => [m.address, m.port] as const);
  await c.stop();
  for (const [host, port] of machinePorts) assert.ok(await refused(host, port), `${host}:${port} still open`);
});
