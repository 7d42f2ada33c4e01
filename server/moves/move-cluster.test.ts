import assert from 'node:assert/strict';
import http from 'node:http';
import { type TestContext, test } from 'node:test';
import { CloseCode, encodeControl, encodeFrame, type PublisherHello } from '../../shared/protocol.ts';
import { build, logCapture } from '../../test/support/app.ts';
import { type AppNode, startAppCluster } from '../../test/support/app-cluster.ts';
import { TestSocket, until } from '../../test/support/stream-client.ts';
import { peerRequest } from '../directory/peer-client.ts';

// Whole apps as Machines, in this process. Loopback block of this file: 127.0.41.10-19, private port 24185.
const INTERNAL_PORT = 24185;
const SECRET = 'move-cluster-test-secret-0123456789abcdef';
const config = { codec: 'vp8', codedWidth: 320, codedHeight: 180 };

interface Created {
  id: string;
  publishToken: string;
}

async function createOn(node: AppNode): Promise<Created> {
  const res = await fetch(`${node.url}/api/streams`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Moving day', creator: 'alice' }),
  });
  assert.equal(res.status, 201);
  return (await res.json()) as Created;
}

const wsBase = (node: AppNode) => node.url.replace('http:', 'ws:');

/** A publisher on `node` that has sent its config and a keyframe. */
async function publishOn(t: TestContext, node: AppNode, created: Created): Promise<TestSocket> {
  const url = `${wsBase(node)}/ws/publish/${created.id}?instance=${node.id}&token=${encodeURIComponent(created.publishToken)}`;
  const pub = new TestSocket(url, 'publisher');
  t.after(() => pub.ws.terminate());
  await pub.opened;
  await until(() => pub.of('hello').length === 1, 'publisher hello');
  pub.send(encodeControl({ type: 'config', config }));
  pub.send(encodeFrame({ keyframe: true, timestampUs: Date.now() * 1000, payload: new Uint8Array([1, 2, 3]) }));
  return pub;
}

async function watchOn(t: TestContext, node: AppNode, id: string): Promise<TestSocket> {
  const viewer = new TestSocket(`${wsBase(node)}/ws/watch/${id}?instance=${node.id}`, 'viewer');
  t.after(() => viewer.ws.terminate());
  await viewer.opened;
  await until(() => viewer.of('hello').length === 1, 'viewer hello');
  return viewer;
}

function resumeOn(node: AppNode, created: Created, hello: PublisherHello, chatSeq = 0) {
  return fetch(`${node.url}/api/streams/${created.id}/resume`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token: created.publishToken,
      title: hello.stream.title,
      creator: hello.stream.creator,
      startedAt: hello.stream.startedAt,
      epoch: hello.stream.epoch,
      chatSeq,
    }),
  });
}

test('a graceful stop moves a stream: move to the publisher, 503 from the draining Machine, the new home takes it, viewers follow', async (t) => {
  const log = logCapture();
  const [a, b] = (await startAppCluster(t, {
    addresses: ['127.0.41.10', '127.0.41.11'],
    regions: ['ams', 'dfw'],
    internalPort: INTERNAL_PORT,
    appName: 'moves-graceful',
    overrides: {
      streams: { streamSecret: SECRET },
      server: { logLevel: 'info' },
      directory: { discoveryIntervalMs: 200 },
    },
    logStream: log,
  })) as [AppNode, AppNode];
  const created = await createOn(a);
  const pub = await publishOn(t, a, created);
  const hello = pub.of('hello')[0]! as PublisherHello;
  assert.equal(hello.stream.epoch, 0);
  const viewer = await watchOn(t, a, created.id);
  await until(() => viewer.frames.length === 1, 'the keyframe at the viewer');
  pub.send(encodeControl({ type: 'chat', text: 'before the move' }));
  await until(() => viewer.of('chat').length === 1, 'chat before the move');
  await until(() => b.app.directory.get(created.id)?.machineId === a.id, 'b lists the stream on a');

  // Live and healthy on a: b refuses to take it, naming a.
  const refused = await resumeOn(b, created, hello, 1);
  assert.equal(refused.status, 409);
  assert.deepEqual(await refused.json(), {
    error: `the stream is live on Machine ${a.id} (ams); publish there`,
    machineId: a.id,
    region: 'ams',
  });

  // a gets its kill signal.
  a.started = false;
  const closing = a.app.close();
  await until(() => pub.of('move').length === 1, 'move to the publisher');
  assert.equal((await pub.waitClosed()).code, CloseCode.goingAway);
  assert.equal(viewer.closed, null, 'the viewer stays until the new home is known');
  const draining = await resumeOn(a, created, hello, 1);
  assert.equal(draining.status, 503, 'a draining Machine takes no stream');
  // a has left DNS: b forgets it, so b's push will not reach it; a learns of the new home by asking.
  await until(() => b.app.directory.view().machines.every((m) => m.id !== a.id), 'b forgets a');

  const moved = await resumeOn(b, created, hello, 1);
  assert.equal(moved.status, 200);
  assert.deepEqual(await moved.json(), {
    id: created.id,
    machineId: b.id,
    region: 'dfw',
    epoch: 1,
    watchUrl: `/watch/${created.id}?instance=${b.id}`,
  });
  await publishOn(t, b, created);
  await until(() => viewer.of('moved').length === 1, 'moved at the viewer').catch((e) => {
    for (const l of log.lines) console.error(JSON.stringify(l));
    throw e;
  });
  assert.deepEqual(viewer.of('moved')[0], { type: 'moved', machineId: b.id, region: 'dfw' });
  assert.equal((await viewer.waitClosed()).code, CloseCode.goingAway);
  await closing;
  const closed = log.lines.find((l) => l.machine === a.id && l.msg === 'sockets closed');
  assert.equal(closed?.movedInTime, true, 'a waited for the new home, not for its timeout');

  const follower = await watchOn(t, b, created.id);
  const second = follower.of('hello')[0]!;
  assert.equal(second.type === 'hello' && second.stream.epoch, 1);
  assert.equal(second.type === 'hello' && second.stream.startedAt, hello.stream.startedAt, 'the start is kept');
  await until(() => follower.frames.length === 1 && follower.frames[0]!.keyframe, 'a keyframe on the new home');
  follower.send(encodeControl({ type: 'chat', text: 'after the move' }));
  await until(() => follower.of('chat').length === 1, 'chat after the move');
  assert.equal(follower.of('chat')[0]!.seq, 2, 'chat numbering goes on after the last message the creator saw');
  assert.deepEqual(
    { home: b.app.directory.get(created.id)?.machineId, epoch: b.app.directory.get(created.id)?.epoch },
    { home: b.id, epoch: 1 },
  );
});

