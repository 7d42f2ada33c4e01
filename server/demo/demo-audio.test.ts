import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base64ToBytes } from '../../shared/protocol.ts';
import { DemoAudioTrack, loadDemoAudio } from './demo-audio.ts';
import { loadDemoFixture } from './demo-streams.ts';

const T0 = 1_700_000_000_000_000;

function track() {
  const ivf = loadDemoFixture();
  const loopUs = (ivf.frames.length * 1e6 * ivf.timebaseNumerator) / ivf.timebaseDenominator;
  return { loopUs, audio: new DemoAudioTrack(loadDemoAudio(), loopUs), packets: loadDemoAudio().packets };
}

test('the sound loop is exactly as long as the picture loop (the padding packet left out)', () => {
  const { loopUs, audio } = track();
  assert.equal(audio.packetUs, 60_000);
  assert.equal(audio.loopPackets * audio.packetUs, loopUs);
  assert.equal(loopUs, 3_000_000);
});

test('the config is mono 48 kHz Opus with the OpusHead as its description', () => {
  const { audio } = track();
  const config = audio.config();
  assert.deepEqual(
    { ...config, description: undefined },
    {
      codec: 'opus',
      sampleRate: 48_000,
      numberOfChannels: 1,
      description: undefined,
    },
  );
  const head = base64ToBytes(config.description!);
  assert.ok(head.ok);
  assert.equal(new TextDecoder().decode(head.value.subarray(0, 8)), 'OpusHead');
});

test('due: a packet goes out once the timeline passed its end, stamped in step; the loop wraps', () => {
  const { audio, packets } = track();
  audio.seek(0, T0);
  const at = (p: { payload: Uint8Array; timestampUs: number }) => [packets.indexOf(p.payload), p.timestampUs - T0];
  assert.deepEqual(audio.due(T0 + 59_999).map(at), []);
  assert.deepEqual(audio.due(T0 + 60_000).map(at), [[0, 0]]);
  assert.deepEqual(audio.due(T0 + 60_000).map(at), [], 'nothing twice');
  assert.deepEqual(audio.due(T0 + 200_000).map(at), [
    [1, 60_000],
    [2, 120_000],
  ]);
  const rest = audio.due(T0 + 3_060_000).map(at);
  assert.deepEqual(rest.at(-2), [49, 2_940_000]);
  assert.deepEqual(rest.at(-1), [0, 3_000_000], 'packet 0 again when the picture loops');
});

test('seek: a jump to a keyframe restarts the sound at the same point of the loop, stamped from that frame', () => {
  const { audio, packets } = track();
  audio.seek(1_500_000, T0 + 777);
  const [first] = audio.due(T0 + 777 + 60_000);
  assert.equal(packets.indexOf(first!.payload), 25);
  assert.equal(first!.timestampUs, T0 + 777);
  audio.seek(3_000_000, T0);
  assert.equal(packets.indexOf(audio.due(T0 + 60_000)[0]!.payload), 0, 'the end of the loop is its start');
});
