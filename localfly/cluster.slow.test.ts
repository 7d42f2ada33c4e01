import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { once } from 'node:events';
import net from 'node:net';
import readline from 'node:readline';
import { type TestContext, test } from 'node:test';
import WebSocket from 'ws';
import {
  type Cluster,
  type ClusterOptions,
  LocalflyError,
  type LogEvent,
  parseRegions,
  randomSecrets,
  startCluster,
} from './cluster.ts';
import { fixture, isAlive, isolatedNetwork, randomAddressBase, refused, repoRoot, until } from './fixtures/support.ts';

async function cluster(t: TestContext, options: Partial<ClusterOptions> & { command: string[] }) {
  const logs: LogEvent[] = [];
  const c = await startCluster({
    regions: 'ams:1,dfw:1',
    app: 'cluster-test',
    cwd: repoRoot,
    ...isolatedNetwork(),
    startTimeoutMs: 15_000,
    stopTimeoutMs: 5_000,
    onLog: (e) => logs.push(e),
    ...options,
  });
  t.after(() => c.stop());
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([c.dns]);
  const byRegion = (region: string) => c.machines().find((m) => m.region === region)!;
  return { c, logs, resolver, byRegion };
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(url, { headers, redirect: 'manual' });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

const vms = async (resolver: Resolver, c: Cluster) =>
  (await resolver.resolveTxt(`vms.${c.app}.internal`)).map((parts) => parts.join(''));

test('secrets: a random value per name, new each time', () => {
  const a = randomSecrets(['RELAY_SECRET', 'OTHER']);
  const b = randomSecrets(['RELAY_SECRET']);
  assert.deepEqual(Object.keys(a), ['RELAY_SECRET', 'OTHER']);
  assert.match(a.RELAY_SECRET!, /^[0-9a-f]{64}$/);
  assert.notEqual(a.RELAY_SECRET, a.OTHER);
  assert.notEqual(a.RELAY_SECRET, b.RELAY_SECRET);
});

test('parseRegions', () => {
  assert.deepEqual(parseRegions('ams:1,dfw:2'), [
    { region: 'ams', count: 1 },
    { region: 'dfw', count: 2 },
  ]);
  assert.deepEqual(parseRegions('ams, syd:0'), [
    { region: 'ams', count: 1 },
    { region: 'syd', count: 0 },
  ]);
  for (const bad of ['', 'AMS:1', 'ams:x', 'ams:1,ams:2', 'ams:51', 'a:1'])
    assert.throws(() => parseRegions(bad), LocalflyError, bad);
});

test('edges per region, DNS and the control API, whatever the network mode', async (t) => {
  const { c, resolver, byRegion } = await cluster(t, { command: [process.execPath, fixture('echo-app.mjs')] });
  const ams = byRegion('ams');
  const dfw = byRegion('dfw');
  assert.deepEqual(Object.keys(c.edges), ['ams', 'dfw']);
  const fromAms = await getJson(`${c.edges.ams}/`);
  assert.deepEqual([fromAms.machine, fromAms.headers['fly-region']], [ams.id, 'ams']);
  const fromDfw = await getJson(`${c.edges.dfw}/`);
  assert.deepEqual([fromDfw.machine, fromDfw.headers['fly-region']], [dfw.id, 'dfw']);
  const forced = await getJson(`${c.edges.ams}/`, { 'fly-force-instance-id': dfw.id });
  assert.deepEqual([forced.machine, forced.headers['fly-region']], [dfw.id, 'ams']);
  assert.equal(forced.env.FLY_PRIVATE_IP, dfw.privateIp);

  assert.deepEqual(await vms(resolver, c), [`${ams.id} ams,${dfw.id} dfw`]);
  assert.deepEqual(await resolver.resolve6(`${dfw.id}.vm.${c.app}.internal`), [dfw.privateIp]);

  const root = await getJson(`${c.controlUrl}/`);
  assert.equal(root.app, 'cluster-test');
  assert.deepEqual(root.edges, c.edges);
  assert.equal(root.dns, c.dns);
  assert.deepEqual(root.network, c.network);
  assert.deepEqual(
    root.machines.map((m: any) => [m.id, m.region, m.state]),
    [
      [ams.id, 'ams', 'started'],
      [dfw.id, 'dfw', 'started'],
    ],
  );
});

test('stop: gone from vms and from routing; start: back; a replay auto starts a stopped Machine; kill', async (t) => {
  const { c, resolver, byRegion, logs } = await cluster(t, {
    command: [process.execPath, fixture('echo-app.mjs')],
    env: { EXTRA_MODE: 'echo' },
  });
  const ams = byRegion('ams');
  const dfw = byRegion('dfw');
  const echo = await getJson(`${c.edges.dfw}/`);
  assert.equal(echo.machine, dfw.id);
  assert.equal(echo.env.PRIMARY_REGION, 'ams');
  assert.equal(echo.env.EXTRA_MODE, 'echo');

  const stopped = await fetch(`${c.controlUrl}/machines/${dfw.id}/stop`, { method: 'POST' });
  assert.equal((await stopped.json()).state, 'stopped');
  assert.deepEqual(await vms(resolver, c), [`${ams.id} ams`]);
  assert.deepEqual(await resolver.resolveTxt(`all.vms.${c.app}.internal`), [[`${ams.id} ams,${dfw.id} dfw`]]);
  assert.equal(
    (await getJson(`${c.edges.dfw}/`)).machine,
    ams.id,
    'the dfw edge now routes to the nearest started Machine',
  );

  await fetch(`${c.controlUrl}/machines/${dfw.id}/start`, { method: 'POST' });
  assert.deepEqual(await vms(resolver, c), [`${ams.id} ams,${dfw.id} dfw`]);
  assert.equal((await getJson(`${c.edges.dfw}/`)).machine, dfw.id);

  await c.stopMachine(dfw.id);
  const replayed = await getJson(`${c.edges.ams}/watch`, {
    [`x-replay-${ams.id}`]: `instance=${dfw.id};timeout=10s;fallback=prefer_self`,
  });
  assert.equal(replayed.machine, dfw.id, 'auto started and answered');
  assert.match(replayed.headers['fly-replay-src'], new RegExp(`^instance=${ams.id};region=ams;t=\\d{16}$`));
  assert.equal(c.machines().find((m) => m.id === dfw.id)?.state, 'started');
  assert.ok(
    logs.some((l) => l.source === 'edge' && l.message === `ams edge -> ${ams.id} replay -> ${dfw.id} (instance)`),
  );
  assert.equal(c.stats().edges.ams!.replays.instance, 1);

  const killed = await (await fetch(`${c.controlUrl}/machines/${dfw.id}/kill`, { method: 'POST' })).json();
  assert.equal(killed.lastExit.signal, 'SIGKILL');
  assert.deepEqual(await vms(resolver, c), [`${ams.id} ams`]);
});

test('a WebSocket through an edge to real Machine processes, replayed to its home', async (t) => {
  const { c, byRegion } = await cluster(t, { command: [process.execPath, fixture('echo-app.mjs')] });
  const ams = byRegion('ams');
  const dfw = byRegion('dfw');
  const ws = new WebSocket(`${c.edges.ams.replace('http', 'ws')}/ws/demo`, {
    headers: { [`x-replay-${ams.id}`]: `instance=${dfw.id}` },
  });
  t.after(() => ws.terminate());
  const messages: string[] = [];
  ws.on('message', (d) => messages.push(String(d)));
  await once(ws, 'open');
  await until(() => messages.length === 1, 5000, 'the hello');
  assert.equal(JSON.parse(messages[0]!).machine, dfw.id);
  ws.send('hi');
  await until(() => messages.length === 2, 5000, 'the echo');
  assert.equal(messages[1], 'echo:hi');
  assert.equal(c.stats().totals.websockets, 1);
  assert.equal(c.stats().totals.replays, 1);
  c.resetStats();
  assert.equal(c.stats().totals.replays, 0);
});

test('stop leaves no process behind and closes the edges and the control API', async (t) => {
  const { c } = await cluster(t, { command: [process.execPath, fixture('echo-app.mjs')] });
  const pids = c.machines().map((m) => m.pid!);
  assert.ok(pids.every(isAlive));
  const ports = [...Object.values(c.edges), c.controlUrl].map((u) => Number(new URL(u).port));
  await c.stop();
  await c.stop();
  assert.ok(pids.every((p) => !isAlive(p)));
  for (const port of ports) assert.ok(await refused('127.0.0.1', port), `127.0.0.1:${port} still open`);
});

test('Machines die with the process running the cluster, even when it is killed with SIGKILL', async (t) => {
  const runner = spawn(process.execPath, ['--import', 'tsx', fixture('run-cluster.ts')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => runner.kill('SIGKILL'));
  const [line] = (await once(readline.createInterface({ input: runner.stdout! }), 'line')) as [string];
  const pids = (JSON.parse(line) as { machines: Array<{ pid: number }> }).machines.map((m) => m.pid);
  assert.equal(pids.length, 2);
  assert.ok(pids.every(isAlive));
  runner.kill('SIGKILL');
  await until(() => pids.every((p) => !isAlive(p)), 5000, 'every Machine to be gone');
});

test('a port in use is a clear error, and no Machine is started', async (t) => {
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  t.after(() => squatter.close());
  const port = (squatter.address() as net.AddressInfo).port;
  const events: LogEvent[] = [];
  await assert.rejects(
    startCluster({
      command: [process.execPath, fixture('echo-app.mjs')],
      cwd: repoRoot,
      dnsPort: 0,
      edgePort: port,
      controlPort: 0,
      addressBase: randomAddressBase(),
      machinePort: 0,
      onLog: (e) => events.push(e),
    }),
    (err: Error) =>
      err instanceof LocalflyError &&
      err.message === `edge ams: 127.0.0.1:${port} is already in use; stop whatever holds it or choose another port`,
  );
  assert.deepEqual(events, []);
});

test('a Machine that fails to start fails the cluster start with its output', async () => {
  await assert.rejects(
    startCluster({
      command: [process.execPath, '-e', 'console.error("cannot start: " + process.env.FLY_REGION); process.exit(2)'],
      regions: 'ams:1',
      cwd: repoRoot,
      ...isolatedNetwork(),
    }),
    (err: Error) =>
      err instanceof LocalflyError &&
      /exited with code 2 before listening/.test(err.message) &&
      err.message.includes('cannot start: ams'),
  );
});
