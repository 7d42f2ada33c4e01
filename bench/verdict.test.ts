import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combineRotations, judge, judgeWithControl, medianEstimate, quantile } from './verdict.ts';

test('quantile interpolates between ranks and leaves its input alone', () => {
  const values = [4, 1, 3, 2];
  assert.equal(quantile(values, 0.5), 2.5);
  assert.equal(quantile(values, 0.25), 1.75);
  assert.equal(quantile(values, 0), 1);
  assert.equal(quantile(values, 1), 4);
  assert.deepEqual(values, [4, 1, 3, 2]);
  assert.throws(() => quantile([], 0.5), /no values/);
});

test('medianEstimate: the notch interval, median -+ 1.58 IQR / sqrt(n)', () => {
  const e = medianEstimate([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(e.median, 5);
  assert.equal(e.n, 9);
  // IQR = 7 - 3 = 4; 1.58 * 4 / 3
  assert.ok(Math.abs(e.high - 5 - (1.58 * 4) / 3) < 1e-12);
  assert.ok(Math.abs(5 - e.low - (1.58 * 4) / 3) < 1e-12);
  const flat = medianEstimate([0.97, 0.97, 0.97]);
  assert.deepEqual([flat.low, flat.high], [0.97, 0.97], 'rounds that agree give a point');
});

test('judge decides only when the whole interval is on one side of the target', () => {
  const est = (median: number, half: number) => ({ median, low: median - half, high: median + half, n: 10 });
  const rows: Array<[string, ReturnType<typeof est>, number, 'at-least' | 'at-most', string]> = [
    ['interval above a minimum', est(0.98, 0.02), 0.95, 'at-least', 'PASS'],
    ['low end exactly at the minimum', est(0.97, 0.02), 0.95, 'at-least', 'PASS'],
    ['interval below a minimum', est(0.9, 0.02), 0.95, 'at-least', 'FAIL'],
    ['high end just under the minimum', est(0.92, 0.0299), 0.95, 'at-least', 'FAIL'],
    ['median passes but the interval spans the minimum', est(0.96, 0.03), 0.95, 'at-least', 'NOT TRUSTWORTHY'],
    ['median fails but the interval spans the minimum', est(0.94, 0.03), 0.95, 'at-least', 'NOT TRUSTWORTHY'],
    ['interval under a maximum', est(1.0, 0.1), 1.25, 'at-most', 'PASS'],
    ['interval over a maximum', est(1.5, 0.1), 1.25, 'at-most', 'FAIL'],
    ['interval spans a maximum', est(1.2, 0.1), 1.25, 'at-most', 'NOT TRUSTWORTHY'],
  ];
  for (const [name, e, target, direction, expected] of rows) assert.equal(judge(e, target, direction), expected, name);
});

test('combineRotations cancels an effect of the role: geometric means, and how far the furthest part sat off', () => {
  const est = (median: number, low: number, high: number) => ({ median, low, high, n: 6 });
  // The first-started side read 8 % low in one part and 8 % high in another: the role, not the code.
  const c = combineRotations([est(0.92, 0.9, 0.94), est(1.08, 1.06, 1.1), est(1, 0.98, 1.02)]);
  const cube = (a: number, b: number, d: number) => Math.cbrt(a * b * d);
  assert.ok(Math.abs(c.median - cube(0.92, 1.08, 1)) < 1e-12);
  assert.ok(Math.abs(c.low - cube(0.9, 1.06, 0.98)) < 1e-12);
  assert.ok(Math.abs(c.high - cube(0.94, 1.1, 1.02)) < 1e-12);
  assert.equal(c.n, 18);
  assert.ok(Math.abs(c.roleEffect - (1.08 / c.median - 1)) < 1e-12);
  const same = combineRotations([est(0.97, 0.95, 0.99), est(0.97, 0.95, 0.99)]);
  assert.ok(Math.abs(same.median - 0.97) < 1e-12 && same.roleEffect < 1e-12);
  assert.throws(() => combineRotations([]), /nothing/);
});

test('judgeWithControl decides only when the control reads 1 within the tolerance', () => {
  const est = (median: number, half: number) => ({ median, low: median - half, high: median + half, n: 18 });
  const rows: Array<[string, ReturnType<typeof est>, ReturnType<typeof est>, string]> = [
    ['control tight around 1, estimate above', est(0.99, 0.02), est(1.0, 0.02), 'PASS'],
    ['control tight, estimate below', est(0.9, 0.02), est(1.01, 0.03), 'FAIL'],
    ['control tight, estimate spans the target', est(0.95, 0.02), est(1.0, 0.02), 'NOT TRUSTWORTHY'],
    ['control off by 9 %: the method is biased here', est(1.09, 0.02), est(1.09, 0.03), 'NOT TRUSTWORTHY'],
    ['control centred but too wide to resolve 5 %', est(1.0, 0.01), est(1.0, 0.06), 'NOT TRUSTWORTHY'],
    ['control exactly at the edge of the tolerance', est(0.99, 0.02), est(0.98, 0.03), 'PASS'],
  ];
  for (const [name, e, control, expected] of rows)
    assert.equal(judgeWithControl(e, control, 0.95, 'at-least', 0.05).verdict, expected, name);
  assert.match(judgeWithControl(est(1, 0.01), est(1.09, 0.03), 0.95, 'at-least', 0.05).reason, /control.*1\.090/);
});
