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
import { peerCall } from '../../test/support/peer-call.ts';
import { streamId } from '../../test/support/stream-ids.ts';

// Pushes an attacker holding the bearer token (or running on a peer) would send, on an in-memory DNS.
// Loopback block of this file: 127.0.23.70-99, private port 23087.
const PORT = 23087;
const STRANGER = '127.0.23.99';
const TOKEN = 'sekrit';
const NOT_A_MACHINE = 'cccccccccccccc';

async function cluster(
  t: import('node:test').TestContext,
  first: number,
  count = 2,
  limits: ClusterOptions['limits'] = {},
) {
  const c = await Cluster.start({
    addresses: Array.from({ length: count }, (_, i) => `127.0.23.${first + i}`),
    internalPort: PORT,
    discoveryIntervalMs: 60_000,
    dns: new MemoryDns(),
    internalToken: TOKEN,
    limits,
  });
  t.after(() => c.close());
  return c.nodes as [ClusterNode, ClusterNode, ...ClusterNode[]];
}

/** A boot id a little ahead of now (within the allowed skew): it outranks the real boot of the Machine. */
const bootAhead = () => `${encodeTime(Date.now() + 30_000, 10)}${'0'.repeat(16)}`;

function snapshot(machineId: string, streams: unknown[], bootId = bootAhead()) {
  return { machineId, region: 'ams', bootId, version: 1, streams };
}

function stream(label: string, patch: Record<string, unknown> = {}) {
  return {
    id: streamId(label),
    title: `title ${label}`,
    creator: 'mallory',
    viewers: 1,
    startedAt: Date.now(),
    ...patch,
  };
}

const asToken = { authorization: `Bearer ${TOKEN}` };

test('forged push: naming a Machine the caller is not is refused (403), from a peer or a token holder', async (t) => {
  const [a, b] = await cluster(t, 70);
  const push = (from: string, body: unknown, headers = {}) =>
    peerCall(a.address, PORT, { from, method: 'POST', body, headers });

  const fromPeer = await push(b.address, snapshot(NOT_A_MACHINE, [stream('p')]));
  assert.equal(fromPeer.status, 403, 'a peer naming a Machine that is not in DNS');
  assert.deepEqual(JSON.parse(fromPeer.body), { error: 'a Machine may only push its own snapshot' });
  assert.equal((await push(STRANGER, snapshot(NOT_A_MACHINE, [stream('t1')]), asToken)).status, 403);
  assert.equal((await push(STRANGER, snapshot(b.id, [stream('t2')]), asToken)).status, 403, 'token holder naming b');
  assert.equal((await push(STRANGER, snapshot(b.id, [stream('t3')]))).status, 403, 'no token: not let in at all');
  assert.deepEqual(a.directory.list(), []);
  assert.equal(
    a.directory.view().machines.some((m) => m.id === NOT_A_MACHINE),
    false,
  );
  assert.ok(a.directory.stats().peerRequestsRefused >= 4);

  // The Machine itself still gets through.
  b.source.start({ id: streamId('real') });
  await waitFor('b pushed its stream to a', () => a.directory.get(streamId('real'))?.machineId === b.id, 2000);
});

test('forged boot id: "zzzz" and one from the future get 400; the real Machine is not rated older', async (t) => {
  const [a, b] = await cluster(t, 73);
  const push = (body: unknown) => peerCall(a.address, PORT, { from: b.address, method: 'POST', body });
  const zzzz = await push(snapshot(b.id, [], 'zzzz'));
  assert.equal(zzzz.status, 400);
  assert.match(JSON.parse(zzzz.body).error, /bootId must be a ULID/);
  const future = await push(snapshot(b.id, [], `${encodeTime(Date.now() + 120_000, 10)}${'0'.repeat(16)}`));
  assert.equal(future.status, 400);
  assert.match(JSON.parse(future.body).error, /bootId must not be from the future/);

  b.source.start({ id: streamId('after') });
  await waitFor('b still current on a', () => a.directory.get(streamId('after')) !== undefined, 2000);
});

test('snapshot size: MAX_STREAMS (50) streams are taken, 51 get 400', async (t) => {
  const [a, b] = await cluster(t, 76);
  const push = (body: unknown) => peerCall(a.address, PORT, { from: b.address, method: 'POST', body });
  const streams = (n: number) => Array.from({ length: n }, (_, i) => stream(`many-${i}`));
  const over = await push(snapshot(b.id, streams(51)));
  assert.equal(over.status, 400);
  assert.match(JSON.parse(over.body).error, /at most 50 \(MAX_STREAMS\)/);
  assert.equal(a.directory.list().length, 0);
  const edge = await push(snapshot(b.id, streams(50)));
  assert.equal(edge.status, 200);
  assert.equal(a.directory.list().length, 50);
});

test('stream entries are checked like POST /api/streams input: each forged field gets 400', async (t) => {
  const [a, b] = await cluster(t, 79);
  const push = (body: unknown) => peerCall(a.address, PORT, { from: b.address, method: 'POST', body });
  const forged: [string, Record<string, unknown>, RegExp][] = [
    ['id "../x?"', { id: '../x?' }, /streams\[0\]\.id must be a stream id/],
    ['1024-char title', { title: 'x'.repeat(1024) }, /title must be 1-100/],
    ['viewers 2^53-1', { viewers: 2 ** 53 - 1 }, /viewers must be a whole number from 0 to 1000000/],
    ['startedAt in the year 5138', { startedAt: Date.UTC(5138, 0, 1) }, /startedAt/],
    ['creator with markup', { creator: '<img src=x>' }, /creator may contain/],
  ];
  for (const [name, patch, error] of forged) {
    const res = await push(snapshot(b.id, [stream('f', patch)]));
    assert.equal(res.status, 400, name);
    assert.match(JSON.parse(res.body).error, error, name);
  }
  assert.deepEqual(a.directory.list(), []);
});

test('records: a directory keeps at most maxMachines; a push from one more Machine gets 503', async (t) => {
  const [a, b, c] = (await cluster(t, 82, 3, { maxMachines: 1 })) as [ClusterNode, ClusterNode, ClusterNode];
  const kept = a.directory.stats().peers;
  assert.equal(kept.length, 1, 'vms lists two peers; one is kept');
  const leftOut = [b, c].find((n) => n.id !== kept[0]!.id)!;
  const res = await peerCall(a.address, PORT, {
    from: leftOut.address,
    method: 'POST',
    body: snapshot(leftOut.id, [stream('extra')]),
  });
  assert.equal(res.status, 503);
  assert.equal(res.retryAfter, '5');
  assert.match(JSON.parse(res.body).error, /maximum of 1 Machines/);
  assert.equal(a.directory.get(streamId('extra')), undefined);
});
