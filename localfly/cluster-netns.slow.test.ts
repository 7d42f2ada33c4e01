import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { type TestContext, test } from 'node:test';
import { type Cluster, type ClusterOptions, type LogEvent, startCluster } from './cluster.ts';
import { fixture, isAlive, isolatedNetwork, repoRoot, runLeftovers, until } from './fixtures/support.ts';
import { ip } from './network/ip.ts';
import { machineNames, newRunId, runNames } from './network/names.ts';
import { currentOwner, type Owner, writeOwner } from './network/owner.ts';
import { byRun, listInventory, removeRun } from './network/stale.ts';

// Every test here needs namespace mode: `network: 'netns'` makes startCluster fail at once, with
// one line saying why, where namespaces cannot be made (not root, not Linux).
async function cluster(t: TestContext, options: Partial<ClusterOptions> = {}) {
  const logs: LogEvent[] = [];
  const c = await startCluster({
    command: [process.execPath, fixture('foreign-app.mjs')],
    regions: 'ams:1,dfw:2',
    app: 'fly-app',
    cwd: repoRoot,
    ...isolatedNetwork(),
    network: 'netns',
    // A shared port, as on Fly: every Machine listens on 8080 in its own namespace.
    machinePort: 8080,
    startTimeoutMs: 15_000,
    stopTimeoutMs: 5_000,
    onLog: (e) => logs.push(e),
    ...options,
  });
  t.after(() => c.stop());
  assert.equal(c.network.mode, 'netns');
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([c.dns]);
  return { c, logs, resolver };
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(url, { headers, redirect: 'manual' });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

const byId = (c: Cluster, id: string) => c.machines().find((m) => m.id === id)!;

test('a typical Fly app (0.0.0.0:$PORT, system resolver, .internal names, fly-replay) runs unchanged, 3 Machines on one port', async (t) => {
  const { c, resolver } = await cluster(t);
  const machines = c.machines();
  assert.equal(machines.length, 3);
  assert.ok(machines.every((m) => m.port === 8080 && m.state === 'started'));
  assert.equal(new Set(machines.map((m) => m.address)).size, 3);
  for (const m of machines) {
    assert.match(m.address, /^fdaa:0:[0-9a-f]{1,2}:[0-9a-f]{1,4}::1[0-9a-f]{2}$/);
    assert.equal(m.privateIp, m.address);
    assert.equal(m.netns, `localfly-${c.network.run}-${m.id}`);
  }
  assert.match(c.network.machineDns ?? '', /^\[fdaa:0:[0-9a-f:]+::3\]:53$/);

  // Each Machine answers through the edges (which reach its IPv4 wildcard socket, as Fly's proxy does).
  for (const m of machines)
    assert.deepEqual(await getJson(`${c.edges.ams}/`, { 'fly-force-instance-id': m.id }), {
      machine: m.id,
      region: m.region,
      edge: 'ams',
      replayedFrom: null,
    });

  // Peers: TXT vms.<app>.internal from the system resolver, then fetch() by <id>.vm.<app>.internal over IPv6.
  for (const m of machines) {
    const reply = await getJson(`${c.edges.ams}/peers`, { 'fly-force-instance-id': m.id });
    assert.equal(reply.privateAddress, m.privateIp, 'fly-local-6pn names the Machine own address');
    const others = machines.filter((o) => o.id !== m.id);
    assert.deepEqual(
      reply.peers.map((p: any) => [p.machine, p.region, p.from]).sort(),
      others.map((o) => [o.id, o.region, m.privateIp]).sort(),
      'each peer answered, and saw the caller at its private address',
    );
  }

  // fly-replay lands on the Machine asked for, from any edge.
  const [ams, dfw1, dfw2] = machines;
  const landed = await getJson(`${c.edges.dfw}/on/${ams!.id}`, { 'fly-force-instance-id': dfw2!.id });
  assert.equal(landed.machine, ams!.id);
  assert.match(landed.replayedFrom, new RegExp(`^instance=${dfw2!.id};region=dfw;t=\\d{16}$`));
  assert.equal((await getJson(`${c.edges.ams}/on/${dfw1!.id}`)).machine, dfw1!.id);

  // The host reaches every Machine too: DNS from the host, and the Machines' private port directly.
  assert.deepEqual(await resolver.resolve6(`${dfw1!.id}.vm.${c.app}.internal`), [dfw1!.privateIp]);
  assert.equal((await getJson(`http://[${dfw1!.address}]:8081/`)).machine, dfw1!.id);
  assert.equal(c.stats().totals.errors, 0);
});

test('start, stop, kill, restart, auto start and destroy in namespace mode; nothing is left after stop()', async (t) => {
  const { c, resolver, logs } = await cluster(t, { regions: 'ams:1,dfw:1' });
  const ams = c.machines().find((m) => m.region === 'ams')!;
  const dfw = c.machines().find((m) => m.region === 'dfw')!;
  const vms = async () => (await resolver.resolveTxt(`vms.${c.app}.internal`)).map((p) => p.join(''));

  await c.stopMachine(dfw.id);
  assert.equal(byId(c, dfw.id).state, 'stopped');
  assert.deepEqual(await vms(), [`${ams.id} ams`]);
  assert.equal((await getJson(`${c.edges.dfw}/`)).machine, ams.id, 'routed to the nearest started Machine');

  // Auto start on a replay: same namespace, address and port as before.
  const woken = await getJson(`${c.edges.ams}/on/${dfw.id}`);
  assert.equal(woken.machine, dfw.id);
  assert.deepEqual(
    [byId(c, dfw.id).state, byId(c, dfw.id).address, byId(c, dfw.id).netns],
    ['started', dfw.address, dfw.netns],
  );
  assert.ok(logs.some((l) => l.source === 'edge' && l.message.includes(`auto starting Machine ${dfw.id}`)));

  const killed = await c.killMachine(dfw.id);
  assert.equal(killed.lastExit?.signal, 'SIGKILL');
  const restarted = await c.restartMachine(dfw.id);
  assert.equal(restarted.state, 'started');
  assert.equal((await getJson(`${c.edges.ams}/`, { 'fly-force-instance-id': dfw.id })).machine, dfw.id);
  const again = await c.startMachine(ams.id);
  assert.equal(again.pid, ams.pid, 'starting a started Machine changes nothing');

  // The edges reach a Machine through its port agent; one that died is started again with the Machine.
  const inNamespace = (await ip(['netns', 'pids', dfw.netns!])).split('\n').filter(Boolean).map(Number);
  const agent = inNamespace.find((pid) => pid !== byId(c, dfw.id).pid)!;
  process.kill(agent, 'SIGKILL');
  await until(() => !isAlive(agent), 5000, 'the agent to die');
  const unreachable = await fetch(`${c.edges.ams}/`, { headers: { 'fly-force-instance-id': dfw.id } });
  assert.equal(unreachable.status, 502);
  assert.match(await unreachable.text(), /PC01/);
  await c.restartMachine(dfw.id);
  assert.equal((await getJson(`${c.edges.ams}/`, { 'fly-force-instance-id': dfw.id })).machine, dfw.id);

  const pids = c.machines().map((m) => m.pid!);
  await c.destroyMachine(dfw.id);
  assert.deepEqual(
    c.machines().map((m) => m.id),
    [ams.id],
  );
  const left = await runLeftovers(c.network.run!);
  assert.ok(!left.some((name) => name.includes(dfw.id)), `the destroyed Machine's namespace is gone: ${left}`);
  assert.ok(left.includes(`localfly-${c.network.run}-${ams.id}`));

  await c.stop();
  assert.deepEqual(await runLeftovers(c.network.run!), []);
  assert.ok(pids.every((p) => !isAlive(p)));
});

test('a Machine that exits before listening is reported with its output, also on auto start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'localfly-boot-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const broken = join(dir, 'broken');
  // Serves until the file `broken` exists; from then on it fails at boot, as after a bad deploy.
  const app = `if (require('fs').existsSync(${JSON.stringify(broken)})) { console.error('config gone'); process.exit(3) }
require('http').createServer((q, s) => s.end('ok')).listen(+process.env.PORT, '0.0.0.0')`;
  const { c, logs } = await cluster(t, { regions: 'ams:1,dfw:1', command: [process.execPath, '-e', app] });
  const dfw = c.machines().find((m) => m.region === 'dfw')!;
  await c.stopMachine(dfw.id);
  writeFileSync(broken, '');
  const res = await fetch(`${c.edges.ams}/`, { headers: { 'fly-force-instance-id': dfw.id } });
  assert.equal(res.status, 503);
  assert.match(
    await res.text(),
    new RegExp(
      `PM05: Machine ${dfw.id} could not be started: Machine ${dfw.id} \\(dfw\\) exited with code 3 before listening`,
    ),
  );
  const report = logs.find((l) => l.source === 'localfly' && l.level === 'error' && l.machine?.id === dfw.id);
  assert.ok(report?.source === 'localfly');
  assert.match(report.message, /exited with code 3 before listening on \[fdaa:[0-9a-f:]+\]:8080/);
  assert.match(report.message, /last output:\n {4}config gone/);
});

