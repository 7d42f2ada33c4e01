import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import {
  type AudioConfig,
  encodeControl,
  encodeFrame,
  FRAME_HEADER_BYTES,
  TRACK_AUDIO,
  TRACK_VIDEO,
} from '../../shared/protocol.ts';
import { payloadFor } from '../../test/support/audio-payload.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { FakePeer } from '../../test/support/fake-peer.ts';
import { StreamRegistry } from './registry.ts';
import type { RelayLimits } from './relay-limits.ts';

const limits: RelayLimits = {
  maxFrameBytes: 2000,
  maxAudioFrameBytes: 300,
  gopMaxFrames: 100,
  gopMaxBytes: 100_000,
  viewerMaxBacklogBytes: 5000,
  viewerMaxLagMs: 2000,
  slowViewerCloseMs: 10_000,
  keyframeRequestIntervalMs: 1000,
  viewerCountIntervalMs: 1000,
  publishGraceMs: 15_000,
  publishStartTimeoutMs: 60_000,
  wsMaxBadMessages: 10,
  wsBadMessageWindowMs: 10_000,
};
const video = { codec: 'vp8', codedWidth: 320, codedHeight: 180 };
const opus: AudioConfig = { codec: 'opus', sampleRate: 48000, numberOfChannels: 1, description: 'T3B1c0hlYWQBATgB' };

/** A stream with a publisher that has sent both configs; `v`/`a` publish a video/audio frame, return its timestamp. */
function setup(overrides: Partial<RelayLimits> = {}) {
  const clock = new FakeClock();
  const registry = new StreamRegistry({
    limits: { ...limits, ...overrides },
    clock,
    log: pino({ level: 'silent' }),
    machineId: '0123456789abcd',
    region: 'dfw',
    maxStreams: 3,
    maxPendingStreams: 3,
  });
  const created = registry.create({ title: 'Sound', creator: 'alice' });
  assert.ok(created.ok);
  const stream = created.stream;
  const pubPeer = new FakePeer();
  const publisher = stream.connectPublisher(pubPeer);
  publisher.onText(encodeControl({ type: 'config', config: video }));
  publisher.onText(encodeControl({ type: 'audio-config', config: opus }));
  let ts = 1_000_000;
  const send = (track: number, keyframe: boolean, bytes: number) => {
    ts += 20_000;
    publisher.onBinary(encodeFrame({ track, keyframe, timestampUs: ts, payload: payloadFor(track, bytes, track + 1) }));
    clock.advance(20);
    return ts;
  };
  const v = (keyframe = false, bytes = 100) => send(TRACK_VIDEO, keyframe, bytes);
  const a = (bytes = 50) => send(TRACK_AUDIO, false, bytes);
  return { clock, registry, stream, pubPeer, publisher, v, a };
}

const trackAndTs = (peer: FakePeer) =>
  peer.frames().map((f) => `${f.track === TRACK_AUDIO ? 'a' : 'v'}${f.timestampUs}`);

test('a late joiner gets the audio config in its hello and the audio of its cached GOP, from the keyframe on, in order', () => {
  const { stream, v, a } = setup();
  const early = a(); // before any picture: neither relayed nor cached
  const k = v(true);
  const a1 = a();
  const d1 = v();
  const a2 = a();
  const viewer = new FakePeer();
  stream.addViewer(viewer);
  const hello = viewer.viewerMessages()[0]!;
  assert.equal(hello.type, 'hello');
  if (hello.type === 'hello') assert.deepEqual(hello.audioConfig, opus);
  assert.deepEqual(trackAndTs(viewer), [`v${k}`, `a${a1}`, `v${d1}`, `a${a2}`]);
  const a3 = a();
  assert.deepEqual(trackAndTs(viewer).at(-1), `a${a3}`, 'live audio follows');
  assert.ok(early < k);
});

test('audio never triggers a keyframe request, nor starts a group of pictures, even with the keyframe flag set', () => {
  const { stream, pubPeer, publisher, v } = setup();
  const requests = () => pubPeer.publisherMessages().filter((m) => m.type === 'keyframe-request').length;
  publisher.onBinary(
    encodeFrame({ track: TRACK_AUDIO, keyframe: true, timestampUs: 5, payload: payloadFor(TRACK_AUDIO, 9) }),
  );
  assert.equal(requests(), 0);
  assert.equal(stream.gopBytes, 0, 'nothing cached before a video keyframe');
  const k = v(true);
  publisher.onBinary(
    encodeFrame({ track: TRACK_AUDIO, keyframe: true, timestampUs: k + 1, payload: payloadFor(TRACK_AUDIO, 9) }),
  );
  const viewer = new FakePeer();
  stream.addViewer(viewer);
  assert.deepEqual(
    viewer.frames().map((f) => [f.track, f.timestampUs]),
    [
      [TRACK_VIDEO, k],
      [TRACK_AUDIO, k + 1],
    ],
    'the GOP still starts at the video keyframe',
  );
});

