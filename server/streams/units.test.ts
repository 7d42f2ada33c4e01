import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { GopCache, type StoredFrame } from './gop-cache.ts';
import { RateGate, Throttle } from './throttle.ts';
import {
  decideFrame,
  type FlowDecision,
  type FlowState,
  type FrameOffer,
  initialFlowState,
  LAG_CROWD_MIN_VIEWERS,
  lagMs,
  relayLagMs,
} from './viewer-policy.ts';

const limits = { viewerMaxBacklogBytes: 1000, viewerMaxLagMs: 2000, slowViewerCloseMs: 10_000 };
const ok: FlowState = { skipping: false, behindSinceMs: null, lagHeldAtAckUs: null };
const skipping: FlowState = { skipping: true, behindSinceMs: null, lagHeldAtAckUs: null };
const behind = (sinceMs: number, lagHeldAtAckUs: number | null = null): FlowState => ({
  skipping: true,
  behindSinceMs: sinceMs,
  lagHeldAtAckUs,
});
const offer = (o: Partial<FrameOffer>): FrameOffer => ({
  keyframe: false,
  nowMs: 100_000,
  bufferedBytes: 0,
  lagMs: 0,
  ackUs: 5_000_000,
  relayLagMs: 0,
  ...o,
});

test('slow-viewer policy, row by row', () => {
  const rows: Array<[string, FlowState, FrameOffer, Pick<FlowDecision, 'action' | 'reason'>, FlowState]> = [
    ['healthy delta is sent', ok, offer({}), { action: 'send', reason: 'ok' }, ok],
    [
      'backlog exactly at the limit is still sent',
      ok,
      offer({ bufferedBytes: 1000 }),
      { action: 'send', reason: 'ok' },
      ok,
    ],
    [
      'backlog one byte over is skipped',
      ok,
      offer({ bufferedBytes: 1001 }),
      { action: 'skip', reason: 'backlog' },
      behind(100_000),
    ],
    ['lag exactly at the limit is sent', ok, offer({ lagMs: 2000 }), { action: 'send', reason: 'ok' }, ok],
    [
      'lag over the limit is skipped, holding the ack it had',
      ok,
      offer({ lagMs: 2001 }),
      { action: 'skip', reason: 'lag' },
      behind(100_000, 5_000_000),
    ],
    [
      'no frame sent yet: no lag',
      ok,
      offer({ lagMs: null, ackUs: null, bufferedBytes: 10 }),
      { action: 'send', reason: 'ok' },
      ok,
    ],
    [
      'skipping viewer back under limits waits for a keyframe',
      skipping,
      offer({}),
      { action: 'skip', reason: 'await-keyframe' },
      skipping,
    ],
    [
      'skipping viewer resumes at a keyframe',
      skipping,
      offer({ keyframe: true }),
      { action: 'send', reason: 'ok' },
      ok,
    ],
    [
      'a keyframe is skipped too while over the limit',
      ok,
      offer({ keyframe: true, bufferedBytes: 5000 }),
      { action: 'skip', reason: 'backlog' },
      behind(100_000),
    ],
    [
      'behind since earlier keeps its start time',
      behind(95_000),
      offer({ bufferedBytes: 5000 }),
      { action: 'skip', reason: 'backlog' },
      behind(95_000),
    ],
    [
      'behind by backlog: the backlog drained, so it waits for a keyframe (no ack needed)',
      behind(95_000),
      offer({ bufferedBytes: 0 }),
      { action: 'skip', reason: 'await-keyframe' },
      skipping,
    ],
    [
      'behind by lag stays behind while its ack has not moved, even if its lag now reads under the limit',
      behind(95_000, 5_000_000),
      offer({ lagMs: 1500, keyframe: true }),
      { action: 'skip', reason: 'lag' },
      behind(95_000, 5_000_000),
    ],
    [
      'behind by lag: an ack moved and the lag is within, so it waits for a keyframe',
      behind(95_000, 5_000_000),
      offer({ lagMs: 100, ackUs: 7_000_000 }),
      { action: 'skip', reason: 'await-keyframe' },
      skipping,
    ],
    [
      'behind by lag: an ack moved but it is still over, so it stays behind (same start) holding the new ack',
      behind(95_000, 5_000_000),
      offer({ lagMs: 2500, ackUs: 6_000_000 }),
      { action: 'skip', reason: 'lag' },
      behind(95_000, 6_000_000),
    ],
    [
      'behind 1 ms short of the close limit: skip',
      behind(90_001, 5_000_000),
      offer({ lagMs: 9000 }),
      { action: 'skip', reason: 'lag' },
      behind(90_001, 5_000_000),
    ],
    [
      'behind exactly the close limit: close',
      behind(90_000, 5_000_000),
      offer({ lagMs: 9000 }),
      { action: 'close', reason: 'lag' },
      behind(90_000, 5_000_000),
    ],
    [
      'held behind by lag reaches the close limit although its lag reads under the limit: close',
      behind(90_000, 5_000_000),
      offer({ lagMs: 1000 }),
      { action: 'close', reason: 'lag' },
      behind(90_000, 5_000_000),
    ],
    [
      'relay late: lag the audience shares is not held against a viewer (the relay is the slow one)',
      ok,
      offer({ lagMs: 5000, relayLagMs: 4000 }),
      { action: 'send', reason: 'ok' },
      ok,
    ],
    [
      'relay late: lag exactly the limit beyond the audience is sent',
      ok,
      offer({ lagMs: 6000, relayLagMs: 4000 }),
      { action: 'send', reason: 'ok' },
      ok,
    ],
    [
      'relay late: lag 1 ms over the limit beyond the audience is skipped',
      ok,
      offer({ lagMs: 6001, relayLagMs: 4000 }),
      { action: 'skip', reason: 'lag' },
      behind(100_000, 5_000_000),
    ],
    [
      'relay late: a viewer already behind by lag stays behind while its ack has not moved',
      behind(95_000, 5_000_000),
      offer({ lagMs: 5000, relayLagMs: 5000 }),
      { action: 'skip', reason: 'lag' },
      behind(95_000, 5_000_000),
    ],
    [
      'relay late: behind by lag, an ack moved and it is within the audience: waits for a keyframe',
      behind(95_000, 5_000_000),
      offer({ lagMs: 5000, relayLagMs: 4000, ackUs: 6_000_000 }),
      { action: 'skip', reason: 'await-keyframe' },
      skipping,
    ],
    [
      'relay late: a viewer behind by backlog and over the lag limit beyond the audience is held by lag',
      behind(95_000),
      offer({ lagMs: 7000, relayLagMs: 4000 }),
      { action: 'skip', reason: 'lag' },
      behind(95_000, 5_000_000),
    ],
    [
      'relay late: over the backlog limit is still skipped (memory is bounded regardless)',
      ok,
      offer({ bufferedBytes: 1001, lagMs: 5000, relayLagMs: 5000 }),
      { action: 'skip', reason: 'backlog' },
      behind(100_000),
    ],
  ];
  for (const [name, state, o, expected, next] of rows) {
    const d = decideFrame(state, o, limits);
    assert.deepEqual({ action: d.action, reason: d.reason }, expected, name);
    assert.deepEqual(d.state, next, name);
  }
});

