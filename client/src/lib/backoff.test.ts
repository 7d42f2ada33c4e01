import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs } from './backoff.ts';

const policy = { baseMs: 500, maxMs: 10_000 };

test('the ceiling doubles per attempt and stops at maxMs', () => {
  const ceilings = [0, 1, 2, 3, 4, 5, 6, 100, 5000].map((n) => backoffDelayMs(n, policy, () => 1));
  assert.deepEqual(ceilings, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
});

test('jitter spreads the delay over the upper half of the ceiling', () => {
  assert.equal(backoffDelayMs(0, policy, () => 0), 250);
  assert.equal(backoffDelayMs(0, policy, () => 0.5), 375);
  assert.equal(backoffDelayMs(3, policy, () => 0), 2000);
  assert.equal(backoffDelayMs(3, policy, () => 0.999), 3998);
  assert.equal(backoffDelayMs(9, policy, () => 0), 5000);
});

test('odd inputs stay in range', () => {
  assert.equal(backoffDelayMs(-3, policy, () => 1), 500);
  assert.equal(backoffDelayMs(1.7, policy, () => 1), 1000);
  assert.equal(backoffDelayMs(0, policy, () => 7), 500);
  assert.equal(backoffDelayMs(0, policy, () => -1), 250);
});

test('real randomness: every delay lies within [ceiling/2, ceiling]', () => {
  for (let attempt = 0; attempt < 8; attempt++) {
    const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelayMs(attempt, policy);
      assert.ok(d >= ceiling / 2 && d <= ceiling, `${attempt}: ${d}`);
    }
  }
});