test('the GOP caps count audio frames and bytes', () => {
  const frameBytes = FRAME_HEADER_BYTES + 100;
  const { stream, v, a } = setup({ gopMaxBytes: 3 * frameBytes, gopMaxFrames: 10 });
  v(true);
  a(100);
  a(100);
  assert.equal(stream.gopBytes, 3 * frameBytes, 'a keyframe and two audio frames fill it exactly');
  a(100);
  assert.equal(stream.gopBytes, 0, 'one audio frame more drops the group until the next keyframe');
  const byFrames = setup({ gopMaxFrames: 3 });
  byFrames.v(true);
  byFrames.a();
  byFrames.a();
  assert.ok(byFrames.stream.gopBytes > 0);
  byFrames.a();
  assert.equal(byFrames.stream.gopBytes, 0, 'the frame cap counts audio frames');
});

test('a viewer skipped for its backlog skips audio too and resumes both tracks at the next video keyframe', () => {
  const { stream, v, a } = setup();
  v(true);
  const peer = new FakePeer();
  stream.addViewer(peer);
  peer.bufferedAmount = limits.viewerMaxBacklogBytes + 1;
  a();
  v();
  peer.bufferedAmount = 0;
  a(); // back under its limit, but mid-group: still skipped
  v();
  const k2 = v(true);
  const a2 = a();
  assert.deepEqual(trackAndTs(peer).slice(1), [`v${k2}`, `a${a2}`]);
});

test('a new audio config reaches every viewer and empties the cached audio; the same config again is not resent', () => {
  const { stream, publisher, v, a } = setup();
  const watching = new FakePeer();
  stream.addViewer(watching);
  const k = v(true);
  a();
  publisher.onText(encodeControl({ type: 'audio-config', config: { ...opus } }));
  assert.equal(watching.viewerMessages().filter((m) => m.type === 'audio-config').length, 0, 'unchanged: not resent');
  const stereo = { ...opus, numberOfChannels: 2 };
  publisher.onText(encodeControl({ type: 'audio-config', config: stereo }));
  assert.deepEqual(watching.viewerMessages().at(-1), { type: 'audio-config', config: stereo });
  const late = new FakePeer();
  stream.addViewer(late);
  assert.deepEqual(trackAndTs(late), [`v${k}`], 'audio of the old config is not replayed');
  publisher.onText(encodeControl({ type: 'audio-config', config: null }));
  assert.deepEqual(watching.viewerMessages().at(-1), { type: 'audio-config', config: null });
  const last = new FakePeer();
  stream.addViewer(last);
  const hello = last.viewerMessages()[0]!;
  if (hello.type === 'hello') assert.equal(hello.audioConfig, null);
});

test('bad audio input gets one clear error each and the stream goes on: before its config, bad config, oversized, unknown track', () => {
  const clock = new FakeClock();
  const registry = new StreamRegistry({
    limits,
    clock,
    log: pino({ level: 'silent' }),
    machineId: null,
    region: null,
    maxStreams: 1,
    maxPendingStreams: 1,
  });
  const created = registry.create({ title: 'Bad', creator: 'mallory' });
  assert.ok(created.ok);
  const { stream } = created;
  const pubPeer = new FakePeer();
  const publisher = stream.connectPublisher(pubPeer);
  publisher.onText(encodeControl({ type: 'config', config: video }));
  const viewer = new FakePeer();
  stream.addViewer(viewer);
  const errors = () =>
    pubPeer.publisherMessages().flatMap((m) => (m.type === 'error' ? [`${m.code}: ${m.message}`] : []));
  const frame = (track: number, ts: number, bytes = 20, keyframe = false) =>
    publisher.onBinary(encodeFrame({ track, keyframe, timestampUs: ts, payload: payloadFor(track, bytes) }));

  frame(TRACK_VIDEO, 1, 20, true);
  frame(TRACK_AUDIO, 2);
  frame(TRACK_AUDIO, 3);
  assert.equal(errors().length, 1, 'said once, not per frame');
  assert.match(errors()[0]!, /^not-configured: .*audio-config/);

  publisher.onText('{"type":"audio-config","config":{"codec":"opus","sampleRate":0,"numberOfChannels":1}}');
  assert.match(errors().at(-1)!, /^bad-message: audio config\.sampleRate/);
  frame(TRACK_AUDIO, 4);
  assert.equal(errors().length, 2, 'still unconfigured after a refused config (already said)');

  publisher.onText(encodeControl({ type: 'audio-config', config: opus }));
  frame(TRACK_AUDIO, 5, limits.maxAudioFrameBytes - FRAME_HEADER_BYTES + 1);
  assert.match(errors().at(-1)!, /^too-big: audio frame of 301 bytes/);
  frame(9, 6);
  assert.match(errors().at(-1)!, /^bad-message: unknown track 9/);

  frame(TRACK_VIDEO, 7);
  frame(TRACK_AUDIO, 8);
  assert.equal(pubPeer.closed, null, 'the publisher stays connected');
  assert.equal(stream.state, 'live');
  assert.deepEqual(
    viewer.frames().map((f) => `${f.track}@${f.timestampUs}`),
    ['0@1', '0@7', '1@8'],
    'only the good frames reached the viewer',
  );
});
