import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Stats } from '../edge/stats.ts';
import { fixture, randomAddressBase, repoRoot } from '../fixtures/support.ts';
import { Deployer } from '../machines/deploy.ts';
import { Fleet } from '../machines/fleet.ts';
import { LoopbackNetwork } from '../network/loopback.ts';
import { startControlServer } from './server.ts';

async function setup(t: import('node:test').TestContext, withDeploy = false) {
  const fleet = new Fleet({
    app: 'control-test',
    primaryRegion: 'ams',
    command: [process.execPath, fixture('echo-app.mjs')],
    cwd: repoRoot,
    env: {},
    network: new LoopbackNetwork(randomAddressBase(), () => '127.0.0.1:5353', 'test'),
    machinePort: 0,
    startTimeoutMs: 10_000,
    stopTimeoutMs: 5_000,
  });
  t.after(() => fleet.stopAll());
  const progress: string[] = [];
  const deployer = new Deployer(fleet, { killSignal: fleet.killSignal, progress: (line) => progress.push(line) });
  const stats = new Stats(['ams', 'dfw']);
  const control = await startControlServer({
    port: 0,
    target: {
      summary: () => ({ app: 'control-test', edges: { ams: 'http://127.0.0.1:1' }, dns: '127.0.0.1:5353' }),
      machines: fleet,
      stats,
      ...(withDeploy ? { deploy: () => deployer.deploy() } : {}),
    },
  });
  t.after(() => control.close());
  const call = async (method: string, path: string, body?: string) => {
    const res = await fetch(control.url + path, {
      method,
      body,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  return { fleet, stats, control, call, progress };
}

test('control API: list, add, stop, start, kill, restart, destroy Machines', async (t) => {
  const { call, control } = await setup(t);
  assert.match(control.url, /^http:\/\/127\.0\.0\.1:\d+$/);

  const added = await call('POST', '/machines', JSON.stringify({ region: 'dfw' }));
  assert.equal(added.status, 201);
  assert.equal(added.body.region, 'dfw');
  assert.equal(added.body.state, 'started');
  const id: string = added.body.id;

  const root = await call('GET', '/');
  assert.equal(root.status, 200);
  assert.equal(root.body.app, 'control-test');
  assert.deepEqual(root.body.edges, { ams: 'http://127.0.0.1:1' });
  assert.equal(root.body.dns, '127.0.0.1:5353');
  assert.deepEqual(
    root.body.machines.map((m: any) => m.id),
    [id],
  );

  const list = await call('GET', '/machines');
  assert.equal(list.status, 200);
  const [m] = list.body;
  assert.deepEqual([m.id, m.region, m.state, m.address], [id, 'dfw', 'started', added.body.address]);
  assert.equal(typeof m.pid, 'number');

  assert.equal((await call('POST', `/machines/${id}/stop`)).body.state, 'stopped');
  assert.equal((await call('GET', `/machines/${id}`)).body.state, 'stopped');
  assert.equal((await call('POST', `/machines/${id}/start`)).body.state, 'started');
  const killed = await call('POST', `/machines/${id}/kill`);
  assert.equal(killed.body.state, 'stopped');
  assert.equal(killed.body.lastExit.signal, 'SIGKILL');
  assert.equal((await call('POST', `/machines/${id}/restart`)).body.state, 'started');
  assert.equal((await call('DELETE', `/machines/${id}`)).body.state, 'destroyed');
  assert.equal((await call('GET', `/machines/${id}`)).status, 404);
  assert.deepEqual((await call('GET', '/machines')).body, []);
});

test("control API: a restart with {env} sets the Machine's own variables over the cluster's; {} drops them", async (t) => {
  const { call } = await setup(t);
  const id: string = (await call('POST', '/machines', JSON.stringify({ region: 'ams' }))).body.id;
  const envSeen = async () => {
    const m = (await call('GET', `/machines/${id}`)).body;
    const res = await fetch(`http://${m.address.includes(':') ? `[${m.address}]` : m.address}:${m.port}/`);
    return ((await res.json()) as { env: Record<string, string> }).env;
  };
  assert.equal((await envSeen()).EXTRA_MODE, undefined);
  const restarted = await call('POST', `/machines/${id}/restart`, JSON.stringify({ env: { EXTRA_MODE: 'regional' } }));
  assert.equal(restarted.status, 200);
  assert.deepEqual(restarted.body.env, { EXTRA_MODE: 'regional' });
  assert.equal((await envSeen()).EXTRA_MODE, 'regional');
  assert.equal((await call('POST', `/machines/${id}/restart`)).body.env.EXTRA_MODE, 'regional', 'kept without a body');
  assert.deepEqual((await call('POST', `/machines/${id}/restart`, '{"env": {}}')).body.env, {});
  assert.equal((await envSeen()).EXTRA_MODE, undefined);
  for (const bad of ['{"env": []}', '{"env": {"lower": "x"}}', '{"env": {"A": 1}}']) {
    assert.equal((await call('POST', `/machines/${id}/restart`, bad)).status, 400, bad);
  }
});

test('control API: bad requests get a status and a reason', async (t) => {
  const { call } = await setup(t);
  const rows: Array<[string, string, string | undefined, number]> = [
    ['POST', '/machines', undefined, 400],
    ['POST', '/machines', '{"region": 42}', 400],
    ['POST', '/machines', '{"region": "AMS!"}', 400],
    ['POST', '/machines', '{not json', 400],
    ['POST', '/machines', JSON.stringify({ region: 'x'.repeat(17 * 1024) }), 413],
    ['POST', '/machines/0123456789abcd/stop', undefined, 404],
    ['GET', '/nope', undefined, 404],
    ['DELETE', '/stats', undefined, 405],
    ['PUT', '/machines', undefined, 405],
  ];
  for (const [method, path, body, status] of rows) {
    const res = await call(method, path, body);
    assert.equal(res.status, status, `${method} ${path}`);
    assert.equal(typeof res.body.error, 'string', `${method} ${path}`);
  }
  const added = await call('POST', '/machines', '{"region":"ams"}');
  assert.equal((await call('POST', `/machines/${added.body.id}/explode`)).status, 404);
  assert.equal((await call('GET', `/machines/${added.body.id}/stop`)).status, 405);
});

test('control API: stats per edge, and reset', async (t) => {
  const { call, stats } = await setup(t);
  stats.request('ams', false);
  stats.replay('ams', 'prefer_instance');
  stats.error('dfw', 'PR02');
  stats.cacheHit('ams');
  const before = await call('GET', '/stats');
  assert.equal(before.body.edges.ams.requests, 1);
  assert.equal(before.body.edges.ams.replays.prefer_instance, 1);
  assert.deepEqual(before.body.edges.dfw.errors, { total: 1, byCode: { PR02: 1 } });
  assert.equal(before.body.edges.ams.cacheHits, 1);
  assert.deepEqual(before.body.totals, {
    requests: 1,
    websockets: 0,
    replays: 1,
    fallbacks: 0,
    cacheHits: 1,
    errors: 1,
  });
  const reset = await call('POST', '/stats/reset');
  assert.deepEqual(reset.body.totals, {
    requests: 0,
    websockets: 0,
    replays: 0,
    fallbacks: 0,
    cacheHits: 0,
    errors: 0,
  });
  assert.deepEqual(Object.keys(reset.body.edges), ['ams', 'dfw']);
});

test('control API: POST /deploy restarts every running Machine in place, one at a time; one deploy at a time', async (t) => {
  const { call, fleet, progress } = await setup(t, true);
  const a = await call('POST', '/machines', '{"region":"ams"}');
  const d = await call('POST', '/machines', '{"region":"dfw"}');
  const before = fleet.list();
  const [first, second] = await Promise.all([call('POST', '/deploy'), call('POST', '/deploy')]);
  assert.equal(first.status, 200);
  assert.deepEqual(second, { status: 409, body: { error: 'a deploy is already running' } });
  const report = first.body;
  assert.equal(report.strategy, 'rolling');
  assert.deepEqual(
    report.machines.map((m: any) => [m.id, m.action, m.signal]),
    [
      [a.body.id, 'restarted', 'SIGINT'],
      [d.body.id, 'restarted', 'SIGINT'],
    ],
  );
  const [ma, md] = report.machines;
  assert.ok(ma.signalledAt <= ma.exitedAt && ma.exitedAt <= ma.listeningAt, 'signal, exit, listening in order');
  assert.ok(ma.listeningAt <= md.signalledAt, 'the second is signalled once the first listens again');
  const after = fleet.list();
  assert.deepEqual(
    after.map((m) => [m.id, m.state]),
    before.map((m) => [m.id, 'started']),
    'same ids, all running',
  );
  assert.ok(
    after.every((m, i) => m.pid !== before[i]!.pid),
    'each one is a new process',
  );
  assert.equal(progress.filter((line) => /: listening again after \d+ ms$/.test(line)).length, 2, progress.join('\n'));
  assert.equal((await call('GET', '/deploy')).status, 405);
});
