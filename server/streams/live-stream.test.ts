import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import {
  CHAT_HISTORY_MESSAGES,
  CloseCode,
  encodeControl,
  encodeFrame,
  type ServerToViewer,
} from '../../shared/protocol.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { FakePeer } from '../../test/support/fake-peer.ts';
import { StreamRegistry } from './registry.ts';
import type { RelayLimits } from './relay-limits.ts';

const limits: RelayLimits = {
  maxFrameBytes: 2000,
  maxAudioFrameBytes: 500,
  gopMaxFrames: 100,
  gopMaxBytes: 100_000,
  viewerMaxBacklogBytes: 5000,
  viewerMaxLagMs: 2000,
  slowViewerCloseMs: 10_000,
  keyframeRequestIntervalMs: 1000,
  viewerCountIntervalMs: 1000,
  publishGraceMs: 15_000,
  publishStartTimeoutMs: 60_000,
  wsMaxBadMessages: 10,
  wsBadMessageWindowMs: 10_000,
};
const config = { codec: 'vp8', codedWidth: 320, codedHeight: 180 };

function setup(overrides: Partial<RelayLimits> = {}) {
  const clock = new FakeClock();
  const registry = new StreamRegistry({
    limits: { ...limits, ...overrides },
    clock,
    log: pino({ level: 'silent' }),
    machineId: '0123456789abcd',
    region: 'dfw',
    maxStreams: 3,
    maxPendingStreams: 3,
  });
  const created = registry.create({ title: 'Test', creator: 'alice' });
  assert.ok(created.ok);
  const stream = created.stream;
  const pubPeer = new FakePeer();
  const publisher = stream.connectPublisher(pubPeer);
  publisher.onText(encodeControl({ type: 'config', config }));
  let ts = 1_000_000;
  /** Publishes one frame (keyframe every `gop` frames) of `bytes` payload bytes; returns its timestamp. */
  const publish = (keyframe: boolean, bytes = 100, advanceMs = 33) => {
    ts += 33_333;
    publisher.onBinary(
      encodeFrame({ keyframe, timestampUs: ts, payload: new Uint8Array(bytes).fill(keyframe ? 1 : 2) }),
    );
    clock.advance(advanceMs);
    return ts;
  };
  return { clock, registry, stream, pubPeer, publisher, publish };
}

const _types = (messages: ServerToViewer[]) => messages.map((m) => m.type);

test('a late joiner gets hello, then the cached GOP starting at its keyframe, then live frames', () => {
  const { stream, publish } = setup();
  publish(false); // before any keyframe: dropped
  const k1 = publish(true);
  const d1 = publish(false);
  const k2 = publish(true);
  const d2 = publish(false);
  const d3 = publish(false);
  const peer = new FakePeer();
  stream.addViewer(peer);
  assert.equal(peer.order[0], 'text');
  const hello = peer.viewerMessages()[0]!;
  assert.equal(hello.type, 'hello');
  if (hello.type === 'hello') {
    assert.deepEqual(hello.config, config);
    assert.equal(hello.machineId, '0123456789abcd');
    assert.equal(hello.stream.machineId, '0123456789abcd');
    assert.equal(hello.stream.title, 'Test');
    assert.equal(hello.viewers, 1);
    assert.equal(hello.publisherConnected, true);
  }
  const gop = peer.frames();
  assert.deepEqual(
    gop.map((f) => f.timestampUs),
    [k2, d2, d3],
    'only the last group, from its keyframe',
  );
  assert.equal(gop[0]!.keyframe, true);
  const live = publish(false);
  assert.deepEqual(
    peer.frames().map((f) => f.timestampUs),
    [k2, d2, d3, live],
  );
  assert.ok(k1 < d1);
});

test('every viewer gets the very same frame buffer (stored once, never copied per viewer)', () => {
  const { stream, publish } = setup();
  const a = new FakePeer();
  const b = new FakePeer();
  stream.addViewer(a);
  stream.addViewer(b);
  publish(true);
  publish(false);
  assert.equal(a.binaries.length, 2);
  assert.equal(a.binaries[0], b.binaries[0]);
  assert.equal(a.binaries[1], b.binaries[1]);
});

