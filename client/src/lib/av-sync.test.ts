import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AUDIO_AHEAD_OF_PICTURE_US,
  audioMayPlay,
  decodedTimestampUs,
  gateShut,
  JITTER_TARGET_S,
  LATE_CONSIDERED_US,
  LATE_MARGIN_S,
  LATE_TOLERANCE_US,
  MAX_AHEAD_S,
  MAX_BEHIND_LIVE_US,
  MAX_EXTRA_DELAY_S,
  MAX_PICTURE_WAIT_US,
  MIN_LEAD_S,
  mediaTimeUs,
  nextExtraDelayS,
  opusPreSkipUs,
  PAINT_LEAD_US,
  PICTURE_STALL_MS,
  pickFrame,
  planChunk,
  STALL_LIMIT_US,
} from './av-sync.ts';

const T = 1_700_000_000_000_000;
const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

test('planChunk: the first chunk anchors the timeline JITTER_TARGET_S ahead; the next ones follow sample for sample', () => {
  const first = planChunk(null, T, 10, T);
  assert.ok(first.kind === 'anchored');
  assert.ok(close(first.startS, 10 + JITTER_TARGET_S));
  // 60 ms later in media time, 40 ms later in context time: it goes right after the first.
  const next = planChunk(first.anchor, T + 60_000, 10.04, T + 120_000);
  assert.ok(next.kind === 'continue');
  assert.ok(close(next.startS, 10 + JITTER_TARGET_S + 0.06));
  assert.equal(next.anchor, first.anchor);
});

test('planChunk: a starting timeline skips sound far behind the newest received (a late joiner starts near live)', () => {
  assert.equal(planChunk(null, T, 10, T + MAX_BEHIND_LIVE_US + 1).kind, 'skip');
  assert.equal(planChunk(null, T, 10, T + MAX_BEHIND_LIVE_US).kind, 'anchored', 'at the edge: played');
  // Running, a burst is absorbed: the chunk goes on the timeline (or re-anchors it when late), never skipped.
  const anchor = { ctxS: 10, tsUs: T };
  assert.equal(planChunk(anchor, T + 60_000, 9.95, T + 60_000 + MAX_BEHIND_LIVE_US + 1).kind, 'continue');
  assert.equal(planChunk(anchor, T + 60_000, 10.2, T + 60_000 + MAX_BEHIND_LIVE_US + 1).kind, 'anchored');
});

test('planChunk: late, barely in time, and too far ahead, at the edges', () => {
  const anchor = { ctxS: 20, tsUs: T };
  // [context now, verdict]: the chunk at T + 100 ms starts at context time 20.1.
  const table: Array<[number, 'continue' | 'anchored']> = [
    [20.1 - MIN_LEAD_S, 'continue'], // exactly MIN_LEAD_S ahead
    [20.1 - MIN_LEAD_S + 0.001, 'anchored'], // an underrun: would start too soon
    [20.2, 'anchored'], // already in the past
    [20.1 - MAX_AHEAD_S, 'continue'],
    [20.1 - MAX_AHEAD_S - 0.001, 'anchored'], // the clock drifted or the timeline jumped
  ];
  for (const [now, kind] of table) {
    const plan = planChunk(anchor, T + 100_000, now, T + 100_000);
    assert.equal(plan.kind, kind, `now ${now}`);
    if (plan.kind === 'anchored') {
      assert.ok(close(plan.startS, now + JITTER_TARGET_S));
      assert.deepEqual(plan.anchor, { ctxS: now + JITTER_TARGET_S, tsUs: T + 100_000 });
    }
  }
});

test('opusPreSkipUs reads the OpusHead; decodedTimestampUs shifts every chunk but the first by it', () => {
  const head = (preSkip: number) =>
    Uint8Array.from(
      [...'OpusHead']
        .map((c) => c.charCodeAt(0))
        .concat([1, 1, preSkip & 0xff, preSkip >> 8, 0x80, 0xbb, 0, 0, 0, 0, 0]),
    );
  assert.equal(opusPreSkipUs(head(312)), 6500);
  assert.equal(opusPreSkipUs(head(0)), 0);
  assert.equal(opusPreSkipUs(head(3840)), 80_000);
  assert.equal(opusPreSkipUs(undefined), 0);
  assert.equal(opusPreSkipUs(head(312).subarray(0, 18)), 0, 'too short');
  const other = head(312);
  other[0] = 0x58;
  assert.equal(opusPreSkipUs(other), 0, 'not an OpusHead');
  assert.equal(decodedTimestampUs(T, true, 6500), T, 'the first chunk: the decoder trimmed the look-ahead');
  assert.equal(decodedTimestampUs(T + 60_000, false, 6500), T + 53_500);
  assert.equal(decodedTimestampUs(T + 600_000, false, 0), T + 600_000);
});

test('planChunk: a fresh timeline starts the given target ahead (the jitter target plus any extra delay)', () => {
  const plan = planChunk(null, T, 10, T, 0.45);
  assert.ok(plan.kind === 'anchored' && close(plan.startS, 10.45));
});

