import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  homeHeaders,
  isPublishing,
  MAX_SEND_BUFFER_BYTES,
  needsKeyframe,
  type PublishState,
  publishCloseAction,
  RateMeter,
  shareUrl,
  shouldSkipFrame,
  wallClockUs,
} from './publish-logic.ts';

const frame = 1000 / 30;

test('needsKeyframe: first frame, on request, and before the 2 s interval would be exceeded', () => {
  assert.equal(needsKeyframe({ nowMs: 0, lastKeyframeMs: null, frameIntervalMs: frame, requested: false }), true);
  assert.equal(needsKeyframe({ nowMs: 100, lastKeyframeMs: 0, frameIntervalMs: frame, requested: true }), true);
  assert.equal(needsKeyframe({ nowMs: 100, lastKeyframeMs: 0, frameIntervalMs: frame, requested: false }), false);
  // Waiting one more frame would make the gap 2000.3 ms: key now.
  assert.equal(needsKeyframe({ nowMs: 1967, lastKeyframeMs: 0, frameIntervalMs: frame, requested: false }), true);
  assert.equal(needsKeyframe({ nowMs: 1966, lastKeyframeMs: 0, frameIntervalMs: frame, requested: false }), false);
  assert.equal(
    needsKeyframe({ nowMs: 500, lastKeyframeMs: 0, frameIntervalMs: 100, requested: false, maxIntervalMs: 500 }),
    true,
  );
});

test('needsKeyframe keeps every gap at or under 2 s over a simulated run with jittery timers', () => {
  let last: number | null = null;
  let now = 0;
  let maxGap = 0;
  for (let i = 0; i < 3000; i++) {
    now += frame + ((i * 7919) % 11) - 5;
    if (needsKeyframe({ nowMs: now, lastKeyframeMs: last, frameIntervalMs: frame + 6, requested: false })) {
      if (last !== null) maxGap = Math.max(maxGap, now - last);
      last = now;
    }
  }
  assert.ok(maxGap <= 2000, `max gap ${maxGap}`);
  assert.ok(maxGap > 1900, `keyframes not needlessly frequent: ${maxGap}`);
});

test('shouldSkipFrame when the encoder or the socket is behind', () => {
  assert.equal(shouldSkipFrame(0, 0), false);
  assert.equal(shouldSkipFrame(2, MAX_SEND_BUFFER_BYTES), false);
  assert.equal(shouldSkipFrame(3, 0), true);
  assert.equal(shouldSkipFrame(0, MAX_SEND_BUFFER_BYTES + 1), true);
});

test('RateMeter: frames and bits per second over the window', () => {
  const m = new RateMeter(1000);
  for (let t = 0; t < 1000; t += 100) m.add(t, 1000);
  assert.deepEqual(m.rates(999), { perSecond: 10, bitsPerSecond: 80_000 });
  assert.deepEqual(m.rates(1450), { perSecond: 5, bitsPerSecond: 40_000 });
  assert.deepEqual(m.rates(5000), { perSecond: 0, bitsPerSecond: 0 });
});

test('isPublishing: connecting, live and reconnecting; not ended or failed', () => {
  const table: Array<[PublishState, boolean]> = [
    ['connecting', true],
    ['live', true],
    ['reconnecting', true],
    ['ended', false],
    ['failed', false],
  ];
  for (const [state, expected] of table) assert.equal(isPublishing(state), expected, state);
});

test('publishCloseAction', () => {
  const table: Array<[number, string]> = [
    [1000, 'ended'],
    [4004, 'ended'],
    [4009, 'replaced'],
    [4010, 'outdated'],
    [1001, 'machine-gone'],
    [1009, 'too-big'],
    [1006, 'reconnect'],
    [4002, 'reconnect'],
    [1011, 'reconnect'],
  ];
  for (const [code, action] of table) assert.equal(publishCloseAction(code), action, String(code));
});

test('wallClockUs, shareUrl and homeHeaders', () => {
  assert.equal(wallClockUs(1_700_000_000_000, 12.3456), 1_700_000_000_012_346);
  assert.equal(
    shareUrl('http://127.0.0.1:8080', '/watch/X?instance=24d0000000000b'),
    'http://127.0.0.1:8080/watch/X?instance=24d0000000000b',
  );
  assert.deepEqual(homeHeaders('24d0000000000b'), { 'fly-force-instance-id': '24d0000000000b' });
  assert.deepEqual(homeHeaders(null), {});
});