test('a viewer joining with no keyframe cached waits for one and triggers a throttled keyframe request', () => {
  const { stream, pubPeer, publish, clock } = setup();
  const requests = () => pubPeer.publisherMessages().filter((m) => m.type === 'keyframe-request').length;
  const v1 = new FakePeer();
  stream.addViewer(v1);
  assert.equal(requests(), 1);
  stream.addViewer(new FakePeer());
  assert.equal(requests(), 1, 'second request within a second is suppressed');
  publish(false);
  assert.equal(v1.binaries.length, 0, 'no delta frame before a keyframe');
  clock.advance(1000);
  stream.addViewer(new FakePeer());
  assert.equal(requests(), 2);
  const k = publish(true);
  assert.deepEqual(
    v1.frames().map((f) => [f.keyframe, f.timestampUs]),
    [[true, k]],
  );
});

test('a decoder error keyframe request from a viewer is throttled to one a second', () => {
  const { stream, pubPeer, publish, clock } = setup();
  publish(true);
  const v = stream.addViewer(new FakePeer());
  const count = () => pubPeer.publisherMessages().filter((m) => m.type === 'keyframe-request').length;
  v.onText('{"type":"keyframe-request"}');
  v.onText('{"type":"keyframe-request"}');
  assert.equal(count(), 1);
  clock.advance(999);
  v.onText('{"type":"keyframe-request"}');
  assert.equal(count(), 1);
  clock.advance(1);
  v.onText('{"type":"keyframe-request"}');
  assert.equal(count(), 2);
});

test('a stalled viewer is skipped to the next keyframe and closed after slowViewerCloseMs; a healthy one gets every frame', () => {
  const { stream, publish, registry } = setup();
  const healthy = new FakePeer();
  const stalled = new FakePeer();
  publish(true);
  const h = stream.addViewer(healthy);
  stream.addViewer(stalled);
  const sent: number[] = [];
  sent.push(publish(false));
  // The stalled client stops reading: its socket backlog grows past the limit.
  stalled.bufferedAmount = 6000;
  let closedAt = -1;
  for (let i = 0; i < 400; i++) {
    sent.push(publish(i % 60 === 0));
    h.onText(encodeControl({ type: 'ack', timestampUs: sent.at(-1)! }));
    if (stalled.closed && closedAt < 0) closedAt = i;
  }
  assert.equal(healthy.binaries.length, 1 + sent.length, 'healthy viewer got every frame (GOP + live)');
  assert.equal(stalled.binaries.length, 2, 'stalled viewer got nothing after it fell behind');
  assert.deepEqual(stalled.closed, { code: CloseCode.tooSlow, reason: 'viewer too slow' });
  // 33 ms a frame: closed after ~10 s behind (303 frames), not before.
  assert.ok(closedAt >= 300 && closedAt <= 305, `closed at frame ${closedAt}`);
  const stats = registry.stats();
  assert.equal(stats.slowViewersClosed, 1);
  assert.equal(stats.viewers, 1);
  assert.ok(stats.framesSkipped >= 300);
});

test('a viewer that falls behind by its acks resumes at a keyframe once it catches up', () => {
  const { stream, publish } = setup();
  publish(true);
  const peer = new FakePeer();
  const v = stream.addViewer(peer);
  const first = publish(false);
  v.onText(encodeControl({ type: 'ack', timestampUs: first }));
  // 70 frames (~2.3 s) sent without any newer ack: over viewerMaxLagMs (2 s).
  for (let i = 0; i < 70; i++) publish(false);
  const before = peer.binaries.length;
  const skippedDelta = publish(false);
  assert.equal(peer.binaries.length, before, 'skipped while behind');
  // It catches up (acks the last frame it got), but must wait for a keyframe.
  v.onText(encodeControl({ type: 'ack', timestampUs: peer.frames().at(-1)!.timestampUs }));
  publish(false);
  assert.equal(peer.binaries.length, before, 'no delta frame after a skip');
  const k = publish(true);
  assert.equal(peer.frames().at(-1)!.timestampUs, k);
  assert.equal(peer.frames().at(-1)!.keyframe, true);
  assert.ok(skippedDelta < k);
});

