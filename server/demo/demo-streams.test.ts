import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { CloseCode, encodeControl } from '../../shared/protocol.ts';
import { build, SELF_ID } from '../../test/support/app.ts';
import { TestSocket, until } from '../../test/support/stream-client.ts';
import { DEMO_CREATOR, loadDemoFixture } from './demo-streams.ts';

test('demo streams start when the app listens, not when it is only built', async (t) => {
  const app = await build(t, { demo: { streams: 2 }, directory: { internalPort: 0 } });
  await app.ready();
  assert.equal(app.streams.list().length, 0);
  await app.listen({ host: '127.0.0.1', port: 0 });
  // onListen hooks run in order right after listen() resolves (the metrics listener opens first).
  await until(() => app.streams.list().length > 0, 'demo streams listed');
  const list = app.streams.list();
  assert.equal(list.length, 2);
  assert.ok(list.every((s) => s.creator === DEMO_CREATOR && /^Test pattern \d from ams$/.test(s.title)));
});

test('two scripted viewers get the demo stream from a keyframe with live timestamps, a stalled third is cut, chat flows', async (t) => {
  const app = await build(t, {
    directory: { internalPort: 0 },
    streams: { viewerMaxLagMs: 300, slowViewerCloseMs: 500 },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const [id] = app.demo.start(1);
  const url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ws/watch/${id}?instance=${SELF_ID}`;
  const open = async () => {
    const v = new TestSocket(url, 'viewer');
    t.after(() => v.ws.terminate());
    await v.opened;
    return v;
  };
  const a = await open();
  const b = await open();
  const stalled = await open();
  const fixture = loadDemoFixture();
  const fixturePayloads = new Set(fixture.frames.map((f) => Buffer.from(f.data).toString('base64')));

  // Healthy viewers ack what they "decode"; the stalled one acks its first frame, then stops.
  const acker = setInterval(() => {
    for (const v of [a, b]) {
      const last = v.frames.at(-1);
      if (last) v.send(encodeControl({ type: 'ack', timestampUs: last.timestampUs }));
    }
  }, 100);
  t.after(() => clearInterval(acker));
  await until(() => stalled.frames.length > 0, 'stalled viewer first frame');
  stalled.send(encodeControl({ type: 'ack', timestampUs: stalled.frames[0]!.timestampUs }));
  (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();

  await until(() => app.streams.stats().slowViewersClosed === 1, 'stalled viewer closed', 5000);
  const countA = a.frames.length;
  const countB = b.frames.length;
  await until(
    () => a.frames.length >= countA + 15 && b.frames.length >= countB + 15,
    'frames keep flowing after the cut',
  );

  for (const v of [a, b]) {
    const hello = v.of('hello')[0]!;
    assert.ok(hello.type === 'hello' && hello.role === 'viewer');
    assert.deepEqual(hello.config, { codec: 'vp8', codedWidth: 320, codedHeight: 180 });
    assert.equal(hello.stream.machineId, SELF_ID);
    assert.equal(v.frames[0]!.keyframe, true, 'starts at a keyframe');
    const ts = v.frames.map((f) => f.timestampUs);
    assert.ok(
      ts.every((x, i) => i === 0 || x > ts[i - 1]!),
      'timestamps increase',
    );
    assert.ok(Math.abs(ts.at(-1)! / 1000 - Date.now()) < 2000, 'timestamps are live wall-clock microseconds');
    assert.ok(
      v.frames.every((f) => fixturePayloads.has(Buffer.from(f.payload).toString('base64'))),
      'payloads are the fixture frames',
    );
  }

  a.send(encodeControl({ type: 'chat', text: 'hello b', name: 'a' }));
  await until(() => b.of('chat').length === 1, 'chat a->b');
  b.send(encodeControl({ type: 'chat', text: 'hello a', name: 'b' }));
  await until(() => a.of('chat').length === 2, 'chat b->a');
  assert.deepEqual(
    a.of('chat').map((c) => `${c.seq}:${c.name}:${c.text}`),
    ['1:a:hello b', '2:b:hello a'],
  );
  assert.equal(a.closed, null);
  assert.equal(b.closed, null);
  assert.ok(CloseCode.tooSlow === 4008);
});
