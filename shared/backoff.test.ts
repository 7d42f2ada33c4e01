import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelayMs, jitteredIntervalMs } from './backoff.ts';

// The browser's reconnect policy and the server's discovery policy, both exercised here.
const client = { baseMs: 500, maxMs: 10_000 };
const server = { baseMs: 500, maxMs: 30_000 };

test('backoffDelayMs: the ceiling doubles per attempt and stops at maxMs', () => {
  const ceilings = [0, 1, 2, 3, 4, 5, 6, 100, 5000].map((n) => backoffDelayMs(n, client, 1));
  assert.deepEqual(ceilings, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
});

test('backoffDelayMs: table of attempt, random and delay', () => {
  const rows: { policy: typeof client; attempt: number; random: number; ms: number }[] = [
    // Equal jitter: the delay spreads over the upper half of the ceiling.
    { policy: client, attempt: 0, random: 0, ms: 250 },
    { policy: client, attempt: 0, random: 0.5, ms: 375 },
    { policy: client, attempt: 3, random: 0, ms: 2000 },
    { policy: client, attempt: 3, random: 0.999, ms: 3998 },
    { policy: client, attempt: 9, random: 0, ms: 5000 },
    { policy: server, attempt: 0, random: 1, ms: 500 },
    { policy: server, attempt: 0, random: 0, ms: 250 },
    { policy: server, attempt: 1, random: 1, ms: 1000 },
    { policy: server, attempt: 2, random: 1, ms: 2000 },
    { policy: server, attempt: 2, random: 0.5, ms: 1500 },
    { policy: server, attempt: 5, random: 1, ms: 16_000 },
    { policy: server, attempt: 6, random: 1, ms: 30_000 },
    { policy: server, attempt: 99, random: 1, ms: 30_000 },
    { policy: server, attempt: 99, random: 0, ms: 15_000 },
    // Odd inputs stay in range.
    { policy: client, attempt: -3, random: 1, ms: 500 },
    { policy: server, attempt: -1, random: 1, ms: 500 },
    { policy: client, attempt: 1.7, random: 1, ms: 1000 },
    { policy: client, attempt: 0, random: 7, ms: 500 },
    { policy: server, attempt: 0, random: 7, ms: 500 },
    { policy: client, attempt: 0, random: -1, ms: 250 },
  ];
  for (const { policy, attempt, random, ms } of rows) {
    assert.equal(
      backoffDelayMs(attempt, policy, random),
      ms,
      `maxMs=${policy.maxMs} attempt=${attempt} random=${random}`,
    );
  }
});

test('backoffDelayMs with real randomness: every delay lies within [ceiling/2, ceiling]', () => {
  for (let attempt = 0; attempt < 8; attempt++) {
    const ceiling = Math.min(client.maxMs, client.baseMs * 2 ** attempt);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelayMs(attempt, client, Math.random());
      assert.ok(d >= ceiling / 2 && d <= ceiling, `${attempt}: ${d}`);
    }
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