test('chat: numbered, in order to viewers and publisher, rate-limited with an error, history of 50 for late joiners', () => {
  const { stream, pubPeer, publisher, clock } = setup();
  const aPeer = new FakePeer();
  const bPeer = new FakePeer();
  const a = stream.addViewer(aPeer);
  const b = stream.addViewer(bPeer);
  a.onText(encodeControl({ type: 'chat', text: 'one', name: 'ann' }));
  b.onText(encodeControl({ type: 'chat', text: 'two' }));
  publisher.onText(encodeControl({ type: 'chat', text: 'three' }));
  const chats = (p: FakePeer) =>
    p.viewerMessages().flatMap((m) => (m.type === 'chat' ? [[m.seq, m.name, m.text, m.role]] : []));
  const expected = [
    [1, 'ann', 'one', 'viewer'],
    [2, 'viewer', 'two', 'viewer'],
    [3, 'alice', 'three', 'creator'],
  ];
  assert.deepEqual(chats(aPeer), expected);
  assert.deepEqual(chats(bPeer), expected);
  assert.deepEqual(
    pubPeer.publisherMessages().flatMap((m) => (m.type === 'chat' ? [[m.seq, m.name, m.text, m.role]] : [])),
    expected,
  );

  for (let i = 0; i < 5; i++) a.onText(encodeControl({ type: 'chat', text: `a${i}` }));
  const errors = aPeer.viewerMessages().filter((m) => m.type === 'error');
  assert.equal(errors.length, 1, 'the sixth message in 10 s gets an error, not silence');
  assert.equal(errors[0]!.type === 'error' && errors[0]!.code, 'rate-limited');
  assert.ok(errors[0]!.type === 'error' && errors[0]!.retryAfterMs! > 0);
  assert.equal(chats(bPeer).length, 7, 'the refused one was not broadcast');

  a.onText(encodeControl({ type: 'chat', text: 'x'.repeat(501) }));
  const tooLong = aPeer
    .viewerMessages()
    .filter((m) => m.type === 'error')
    .at(-1)!;
  assert.equal(tooLong.type === 'error' && tooLong.code, 'chat-invalid');

  for (let i = 0; i < 60; i++) {
    clock.advance(2001);
    b.onText(encodeControl({ type: 'chat', text: `m${i}` }));
  }
  const late = new FakePeer();
  stream.addViewer(late);
  const hello = late.viewerMessages()[0]!;
  assert.ok(hello.type === 'hello');
  if (hello.type === 'hello') {
    assert.equal(hello.chat.length, CHAT_HISTORY_MESSAGES);
    assert.equal(hello.chat[0]!.text, 'm10');
    assert.equal(hello.chat.at(-1)!.text, 'm59');
    assert.deepEqual(
      hello.chat.map((c) => c.seq),
      Array.from({ length: 50 }, (_, i) => 18 + i),
    );
  }
});

test('publisher reconnects within the grace period: viewers stay and continue from the next keyframe', () => {
  const { stream, pubPeer, publisher, publish, clock, registry } = setup();
  publish(true);
  const viewer = new FakePeer();
  stream.addViewer(viewer);
  publisher.onClose();
  assert.equal(stream.state, 'grace');
  assert.deepEqual(viewer.viewerMessages().at(-1), { type: 'publisher', connected: false });
  clock.advance(14_999);
  assert.equal(registry.list().length, 1, 'still listed during grace');
  const pub2 = new FakePeer();
  const session2 = stream.connectPublisher(pub2);
  assert.equal(stream.state, 'live');
  assert.deepEqual(viewer.viewerMessages().at(-1), { type: 'publisher', connected: true });
  session2.onText(encodeControl({ type: 'config', config }));
  assert.deepEqual(viewer.viewerMessages().at(-1), { type: 'config', config });
  const before = viewer.binaries.length;
  session2.onBinary(encodeFrame({ keyframe: false, timestampUs: 5, payload: new Uint8Array([1]) }));
  assert.equal(viewer.binaries.length, before, 'delta before the new keyframe is dropped');
  session2.onBinary(encodeFrame({ keyframe: true, timestampUs: 6, payload: new Uint8Array([1]) }));
  assert.equal(viewer.frames().at(-1)!.timestampUs, 6);
  clock.advance(60_000);
  assert.equal(stream.state, 'live', 'the grace timer was cancelled');
  assert.equal(viewer.closed, null);
  assert.equal(pubPeer.closed, null);
});

