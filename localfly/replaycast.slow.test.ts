import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import WebSocket from 'ws';
import type { DirectoryView } from '../shared/directory-api.ts';
import { type Cluster, startCluster } from './cluster.ts';
import { repoRoot, until } from './fixtures/support.ts';

async function whoami(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return {
    status: res.status,
    cookie: res.headers.get('set-cookie'),
    body: (await res.json()) as { machineId: string; region: string; app: string },
  };
}

// The routing promise end to end: a browser on the ams edge opening /api/whoami?instance=<a dfw Machine>
// gets that Machine's answer; here with the real replaycast server in every Machine.
test('replaycast on localfly: ?instance=, the cookie, a WebSocket, a stale cookie and auto start', async (t) => {
  // Namespace mode: every Machine on one port with replaycast's defaults (HOST ::), its directory
  // asking the system resolver (no FLY_DNS_SERVER), its peers called at their 6PN addresses.
  const c: Cluster = await startCluster({
    command: [process.execPath, '--import', 'tsx', 'server/main.ts'],
    regions: 'ams:1,dfw:1',
    cwd: repoRoot,
    network: 'netns',
    env: { LOG_LEVEL: 'warn', REPLAY_TIMEOUT_MS: '30000', DEMO_STREAMS: '1', DISCOVERY_INTERVAL_MS: '1000' },
    dnsPort: 0,
    edgePort: 0,
    controlPort: 0,
    machinePort: 8080,
    startTimeoutMs: 30_000,
    flyToml: `${repoRoot}fly.toml`,
  });
  t.after(() => c.stop());
  assert.equal(c.network.mode, 'netns');
  const ams = c.machines().find((m) => m.region === 'ams')!;
  const dfw = c.machines().find((m) => m.region === 'dfw')!;

  const linked = await whoami(`${c.edges.ams}/api/whoami?instance=${dfw.id}`);
  assert.equal(linked.status, 200);
  assert.deepEqual(linked.body, { machineId: dfw.id, region: 'dfw', app: 'replaycast-local' });
  assert.match(linked.cookie ?? '', new RegExp(`^fly-machine-id=${dfw.id};`));

  const pinned = await whoami(`${c.edges.ams}/api/whoami`, { cookie: `fly-machine-id=${dfw.id}` });
  assert.equal(pinned.body.machineId, dfw.id);
  const replays = c.stats().edges.ams!.replays;
  assert.deepEqual([replays.instance, replays.prefer_instance], [1, 1]);

  // The cookie's replay was cached: the same cookie now goes straight to its Machine, sockets too.
  const cached = await whoami(`${c.edges.ams}/api/whoami`, { cookie: `fly-machine-id=${dfw.id}` });
  assert.equal(cached.body.machineId, dfw.id);
  const socket = new WebSocket(`${c.edges.ams.replace('http', 'ws')}/ws/whoami`, {
    headers: { cookie: `fly-machine-id=${dfw.id}` },
  });
  t.after(() => socket.terminate());
  const [answer] = (await once(socket, 'message')) as [Buffer];
  assert.equal(JSON.parse(String(answer)).machineId, dfw.id);
  assert.deepEqual([c.stats().totals.replays, c.stats().totals.cacheHits], [2, 2]);

  const ws = new WebSocket(`${c.edges.ams.replace('http', 'ws')}/ws/whoami?instance=${dfw.id}`);
  t.after(() => ws.terminate());
  const [message] = (await once(ws, 'message')) as [Buffer];
  assert.equal(JSON.parse(String(message)).machineId, dfw.id);

  // A cookie naming a Machine that no longer exists: served anyway, no 5xx.
  const stale = await whoami(`${c.edges.ams}/api/whoami`, { cookie: 'fly-machine-id=0123456789abcd' });
  assert.equal(stale.status, 200);
  assert.equal(stale.body.machineId, ams.id);

  // A link to a stopped Machine starts it (REPLAY_TIMEOUT_MS is raised above so that a slow start
  // on a busy test machine is not mistaken for a missing Machine).
  await c.stopMachine(dfw.id);
  const woken = await whoami(`${c.edges.ams}/api/whoami?instance=${dfw.id}`);
  assert.equal(woken.body.machineId, dfw.id);
  assert.equal(c.machines().find((m) => m.id === dfw.id)?.state, 'started');
  assert.equal(c.stats().totals.errors, 0);

  // The directory: each Machine lists every Machine's demo stream, found over the private network.
  await until(
    async () => {
      const view = (await (await fetch(`${c.edges.ams}/api/streams`)).json()) as DirectoryView;
      return !view.stale && new Set(view.streams.map((s) => s.machineId)).size === 2;
    },
    20_000,
    'the ams Machine to list both Machines streams',
  );
});
