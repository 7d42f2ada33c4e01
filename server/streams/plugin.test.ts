import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { CloseCode, decodeFrame, encodeControl, encodeFrame } from '../../shared/protocol.ts';
import { build, SELF_ID } from '../../test/support/app.ts';
import { rawUpgradeStatus, TestSocket, until } from '../../test/support/stream-client.ts';
import type { ConfigOverrides } from '../config.ts';

const config = { codec: 'vp8', codedWidth: 320, codedHeight: 180 };

async function listening(t: TestContext, overrides: ConfigOverrides = {}) {
  const app = await build(t, { ...overrides, directory: { internalPort: 0, ...overrides.directory } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { app, port, base: `ws://127.0.0.1:${port}` };
}

// Padded: the stream keeps the trimmed fields (checked where the stream is listed).
async function createStream(app: FastifyInstance, body: object = { title: ' Test stream ', creator: 'alice ' }) {
  const res = await app.inject({ method: 'POST', url: '/api/streams', payload: body });
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as {
    id: string;
    machineId: string | null;
    region: string | null;
    publishToken: string;
    watchUrl: string;
  };
}

/** A connected publisher that has sent its config. */
async function publisher(t: TestContext, base: string, id: string, token: string) {
  const pub = new TestSocket(
    `${base}/ws/publish/${id}?instance=${SELF_ID}&token=${encodeURIComponent(token)}`,
    'publisher',
  );
  t.after(() => pub.ws.terminate());
  await pub.opened;
  pub.send(encodeControl({ type: 'config', config }));
  await until(() => pub.of('hello').length === 1, 'publisher hello');
  return pub;
}

async function viewer(t: TestContext, base: string, id: string) {
  const v = new TestSocket(`${base}/ws/watch/${id}?instance=${SELF_ID}`, 'viewer');
  t.after(() => v.ws.terminate());
  await v.opened;
  await until(() => v.of('hello').length === 1, 'viewer hello');
  return v;
}

test('POST /api/streams: 201 with id, machine, region, token and watchUrl; 400s name the field; 503 at the cap', async (t) => {
  const app = await build(t, { streams: { maxStreams: 3 } });
  const created = await createStream(app, { title: '  Morning run ', creator: 'alice' });
  assert.match(created.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(created.machineId, SELF_ID);
  assert.equal(created.region, 'ams');
  assert.equal(created.watchUrl, `/watch/${created.id}?instance=${SELF_ID}`);
  assert.match(created.publishToken, /^[A-Za-z0-9_-]{43}$/);
  const second = await createStream(app);
  assert.notEqual(second.publishToken, created.publishToken);
  assert.notEqual(second.id, created.id);
  // At the edges: 100 code units after trimming (spaces around do not count), 50 two-unit characters.
  await createStream(app, { title: ` ${'\u{1F3A5}'.repeat(50)} `, creator: ` ${'c'.repeat(40)} ` });

  const bad: Array<[unknown, RegExp]> = [
    [{ title: '', creator: 'a' }, /^title must be 1-100 characters$/],
    [{ title: '   ', creator: 'a' }, /^title must be 1-100 characters$/],
    [{ title: 'x'.repeat(101), creator: 'a' }, /^title must be 1-100 characters$/],
    // The shared rule counts UTF-16 code units (as the form's maxlength does), not code points.
    [{ title: '\u{1F3A5}'.repeat(51), creator: 'a' }, /^title must be 1-100 characters$/],
    [{ title: 'line\nbreak', creator: 'a' }, /^title must not contain control characters/],
    [{ title: 'x', creator: '<b>' }, /^creator may contain/],
    [{ title: 'x', creator: 'c'.repeat(41) }, /^creator must be 1-40 characters$/],
    [{ title: 'x' }, /^creator is required \(a string\)$/],
    [{ title: 3, creator: 'a' }, /^title must be a string$/],
    [[1, 2], /^the body must be a JSON object \{"title", "creator"\}$/],
  ];
  for (const [payload, re] of bad) {
    const res = await app.inject({ method: 'POST', url: '/api/streams', payload: payload as object });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.match(res.json().error, re);
  }
  const tooBig = await app.inject({
    method: 'POST',
    url: '/api/streams',
    payload: { title: 'x'.repeat(5000), creator: 'a' },
  });
  assert.equal(tooBig.statusCode, 413);

  const full = await app.inject({ method: 'POST', url: '/api/streams', payload: { title: 'x', creator: 'a' } });
  assert.equal(full.statusCode, 503);
  assert.match(full.json().error, /maximum of 3 streams/);
});

test('off Fly the watchUrl has no instance parameter', async (t) => {
  const app = await build(t, { machine: { id: null, region: null } });
  const created = await createStream(app);
  assert.equal(created.machineId, null);
  assert.equal(created.watchUrl, `/watch/${created.id}`);
});

test('refusals happen before the upgrade: 400 malformed id or token, 404 unknown stream, 401 missing or bad token, 101 otherwise', async (t) => {
  const { app, port } = await listening(t);
  const { id, publishToken } = await createStream(app);
  const other = await createStream(app);
  const rows: Array<[string, string]> = [
    [`/ws/watch/01J00000000000000000000000`, 'HTTP/1.1 404 Not Found'],
    [`/ws/watch/not-an-id`, 'HTTP/1.1 400 Bad Request'],
    [`/ws/publish/not-an-id?token=${publishToken}`, 'HTTP/1.1 400 Bad Request'],
    [`/ws/publish/01J00000000000000000000000?token=${publishToken}`, 'HTTP/1.1 404 Not Found'],
    [`/ws/publish/${id}`, 'HTTP/1.1 401 Unauthorized'],
    [`/ws/publish/${id}?token=`, 'HTTP/1.1 401 Unauthorized'],
    [`/ws/publish/${id}?token=${publishToken}x`, 'HTTP/1.1 401 Unauthorized'],
    [`/ws/publish/${id}?token=${other.publishToken}`, 'HTTP/1.1 401 Unauthorized'],
    [`/ws/publish/${id}?token=${publishToken}&token=${publishToken}`, 'HTTP/1.1 400 Bad Request'],
    [`/ws/watch/${id}?instance=${SELF_ID}`, 'HTTP/1.1 101 Switching Protocols'],
    [`/ws/publish/${id}?instance=${SELF_ID}&token=${publishToken}`, 'HTTP/1.1 101 Switching Protocols'],
  ];
  for (const [path, status] of rows) assert.equal(await rawUpgradeStatus(port, path), status, path);
});

test('two viewers start at a keyframe, get the same live frames, and chat flows both ways', async (t) => {
  const { app, base } = await listening(t);
  const { id, publishToken } = await createStream(app);
  const pub = await publisher(t, base, id, publishToken);
  const hello = pub.of('hello')[0]!;
  assert.equal(hello.role === 'publisher' && hello.stream.id, id);

  let ts = 0;
  const send = (keyframe: boolean) => {
    ts += 33_333;
    pub.send(encodeFrame({ keyframe, timestampUs: ts, payload: new Uint8Array(500).fill(keyframe ? 1 : 2) }));
  };
  send(false); // no keyframe yet: dropped, and a keyframe is requested
  send(true);
  send(false);
  send(false);
  await until(() => app.streams.stats().framesReceived === 3, 'frames relayed');

  const a = await viewer(t, base, id);
  const helloA = a.of('hello')[0]!;
  assert.ok(helloA.type === 'hello' && helloA.role === 'viewer');
  assert.equal(helloA.machineId, SELF_ID);
  assert.equal(helloA.stream.machineId, SELF_ID);
  assert.deepEqual(helloA.config, config);
  await until(() => a.frames.length === 3, 'cached GOP');
  assert.deepEqual(
    a.frames.map((f) => f.keyframe),
    [true, false, false],
  );
  const b = await viewer(t, base, id);
  send(false);
  send(true);
  await until(() => a.frames.length === 5 && b.frames.length === 5, 'live frames');
  assert.equal(b.frames[0]!.keyframe, true);
  assert.deepEqual(
    a.frames.slice(3).map((f) => f.timestampUs),
    b.frames.slice(3).map((f) => f.timestampUs),
  );
  assert.deepEqual([...a.frames[4]!.payload.subarray(0, 3)], [1, 1, 1]);

  a.send(encodeControl({ type: 'chat', text: 'hi from a', name: 'ann' }));
  await until(() => b.of('chat').length === 1, 'chat to b');
  pub.send(encodeControl({ type: 'chat', text: 'hello viewers' }));
  await until(
    () => a.of('chat').length === 2 && b.of('chat').length === 2 && pub.of('chat').length === 2,
    'chat everywhere',
  );
  for (const s of [a, b, pub]) {
    assert.deepEqual(
      s.of('chat').map((c) => [c.seq, c.name, c.text, c.role]),
      [
        [1, 'ann', 'hi from a', 'viewer'],
        [2, 'alice', 'hello viewers', 'creator'],
      ],
    );
  }
  await until(() => pub.of('viewers').some((m) => m.count === 2), 'viewer count to the publisher');
  assert.ok(pub.of('keyframe-request').length >= 1, 'the dropped delta asked for a keyframe');
  assert.deepEqual(
    app.streams.list().map((s) => [s.id, s.title, s.creator, s.viewers]),
    [[id, 'Test stream', 'alice', 2]],
  );
});

test('a stalled viewer is cut back and closed while a healthy one gets every frame; backlog stays bounded', async (t) => {
  const backlogLimit = 256 * 1024;
  const frameBytes = 64 * 1024;
  const { app, base } = await listening(t, {
    streams: { viewerMaxBacklogBytes: backlogLimit, slowViewerCloseMs: 300 },
  });
  const { id, publishToken } = await createStream(app);
  const pub = await publisher(t, base, id, publishToken);
  const healthy = await viewer(t, base, id);
  const stalled = await viewer(t, base, id);
  // The stalled client stops reading: its TCP window fills, then the server's ws buffer.
  (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();

  let maxBacklog = 0;
  const total = 1000;
  for (let i = 0; i < total; i++) {
    pub.send(
      encodeFrame({
        keyframe: i % 30 === 0,
        timestampUs: (i + 1) * 33_333,
        payload: new Uint8Array(frameBytes - 10).fill(i & 0xff),
      }),
    );
    // Pace by the healthy viewer, so the test is as fast as the loopback and never floods.
    await until(() => healthy.frames.length === i + 1, `healthy frame ${i}`);
    healthy.send(encodeControl({ type: 'ack', timestampUs: healthy.frames[i]!.timestampUs }));
    maxBacklog = Math.max(maxBacklog, app.streams.stats().viewerBacklogBytes);
    if (app.streams.stats().slowViewersClosed === 1 && i > 200) break;
  }
  const stats = app.streams.stats();
  assert.equal(stats.slowViewersClosed, 1, 'the stalled viewer was closed');
  assert.equal(stats.viewers, 1);
  assert.ok(stats.framesSkipped > 0);
  assert.deepEqual(
    healthy.frames.map((f) => f.timestampUs),
    healthy.frames.map((_, i) => (i + 1) * 33_333),
    'healthy viewer: every frame, in order',
  );
  // Each frame is a shared buffer, so the bound is per viewer: the limit plus one frame in flight.
  assert.ok(maxBacklog <= backlogLimit + 2 * frameBytes, `max backlog ${maxBacklog}`);
});

test('publisher reconnects within the grace period; viewers stay and continue from the next keyframe', async (t) => {
  const { app, base } = await listening(t, { streams: { publishGraceMs: 10_000 } });
  const { id, publishToken } = await createStream(app);
  const pub = await publisher(t, base, id, publishToken);
  pub.send(encodeFrame({ keyframe: true, timestampUs: 1, payload: new Uint8Array([1]) }));
  const v = await viewer(t, base, id);
  await until(() => v.frames.length === 1, 'first frame');
  pub.ws.terminate();
  await until(() => v.of('publisher').length === 1, 'publisher-gone notice');
  assert.deepEqual(v.of('publisher')[0], { type: 'publisher', connected: false });
  assert.equal(app.streams.list().length, 1, 'still listed during the grace period');

  const pub2 = await publisher(t, base, id, publishToken);
  await until(() => v.of('publisher').length === 2 && v.of('config').length === 1, 'publisher back + new config');
  assert.deepEqual(v.of('publisher')[1], { type: 'publisher', connected: true });
  pub2.send(encodeFrame({ keyframe: false, timestampUs: 10, payload: new Uint8Array([2]) }));
  pub2.send(encodeFrame({ keyframe: true, timestampUs: 20, payload: new Uint8Array([3]) }));
  await until(() => v.frames.length === 2, 'frame after reconnect');
  assert.deepEqual([v.frames[1]!.keyframe, v.frames[1]!.timestampUs], [true, 20]);
  assert.equal(v.closed, null);
});

test('after the grace period the stream ends: ended + 1000 for viewers, gone from the list, its token refused', async (t) => {
  const { app, base, port } = await listening(t, { streams: { publishGraceMs: 100 } });
  const { id, publishToken } = await createStream(app);
  const pub = await publisher(t, base, id, publishToken);
  const v = await viewer(t, base, id);
  let emptied = false;
  app.streams.onChange(() => (emptied = app.streams.list().length === 0));
  pub.ws.terminate();
  const closed = await v.waitClosed();
  assert.deepEqual(closed, { code: 1000, reason: 'stream ended' });
  assert.deepEqual(v.of('ended'), [{ type: 'ended', reason: 'publisher-lost' }]);
  assert.equal(emptied, true);
  assert.equal(await rawUpgradeStatus(port, `/ws/publish/${id}?token=${publishToken}`), 'HTTP/1.1 404 Not Found');
});

test('explicit stop ends the stream at once; a frame over maxFrameBytes closes the publisher with 1009', async (t) => {
  const { app, base } = await listening(t, { streams: { maxFrameBytes: 2048 } });
  const s1 = await createStream(app);
  const pub = await publisher(t, base, s1.id, s1.publishToken);
  const v = await viewer(t, base, s1.id);
  pub.send(encodeControl({ type: 'stop' }));
  assert.equal((await v.waitClosed()).code, 1000);
  assert.deepEqual(v.of('ended'), [{ type: 'ended', reason: 'stopped' }]);
  assert.equal((await pub.waitClosed()).code, 1000);

  const s2 = await createStream(app);
  const pub2 = await publisher(t, base, s2.id, s2.publishToken);
  pub2.send(encodeFrame({ keyframe: true, timestampUs: 1, payload: new Uint8Array(2048 - 10) }));
  pub2.send(encodeFrame({ keyframe: true, timestampUs: 2, payload: new Uint8Array(2048 - 9) }));
  assert.equal((await pub2.waitClosed()).code, CloseCode.tooBig);
  assert.equal(app.streams.stats().framesReceived, 1, 'the frame at the limit was relayed');
});

test('graceful shutdown: 1001 to viewers and publishers, listeners see an empty list, bounded even with a stalled viewer', async (t) => {
  const { app, base } = await listening(t, { streams: { drainTimeoutMs: 1000 } });
  const { id, publishToken } = await createStream(app);
  const pub = await publisher(t, base, id, publishToken);
  const v = await viewer(t, base, id);
  const stalled = await viewer(t, base, id);
  (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  let listedAtChange = -1;
  app.streams.onChange(() => (listedAtChange = app.streams.list().length));
  const started = Date.now();
  await app.close();
  const took = Date.now() - started;
  assert.ok(took < 2000, `close took ${took} ms`);
  assert.equal(listedAtChange, 0);
  assert.equal((await v.waitClosed()).code, CloseCode.goingAway);
  assert.equal((await pub.waitClosed()).code, CloseCode.goingAway);
  assert.equal(app.streams.stats().liveStreams, 0);
});

test('a burst of queued publisher frames is relayed with the acks read in between: a viewer acking what it gets is never skipped', async (t) => {
  const { app, base } = await listening(t);
  const { id, publishToken } = await createStream(app);
  const pub = await publisher(t, base, id, publishToken);
  const v = await viewer(t, base, id);
  // The viewer acks every frame from its message handler, as the protocol asks.
  v.ws.on('message', (data, isBinary) => {
    if (!isBinary) return;
    const frame = decodeFrame(new Uint8Array(data as Buffer));
    if (frame.ok) v.send(encodeControl({ type: 'ack', timestampUs: frame.value.timestampUs }));
  });
  // 4 s of media written at once: the relay reads it in one go, as after its loop was held up.
  const frames = 120;
  for (let i = 0; i < frames; i++) {
    pub.send(encodeFrame({ keyframe: i === 0, timestampUs: (i + 1) * 33_333, payload: new Uint8Array(100) }));
  }
  await until(() => {
    const s = app.streams.stats();
    return s.framesSent + s.framesSkipped === frames;
  }, 'every frame relayed or skipped');
  assert.equal(app.streams.stats().framesSkipped, 0, 'no frame skipped: its acks were read between frames');
  await until(() => v.frames.length === frames, 'every frame at the viewer');
});
