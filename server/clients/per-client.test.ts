import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConnectionCaps, RatePerClient } from './per-client.ts';

test('ConnectionCaps: up to the cap per client, others unaffected, a release frees a slot, idle keys dropped', () => {
  const caps = new ConnectionCaps(2);
  assert.equal(caps.tryAcquire('a'), true);
  assert.equal(caps.tryAcquire('a'), true);
  assert.equal(caps.tryAcquire('a'), false, 'third over a cap of 2');
  assert.equal(caps.tryAcquire('b'), true, 'another client has its own cap');
  caps.release('a');
  assert.equal(caps.openFor('a'), 1);
  assert.equal(caps.tryAcquire('a'), true);
  caps.release('a');
  caps.release('a');
  caps.release('b');
  assert.equal(caps.clients, 0, 'no key kept at zero');
  caps.release('never-seen');
  assert.equal(caps.openFor('never-seen'), 0);
});

test('RatePerClient: at most maxEvents per window per client, with the wait until the next slot', () => {
  const rate = new RatePerClient(3, 60_000);
  assert.deepEqual(rate.tryTake('a', 0), { ok: true });
  assert.deepEqual(rate.tryTake('a', 10), { ok: true });
  assert.deepEqual(rate.tryTake('a', 20), { ok: true });
  assert.deepEqual(rate.tryTake('a', 30), { ok: false, retryAfterMs: 59_970 });
  assert.deepEqual(rate.tryTake('b', 30), { ok: true }, 'per client');
  assert.deepEqual(rate.tryTake('a', 59_999), { ok: false, retryAfterMs: 1 });
  assert.deepEqual(rate.tryTake('a', 60_000), { ok: true }, 'the first event left the window');
});

test('RatePerClient: idle clients are swept once the map is full', () => {
  const rate = new RatePerClient(1, 1000, 3);
  rate.tryTake('a', 0);
  rate.tryTake('b', 0);
  rate.tryTake('c', 600);
  rate.tryTake('d', 1500);
  assert.equal(rate.clients, 2, 'a and b were idle for a whole window and are gone; c and d stay');
});
