import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RELAY_DELAY_HOLD_MS, RelayDelay } from './relay-delay.ts';

test('RelayDelay: lateness above the fastest recent arrival, held for a while, reset with the timeline', () => {
  const d = new RelayDelay();
  const t0 = 1_000_000;
  // Frames on time (arrival - timestamp constant, jitter of a few ms): no relay delay.
  assert.equal(d.observe(t0, 0), 0);
  assert.equal(d.observe(t0 + 33, 33_000), 0);
  assert.equal(d.observe(t0 + 70, 66_000), 4);
  // A frame handled 1.5 s late.
  assert.equal(d.observe(t0 + 1600, 99_000), 1501);
  // Held while on-time frames follow, within RELAY_DELAY_HOLD_MS ...
  assert.equal(d.observe(t0 + 1633, 1_600_000), 1501);
  // ... then forgotten.
  assert.equal(d.observe(t0 + 1601 + RELAY_DELAY_HOLD_MS + 1, 1_600_000 + RELAY_DELAY_HOLD_MS * 1000), 2);
  d.reset();
  assert.equal(d.observe(t0 + 9000, 0), 0, 'a new timeline starts a new baseline');
});
