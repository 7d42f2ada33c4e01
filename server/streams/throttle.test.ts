import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { Deadline, RateGate, Throttle } from './throttle.ts';

test('Throttle: the first trigger runs at once, triggers in the interval collapse into one trailing run', () => {
  const clock = new FakeClock();
  let runs = 0;
  const throttle = new Throttle(100, () => runs++, clock);
  throttle.trigger();
  assert.equal(runs, 1);
  throttle.trigger();
  throttle.trigger();
  clock.advance(99);
  assert.equal(runs, 1);
  clock.advance(1);
  assert.equal(runs, 2, 'one trailing run for the two triggers');
  clock.advance(100);
  assert.equal(runs, 2, 'nothing pending, no run');
  throttle.trigger();
  throttle.trigger();
  throttle.cancel();
  clock.advance(1000);
  assert.equal(runs, 3, 'cancel drops the trailing run');
});

test('RateGate: true at most once per interval, at the edge again', () => {
  const gate = new RateGate(500);
  const table: [number, boolean][] = [
    [1000, true],
    [1499, false],
    [1500, true],
    [1500, false],
    [2000, true],
  ];
  for (const [now, expected] of table) assert.equal(gate.tryTake(now), expected, `at ${now}`);
});

test('Deadline: fires once after ms; start pushes it back, cancel stops it', () => {
  const clock = new FakeClock();
  let fired = 0;
  const deadline = new Deadline(clock, () => fired++);
  deadline.start(100);
  clock.advance(60);
  deadline.start(100);
  clock.advance(99);
  assert.equal(fired, 0, 'restarted at 60 ms: due at 160 ms');
  clock.advance(1);
  assert.equal(fired, 1);
  clock.advance(1000);
  assert.equal(fired, 1, 'one shot');
  deadline.start(10);
  deadline.cancel();
  clock.advance(1000);
  assert.equal(fired, 1);
  assert.equal(clock.pendingTimers, 0);
});
