import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AUDIO_DISCONTINUITY_US,
  audioDiscontinuity,
  captureOffsetUs,
  initialAudio,
  meterPercent,
  rmsLevel,
  SAME_CLOCK_WINDOW_US,
} from './audio-input.ts';

test('initialAudio: the microphone if any; else the tone with the pattern, nothing with the camera', () => {
  assert.deepEqual(initialAudio('default', 'camera'), { kind: 'mic', deviceId: 'default' });
  assert.deepEqual(initialAudio('abc', 'pattern'), { kind: 'mic', deviceId: 'abc' });
  assert.deepEqual(initialAudio(null, 'pattern'), { kind: 'tone' });
  assert.deepEqual(initialAudio(null, 'camera'), { kind: 'none' });
});

test('captureOffsetUs: a chunk stamped on the page clock keeps its timing; any other clock is pinned to now', () => {
  const origin = 1_700_000_000_000.25; // ms
  const now = 5_000; // ms since the origin
  const table: Array<[string, number, number]> = [
    ['stamped 10 ms ago on the page clock', now * 1000 - 10_000, Math.round(origin * 1000)],
    ['stamped exactly now', now * 1000, Math.round(origin * 1000)],
    ['at the edge of the window', now * 1000 - SAME_CLOCK_WINDOW_US + 1, Math.round(origin * 1000)],
    [
      'older than the window: another clock',
      now * 1000 - SAME_CLOCK_WINDOW_US,
      Math.round((origin + now) * 1000) - (now * 1000 - SAME_CLOCK_WINDOW_US),
    ],
    ['in the future: another clock', now * 1000 + 1, Math.round((origin + now) * 1000) - (now * 1000 + 1)],
    ['a clock starting at zero', 0, Math.round((origin + now) * 1000)],
  ];
  for (const [what, ts, offset] of table) assert.equal(captureOffsetUs(ts, now, origin), offset, what);
});

test('audioDiscontinuity: a gap or an overlap past the limit restarts the encoder; jitter does not', () => {
  const at = 1_700_000_000_000_000;
  const table: Array<[number | null, number, boolean]> = [
    [null, at, false], // the first chunk
    [at, at, false],
    [at, at + 1, false], // rounding
    [at, at + AUDIO_DISCONTINUITY_US, false],
    [at, at + AUDIO_DISCONTINUITY_US + 1, true], // a gap (socket down, source changed)
    [at, at - AUDIO_DISCONTINUITY_US - 1, true], // an overlap (a capture clock that drifted)
    [at, at + 1_000_000, true],
  ];
  for (const [expected, actual, verdict] of table)
    assert.equal(audioDiscontinuity(expected, actual), verdict, `${actual - at}`);
});

test('rmsLevel and meterPercent', () => {
  assert.equal(rmsLevel(new Float32Array(0)), 0);
  assert.equal(rmsLevel(new Float32Array(480)), 0);
  assert.ok(Math.abs(rmsLevel(Float32Array.from([0.5, -0.5, 0.5, -0.5])) - 0.5) < 1e-9);
  const sine = Float32Array.from({ length: 4800 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 48000));
  assert.ok(Math.abs(rmsLevel(sine) - 0.5 / Math.SQRT2) < 1e-3);
  const table: Array<[number, number]> = [
    [0, 0],
    [0.001, 0], // -60 dBFS: the floor
    [0.0001, 0],
    [0.01, 33], // -40 dBFS
    [0.1, 67], // -20 dBFS
    [1, 100],
    [2, 100],
  ];
  for (const [rms, pct] of table) assert.equal(meterPercent(rms), pct, String(rms));
});
