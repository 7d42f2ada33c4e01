import assert from 'node:assert/strict';
import { test } from 'node:test';
import { homeAt, longestAbsenceMs, longestGapMs, percentile, recoveryMs } from './move-figures.ts';

test('longestGapMs: the longest stretch without a paint, the window edges included', () => {
  assert.equal(longestGapMs([100, 133, 166, 900, 933], 100, 1000), 734);
  assert.equal(longestGapMs([100, 133], 100, 2000), 1867, 'nothing painted up to the end');
  assert.equal(longestGapMs([500, 533], 0, 600), 500, 'nothing painted from the start');
  assert.equal(longestGapMs([], 0, 300), 300);
  assert.equal(longestGapMs([50, 2000, 2033], 100, 1000), 900, 'paints outside the window are not counted');
});

test('recoveryMs: from the signal to the first paint after the first socket opened since', () => {
  const paints = [900, 1000, 1100, 2500, 2533];
  assert.equal(recoveryMs(1000, [200, 2400], paints), 1500);
  assert.equal(recoveryMs(1000, [200], paints), null, 'no socket opened since');
  assert.equal(recoveryMs(1000, [2600], paints), null, 'nothing painted since it opened');
  assert.equal(recoveryMs(1000, [1000], paints), 0, 'opened and painted at the signal');
});

test('longestAbsenceMs and homeAt: read from the directory polls', () => {
  const polls = [
    { atMs: 0, home: 'a' },
    { atMs: 200, home: 'a' },
    { atMs: 400, home: null },
    { atMs: 600, home: null },
    { atMs: 800, home: 'b' },
    { atMs: 1000, home: null },
    { atMs: 1200, home: 'c' },
  ];
  assert.equal(longestAbsenceMs(polls), 600);
  assert.equal(longestAbsenceMs(polls.slice(0, 2)), 0, 'never missing');
  assert.deepEqual(
    [-1, 0, 500, 800, 1100, 5000].map((at) => homeAt(polls, at)),
    [null, 'a', 'a', 'b', 'b', 'c'],
  );
});

test('percentile: nearest rank', () => {
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile([5, 1, 3, 2, 4], 100), 5);
  assert.equal(percentile([7], 50), 7);
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
  assert.throws(() => percentile([], 50), RangeError);
});