/** Runs a cluster in a process of its own; resolves with what it printed once started. */
async function runner(t: TestContext, ...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture('run-cluster.ts'), 'netns', ...args], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  t.after(() => child.kill('SIGKILL'));
  child.stdin!.on('error', () => undefined);
  // Listened for before anything is awaited: the 'crash' run may exit while the leftovers are listed.
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  exited.catch(() => undefined);
  const [line] = (await once(readline.createInterface({ input: child.stdout! }), 'line')) as [string];
  const started = JSON.parse(line) as { machines: Array<{ pid: number; id: string }>; network: { run: string } };
  const pids = started.machines.map((m) => m.pid);
  assert.equal(pids.length, 2);
  assert.ok(pids.every(isAlive));
  const before = await runLeftovers(started.network.run);
  for (const m of started.machines) assert.ok(before.includes(`localfly-${started.network.run}-${m.id}`), `${before}`);
  assert.ok(before.includes(`lfly${started.network.run}`), `${before}`);
  return { child, exited, pids, run: started.network.run };
}

test('nothing is left behind when localfly is killed with SIGKILL: the reaper removes namespaces, links and files', async (t) => {
  const { child, pids, run } = await runner(t);
  child.kill('SIGKILL');
  await until(() => pids.every((p) => !isAlive(p)), 10_000, 'every Machine to be gone');
  await until(async () => (await runLeftovers(run)).length === 0, 10_000, `run ${run} to be cleaned up`);
});