test('publisher gone past the grace period: viewers get ended + 1000, the stream leaves the list, its token stops working', () => {
  const { stream, publisher, clock, registry } = setup();
  const viewer = new FakePeer();
  stream.addViewer(viewer);
  let changes = 0;
  registry.onChange(() => changes++);
  publisher.onClose();
  clock.advance(14_999);
  assert.equal(viewer.closed, null);
  clock.advance(1);
  assert.deepEqual(viewer.viewerMessages().at(-1), { type: 'ended', reason: 'publisher-lost' });
  assert.deepEqual(viewer.closed, { code: 1000, reason: 'stream ended' });
  assert.equal(registry.list().length, 0);
  assert.equal(registry.get(stream.id), undefined);
  assert.ok(changes >= 1);
});

test('explicit stop ends at once; a second publisher replaces the first (4009)', () => {
  const { stream, pubPeer } = setup();
  const second = new FakePeer();
  const s2 = stream.connectPublisher(second);
  assert.deepEqual(pubPeer.closed, { code: CloseCode.replaced, reason: 'replaced by a newer publisher connection' });
  assert.equal(stream.state, 'live');
  const viewer = new FakePeer();
  stream.addViewer(viewer);
  s2.onText('{"type":"stop"}');
  assert.equal(stream.state, 'ended');
  assert.deepEqual(viewer.viewerMessages().at(-1), { type: 'ended', reason: 'stopped' });
  assert.equal(second.closed?.code, 1000);
});

test('publisher frames: over maxFrameBytes closes 1009, garbage closes 4002, frames before config get one error', () => {
  const { stream, pubPeer, publisher } = setup();
  publisher.onBinary(encodeFrame({ keyframe: true, timestampUs: 1, payload: new Uint8Array(2000 - 10) }));
  assert.equal(pubPeer.closed, null, 'exactly maxFrameBytes is accepted');
  publisher.onBinary(encodeFrame({ keyframe: true, timestampUs: 1, payload: new Uint8Array(2000 - 9) }));
  assert.deepEqual(pubPeer.closed, { code: 1009, reason: 'frame over 2000 bytes' });

  const p2 = new FakePeer();
  const s2 = stream.connectPublisher(p2);
  s2.onBinary(new Uint8Array([9, 9, 9]));
  assert.equal(p2.closed?.code, CloseCode.badMessage);

  const p3 = new FakePeer();
  const s3 = stream.connectPublisher(p3);
  s3.onBinary(encodeFrame({ keyframe: true, timestampUs: 1, payload: new Uint8Array(1) }));
  s3.onBinary(encodeFrame({ keyframe: true, timestampUs: 2, payload: new Uint8Array(1) }));
  const errs = p3.publisherMessages().filter((m) => m.type === 'error');
  assert.equal(errs.length, 1);
  assert.equal(errs[0]!.type === 'error' && errs[0]!.code, 'not-configured');
  s3.onText('{"type":"bogus"}');
  assert.equal(p3.publisherMessages().at(-1)!.type, 'error');
  assert.equal(p3.closed, null, 'a bad control message does not close the socket');
});

test('viewer counts: broadcast and reported at most once a second; a stream created but never published ends', () => {
  const { stream, clock, registry, pubPeer } = setup();
  let changes = 0;
  registry.onChange(() => changes++);
  const peers = Array.from({ length: 5 }, () => new FakePeer());
  const sessions = peers.map((p) => stream.addViewer(p));
  assert.equal(changes, 1, 'first change at once');
  clock.advance(1000);
  assert.equal(changes, 2, 'the burst collapsed into one trailing change');
  assert.equal(registry.list()[0]!.viewers, 5);
  assert.deepEqual(
    pubPeer
      .publisherMessages()
      .filter((m) => m.type === 'viewers')
      .at(-1),
    { type: 'viewers', count: 5 },
  );
  sessions[0]!.onClose();
  clock.advance(5000);
  assert.equal(registry.list()[0]!.viewers, 4);
  assert.equal(changes, 3);

  const idle = registry.create({ title: 'idle', creator: 'bob' });
  assert.ok(idle.ok);
  assert.equal(registry.list().length, 1, 'not listed before its publisher connects');
  clock.advance(60_000);
  assert.equal(registry.get(idle.stream.id), undefined);
});

