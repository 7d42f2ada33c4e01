import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDLE, onChange, onSettled, PushCoalescer, type PushSlot } from './push-coalescer.ts';

const busy: PushSlot = { inFlight: true, pending: false };
const busyPending: PushSlot = { inFlight: true, pending: true };

test('onChange: send when idle, else one more is due', () => {
  const rows: [string, PushSlot, PushSlot, boolean][] = [
    ['idle: sends', IDLE, busy, true],
    ['in flight: remembered', busy, busyPending, false],
    ['in flight, already due: still one', busyPending, busyPending, false],
  ];
  for (const [name, slot, next, send] of rows) assert.deepEqual(onChange(slot), { slot: next, send }, name);
});

test('onSettled: a change meanwhile means one more push, unless stopping', () => {
  const rows: [string, PushSlot, boolean, PushSlot, boolean][] = [
    ['nothing came in', busy, false, IDLE, false],
    ['a change came in', busyPending, false, IDLE, true],
    ['a change came in while stopping', busyPending, true, { inFlight: false, pending: true }, false],
    ['nothing came in, stopping', busy, true, IDLE, false],
  ];
  for (const [name, slot, stopped, next, again] of rows) {
    assert.deepEqual(onSettled(slot, stopped), { slot: next, again }, name);
  }
});

/** A send the test settles by hand, peer by peer, in order. */
function harness() {
  const sent: string[] = [];
  const waiting: (() => void)[] = [];
  let stopped = false;
  const coalescer = new PushCoalescer(
    (id) => {
      sent.push(id);
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    () => stopped,
  );
  /** Settles the oldest push on the wire and lets its follow-up (if any) start. */
  const settle = async () => {
    waiting.shift()!();
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return { coalescer, sent, settle, stop: () => (stopped = true), onWire: () => waiting.length };
}

test('PushCoalescer: a burst while a push is on the wire collapses into one more push', async () => {
  const h = harness();
  h.coalescer.push('p');
  h.coalescer.push('p');
  h.coalescer.push('p');
  h.coalescer.push('q');
  assert.deepEqual(h.sent, ['p', 'q'], 'one push per peer on the wire');
  await h.settle(); // p's first push
  assert.deepEqual(h.sent, ['p', 'q', 'p'], 'the two changes behind it became one push');
  await h.settle(); // q
  await h.settle(); // p's second push
  assert.equal(h.onWire(), 0);
  assert.deepEqual(h.sent, ['p', 'q', 'p']);
  h.coalescer.push('p');
  assert.deepEqual(h.sent, ['p', 'q', 'p', 'p'], 'idle again: a change is sent at once');
});

test('PushCoalescer: once stopped, a pending change is not pushed', async () => {
  const h = harness();
  h.coalescer.push('p');
  h.coalescer.push('p');
  h.stop();
  await h.settle();
  assert.deepEqual(h.sent, ['p']);
  assert.equal(h.onWire(), 0);
});

test('PushCoalescer: a forgotten peer starts afresh', async () => {
  const h = harness();
  h.coalescer.push('p');
  h.coalescer.retain((id) => id !== 'p');
  // Its old push is still on the wire, but the new slot knows nothing of it.
  h.coalescer.push('p');
  assert.deepEqual(h.sent, ['p', 'p']);
  await h.settle();
  await h.settle();
  assert.equal(h.onWire(), 0);
});
