import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeTime } from 'ulid';
import {
  Cluster,
  type ClusterNode,
  type ClusterOptions,
  MemoryDns,
  waitFor,
} from '../../test/support/directory-cluster.ts';
import { type PeerCallOptions, peerCall as rawPeerCall } from '../../test/support/peer-call.ts';
import { streamId } from '../../test/support/stream-ids.ts';
import type { Snapshot } from './snapshot.ts';

// In-process clusters on an in-memory DNS. Loopback block of this file: 127.0.23.10-69, private port 23081.
const PORT = 23081;
const block = (first: number, count: number) => Array.from({ length: count }, (_, i) => `127.0.23.${first + i}`);

async function cluster(t: import('node:test').TestContext, opts: Partial<ClusterOptions> & { addresses: string[] }) {
  const dns = (opts.dns as MemoryDns | undefined) ?? new MemoryDns();
  const c = await Cluster.start({ internalPort: PORT, discoveryIntervalMs: 60_000, dns, ...opts });
  t.after(() => c.close());
  return { c, dns, nodes: c.nodes as [ClusterNode, ClusterNode, ClusterNode, ...ClusterNode[]] };
}

/** A raw request to a Machine's private API, from a chosen source address. */
const peerCall = (node: ClusterNode, opts: PeerCallOptions) => rawPeerCall(node.address, PORT, opts);

test('push: a stream started on one Machine is listed on every other well before the next pull', async (t) => {
  // A one-minute interval: only the push can explain convergence within the deadline.
  const { nodes } = await cluster(t, { addresses: block(10, 3) });
  const [a, b, c] = nodes;
  a.source.start({ id: streamId('s1'), title: 'Hello' });
  await waitFor(
    's1 listed on b and c',
    () => b.directory.get(streamId('s1')) !== undefined && c.directory.get(streamId('s1')) !== undefined,
    2000,
  );
  assert.deepEqual(b.directory.get(streamId('s1')), {
    id: streamId('s1'),
    title: 'Hello',
    creator: 'tester',
    machineId: a.id,
    region: a.region,
    viewers: 0,
    startedAt: a.source.list()[0]!.startedAt,
    epoch: 0,
  });

  a.source.update(streamId('s1'), { viewers: 7, title: 'Hello again' });
  await waitFor('update seen on c', () => c.directory.get(streamId('s1'))?.viewers === 7, 2000);
  assert.equal(c.directory.get(streamId('s1'))?.title, 'Hello again');

  a.source.end(streamId('s1'));
  await waitFor(
    's1 gone on b and c',
    () => b.directory.get(streamId('s1')) === undefined && c.directory.get(streamId('s1')) === undefined,
    2000,
  );
  assert.equal(b.directory.stats().rounds, 1, 'all of it without a second discovery round');
});

test('membership listeners get the listed peers after each round; relay readiness travels with the snapshot', async (t) => {
  const { nodes } = await cluster(t, { addresses: block(60, 3), regions: ['ams', 'dfw'] });
  const [a, b, c] = nodes;
  const seen: Array<Array<{ id: string; region: string }>> = [];
  a.directory.onMembership((peers) => seen.push(peers));
  await a.directory.discoverNow();
  const expected = [b, c].map((n) => ({ id: n.id, region: n.region })).sort((x, y) => (x.id < y.id ? -1 : 1));
  assert.deepEqual(
    seen.at(-1)?.sort((x, y) => (x.id < y.id ? -1 : 1)),
    expected,
  );
  b.directory.setRelay('ok');
  await waitFor(
    "b's readiness on a and c, without a round",
    () => [a, c].every((n) => n.directory.view().machines.find((m) => m.id === b.id)?.relay === 'ok'),
    2000,
  );
  assert.equal(b.directory.snapshot().relay, 'ok');
  const version = b.directory.snapshot().version;
  b.directory.setRelay('ok');
  assert.equal(b.directory.snapshot().version, version, 'the same readiness again is no change');
});

test('pull only (push off): a new stream is listed within one interval', async (t) => {
  const { nodes } = await cluster(t, { addresses: block(13, 3), push: false, discoveryIntervalMs: 300 });
  const [a, b] = nodes;
  const fetchesBefore = b.directory.stats().fetches;
  a.source.start({ id: streamId('pulled') });
  await waitFor('pulled on b', () => b.directory.get(streamId('pulled')) !== undefined, 300 + 1000);
  assert.ok(b.directory.stats().fetches > fetchesBefore, 'b learnt it by fetching');
  assert.equal(a.directory.stats().pushesSent, 0, 'nothing was pushed');
});

