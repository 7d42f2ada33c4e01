import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, jitteredIntervalMs } from './backoff.ts';

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

test('jitteredIntervalMs spreads rounds within +-ratio of the interval', () => {
  const rows: { interval: number; ratio: number; random: number; ms: number }[] = [
    { interval: 5000, ratio: 0.1, random: 0, ms: 4500 },
    { interval: 5000, ratio: 0.1, random: 0.5, ms: 5000 },
    { interval: 5000, ratio: 0.1, random: 1, ms: 5500 },
    { interval: 5000, ratio: 0, random: 0.9, ms: 5000 },
    { interval: 1000, ratio: 2, random: 0, ms: 0 },
    { interval: 1000, ratio: 0.1, random: -3, ms: 900 },
  ];
  for (const { interval, ratio, random, ms } of rows) {
    assert.equal(jitteredIntervalMs(interval, ratio, random), ms, `${interval} ${ratio} ${random}`);
  }
});