test("the relay's lateness is the lag at least half of at least LAG_CROWD_MIN_VIEWERS viewers have", () => {
  assert.equal(LAG_CROWD_MIN_VIEWERS, 10);
  const n = (count: number, ms: number) => Array<number>(count).fill(ms);
  const rows: Array<[lags: number[], relayMs: number, why: string]> = [
    [[], 0, 'no viewers'],
    [n(9, 3000), 0, 'nine of nine behind: too few to tell a late relay from stalled viewers'],
    [n(10, 3000), 3000, 'ten of ten behind: the relay'],
    [[...n(4, 100), ...n(6, 3000)], 3000, 'six of ten behind'],
    [[...n(5, 100), ...n(5, 3000)], 100, 'exactly half behind is not the relay'],
    [[...n(900, 200), ...n(100, 9000)], 200, 'a tenth stalled: the others set it'],
    [[...n(999, 100), ...n(1001, 2500)], 2500, 'just over half of two thousand'],
    [[5, 1, 4, 2, 3, 9, 8, 7, 6, 0], 4, 'unsorted: the lower median'],
    [
      Array.from({ length: 2000 }, (_, i) => 1500 + (i % 500)),
      1749,
      'saturated: everyone behind by 1.5-2 s, the spread of their acks',
    ],
  ];
  for (const [lags, relayMs, why] of rows) {
    const buffer = new Float64Array(lags.length + 3).fill(99_999);
    buffer.set(lags);
    assert.equal(relayLagMs(buffer, lags.length), relayMs, why);
  }
});