test('an unchanged snapshot costs a 304', async (t) => {
  const { nodes } = await cluster(t, { addresses: block(16, 2), discoveryIntervalMs: 100 });
  const [a] = nodes;
  const before = a.directory.stats().fetchesNotModified;
  await waitFor('two more rounds answered 304', () => a.directory.stats().fetchesNotModified >= before + 2, 3000);
  assert.equal(a.directory.stats().fetchesFailed, 0);
});

test('a killed Machine disappears from every other directory with its streams', async (t) => {
  const { c, nodes } = await cluster(t, { addresses: block(20, 3), discoveryIntervalMs: 200 });
  const [a, b, d] = nodes;
  a.source.start({ id: streamId('doomed') });
  await waitFor(
    'listed',
    () => b.directory.get(streamId('doomed')) !== undefined && d.directory.get(streamId('doomed')) !== undefined,
    2000,
  );
  await c.kill(a);
  await waitFor(
    'gone everywhere',
    () =>
      [b, d].every(
        (n) =>
          n.directory.get(streamId('doomed')) === undefined && !n.directory.view().machines.some((m) => m.id === a.id),
      ),
    3 * 200 + 500,
  );
  assert.equal(b.directory.machineKnown(a.id), false, 'the routing hook may now rewrite a cookie naming it');
  assert.equal(b.directory.machineKnown(d.id), true);
});

test('a Machine still in DNS that stops answering is dropped after 3 failed fetches', async (t) => {
  const { c, nodes } = await cluster(t, {
    addresses: block(24, 2),
    discoveryIntervalMs: 100,
    limits: { peerTimeoutMs: 200 },
  });
  const [a, b] = nodes;
  a.source.start({ id: streamId('flaky') });
  await waitFor('listed', () => b.directory.get(streamId('flaky')) !== undefined, 2000);
  // Silence a without removing it from DNS.
  await a.directory.abort();
  await waitFor('dropped on b', () => b.directory.get(streamId('flaky')) === undefined, 3000);
  const peer = b.directory.stats().peers.find((p) => p.id === a.id)!;
  assert.equal(peer.listed, true);
  assert.ok(peer.failures >= 3, `failures ${peer.failures}`);
  assert.equal(b.directory.machineKnown(a.id), true, 'still listed in DNS: not known to be gone');
  void c;
});

test('graceful stop pushes an empty snapshot first: streams vanish without waiting for a round', async (t) => {
  const { c, nodes } = await cluster(t, { addresses: block(27, 3) });
  const [a, b, d] = nodes;
  a.source.start({ id: streamId('leaving') });
  await waitFor(
    'listed',
    () => b.directory.get(streamId('leaving')) !== undefined && d.directory.get(streamId('leaving')) !== undefined,
    2000,
  );
  const roundsBefore = b.directory.stats().rounds;
  await c.stop(a);
  // The stop has returned: the empty snapshot has already been delivered.
  assert.equal(b.directory.get(streamId('leaving')), undefined);
  assert.equal(d.directory.get(streamId('leaving')), undefined);
  assert.equal(b.directory.stats().rounds, roundsBefore, 'no discovery round was needed');
});

test('DNS failure keeps the last directory, marks it stale, retries with backoff, logs once per change', async (t) => {
  const lines: string[] = [];
  const { dns, nodes } = await cluster(t, {
    addresses: block(30, 2),
    discoveryIntervalMs: 300,
    limits: { backoffBaseMs: 20, backoffMaxMs: 40 },
    logStream: { write: (line) => void lines.push(line) },
  });
  const [a, b] = nodes;
  a.source.start({ id: streamId('kept') });
  await waitFor('listed', () => b.directory.get(streamId('kept')) !== undefined, 2000);
  assert.equal(b.directory.stale, false);

  dns.failWith = 'ETIMEOUT';
  // After the next round fails, retries come every 10-40 ms (backoff): 5 failures in far less than 5 intervals.
  await waitFor('5 failed rounds on b', () => b.directory.stats().consecutiveDnsFailures >= 5, 300 + 5 * 40 + 500);
  assert.equal(b.directory.stale, true);
  assert.equal(b.directory.get(streamId('kept'))?.machineId, a.id, 'last good directory kept');
  assert.equal(b.directory.machineKnown('ffffffffffffff'), undefined, 'stale: cannot tell');
  const res = await b.app.inject('/api/streams');
  assert.equal(res.json().stale, true);
  assert.equal(res.json().streams[0].id, streamId('kept'));
  const failLogs = () => lines.filter((l) => l.includes('DNS lookup failed') && l.includes(b.id)).length;
  assert.equal(failLogs(), 1, 'one warning for the whole outage');

  dns.failWith = null;
  await waitFor('b fresh again', () => !b.directory.stale, 2000);
  assert.equal(lines.filter((l) => l.includes('DNS lookups work again') && l.includes(b.id)).length, 1);
  assert.equal(b.directory.machineKnown('ffffffffffffff'), false);
});

