import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { Announcer } from './announce.ts';

test('a stream first thumbnail is announced at once; newer ones at most once per interval, the last never lost', () => {
  const clock = new FakeClock();
  let announced = 0;
  const a = new Announcer(1000, () => announced++, clock);
  a.changed(['s1']);
  assert.equal(announced, 1, 'first of s1: at once');
  a.changed(['s1']);
  assert.equal(announced, 2, 'a newer one, nothing announced for a while: at once (leading edge)');
  a.changed(['s1']);
  a.changed(['s1']);
  assert.equal(announced, 2, 'within the interval: held');
  a.changed(['s1', 's2']);
  assert.equal(announced, 3, 'first of s2: at once, even within the interval');
  clock.advance(999);
  assert.equal(announced, 3);
  clock.advance(1);
  assert.equal(announced, 4, 'the held ones, together at the end of the interval');
  clock.advance(5000);
  assert.equal(announced, 4, 'nothing more pending');
  // A dropped stream (it ended) that somehow came back counts as a first again.
  a.changed(['s2']);
  a.changed(['s1', 's2']);
  assert.equal(announced, 6);
  a.cancel();
});
