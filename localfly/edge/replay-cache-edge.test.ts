import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { type TestContext, test } from 'node:test';
import WebSocket from 'ws';
import type { Seen } from '../fixtures/fake-machines.ts';
import { FakeMachines } from '../fixtures/fake-machines.ts';
import { Load } from './load.ts';
import { ReplayCache, type ReplayCacheRule } from './replay-cache.ts';
import { startEdge } from './server.ts';
import { Stats } from './stats.ts';

const AMS = 'a0a0a0a0a0a0a0';
const DFW = 'd0d0d0d0d0d0d0';
const DFW2 = 'd2d2d2d2d2d2d2';
const RULE: ReplayCacheRule = { pathPrefix: '/', ttlSeconds: 300, type: 'cookie', name: 'fly-machine-id' };

/** Like the app: a request whose cookie names another Machine is replayed there, unless already replayed. */
function cookieRouting(seen: Seen) {
  const wanted = /fly-machine-id=([0-9a-f]{14})/.exec(String(seen.headers.cookie ?? ''))?.[1];
  if (wanted === undefined || wanted === seen.machine || seen.headers['fly-replay-src'] !== undefined) return null;
  return { status: 307, headers: { 'fly-replay': `prefer_instance=${wanted}` } };
}

async function setup(t: TestContext, rules: ReplayCacheRule[] | null = [RULE]) {
  const fakes = new FakeMachines();
  for (const [id, region] of [
    [AMS, 'ams'],
    [DFW, 'dfw'],
    [DFW2, 'dfw'],
  ] as const)
    await fakes.add(id, region);
  fakes.behaviour = cookieRouting;
  const stats = new Stats(['ams']);
  const edge = await startEdge({
    region: 'ams',
    port: 0,
    upstreams: fakes,
    load: new Load(),
    stats,
    autoStartTimeoutMs: 3000,
    replayCache: rules === null ? undefined : new ReplayCache(rules),
    random: () => 0,
  });
  t.after(async () => {
    await edge.close();
    await fakes.close();
  });
  return { fakes, stats, edge };
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; machine: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, machine: JSON.parse(body).machine }));
      })
      .on('error', reject);
  });
}

const pinned = { cookie: `fly-machine-id=${DFW}` };

test('after a cookie replay, the next request with that cookie goes straight to its Machine (hit, no fly-replay-src)', async (t) => {
  const { fakes, stats, edge } = await setup(t);
  assert.equal((await get(`${edge.url}/watch/x`, pinned)).machine, DFW);
  const [first, replayed] = fakes.seen;
  assert.equal(first!.machine, AMS, 'the first request lands in the edge region');
  assert.equal(first!.headers['fly-replay-cache-status'], undefined);
  assert.equal(replayed!.machine, DFW);
  assert.equal(replayed!.headers['fly-replay-cache-status'], 'miss');
  assert.match(String(replayed!.headers['fly-replay-src']), new RegExp(`^instance=${AMS};`));

  assert.equal((await get(`${edge.url}/api/whoami`, pinned)).machine, DFW);
  assert.equal(fakes.seen.length, 3, 'one delivery: no hop through the edge region');
  const hit = fakes.seen[2]!;
  assert.equal(hit.machine, DFW);
  assert.equal(hit.headers['fly-replay-cache-status'], 'hit');
  assert.equal(hit.headers['fly-replay-src'], undefined);
  const counts = stats.snapshot();
  assert.equal(counts.totals.replays, 1);
  assert.equal(counts.totals.cacheHits, 1);
  assert.equal(counts.edges.ams!.cacheHits, 1);
});

test('a WebSocket handshake with a cached cookie goes straight to its Machine too', async (t) => {
  const { fakes, stats, edge } = await setup(t);
  await get(`${edge.url}/`, pinned);
  const ws = new WebSocket(`${edge.url.replace('http', 'ws')}/ws/watch/x`, { headers: pinned });
  t.after(() => ws.terminate());
  const [data] = (await once(ws, 'message')) as [Buffer];
  assert.equal(JSON.parse(String(data)).machine, DFW);
  const handshake = fakes.seen.at(-1)!;
  assert.equal(handshake.websocket, true);
  assert.equal(handshake.headers['fly-replay-cache-status'], 'hit');
  assert.equal(stats.snapshot().totals.replays, 1);
});

