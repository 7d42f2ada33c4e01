import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { HEARTBEAT_SLICE_SOCKETS, SocketSet } from './socket-set.ts';

/** Just what the heartbeat touches: pings and cuts are counted, pong/close are emitted by the test. */
class FakeSocket extends EventEmitter {
  readonly CLOSED = 3 as const;
  readyState: 0 | 1 | 2 | 3 = 1;
  pings = 0;
  terminated = false;
  ping(): void {
    this.pings++;
  }
  terminate(): void {
    this.terminated = true;
  }
}

/** One event-loop turn: the heartbeat's next slice (queued before this) has run when it resolves. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('the heartbeat pings in slices of HEARTBEAT_SLICE_SOCKETS per turn and cuts sockets that missed the previous pong', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const set = new SocketSet<FakeSocket>(1000);
  t.after(() => set.stop());
  const count = HEARTBEAT_SLICE_SOCKETS * 2 + 50;
  const sockets = Array.from({ length: count }, () => new FakeSocket());
  for (const s of sockets) set.add(s);
  const pinged = () => sockets.filter((s) => s.pings === 1).length;

  t.mock.timers.tick(1000);
  assert.equal(pinged(), HEARTBEAT_SLICE_SOCKETS, 'one slice in the turn the beat fires');
  await turn();
  assert.equal(pinged(), HEARTBEAT_SLICE_SOCKETS * 2, 'the next slice a turn later');
  await turn();
  assert.equal(pinged(), count, 'the rest');

  // All but the first socket answer; one closes meanwhile and leaves the set.
  for (const s of sockets.slice(1)) s.emit('pong');
  sockets[2]!.emit('close');
  t.mock.timers.tick(1000);
  await turn();
  await turn();
  assert.equal(sockets[0]!.terminated, true, 'no pong since the last ping: cut');
  assert.equal(sockets.filter((s) => s.terminated).length, 1);
  assert.equal(sockets[2]!.pings, 1, 'a closed socket is not pinged again');
  assert.equal(sockets[1]!.pings, 2);
  assert.equal(set.size, count - 1);
});
