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

test('the heartbeat pings quiet sockets in slices of HEARTBEAT_SLICE_SOCKETS per turn and cuts those that missed the previous pong', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const set = new SocketSet<FakeSocket>(1000);
  t.after(() => set.stop());
  const count = HEARTBEAT_SLICE_SOCKETS * 2 + 50;
  const sockets = Array.from({ length: count }, () => new FakeSocket());
  for (const s of sockets) set.add(s);
  const pinged = () => sockets.filter((s) => s.pings === 1).length;
  const beat = async () => {
    t.mock.timers.tick(1000);
    await turn();
    await turn();
  };

  await beat();
  assert.equal(pinged(), 0, 'just added counts as heard: no ping in the first beat');

  t.mock.timers.tick(1000);
  assert.equal(pinged(), HEARTBEAT_SLICE_SOCKETS, 'quiet for an interval: one slice pinged in the turn the beat fires');
  await turn();
  assert.equal(pinged(), HEARTBEAT_SLICE_SOCKETS * 2, 'the next slice a turn later');
  await turn();
  assert.equal(pinged(), count, 'the rest');

  // All but the first socket answer; one closes meanwhile and leaves the set.
  for (const s of sockets.slice(1)) s.emit('pong');
  sockets[2]!.emit('close');
  await beat();
  assert.equal(sockets[0]!.terminated, true, 'no pong since the last ping: cut');
  assert.equal(sockets.filter((s) => s.terminated).length, 1);
  assert.equal(sockets[1]!.pings, 1, 'a pong counts as heard: not pinged again in the next beat');
  await beat();
  assert.equal(sockets[2]!.pings, 1, 'a closed socket is not pinged again');
  assert.equal(sockets[1]!.pings, 2, 'quiet again for an interval: pinged');
  assert.equal(set.size, count - 1);
});

test('a socket that keeps sending (acks, frames) is never pinged, and one that goes silent is cut two beats after its ping', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const set = new SocketSet<FakeSocket>(1000);
  t.after(() => set.stop());
  const talker = new FakeSocket();
  const silent = new FakeSocket();
  set.add(talker);
  set.add(silent);
  const beat = async () => {
    t.mock.timers.tick(1000);
    await turn();
  };
  for (let i = 0; i < 5; i++) {
    talker.emit('message');
    await beat();
  }
  assert.equal(talker.pings, 0);
  assert.equal(talker.terminated, false);
  assert.equal(silent.pings, 1, 'pinged once, at the second beat');
  assert.equal(silent.terminated, true, 'cut at the third');
});