test('peer API: strangers get 403; Machines of the app and bearer-token holders are served', async (t) => {
  const { nodes } = await cluster(t, { addresses: block(33, 2), internalToken: 'sekrit' });
  const [a, b] = nodes;
  const stranger = '127.0.23.69';
  const refused = await peerCall(a, { from: stranger });
  assert.equal(refused.status, 403);
  assert.match(JSON.parse(refused.body).error, /only answers Machines of this app/);
  assert.equal((await peerCall(a, { from: stranger, headers: { authorization: 'Bearer wrong' } })).status, 403);
  assert.equal((await peerCall(a, { from: stranger, headers: { authorization: 'Bearer sekrit' } })).status, 200);
  const push = await peerCall(a, { from: stranger, method: 'POST', body: b.directory.snapshot() });
  assert.equal(push.status, 403, 'a stranger cannot push either');

  const ok = await peerCall(a, { from: b.address });
  assert.equal(ok.status, 200);
  const snapshot = JSON.parse(ok.body) as Snapshot;
  assert.equal(snapshot.machineId, a.id);
  assert.equal(snapshot.bootId, a.directory.stats().bootId);
  assert.equal(ok.etag, `"${snapshot.bootId}.${snapshot.version}"`);
  assert.equal((await peerCall(a, { from: b.address, headers: { 'if-none-match': ok.etag! } })).status, 304);
  a.source.start({ id: streamId('bump') });
  assert.equal(
    (await peerCall(a, { from: b.address, headers: { 'if-none-match': ok.etag! } })).status,
    200,
    'changed: full answer',
  );
  assert.ok(a.directory.stats().peerRequestsRefused >= 3);
});

test('peer API: late and duplicate pushes change nothing; bad snapshots get 400, huge ones 413', async (t) => {
  const { nodes } = await cluster(t, { addresses: block(36, 2), limits: { maxSnapshotBytes: 4096 } });
  const [a, b] = nodes;
  // Boot ids a little ahead of now (within the allowed clock skew), so b's own pushes never outrank these.
  const bootTime = encodeTime(Date.now() + 30_000, 10);
  const [bootA, bootB] = [`${bootTime}${'0'.repeat(15)}A`, `${bootTime}${'0'.repeat(15)}B`];
  const base = { machineId: b.id, region: b.region, bootId: bootB, streams: [] };
  const push = (body: unknown) => peerCall(a, { from: b.address, method: 'POST', body });
  const stream = (label: string) => ({
    id: streamId(label),
    title: 't',
    creator: 'c',
    viewers: 0,
    startedAt: Date.now(),
  });

  assert.equal(JSON.parse((await push({ ...base, version: 10, streams: [stream('v10')] })).body).outcome, 'applied');
  assert.equal(a.directory.get(streamId('v10'))?.machineId, b.id);
  assert.equal(JSON.parse((await push({ ...base, version: 9, streams: [stream('v9')] })).body).outcome, 'older');
  assert.equal(
    JSON.parse((await push({ ...base, version: 10, streams: [stream('other')] })).body).outcome,
    'duplicate',
  );
  assert.equal(
    JSON.parse((await push({ ...base, bootId: bootA, version: 99, streams: [stream('oldboot')] })).body).outcome,
    'older',
  );
  assert.deepEqual(
    a.directory.list().map((s) => s.id),
    [streamId('v10')],
  );
  assert.equal(JSON.parse((await push({ ...a.directory.snapshot(), version: 1e6 })).body).outcome, 'self');

  const bad = await push({ ...base, version: 'x' });
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body).error, /version/);
  const big = await push({ ...base, version: 11, streams: [{ ...stream('big'), title: 'x'.repeat(4096) }] });
  assert.equal(big.status, 413);
  assert.deepEqual(
    a.directory.list().map((s) => s.id),
    [streamId('v10')],
    'nothing changed',
  );
});
