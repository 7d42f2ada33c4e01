import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { fixture, isAlive, randomAddressBase, repoRoot, until } from '../fixtures/support.ts';
import { LocalflyError } from '../listen.ts';
import { LoopbackNetwork } from '../network/loopback.ts';
import { machineEnv } from './env.ts';
import { Fleet, type FleetOptions } from './fleet.ts';
import { reservePort } from './ports.ts';
import { WildcardBindError } from './readiness.ts';

// Namespace mode is covered by the cluster tests; here Machines live on loopback addresses.
const loopback = (base = randomAddressBase()) => new LoopbackNetwork(base, () => '127.0.0.1:5353', 'test');

function fleet(t: import('node:test').TestContext, overrides: Partial<FleetOptions> = {}) {
  const lines: string[] = [];
  const f = new Fleet({
    app: 'fleet-test',
    primaryRegion: 'ams',
    command: [process.execPath, fixture('echo-app.mjs')],
    cwd: repoRoot,
    env: { EXTRA_GREETING: 'hello' },
    network: loopback(),
    machinePort: 0,
    startTimeoutMs: 10_000,
    stopTimeoutMs: 5_000,
    onOutput: (m, _stream, line) => lines.push(`${m.id} ${line}`),
    ...overrides,
  });
  t.after(() => f.stopAll());
  return { f, lines };
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  return res.json();
}

test('machineEnv: Fly variables and the mode env win; the parent FLY_*, HOST and PORT are dropped; extras and PATH kept', () => {
  const facts = {
    id: '286533db064e58',
    region: 'dfw',
    app: 'a',
    primaryRegion: 'ams',
    privateIp: 'fdaa:0:3f:a2c1::100',
    port: 8080,
    binPath: '/repo/node_modules/.bin',
    modeEnv: {},
  };
  const parent = { PATH: '/usr/bin', FLY_STALE: 'x', FLY_REGION: 'old', HOME: '/home/u', HOST: '10.1.1.1', PORT: '1' };
  const fly = {
    FLY_MACHINE_ID: '286533db064e58',
    FLY_ALLOC_ID: '286533db064e58',
    FLY_REGION: 'dfw',
    FLY_APP_NAME: 'a',
    FLY_PRIVATE_IP: 'fdaa:0:3f:a2c1::100',
    FLY_PROCESS_GROUP: 'app',
    PRIMARY_REGION: 'ams',
    PORT: '8080',
  };
  // Namespace mode: nothing localfly-specific.
  assert.deepEqual(machineEnv(parent, { EXTRA: '1', PORT: '2' }, facts), {
    PATH: '/repo/node_modules/.bin:/usr/bin',
    HOME: '/home/u',
    EXTRA: '1',
    ...fly,
  });
  // Loopback mode: where to listen and which DNS server to ask.
  const modeEnv = { HOST: '127.0.0.3', FLY_DNS_SERVER: '127.0.0.1:8053' };
  assert.deepEqual(
    machineEnv({ PATH: '/usr/bin' }, { HOST: 'x' }, { ...facts, privateIp: '::ffff:127.0.0.3', modeEnv }),
    {
      PATH: '/repo/node_modules/.bin:/usr/bin',
      ...fly,
      FLY_PRIVATE_IP: '::ffff:127.0.0.3',
      ...modeEnv,
    },
  );
});

test('Machines start on their own addresses with Fly env; stop and start keep id, address and port', async (t) => {
  const { f } = fleet(t);
  const [a, b] = await Promise.all([f.create('ams'), f.create('dfw')]);
  assert.match(a.id, /^[0-9a-f]{14}$/);
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.address, b.address);
  assert.equal(a.state, 'started');
  assert.ok(a.pid !== null && isAlive(a.pid));

  const reply = await getJson(`http://${b.address}:${b.port}/`);
  assert.equal(reply.machine, b.id);
  assert.deepEqual(reply.env, {
    FLY_MACHINE_ID: b.id,
    FLY_ALLOC_ID: b.id,
    FLY_REGION: 'dfw',
    FLY_APP_NAME: 'fleet-test',
    FLY_PRIVATE_IP: `::ffff:${b.address}`,
    FLY_PROCESS_GROUP: 'app',
    PRIMARY_REGION: 'ams',
    HOST: b.address,
    PORT: String(b.port),
    FLY_DNS_SERVER: '127.0.0.1:5353',
    EXTRA_GREETING: 'hello',
  });
  assert.equal(f.regionOfAddress(b.address), 'dfw');

  const stopped = await f.stop(a.id);
  assert.equal(stopped.state, 'stopped');
  assert.equal(stopped.pid, null);
  assert.equal(stopped.lastExit?.code, 0, 'a graceful stop lets the app exit cleanly');
  assert.ok(!isAlive(a.pid));
  await assert.rejects(fetch(`http://${a.address}:${a.port}/`));

  const again = await f.start(a.id);
  assert.equal(again.state, 'started');
  assert.deepEqual([again.id, again.address, again.port], [a.id, a.address, a.port]);
  assert.notEqual(again.pid, a.pid);
  assert.equal((await getJson(`http://${a.address}:${a.port}/`)).machine, a.id);
});

test('kill is a crash (SIGKILL); restart brings the same Machine back; destroy forgets it', async (t) => {
  const { f } = fleet(t);
  const a = await f.create('ams');
  const killed = await f.kill(a.id);
  assert.equal(killed.state, 'stopped');
  assert.equal(killed.lastExit?.signal, 'SIGKILL');

  const restarted = await f.restart(a.id);
  assert.equal(restarted.state, 'started');
  const again = await f.restart(a.id);
  assert.notEqual(again.pid, restarted.pid);
  assert.equal((await getJson(`http://${a.address}:${a.port}/`)).machine, a.id);

  const gone = await f.destroy(a.id);
  assert.equal(gone.state, 'destroyed');
  assert.equal(f.get(a.id), undefined);
  assert.deepEqual(f.list(), []);
  assert.throws(() => f.start(a.id), LocalflyError);
});