test('nextExtraDelayS: late pictures push the sound back by their lateness plus a margin, within bounds', () => {
  const table: Array<[string, number, number, number]> = [
    ['on time', 0, 5_000, 0],
    ['at the tolerance', 0, LATE_TOLERANCE_US, 0],
    ['just late', 0, LATE_TOLERANCE_US + 1, LATE_TOLERANCE_US / 1e6 + 1e-6 + LATE_MARGIN_S],
    ['100 ms late', 0.1, 100_000, 0.1 + 0.1 + LATE_MARGIN_S],
    ['at the considered edge', 0, LATE_CONSIDERED_US, LATE_CONSIDERED_US / 1e6 + LATE_MARGIN_S],
    ['further late: a catch-up, not jitter', 0.2, LATE_CONSIDERED_US + 1, 0.2],
    ['capped', 0.5, 300_000, MAX_EXTRA_DELAY_S],
    ['never shrinks', MAX_EXTRA_DELAY_S, 20_000, MAX_EXTRA_DELAY_S],
  ];
  for (const [what, current, late, next] of table) assert.ok(close(nextExtraDelayS(current, late), next), what);
});

test('mediaTimeUs: what is heard now, from the anchor', () => {
  const anchor = { ctxS: 5, tsUs: T };
  assert.equal(mediaTimeUs(anchor, 5), T);
  assert.equal(mediaTimeUs(anchor, 5.5), T + 500_000);
  assert.equal(mediaTimeUs(anchor, 4.9), T - 100_000, 'before the first chunk plays: still behind it');
});

test('pickFrame: with an audio clock, the newest due picture; older ones dropped, later ones wait', () => {
  const q = [T, T + 33_333, T + 66_667, T + 100_000];
  const table: Array<[number, number, number]> = [
    // [audio clock, paint, drop]
    [T - PAINT_LEAD_US - 1, -1, 0], // nothing due yet
    [T - PAINT_LEAD_US, 0, 0], // the first, half a display frame early
    [T + 40_000, 1, 1],
    [T + 100_000, 3, 3], // behind: skip to the newest due, drop the rest
    [T + 5_000_000, 3, 3],
  ];
  for (const [clock, paint, drop] of table)
    assert.deepEqual(pickFrame(q, clock), { paint, drop }, `clock +${clock - T}`);
});

test('pickFrame: without an audio clock, the newest at once; a picture far ahead of the clock is not held', () => {
  const q = [T, T + 33_333, T + 66_667];
  assert.deepEqual(pickFrame(q, null), { paint: 2, drop: 2 });
  assert.deepEqual(pickFrame([], null), { paint: -1, drop: 0 });
  assert.deepEqual(pickFrame([], T), { paint: -1, drop: 0 });
  assert.deepEqual(pickFrame(q, 'wait'), { paint: -1, drop: 0 }, 'sound about to start: the pictures wait for it');
  assert.deepEqual(pickFrame(q, T - MAX_PICTURE_WAIT_US), { paint: -1, drop: 0 }, 'at the edge: waits');
  assert.deepEqual(pickFrame(q, T - MAX_PICTURE_WAIT_US - 1), { paint: 2, drop: 2 }, 'past it: another timeline');
});

test('gateShut: silence only while a picture is overdue past the limit, counting the output latency', () => {
  const anchor = { ctxS: 10, tsUs: T };
  // Rendering context time 11.04 with 40 ms output latency: what is heard then is media T + 1 s.
  const table: Array<[string, Parameters<typeof gateShut>[0], number | null, boolean]> = [
    ['the next picture is due exactly now', anchor, T + 1_000_000, false],
    ['overdue by the limit', anchor, T + 1_000_000 - STALL_LIMIT_US, false],
    ['overdue past the limit: the page stopped painting', anchor, T + 1_000_000 - STALL_LIMIT_US - 1, true],
    ['no picture waiting', anchor, null, false],
    ['no timeline', null, T, false],
  ];
  for (const [what, a, next, shut] of table) assert.equal(gateShut(a, 11.04, 0.04, next), shut, what);
});

test('audioMayPlay: sound waits for a moving picture, never for a broken or stalled one', () => {
  const now = 50_000;
  const playing = { playing: true, newestUs: T, newestAtMs: now - 100 };
  const table: Array<[string, number, Parameters<typeof audioMayPlay>[1], number, boolean]> = [
    ['at the picture', T, playing, now, true],
    ['as far ahead as allowed', T + AUDIO_AHEAD_OF_PICTURE_US, playing, now, true],
    ['further ahead: waits', T + AUDIO_AHEAD_OF_PICTURE_US + 1, playing, now, false],
    ['behind the picture', T - 1_000_000, playing, now, true],
    ['picture not playing (decoder error, waiting for a keyframe)', T + 9e6, { ...playing, playing: false }, now, true],
    ['no picture yet', T + 9e6, { playing: true, newestUs: null, newestAtMs: null }, now, true],
    ['picture stalled for just under the limit', T + 9e6, playing, now - 100 + PICTURE_STALL_MS - 1, false],
    ['picture stalled for the limit', T + 9e6, playing, now - 100 + PICTURE_STALL_MS, true],
  ];
  for (const [what, ts, picture, at, expected] of table) assert.equal(audioMayPlay(ts, picture, at), expected, what);
});
