import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judge, medianEstimate, quantile } from './verdict.ts';

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
