import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { CloseCode, encodeControl } from '../../shared/protocol.ts';
import { logCapture } from '../../test/support/app.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { FakePeer } from '../../test/support/fake-peer.ts';
import { loadConfig } from '../config.ts';
import { goAway } from './going-away.ts';
import { StreamRegistry } from './registry.ts';

const config = { codec: 'vp8', codedWidth: 320, codedHeight: 180 };
const HOME = { machineId: 'fedcba98765432', region: 'dfw' };

/** One live stream with a publisher (a browser's when `movable`) and one viewer, on a registry going away. */
function setup(movable: boolean) {
  const log = logCapture();
  const registry = new StreamRegistry({
    limits: loadConfig({}).streams,
    clock: new FakeClock(),
    log: pino({ level: 'info' }, log),
    machineId: '0123456789abcd',
    region: 'ams',
    maxStreams: 5,
    maxPendingStreams: 5,
  });
  const created = registry.create({ title: 't', creator: 'c' });
  assert.ok(created.ok);
  const publisher = new FakePeer();
  created.stream.connectPublisher(publisher, movable).onText(encodeControl({ type: 'config', config }));
  const viewer = new FakePeer();
  created.stream.addViewer(viewer);
  const wss = { clients: new Set<never>(), close: () => {} };
  const run = (canMove: boolean, drainTimeoutMs: number, poll?: () => Promise<void>) =>
    goAway({ registry, wss: wss as never, canMove, drainTimeoutMs, log: pino({ level: 'info' }, log), poll });
  const closed = log.lines;
  return { registry, id: created.stream.id, publisher, viewer, run, closed };
}

const types = (peer: FakePeer) => peer.texts.map((t) => (JSON.parse(t) as { type: string }).type);

test('a stream that can move: move to the publisher, viewers kept until a poll finds the new home, then moved + 1001', async () => {
  const s = setup(true);
  let polls = 0;
  await s.run(true, 10_000, async () => {
    polls++;
    assert.equal(s.viewer.closed, null, 'the viewer stays while the stream moves');
    if (polls === 2) s.registry.handOver(s.id, HOME);
  });
  assert.equal(polls, 2);
  assert.deepEqual(types(s.publisher).slice(-1), ['move']);
  assert.equal(s.publisher.closed?.code, CloseCode.goingAway);
  assert.deepEqual(types(s.viewer).slice(-2), ['publisher', 'moved']);
  assert.equal(s.viewer.closed?.code, CloseCode.goingAway);
  assert.equal(s.closed.find((l) => l.msg === 'sockets closed')?.movedInTime, true);
});

test('a new home not known within half the drain time: viewers get a plain 1001 (they ask the directory)', async () => {
  const s = setup(true);
  let polls = 0;
  const began = Date.now();
  await s.run(true, 200, async () => {
    polls++;
  });
  assert.ok(Date.now() - began >= 100, 'it waited half the drain time');
  assert.ok(polls >= 1);
  assert.ok(!types(s.viewer).includes('moved'));
  assert.equal(s.viewer.closed?.code, CloseCode.goingAway);
  assert.equal(s.closed.find((l) => l.msg === 'sockets closed')?.movedInTime, false);
});

test('nothing moves off Fly (or without a shared secret), nor a stream whose publisher cannot resume: 1001 at once', async () => {
  for (const [what, canMove, movable] of [
    ['cannot move', false, true],
    ['a demo publisher', true, false],
  ] as const) {
    const s = setup(movable);
    let polls = 0;
    await s.run(canMove, 10_000, async () => {
      polls++;
    });
    assert.equal(polls, 0, what);
    assert.ok(!types(s.publisher).includes('move'), what);
    assert.equal(s.publisher.closed?.code, CloseCode.goingAway, what);
    assert.equal(s.viewer.closed?.code, CloseCode.goingAway, what);
    assert.equal(s.registry.holds(s.id), null, what);
  }
});