test('initial flow state and lag computation', () => {
  assert.deepEqual(initialFlowState(true), ok);
  assert.deepEqual(initialFlowState(false), skipping);
  assert.equal(lagMs(null, 5), null);
  assert.equal(lagMs(5, null), null);
  assert.equal(lagMs(3_000_000, 1_000_000), 2000);
  assert.equal(lagMs(1_000_000, 3_000_000), 0, 'a restarted timeline is not lag');
});

const frame = (keyframe: boolean, bytes: number, ts = 0): StoredFrame => ({
  keyframe,
  timestampUs: ts,
  data: new Uint8Array(bytes),
});

test('GOP cache: keyframe restarts it, orphan deltas are dropped, caps drop the group', () => {
  const gop = new GopCache({ gopMaxFrames: 3, gopMaxBytes: 100 });
  gop.push(frame(false, 10));
  assert.equal(gop.snapshot.length, 0, 'a delta without a keyframe is useless');
  gop.push(frame(true, 10, 1));
  gop.push(frame(false, 10, 2));
  gop.push(frame(false, 10, 3));
  assert.deepEqual(
    gop.snapshot.map((f) => f.timestampUs),
    [1, 2, 3],
  );
  assert.equal(gop.bytes, 30);
  gop.push(frame(false, 10, 4));
  assert.equal(gop.snapshot.length, 0, 'a fourth frame breaks gopMaxFrames = 3');
  assert.equal(gop.bytes, 0);
  gop.push(frame(false, 10, 5));
  assert.equal(gop.snapshot.length, 0, 'stays empty until the next keyframe');
  gop.push(frame(true, 10, 6));
  assert.deepEqual(
    gop.snapshot.map((f) => f.timestampUs),
    [6],
  );

  const bytes = new GopCache({ gopMaxFrames: 100, gopMaxBytes: 100 });
  bytes.push(frame(true, 60, 1));
  bytes.push(frame(false, 40, 2));
  assert.equal(bytes.bytes, 100, 'exactly gopMaxBytes fits');
  bytes.push(frame(false, 1, 3));
  assert.equal(bytes.snapshot.length, 0, 'one byte over drops the group');
  bytes.push(frame(true, 101, 4));
  assert.equal(bytes.snapshot.length, 0, 'a keyframe alone over the cap is not cached');
});

test('throttle: leading run, one trailing run for a burst, quiet afterwards', () => {
  const clock = new FakeClock();
  let runs = 0;
  const t = new Throttle(1000, () => runs++, clock);
  t.trigger();
  assert.equal(runs, 1);
  t.trigger();
  t.trigger();
  t.trigger();
  assert.equal(runs, 1);
  clock.advance(999);
  assert.equal(runs, 1);
  clock.advance(1);
  assert.equal(runs, 2, 'one trailing run for the burst');
  clock.advance(1000);
  assert.equal(runs, 2);
  clock.advance(5000);
  t.trigger();
  assert.equal(runs, 3, 'idle again: runs at once');
  t.trigger();
  t.cancel();
  clock.advance(5000);
  assert.equal(runs, 3, 'cancel drops the pending run');
  assert.equal(clock.pendingTimers, 0);
});

test('rate gate: at most once per interval', () => {
  const gate = new RateGate(1000);
  assert.equal(gate.tryTake(5000), true);
  assert.equal(gate.tryTake(5999), false);
  assert.equal(gate.tryTake(6000), true);
});