test('registry: cap on streams gives 503, tokens are checked in constant time, shutdown closes all with 1001 and empties the list', () => {
  const { registry, stream } = setup();
  const token = registry.create({ title: 'b', creator: 'b' });
  const c = registry.create({ title: 'c', creator: 'c' });
  assert.ok(token.ok && c.ok);
  const full = registry.create({ title: 'd', creator: 'd' });
  assert.deepEqual(full, { ok: false, status: 503, error: 'this Machine already hosts its maximum of 3 streams' });
  assert.equal(registry.tokenMatches(token.stream.id, token.publishToken), true);
  assert.equal(registry.tokenMatches(token.stream.id, `${token.publishToken}x`), false);
  assert.equal(registry.tokenMatches(token.stream.id, undefined), false);
  assert.equal(registry.tokenMatches(stream.id, token.publishToken), false, "another stream's token");
  assert.notEqual(token.publishToken, c.publishToken);
  assert.ok(token.publishToken.length >= 43);

  const viewer = new FakePeer();
  stream.addViewer(viewer);
  let lengthSeen = -1;
  registry.onChange(() => (lengthSeen = registry.list().length));
  registry.shutdown();
  assert.equal(lengthSeen, 0, 'listeners told, and the list is empty when they look');
  assert.equal(viewer.closed?.code, 1001);
  const after = registry.create({ title: 'e', creator: 'e' });
  assert.equal(after.ok, false);
  assert.equal(!after.ok && after.status, 503);
});

test('a viewer that never acks is held to the lag rule from its first frame; a GOP burst at join is not lag', () => {
  const { stream, publish, registry } = setup();
  publish(true);
  for (let i = 0; i < 89; i++) publish(false); // a 3 s group of pictures, over viewerMaxLagMs (2 s)
  const joined = new FakePeer();
  const v = stream.addViewer(joined);
  assert.equal(joined.binaries.length, 90, 'the whole GOP');
  publish(false);
  assert.equal(joined.binaries.length, 91, 'not skipped for the burst it was just sent');
  v.onText(encodeControl({ type: 'ack', timestampUs: joined.frames().at(-1)!.timestampUs }));

  const silent = new FakePeer();
  stream.addViewer(silent);
  // The lag is checked before each send: after 61 frames the last one sent is 2.03 s past its live edge.
  for (let i = 0; i < 61; i++) {
    publish(false);
    v.onText(encodeControl({ type: 'ack', timestampUs: joined.frames().at(-1)!.timestampUs }));
  }
  const got = silent.binaries.length;
  assert.equal(got, 91 + 61, 'its GOP, then every live frame until it is 2 s past its live edge');
  publish(false);
  assert.equal(silent.binaries.length, got, 'skipped once 2 s behind without an ack');
  assert.equal(registry.stats().viewersBehindLag, 1);
  assert.equal(joined.binaries.length, 91 + 62, 'the acking viewer got every frame');
  assert.equal(stream.viewerTotal, 2);
});

test('acks beyond what was sent count as caught up', () => {
  const { stream, publish } = setup();
  publish(true);
  const peer = new FakePeer();
  const v = stream.addViewer(peer);
  v.onText(encodeControl({ type: 'ack', timestampUs: Number.MAX_SAFE_INTEGER }));
  for (let i = 0; i < 50; i++) publish(false);
  assert.equal(peer.binaries.length, 51);
});

test('a burst the relay sends late, before it read any ack, skips no healthy viewer; a stalled one among them is skipped once 2 s behind the others', () => {
  const { stream, publish, clock, registry } = setup();
  publish(true);
  const healthy = Array.from({ length: 12 }, () => new FakePeer());
  const sessions = healthy.map((p) => stream.addViewer(p));
  const stalled = new FakePeer();
  stream.addViewer(stalled);
  const ackAll = () => {
    for (const [i, v] of sessions.entries())
      v.onText(encodeControl({ type: 'ack', timestampUs: healthy[i]!.frames().at(-1)!.timestampUs }));
  };
  for (let i = 0; i < 30; i++) {
    publish(false);
    ackAll();
  }
  // The relay's loop is held up for 3 s: the publisher's frames queue and are then relayed 1 ms apart
  // with no ack read in between (the worst case; the relay normally reads acks between frames).
  clock.advance(3000);
  for (let i = 0; i < 90; i++) publish(false, 100, 1);
  ackAll();
  for (let i = 0; i < 100; i++) {
    publish(i % 30 === 0);
    ackAll();
  }
  for (const peer of healthy) assert.equal(peer.binaries.length, 1 + 30 + 90 + 100, 'every frame, burst included');
  // Inside the burst its lag passed 2 s, but the whole audience's lag rose with it (the relay's); once
  // the others' acks came back it stood 4 s behind them, and was skipped from the next frame.
  assert.equal(stalled.binaries.length, 1 + 30 + 90, 'skipped once its lag beyond the audience passed the limit');
  assert.equal(registry.stats().viewersBehindLag, 1, 'only the stalled viewer fell behind');
});