test('a crashed home (its peer API silent) is taken over at the next epoch', async (t) => {
  const [a, b] = (await startAppCluster(t, {
    addresses: ['127.0.41.12', '127.0.41.13'],
    regions: ['ams', 'dfw'],
    internalPort: INTERNAL_PORT,
    appName: 'moves-crash',
    overrides: { streams: { streamSecret: SECRET }, directory: { discoveryIntervalMs: 200 } },
  })) as [AppNode, AppNode];
  const created = await createOn(a);
  const pub = await publishOn(t, a, created);
  const hello = pub.of('hello')[0]! as PublisherHello;
  await until(() => b.app.directory.get(created.id)?.machineId === a.id, 'b lists the stream on a');

  // a's private side goes silent as a crashed Machine's would; b still lists the stream there.
  await a.app.directory.abort();
  const taken = await resumeOn(b, created, hello);
  assert.equal(taken.status, 200);
  assert.equal(((await taken.json()) as { epoch: number }).epoch, 1);
  await publishOn(t, b, created);
  assert.deepEqual(
    { home: b.app.directory.get(created.id)?.machineId, epoch: b.app.directory.get(created.id)?.epoch },
    { home: b.id, epoch: 1 },
    'b lists its own, newer claim over the one it still holds from a',
  );
});

test('an old home that learns of a newer claim hands the stream over: viewers follow, its publisher is replaced', async (t) => {
  const [a, b] = (await startAppCluster(t, {
    addresses: ['127.0.41.14', '127.0.41.15'],
    regions: ['ams', 'dfw'],
    internalPort: INTERNAL_PORT,
    appName: 'moves-handover',
    overrides: { streams: { streamSecret: SECRET }, directory: { discoveryIntervalMs: 60_000 } },
  })) as [AppNode, AppNode];
  const created = await createOn(a);
  const pub = await publishOn(t, a, created);
  const viewer = await watchOn(t, a, created.id);
  await until(() => a.app.streams.list().length === 1, 'listed on a');
  const held = a.app.streams.list()[0]!;

  // What a partition hides: b took the stream over (epoch 1). Its push reaches a once the partition heals.
  const own = b.app.directory.snapshot();
  const claim = { ...own, version: own.version + 1, streams: [{ ...held, epoch: 1, viewers: 0 }] };
  const pushed = await peerRequest({
    address: a.address,
    port: INTERNAL_PORT,
    selfHost: b.address,
    method: 'POST',
    path: '/internal/snapshot',
    body: JSON.stringify(claim),
    timeoutMs: 2000,
    maxResponseBytes: 4096,
    agent: new http.Agent(),
  });
  assert.equal(pushed.status, 200, pushed.body);
  await until(() => viewer.of('moved').length === 1, 'moved at the viewer of the old claim');
  assert.deepEqual(viewer.of('moved')[0], { type: 'moved', machineId: b.id, region: 'dfw' });
  assert.equal((await viewer.waitClosed()).code, CloseCode.goingAway);
  assert.equal((await pub.waitClosed()).code, CloseCode.replaced);
  assert.equal(a.app.streams.holds(created.id), null);
  assert.equal(a.app.directory.get(created.id)?.machineId, b.id, 'a lists it once, on b');
});

test('off Fly, and on Fly without STREAM_SECRET, a shutdown ends streams as before: 1001, no move', async (t) => {
  for (const [what, machine] of [
    ['off Fly', { id: null, region: null, appName: null }],
    ['no STREAM_SECRET', { id: 'ab00000000000f', region: 'ams', appName: 'moves-nosecret' }],
  ] as const) {
    const app = await build(t, { machine, directory: { internalPort: 0 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const node = { url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, id: machine.id ?? '' };
    const created = await createOn(node as AppNode);
    const pub = new TestSocket(
      `${wsBase(node as AppNode)}/ws/publish/${created.id}?token=${encodeURIComponent(created.publishToken)}`,
      'publisher',
    );
    t.after(() => pub.ws.terminate());
    await until(() => pub.of('hello').length === 1, 'publisher hello');
    await app.close();
    assert.equal((await pub.waitClosed()).code, CloseCode.goingAway, what);
    assert.deepEqual(pub.of('move'), [], `${what}: no move`);
  }
});