test('a Machine that crashes on its own is marked stopped', async (t) => {
  const { f } = fleet(t);
  const a = await f.create('ams');
  process.kill(a.pid!, 'SIGTERM');
  await until(() => f.get(a.id)?.state === 'stopped', 5000, 'the crash to be noticed');
  assert.equal(f.get(a.id)?.lastExit?.code, 0);
});

test('a command that exits before listening is a clear error with its last output', async (t) => {
  const { f } = fleet(t, {
    command: [process.execPath, '-e', 'console.error("boom: missing config"); process.exit(3)'],
  });
  await assert.rejects(f.create('ams'), (err: Error) => {
    assert.ok(err instanceof LocalflyError);
    assert.match(err.message, /exited with code 3 before listening on 127\.\d+\.\d+\.2:\d+/);
    assert.match(err.message, /boom: missing config/);
    return true;
  });
  assert.equal(f.list()[0]?.state, 'stopped');
});

test('a command that is not found is a clear error', async (t) => {
  const { f } = fleet(t, { command: ['localfly-no-such-command'] });
  await assert.rejects(f.create('ams'), /command not found: localfly-no-such-command/);
});

test('a command that never opens its port times out and is killed', async (t) => {
  const pids: number[] = [];
  const reaper = { add: (pid: number) => pids.push(pid), remove: () => undefined };
  const { f } = fleet(t, {
    command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
    startTimeoutMs: 600,
    reaper,
  });
  await assert.rejects(f.create('ams'), /did not listen on .* within 600 ms/);
  assert.equal(pids.length, 1);
  await until(() => !isAlive(pids[0]!), 2000, 'the process to be gone');
  assert.equal(f.list()[0]?.state, 'stopped');
});

test('a port already taken on the Machine address is a clear error, not a false start', async (t) => {
  const base = randomAddressBase();
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(0, base, resolve));
  t.after(() => squatter.close());
  const port = (squatter.address() as net.AddressInfo).port;
  const { f } = fleet(t, { network: loopback(base), machinePort: port });
  await assert.rejects(
    f.create('ams'),
    (err: Error) => err instanceof LocalflyError && err.message.includes(`${base}:${port} is already in use`),
  );
});

test('stop escalates to SIGKILL after the stop timeout, and leaves no process of the group behind', async (t) => {
  // The shell leaves a background child that ignores SIGINT (non-interactive shells do that) and
  // an app that ignores SIGINT too.
  const app = `require('http').createServer(()=>{}).listen(+process.env.PORT, process.env.HOST); process.on('SIGINT', () => {})`;
  const script = `${process.execPath} -e "console.log('child', process.pid); setInterval(() => {}, 1000)" & exec ${process.execPath} -e "${app}"`;
  const { f, lines } = fleet(t, { command: ['sh', '-c', script], stopTimeoutMs: 300 });
  const a = await f.create('ams');
  await until(() => lines.some((l) => l.includes('child')), 5000, 'the background child');
  const child = Number(
    lines
      .find((l) => l.includes('child'))!
      .split(' ')
      .pop(),
  );
  assert.ok(isAlive(child));
  const stopped = await f.stop(a.id);
  assert.equal(stopped.lastExit?.signal, 'SIGKILL');
  await until(() => !isAlive(child), 2000, 'the background child to be gone');
});

test('loopback: a Machine bound to 0.0.0.0 on the shared port is refused, not started (it would take every Machine port)', async (t) => {
  const port = await reservePort('0.0.0.0', 0, 'test');
  const app = `require('http').createServer(() => {}).listen(+process.env.PORT, '0.0.0.0')`;
  const { f } = fleet(t, { command: [process.execPath, '-e', app], machinePort: port });
  await assert.rejects(f.create('ams'), (err: Error) => {
    assert.ok(err instanceof WildcardBindError, String(err));
    assert.match(
      err.message,
      new RegExp(`^refused: Machine [0-9a-f]{14} listens on 0\\.0\\.0\\.0:${port}, every address of the host`),
    );
    assert.match(err.message, /run localfly as root/);
    return true;
  });
  const [m] = f.list();
  assert.equal(m?.state, 'stopped');
  assert.equal(m?.pid, null, 'its process is gone');
  // With a port of its own per Machine, a wildcard bind takes nobody else's port.
  const { f: own } = fleet(t, { command: [process.execPath, '-e', app], machinePort: 0 });
  assert.equal((await own.create('ams')).state, 'started');
});

test('loopback: a port answered by a wildcard socket of another process is reported, never counted as started', async (t) => {
  const port = await reservePort('0.0.0.0', 0, 'test');
  const { f, lines } = fleet(t, {
    command: [process.execPath, '-e', 'console.log("up"); setInterval(() => {}, 1000)'],
    machinePort: port,
  });
  const creating = f.create('ams');
  // Once the Machine runs (its port was proven free before), another process takes the port on every address.
  await until(() => lines.some((l) => l.endsWith(' up')), 5000, 'the Machine to run');
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '0.0.0.0', resolve));
  t.after(() => squatter.close());
  await assert.rejects(creating, (err: Error) => {
    assert.ok(err instanceof WildcardBindError, String(err));
    assert.match(
      err.message,
      new RegExp(
        `:${port} is answered by another process, which listens on 0\\.0\\.0\\.0:${port}, not by the Machine itself`,
      ),
    );
    assert.match(err.message, /last output:\n {4}up/);
    return true;
  });
  assert.equal(f.list()[0]?.state, 'stopped');
});