test('a saturated relay whose whole audience falls behind together skips none of it; a viewer that stopped reading still is', () => {
  const { stream, publish, registry } = setup();
  publish(true);
  const peers = Array.from({ length: 20 }, () => new FakePeer());
  const sessions = peers.map((p) => stream.addViewer(p));
  const stalled = new FakePeer();
  stream.addViewer(stalled);
  // Each viewer acks every 15 frames (500 ms) at its own phase what it got `late` frames before: the
  // acks come back later and later, up to 5 s, as from a machine that cannot keep up. Each viewer's lag
  // passes 2 s at its own frame, never most of them at once.
  for (let i = 1; i <= 600; i++) {
    publish(i % 30 === 0);
    const late = Math.min(150, Math.floor(i / 2));
    for (const [k, v] of sessions.entries()) {
      if ((i + k) % 15 !== 0) continue;
      const frames = peers[k]!.frames();
      const acked = frames[frames.length - 1 - late];
      if (acked !== undefined) v.onText(encodeControl({ type: 'ack', timestampUs: acked.timestampUs }));
    }
  }
  for (const peer of peers) assert.equal(peer.binaries.length, 601, 'every frame to everyone in the audience');
  assert.equal(registry.stats().viewersBehindLag, 1, 'only the stalled viewer fell behind');
  // Its lag grows twice as fast as the audience's: 2 s beyond it after about 4.5 s.
  assert.ok(stalled.binaries.length > 100 && stalled.binaries.length < 160, `${stalled.binaries.length} frames`);
});

test('a lone viewer is judged on its own lag: the audience counts from LAG_CROWD_MIN_VIEWERS', () => {
  const { stream, publish, clock } = setup();
  publish(true);
  const alone = new FakePeer();
  stream.addViewer(alone);
  clock.advance(3000);
  for (let i = 0; i < 90; i++) publish(false, 100, 1);
  assert.equal(alone.binaries.length, 1 + 61, 'a burst it never acked is lag when it is the whole audience');
});

test('a viewer that never acks stays behind while the relay runs late, and is closed slowViewerCloseMs after it fell behind', () => {
  const { stream, publish, clock } = setup();
  const start = clock.now();
  publish(true, 100, 0);
  const healthy = new FakePeer();
  const h = stream.addViewer(healthy);
  const silent = new FakePeer();
  stream.addViewer(silent);
  // Every 20th frame the relay handles late (its loop held up 50-300 ms), then it catches up at once.
  const spikesMs = [50, 100, 150, 200, 250, 300];
  let behindAt = -1;
  let framesAfterBehind = 0;
  let closedAt = -1;
  for (let i = 1; i < 30 * 20 && closedAt < 0; i++) {
    const lateMs = i % 20 === 0 ? spikesMs[(i / 20) % spikesMs.length]! : 0;
    clock.advance(Math.max(0, Math.round(start + i * 33.333 + lateMs - clock.now())));
    const before = silent.binaries.length;
    publish(i % 30 === 0, 100, 0);
    h.onText(encodeControl({ type: 'ack', timestampUs: healthy.frames().at(-1)!.timestampUs }));
    if (silent.closed !== null) closedAt = clock.now();
    else if (silent.binaries.length === before && behindAt < 0) behindAt = clock.now();
    else if (silent.binaries.length > before && behindAt >= 0) framesAfterBehind++;
  }
  assert.ok(behindAt - start >= 2000 && behindAt - start <= 2200, `behind ${behindAt - start} ms in`);
  assert.equal(framesAfterBehind, 0, 'no frame (no keyframe either) went to it once it was behind');
  assert.deepEqual(silent.closed, { code: CloseCode.tooSlow, reason: 'viewer too slow' });
  const closedAfterMs = closedAt - behindAt;
  assert.ok(closedAfterMs >= 10_000 && closedAfterMs <= 11_000, `closed ${closedAfterMs} ms after it fell behind`);
});
