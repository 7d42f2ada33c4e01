import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs } from './backoff.ts';

test('backoffDelayMs doubles from base, caps at max, jitters between half and all', () => {
  const bounds = { backoffBaseMs: 500, backoffMaxMs: 30_000 };
  const rows: { failures: number; random: number; ms: number }[] = [
    { failures: 1, random: 1, ms: 500 },
    { failures: 1, random: 0, ms: 250 },
    { failures: 2, random: 1, ms: 1000 },
    { failures: 3, random: 1, ms: 2000 },
    { failures: 3, random: 0.5, ms: 1500 },
    { failures: 7, random: 1, ms: 30_000 },
    { failures: 6, random: 1, ms: 16_000 },
    { failures: 100, random: 1, ms: 30_000 },
    { failures: 100, random: 0, ms: 15_000 },
    { failures: 0, random: 1, ms: 500 },
    { failures: 1, random: 7, ms: 500 },
  ];
  for (const { failures, random, ms } of rows) {
    assert.equal(backoffDelayMs(failures, bounds, random), ms, `failures=${failures} random=${random}`);
  }
});
