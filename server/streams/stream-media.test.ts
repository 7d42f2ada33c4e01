import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TRACK_AUDIO, TRACK_VIDEO } from '../../shared/protocol.ts';
import { type Intake, StreamMedia } from './stream-media.ts';

const limits = { gopMaxFrames: 100, gopMaxBytes: 1 << 20 };
const config = { codec: 'vp8', codedWidth: 320, codedHeight: 180 } as never;

test('intake: nothing before the first video keyframe, everything after it, again after a restart', () => {
  const media = new StreamMedia(limits);
  const rows: Array<[string, boolean, number, Intake]> = [
    ['audio before any keyframe', false, TRACK_AUDIO, 'drop'],
    ['video delta before any keyframe', false, TRACK_VIDEO, 'drop-and-ask-keyframe'],
    ['the first keyframe', true, TRACK_VIDEO, 'relay'],
    ['a delta after it', false, TRACK_VIDEO, 'relay'],
    ['audio after it', false, TRACK_AUDIO, 'relay'],
  ];
  for (const [what, keyframe, track, expected] of rows) assert.equal(media.intake(keyframe, track), expected, what);
  media.restart();
  assert.equal(media.intake(false, TRACK_VIDEO), 'drop-and-ask-keyframe', 'a new encoder starts at a keyframe');
});

test('joinFrames: the cached group once a config and a keyframe arrived; stored frames are exact framed copies', () => {
  const media = new StreamMedia(limits);
  media.setConfig(config);
  assert.deepEqual(media.joinFrames(), [], 'no keyframe yet');
  assert.equal(media.intake(true, TRACK_VIDEO), 'relay');
  const backing = new Uint8Array([9, 1, 2, 3, 9]);
  const frame = media.store(backing.subarray(1, 4), true, 1000, TRACK_VIDEO);
  backing[2] = 7;
  assert.deepEqual([...frame.data], [1, 2, 3], 'the cache does not share the receive buffer');
  assert.deepEqual([...(frame.wire ?? [])], [0x82, 3, 1, 2, 3], 'framed once for the wire: binary, 3 bytes');
  assert.equal(frame.data.buffer.byteLength, 5, 'one exact-size buffer: the 2-byte frame header and the data');
  media.store(new Uint8Array([4]), false, 41000, TRACK_AUDIO);
  assert.deepEqual(
    media.joinFrames().map((f) => f.timestampUs),
    [1000, 41000],
  );
  assert.equal(media.gopBytes, 4);
  media.forget();
  assert.deepEqual(media.joinFrames(), []);
});

test('setAudioConfig: false when unchanged; a change drops the cached audio but keeps the video', () => {
  const media = new StreamMedia(limits);
  media.setConfig(config);
  media.intake(true, TRACK_VIDEO);
  media.store(new Uint8Array([1]), true, 0, TRACK_VIDEO);
  media.store(new Uint8Array([2]), false, 10, TRACK_AUDIO);
  const opus = { codec: 'opus', sampleRate: 48000, numberOfChannels: 1 } as never;
  assert.equal(media.setAudioConfig(opus), true);
  assert.equal(media.setAudioConfig({ ...(opus as object) } as never), false, 'the same config again');
  assert.deepEqual(
    media.joinFrames().map((f) => f.track),
    [TRACK_VIDEO],
  );
  assert.equal(media.setAudioConfig(null), true);
});
