import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { AUDIO_PACKETS_PER_MESSAGE, decodeAudioPayload } from '../../shared/audio-packets.ts';
import { encodeControl, TRACK_AUDIO, TRACK_VIDEO } from '../../shared/protocol.ts';
import { build, SELF_ID } from '../../test/support/app.ts';
import { TestSocket, until } from '../../test/support/stream-client.ts';
import { loadDemoAudio } from './demo-audio.ts';
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
    // Tight enough to cut the stalled viewer within seconds, loose enough that a busy machine's timer
    // delays do not make the healthy viewers (acking every 100 ms) look slow too.
    streams: { viewerMaxLagMs: 1000, slowViewerCloseMs: 1000 },
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
  const audioPayloads = new Set(loadDemoAudio().packets.map((p) => Buffer.from(p).toString('base64')));

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

  // The stalled viewer does not read, so it never sees its close: the relay's count says it was cut.
  await until(() => app.streams.stats().slowViewersClosed >= 1, 'stalled viewer closed', 15_000);
  const countA = a.frames.length;
  const countB = b.frames.length;
  await until(
    () => a.frames.length >= countA + 15 && b.frames.length >= countB + 15,
    'frames keep flowing after the cut',
    15_000,
  );
  assert.equal(app.streams.stats().slowViewersClosed, 1, 'only the stalled viewer was cut');

  for (const v of [a, b]) {
    const hello = v.of('hello')[0]!;
    assert.ok(hello.type === 'hello' && hello.role === 'viewer');
    assert.deepEqual(hello.config, { codec: 'vp8', codedWidth: 320, codedHeight: 180 });
    assert.equal(hello.audioConfig?.codec, 'opus');
    assert.equal(hello.stream.machineId, SELF_ID);
    assert.equal(v.frames[0]!.keyframe, true, 'starts at a keyframe');
    const video = v.frames.filter((f) => f.track === TRACK_VIDEO);
    const audio = v.frames.filter((f) => f.track === TRACK_AUDIO);
    assert.equal(video.length + audio.length, v.frames.length, 'no other track');
    const ts = video.map((f) => f.timestampUs);
    assert.ok(
      ts.every((x, i) => i === 0 || x > ts[i - 1]!),
      'timestamps increase',
    );
    assert.ok(Math.abs(ts.at(-1)! / 1000 - Date.now()) < 2000, 'timestamps are live wall-clock microseconds');
    assert.ok(
      video.every((f) => fixturePayloads.has(Buffer.from(f.payload).toString('base64'))),
      'payloads are the fixture frames',
    );
    // Two 60 ms packets a message: about one message per 3.6 video frames, stamped on the same clock.
    assert.ok(audio.length >= Math.floor(video.length / 3.6) - 2, `${audio.length} audio for ${video.length} video`);
    const packets = audio.map((f) => {
      const decoded = decodeAudioPayload(f.payload);
      assert.ok(decoded.ok);
      return decoded.value;
    });
    assert.ok(packets.every((p) => p.length === AUDIO_PACKETS_PER_MESSAGE && p[1]!.offsetUs === 60_000));
    assert.ok(packets.flat().every((p) => audioPayloads.has(Buffer.from(p.data).toString('base64'))));
    const ats = audio.map((f) => f.timestampUs);
    assert.ok(
      ats.every((x, i) => i === 0 || x - ats[i - 1]! === 120_000),
      'audio messages 120 ms apart',
    );
    // A packet goes out once the timeline passed its end, a message with its second packet: the newest
    // message starts 120-240 ms before the newest picture.
    assert.ok(Math.abs(ats.at(-1)! - ts.at(-1)!) < 300_000, 'both tracks on one clock');
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
});