test('nothing is left behind when localfly crashes', async (t) => {
  const { child, exited, pids, run } = await runner(t, 'crash');
  // Only once the test has seen its namespaces: a crash right after start raced the listing.
  child.stdin!.write('crash\n');
  const [code] = await exited;
  assert.equal(code, 1);
  await until(() => pids.every((p) => !isAlive(p)), 10_000, 'every Machine to be gone');
  await until(async () => (await runLeftovers(run)).length === 0, 10_000, `run ${run} to be cleaned up`);
});

/** Namespace, bridge, /etc/netns and /run/localfly entries as a run of localfly makes them, owned by `owner`. */
async function fakeRun(owner: Owner): Promise<string> {
  const run = newRunId();
  const names = runNames(run);
  const machine = machineNames(run, '0123456789abcd', 0);
  writeOwner(names.ownerFile, owner);
  mkdirSync(machine.etcDir, { recursive: true });
  await ip(['netns', 'add', machine.netns]);
  await ip(['link', 'add', names.bridge, 'type', 'bridge']);
  return run;
}

test('what a crashed earlier run left behind is removed at the next start; a live run is left alone', async (t) => {
  const dead = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(dead, 'exit');
  const crashed = await fakeRun({ pid: dead.pid!, startTime: currentOwner().startTime });
  const live = await fakeRun(currentOwner());
  t.after(async () => {
    const r = byRun(await listInventory()).find((x) => x.run === live);
    if (r !== undefined) await removeRun(r);
  });
  assert.equal((await runLeftovers(crashed)).length, 4);
  const { logs } = await cluster(t, { regions: 'ams:1' });
  assert.deepEqual(await runLeftovers(crashed), []);
  assert.deepEqual(
    (await runLeftovers(live)).sort(),
    [
      `/etc/netns/localfly-${live}-0123456789abcd`,
      `/run/localfly/${live}`,
      `localfly-${live}-0123456789abcd`,
      `lfly${live}`,
    ].sort(),
  );
  assert.ok(
    logs.some(
      (l) => l.source === 'localfly' && l.message.startsWith('removed what 1 crashed earlier run(s) left behind'),
    ),
  );
});

test('a command that is not found is a clear error in namespace mode too, and the cluster leaves nothing behind', async () => {
  let run: string | null = null;
  await assert.rejects(
    startCluster({
      command: ['localfly-no-such-command'],
      regions: 'ams:1',
      cwd: repoRoot,
      ...isolatedNetwork(),
      network: 'netns',
      onListening: (info) => {
        run = info.network.run;
      },
    }),
    /Machine [0-9a-f]{14} \(ams\) could not run: command not found: localfly-no-such-command before listening/,
  );
  assert.ok(run !== null);
  assert.deepEqual(await runLeftovers(run), []);
});
