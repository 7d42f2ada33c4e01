import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkLine,
  disturbed,
  type InterferenceSummary,
  interferenceLine,
  median,
  type RoundFigures,
  ratios,
  roundOrder,
  shouldRetry,
  summarise,
  summariseInterference,
  trustworthy,
  verdicts,
} from './rounds.ts';

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
  loopHoldUpMs: 100,
  viewersSkipped: 0,
  viewersWithLoss: 0,
  disturbed: false,
  ...extra,
});

test('summarise takes medians, so one wild round does not move the figure; loss is summed', () => {
  const s = summarise([
    round(40, { viewersSkipped: 3, viewersWithLoss: 1 }),
    round(250, { lossFrames: 2, cpuPct: 90, loopHoldUpMs: 900, disturbed: true }),
    round(50, { deliveredFraction: 0.9, viewersWithLoss: 4, loopHoldUpMs: 120 }),
  ]);
  assert.equal(s.p99Ms, 50);
  assert.equal(s.p50Ms, 12.5);
  assert.equal(s.cpuPct, 50);
  assert.equal(s.deliveredFraction, 1);
  assert.equal(s.lossFrames, 2);
  assert.equal(s.p99MinMs, 40);
  assert.equal(s.p99MaxMs, 250);
  assert.equal(s.rounds, 3);
  assert.equal(s.loopHoldUpMs, 120, 'median hold-up');
  assert.equal(s.viewersSkipped, 3, 'summed');
  assert.equal(s.viewersWithLoss, 5, 'summed');
  assert.equal(s.disturbedRounds, 1);
});

test('ratios are relay median over bare median', () => {
  const relay = summarise([round(60, { cpuPct: 90, loopHoldUpMs: 150 }), round(60, { cpuPct: 90, loopHoldUpMs: 150 })]);
  const bare = summarise([round(50, { cpuPct: 60 }), round(50, { cpuPct: 60 })]);
  const r = ratios(relay, bare);
  assert.equal(r.loopHoldUp, 1.5);
  assert.equal(r.p99, 1.2);
  assert.equal(r.p50, 1.2);
  assert.equal(r.cpu, 1.5);
  assert.equal(r.delivered, 1);
});

test('verdicts: each target passes at its edge and fails just past it; only the targets asked for are checked', () => {
  const all = { minDeliveredRatio: 0.95, maxP99Ratio: 1.25, zeroLoss: true, maxLoopHoldUpRatio: 1.5 };
  const bare = summarise([round(40)]);
  const ok = (checks: { ok: boolean }[]) => checks.map((c) => c.ok);
  assert.deepEqual(
    ok(verdicts('x', summarise([round(50, { deliveredFraction: 0.95, loopHoldUpMs: 150 })]), bare, all)),
    [true, true, true, true],
  );
  assert.deepEqual(
    ok(verdicts('x', summarise([round(50.1, { deliveredFraction: 0.949, loopHoldUpMs: 150.1 })]), bare, all)),
    [false, false, true, false],
  );
  assert.deepEqual(ok(verdicts('x', summarise([round(40), round(40, { lossFrames: 1 }), round(40)]), bare, all)), [
    true,
    true,
    false,
    true,
  ]);
  const saturated = { minDeliveredRatio: 0.95, skippedAtMostBareLoss: true };
  const bareLoss = summarise([round(40, { viewersWithLoss: 3 }), round(40, { viewersWithLoss: 2 })]);
  const skipped = (n: number) => summarise([round(90, { viewersSkipped: n, lossFrames: 9 }), round(90)]);
  assert.deepEqual(ok(verdicts('x', skipped(5), bareLoss, saturated)), [true, true], 'as many skipped as bare losers');
  assert.deepEqual(ok(verdicts('x', skipped(6), bareLoss, saturated)), [true, false], 'one more');
});

test('a comparison is not trusted when more than a third of either side was disturbed', () => {
  const sides = (disturbedOfThree: number) =>
    summarise([0, 1, 2].map((i) => round(40, { disturbed: i < disturbedOfThree })));
  assert.equal(trustworthy(sides(0)), true);
  assert.equal(trustworthy(sides(1)), true, 'one of three');
  assert.equal(trustworthy(sides(2)), false, 'two of three');
  const targets = { minDeliveredRatio: 0.95 };
  const [calm] = verdicts('x', sides(1), sides(0), targets);
  const [shaken] = verdicts('x', sides(0), sides(2), targets);
  assert.equal(calm!.trusted, true);
  assert.equal(shaken!.trusted, false, 'the bare side alone can make it untrustworthy');
  assert.match(checkLine(calm!), /^PASS /);
  assert.match(checkLine(shaken!), /^NOT TRUSTWORTHY \(would be pass\) /);
  assert.match(checkLine({ what: 'y', ok: false, trusted: true }), /^FAIL y$/);
});

test('disturbed: a process waiting for a core, or other work, over its limit', () => {
  const limits = { maxWaitPct: 25, maxRestPct: 40 };
  const rows: Array<[number, number, number, boolean]> = [
    [25, 25, 40, false],
    [25.1, 0, 0, true],
    [0, 25.1, 0, true],
    [0, 0, 40.1, true],
    [3, 8, 12, false],
  ];
  for (const [serverWaitPct, loadWaitPct, restPct, expected] of rows)
    assert.equal(
      disturbed({ serverWaitPct, loadWaitPct, restPct }, limits),
      expected,
      `${serverWaitPct}/${loadWaitPct}/${restPct}`,
    );
});

test('shouldRetry: only a disturbed round, and only while both retry budgets last', () => {
  const limits = { maxRetriesPerRound: 2, maxRetriesPerRun: 4 };
  assert.equal(shouldRetry(false, 0, 0, limits), false);
  assert.equal(shouldRetry(true, 0, 0, limits), true);
  assert.equal(shouldRetry(true, 1, 3, limits), true);
  assert.equal(shouldRetry(true, 2, 0, limits), false);
  assert.equal(shouldRetry(true, 0, 4, limits), false);
});

test('the run-wide interference summary: medians of rest and of the longer wait, disturbed rounds counted', () => {
  const round = (restPct: number, serverWaitPct: number, loadWaitPct: number, isDisturbed: boolean) => ({
    restPct,
    serverWaitPct,
    loadWaitPct,
    disturbed: isDisturbed,
  });
  const rows: Array<[string, Array<ReturnType<typeof round>>, InterferenceSummary]> = [
    ['no rounds', [], { rounds: 0, disturbedRounds: 0, restPct: 0, waitPct: 0 }],
    [
      'quiet',
      [round(5, 2, 3, false), round(7, 4, 1, false), round(3, 1, 1, false)],
      { rounds: 3, disturbedRounds: 0, restPct: 5, waitPct: 3 },
    ],
    [
      'busy: the wait of whichever process waited longer',
      [round(100, 50, 60, true), round(120, 70, 40, true), round(20, 5, 9, false), round(110, 55, 45, true)],
      { rounds: 4, disturbedRounds: 3, restPct: 105, waitPct: 57.5 },
    ],
  ];
  for (const [what, rounds, expected] of rows) assert.deepEqual(summariseInterference(rounds), expected, what);
  assert.equal(
    interferenceLine({ rounds: 4, disturbedRounds: 3, restPct: 105, waitPct: 57.5 }),
    '3 of 4 rounds disturbed by other work; over the run, median "rest" (CPU used by neither process) 105 % of a core, median wait for a core 58 % of the window',
  );
});
