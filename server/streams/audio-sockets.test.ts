import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import { encodeAudioPayload } from '../../shared/audio-packets.ts';
import {
  CloseCode,
  encodeControl,
  encodeFrame,
  PROTOCOL_VERSION,
  TRACK_AUDIO,
  TRACK_VIDEO,
} from '../../shared/protocol.ts';
import { build, SELF_ID } from '../../test/support/app.ts';
import { payloadFor } from '../../test/support/audio-payload.ts';
import { TestSocket, until } from '../../test/support/stream-client.ts';

async function started(t: TestContext) {
  const app = await build(t, { directory: { internalPort: 0 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const res = await app.inject({ method: 'POST', url: '/api/streams', payload: { title: 'Sound', creator: 'alice' } });
  const { id, publishToken } = res.json() as { id: string; publishToken: string };
  const open = (path: string, role: 'viewer' | 'publisher') => {
    const socket = new TestSocket(`${base}${path}`, role);
    t.after(() => socket.ws.terminate());
    return socket;
  };
  return {
    publisher: (query = '') => open(`/ws/publish/${id}?instance=${SELF_ID}&token=${publishToken}${query}`, 'publisher'),
    viewer: (query = '') => open(`/ws/watch/${id}?instance=${SELF_ID}${query}`, 'viewer'),
  };
}

test('a socket naming another protocol version is closed with 4010 and a reason saying which one the server speaks', async (t) => {
  const { publisher, viewer } = await started(t);
  for (const [what, socket] of [
    ['viewer v2', viewer('&protocol=2')],
    ['publisher v4', publisher('&protocol=4')],
    ['viewer naming it twice', viewer(`&protocol=${PROTOCOL_VERSION}&protocol=${PROTOCOL_VERSION}`)],
  ] as const) {
    const closed = await socket.waitClosed();
    assert.equal(closed.code, CloseCode.protocolMismatch, what);
    assert.match(closed.reason, new RegExp(`this server speaks ${PROTOCOL_VERSION}; reload the page`), what);
    assert.equal(socket.messages.length, 0, `${what}: no hello`);
  }
  for (const socket of [viewer(`&protocol=${PROTOCOL_VERSION}`), viewer()]) {
    await until(() => socket.of('hello').length === 1, 'hello for the right version, or none named');
    assert.equal(socket.of('hello')[0]!.protocolVersion, PROTOCOL_VERSION);
  }
});

test('audio travels publisher -> relay -> viewer byte for byte over real sockets, interleaved with video', async (t) => {
  const { publisher, viewer } = await started(t);
  const pub = publisher(`&protocol=${PROTOCOL_VERSION}`);
  await until(() => pub.of('hello').length === 1, 'publisher hello');
  const pubHello = pub.of('hello')[0]!;
  assert.equal(pubHello.role === 'publisher' && pubHello.maxAudioFrameBytes, 8192, 'the audio limit, told up front');
  const audioConfig = { codec: 'opus', sampleRate: 48000, numberOfChannels: 1 };
  pub.send(encodeControl({ type: 'config', config: { codec: 'vp8', codedWidth: 320, codedHeight: 180 } }));
  pub.send(encodeControl({ type: 'audio-config', config: audioConfig }));
  const sent = [
    { track: TRACK_VIDEO, keyframe: true, timestampUs: 1_000, payload: new Uint8Array([1, 2, 3]) },
    {
      track: TRACK_AUDIO,
      keyframe: false,
      timestampUs: 1_010,
      payload: encodeAudioPayload([{ offsetUs: 0, data: new Uint8Array([0xfc, 0xff, 0xfe]) }]),
    },
    { track: TRACK_VIDEO, keyframe: false, timestampUs: 34_333, payload: new Uint8Array([4]) },
    {
      track: TRACK_AUDIO,
      keyframe: false,
      timestampUs: 61_010,
      payload: encodeAudioPayload([
        { offsetUs: 0, data: new Uint8Array([0xfc]) },
        { offsetUs: 60_000, data: new Uint8Array([7]) },
      ]),
    },
  ];
  for (const f of sent.slice(0, 2)) pub.send(encodeFrame(f));
  // Sockets are ordered: once the publisher's next message is answered, the frames before it are in.
  pub.send('{"type":"chat","text":"sync"}');
  await until(() => pub.of('chat').length === 1, 'chat echo');
  const v = viewer();
  await until(() => v.of('hello').length === 1, 'viewer hello');
  const hello = v.of('hello')[0]!;
  assert.deepEqual(hello.role === 'viewer' && hello.audioConfig, audioConfig);
  for (const f of sent.slice(2)) pub.send(encodeFrame(f));
  await until(() => v.frames.length === sent.length, 'all four frames');
  assert.deepEqual(v.frames, sent, 'the cached video keyframe and its audio, then live frames of both tracks');
});

test('bad audio over a real socket: one clear error each, the publisher stays connected and the picture goes on', async (t) => {
  const { publisher, viewer } = await started(t);
  const pub = publisher();
  await until(() => pub.of('hello').length === 1, 'publisher hello');
  pub.send(encodeControl({ type: 'config', config: { codec: 'vp8', codedWidth: 320, codedHeight: 180 } }));
  const v = viewer();
  await until(() => v.of('hello').length === 1, 'viewer hello');
  const frame = (track: number, timestampUs: number, bytes = 20, keyframe = false) =>
    pub.send(encodeFrame({ track, keyframe, timestampUs, payload: payloadFor(track, bytes) }));
  frame(TRACK_VIDEO, 1, 20, true);
  frame(TRACK_AUDIO, 2);
  pub.send('{"type":"audio-config","config":{"codec":"opus","sampleRate":48000,"numberOfChannels":0}}');
  pub.send(encodeControl({ type: 'audio-config', config: { codec: 'opus', sampleRate: 48000, numberOfChannels: 1 } }));
  frame(TRACK_AUDIO, 3, 9000);
  frame(5, 4);
  frame(TRACK_VIDEO, 5);
  await until(() => pub.of('error').length === 4 && v.frames.length === 2, 'four errors, two pictures');
  assert.deepEqual(
    pub.of('error').map((e) => e.code),
    ['not-configured', 'bad-message', 'too-big', 'bad-message'],
  );
  assert.match(pub.of('error')[1]!.message, /numberOfChannels/);
  assert.deepEqual(
    v.frames.map((f) => [f.track, f.timestampUs]),
    [
      [TRACK_VIDEO, 1],
      [TRACK_VIDEO, 5],
    ],
  );
  assert.equal(pub.closed, null);
});
