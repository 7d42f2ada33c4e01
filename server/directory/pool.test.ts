import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachLimited } from './pool.ts';

test('forEachLimited never exceeds the limit and runs every item', async () => {
  for (const [count, limit] of [
    [0, 3],
    [1, 3],
    [10, 3],
    [5, 1],
    [4, 10],
  ] as const) {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachLimited(
      Array.from({ length: count }, (_, i) => i),
      limit,
      async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise<void>((resolve) => setImmediate(resolve));
        inFlight--;
        done.push(i);
      },
    );
    assert.equal(done.length, count, `count ${count}`);
    assert.ok(peak <= limit, `peak ${peak} > limit ${limit}`);
    if (count >= limit) assert.equal(peak, limit, `count ${count} limit ${limit} should saturate`);
  }
});

test('forEachLimited: one slow task does not hold the others', async () => {
  let releaseSlow!: () => void;
  const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
  const finished: number[] = [];
  const all = forEachLimited([0, 1, 2, 3, 4], 2, async (i) => {
    if (i === 0) await slow;
    finished.push(i);
    if (finished.length === 4) releaseSlow();
  });
  await all;
  assert.deepEqual(finished, [1, 2, 3, 4, 0]);
});
