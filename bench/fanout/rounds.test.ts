import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, type RoundFigures, ratios, roundOrder, shouldRetry, summarise, verdicts } from './rounds.ts';

test('roundOrder alternates two variants A B B A so each runs first and second equally often', () => {
  assert.deepEqual(roundOrder(['R', 'B'], 3), ['R', 'B', 'B', 'R', 'R', 'B']);
  assert.deepEqual(roundOrder(['R', 'B'], 1), ['R', 'B']);
  assert.deepEqual(roundOrder(['R', 'B'], 0), []);
});

test('roundOrder rotates three variants so each takes every position once per three blocks', () => {
  const order = roundOrder(['R', 'B', 'S'], 3);
  assert.deepEqual(order, ['R', 'B', 'S', 'B', 'S', 'R', 'S', 'R', 'B']);
  for (const v of ['R', 'B', 'S']) {
    const positions = [0, 1, 2].map((block) => order.slice(block * 3, block * 3 + 3).indexOf(v));
    assert.deepEqual([...positions].sort(), [0, 1, 2], `${v} positions ${positions.join(',')}`);
  }
});

test('median of odd and even counts, unsorted input left alone', () => {
  const values = [9, 1, 5];
  assert.equal(median(values), 5);
  assert.deepEqual(values, [9, 1, 5]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.throws(() => median([]), /no values/);
});

const round = (p99Ms: number, extra: Partial<RoundFigures> = {}): RoundFigures => ({
  deliveredFraction: 1,
  lossFrames: 0,
  p50Ms: p99Ms / 4,
  p99Ms,
  cpuPct: 50,
  ...extra,
});

test('summarise takes medians, so one wild round does not move the figure; loss is summed', () => {
  const s = summarise([round(40), round(250, { lossFrames: 2, cpuPct: 90 }), round(50, { deliveredFraction: 0.9 })]);
  assert.equal(s.p99Ms, 50);
  assert.equal(s.p50Ms, 12.5);
  assert.equal(s.cpuPct, 50);
  assert.equal(s.deliveredFraction, 1);
  assert.equal(s.lossFrames, 2);
  assert.equal(s.p99MinMs, 40);
  assert.equal(s.p99MaxMs, 250);
  assert.equal(s.rounds, 3);
});

test('ratios are relay median over bare median', () => {
  const relay = summarise([round(60, { cpuPct: 90 }), round(60, { cpuPct: 90 })]);
  const bare = summarise([round(50, { cpuPct: 60 }), round(50, { cpuPct: 60 })]);
  const r = ratios(relay, bare);
  assert.equal(r.p99, 1.2);
  assert.equal(r.p50, 1.2);
  assert.equal(r.cpu, 1.5);
  assert.equal(r.delivered, 1);
});

test('verdicts: each target passes at its edge and fails just past it', () => {
  const targets = { minDeliveredRatio: 0.95, maxP99Ratio: 1.25 };
  const bare = summarise([round(40)]);
  const ok = (checks: { ok: boolean }[]) => checks.map((c) => c.ok);
  assert.deepEqual(ok(verdicts('x', summarise([round(50, { deliveredFraction: 0.95 })]), bare, targets)), [
    true,
    true,
    true,
  ]);
  assert.deepEqual(ok(verdicts('x', summarise([round(50.1, { deliveredFraction: 0.949 })]), bare, targets)), [
    false,
    false,
    true,
  ]);
  assert.deepEqual(ok(verdicts('x', summarise([round(40), round(40, { lossFrames: 1 }), round(40)]), bare, targets)), [
    true,
    true,
    false,
  ]);
});

test('shouldRetry: only a round with other work over the limit, and only while both retry budgets last', () => {
  const limits = { maxRestPct: 40, maxRetriesPerRound: 2, maxRetriesPerRun: 4 };
  assert.equal(shouldRetry(40, 0, 0, limits), false);
  assert.equal(shouldRetry(40.1, 0, 0, limits), true);
  assert.equal(shouldRetry(100, 1, 3, limits), true);
  assert.equal(shouldRetry(100, 2, 0, limits), false);
  assert.equal(shouldRetry(100, 0, 4, limits), false);
});
