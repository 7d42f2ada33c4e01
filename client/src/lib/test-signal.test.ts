import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BEEP_AMPLITUDE,
  BEEP_DURATION_MS,
  BeatClock,
  beepSample,
  FLASH_DURATION_MS,
  TONE_SAMPLE_RATE_HZ,
  ToneGenerator,
} from './test-signal.ts';

const S = 1_000_000;

test('BeatClock: the first frame at or after each whole second starts a flash and names the beep time', () => {
  const clock = new BeatClock();
  // [frame timestamp, flash shown, beep at]
  const table: Array<[number, boolean, number | null]> = [
    [5 * S - 40_000, false, null],
    [5 * S - 6_667, false, null],
    [5 * S + 26_666, true, 5 * S + 26_666], // first frame of second 5
    [5 * S + 59_999, true, null],
    [5 * S + 26_666 + FLASH_DURATION_MS * 1000 - 1, true, null],
    [5 * S + 26_666 + FLASH_DURATION_MS * 1000, false, null],
    [5 * S + 900_000, false, null],
    [6 * S, true, 6 * S], // exactly on the second
    [6 * S + 33_333, true, null],
    [8 * S + 10, true, 8 * S + 10], // a gap of two seconds: one flash, at the next frame
    [9 * S + 1, true, 9 * S + 1],
  ];
  for (const [ts, flash, beepAtUs] of table) assert.deepEqual(clock.frame(ts), { flash, beepAtUs }, String(ts));
});

test('BeatClock: a first frame exactly on a second flashes at once', () => {
  assert.deepEqual(new BeatClock().frame(3 * S), { flash: true, beepAtUs: 3 * S });
});

test('beepSample: silent outside the beep, a ramped 1 kHz sine within it', () => {
  const n = (BEEP_DURATION_MS * TONE_SAMPLE_RATE_HZ) / 1000;
  assert.equal(beepSample(-1), 0);
  assert.equal(beepSample(n), 0);
  assert.equal(beepSample(0), 0, 'sin(0)');
  // 12 samples = a quarter period of 1 kHz at 48 kHz: the peak, once the 1 ms ramp is over.
  assert.ok(Math.abs(beepSample(48 + 12) - BEEP_AMPLITUDE) < 1e-9);
  assert.ok(Math.abs(beepSample(12)) < BEEP_AMPLITUDE * 0.3, 'still ramping up');
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(beepSample(i)));
  assert.ok(max <= BEEP_AMPLITUDE + 1e-9 && max > BEEP_AMPLITUDE * 0.99);
});

/** Index of the first sample above `threshold` in absolute value, or -1. */
const onset = (samples: Float32Array, threshold = 0.01) => samples.findIndex((v) => Math.abs(v) > threshold);

test('ToneGenerator: chunks follow each other sample for sample whatever the timer jitter', () => {
  const tone = new ToneGenerator();
  const t0 = 1_700_000_000_000_000;
  const first = tone.generate(t0);
  assert.equal(first, null, 'the first call only sets the origin');
  let expectedStart = t0;
  let total = 0;
  let at = t0;
  for (const step of [33_333, 41_000, 25_000, 33_334, 10, 20, 60_000]) {
    at += step;
    const chunk = tone.generate(at);
    if (chunk === null) continue;
    assert.equal(chunk.timestampUs, expectedStart, `chunk ending at +${at - t0}`);
    total += chunk.samples.length;
    expectedStart = t0 + Math.round((total * 1e6) / TONE_SAMPLE_RATE_HZ);
  }
  assert.equal(total, Math.floor(((at - t0) * TONE_SAMPLE_RATE_HZ) / 1e6), 'no sample lost or doubled');
});

test('ToneGenerator: a beep starts on the sample of its time, even when it spans two chunks', () => {
  const t0 = 1_700_000_000_000_000;
  const tone = new ToneGenerator();
  tone.generate(t0);
  const beepAt = t0 + 1_000_000 + 26_666;
  const chunks = [];
  let announced = false;
  for (let at = t0 + 33_333; at < t0 + 1_300_000; at += 33_333) {
    // As the capture loop does: the frame at the beep's time announces it, then audio up to that frame is made.
    if (at >= beepAt - 33_333 && !announced) {
      tone.beep(beepAt);
      announced = true;
    }
    const c = tone.generate(at);
    if (c !== null) chunks.push(c);
  }
  const all = new Float32Array(chunks.reduce((n, c) => n + c.samples.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c.samples, o);
    o += c.samples.length;
  }
  // The beep was announced before the chunk covering its time was generated (the capture loop's order).
  const first = onset(all);
  const expectedSample = Math.round(((beepAt - t0) * TONE_SAMPLE_RATE_HZ) / 1e6);
  assert.ok(
    first >= expectedSample && first <= expectedSample + 4,
    `onset at sample ${first}, beep at ${expectedSample}`,
  );
  const lastLoud = all.length - 1 - [...all].reverse().findIndex((v) => Math.abs(v) > 0.01);
  const beepSamples = (BEEP_DURATION_MS * TONE_SAMPLE_RATE_HZ) / 1000;
  assert.ok(lastLoud < expectedSample + beepSamples && lastLoud > expectedSample + beepSamples - 5);
  assert.equal(
    all.slice(0, expectedSample).every((v) => v === 0),
    true,
    'silence before the beep',
  );
});