test('an ?instance= style replay (timeout, fallback) is not cached', async (t) => {
  const { fakes, stats, edge } = await setup(t);
  fakes.behaviour = (seen) =>
    seen.machine === AMS && seen.headers['fly-replay-src'] === undefined
      ? { status: 307, headers: { 'fly-replay': `instance=${DFW};timeout=5s;fallback=prefer_self` } }
      : null;
  for (let i = 0; i < 2; i++) assert.equal((await get(`${edge.url}/watch/x?instance=${DFW}`, pinned)).machine, DFW);
  assert.equal(stats.snapshot().totals.replays, 2);
  assert.equal(stats.snapshot().totals.cacheHits, 0);
});

test('fly-replay-cache: invalidate drops the entry that misrouted the request', async (t) => {
  const { fakes, stats, edge } = await setup(t);
  await get(`${edge.url}/`, pinned);
  // DFW's stream moved: the cookie's requests now belong on DFW2, and DFW says so once (not cacheable).
  fakes.behaviour = (seen) =>
    seen.machine === DFW && seen.headers['fly-replay-cache-status'] === 'hit'
      ? { status: 307, headers: { 'fly-replay': `instance=${DFW2};timeout=5s`, 'fly-replay-cache': 'invalidate' } }
      : null;
  assert.equal((await get(`${edge.url}/`, pinned)).machine, DFW2);
  const before = fakes.seen.length;
  assert.equal((await get(`${edge.url}/`, pinned)).machine, AMS, 'no entry left: routed as usual');
  assert.equal(fakes.seen.length, before + 1);
  assert.equal(fakes.seen.at(-1)!.headers['fly-replay-cache-status'], undefined);
  assert.equal(stats.snapshot().totals.cacheHits, 1);
});

test('a hit whose Machine is stopped is routed as usual and forgotten', async (t) => {
  const { fakes, stats, edge } = await setup(t);
  await get(`${edge.url}/`, pinned);
  await fakes.stop(DFW);
  fakes.behaviour = () => null;
  const reply = await get(`${edge.url}/`, pinned);
  assert.equal(reply.status, 200);
  assert.equal(reply.machine, AMS);
  assert.equal(stats.snapshot().totals.cacheHits, 0);
  assert.equal(stats.snapshot().totals.errors, 0);
});

test('a request with fly-force-instance-id is routed by the header, not the cache', async (t) => {
  const { fakes, edge } = await setup(t);
  await get(`${edge.url}/`, pinned);
  fakes.behaviour = () => null;
  assert.equal((await get(`${edge.url}/`, { ...pinned, 'fly-force-instance-id': DFW2 })).machine, DFW2);
  assert.equal(fakes.seen.at(-1)!.headers['fly-replay-cache-status'], undefined);
});

test("a client's own fly-replay-cache-status never reaches a Machine", async (t) => {
  const { fakes, edge } = await setup(t);
  await get(`${edge.url}/`, { 'fly-replay-cache-status': 'miss' });
  assert.equal(fakes.seen.at(-1)!.headers['fly-replay-cache-status'], undefined);
});

test('without replay_cache rules there is no cache and no cache status header', async (t) => {
  const { fakes, stats, edge } = await setup(t, null);
  for (let i = 0; i < 2; i++) assert.equal((await get(`${edge.url}/`, pinned)).machine, DFW);
  assert.equal(stats.snapshot().totals.replays, 2);
  assert.ok(fakes.seen.every((s) => s.headers['fly-replay-cache-status'] === undefined));
});

test('a prefer_instance replay that fell back to another Machine is not remembered', async (t) => {
  const { fakes, stats, edge } = await setup(t);
  const gone = 'eeeeeeeeeeeeee';
  fakes.behaviour = (seen) =>
    seen.machine === AMS && seen.headers['fly-replay-src'] === undefined
      ? { status: 307, headers: { 'fly-replay': `prefer_instance=${gone}` } }
      : null;
  await get(`${edge.url}/`, { cookie: `fly-machine-id=${gone}` });
  assert.equal(fakes.seen.at(-1)!.headers['fly-preferred-instance-unavailable'], gone);
  await get(`${edge.url}/`, { cookie: `fly-machine-id=${gone}` });
  assert.deepEqual([stats.snapshot().totals.replays, stats.snapshot().totals.cacheHits], [2, 0]);
});
