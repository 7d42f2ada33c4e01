import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { CloseCode, encodeControl, encodeFrame, type ServerToViewer } from '../../shared/protocol.ts';
import { logCapture } from '../../test/support/app.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { FakePeer } from '../../test/support/fake-peer.ts';
import { loadConfig } from '../config.ts';
import { decideRefusal } from './refusals.ts';
import { StreamRegistry } from './registry.ts';

test('decideRefusal: close past the budget, silence over the backlog limit, a reply otherwise', () => {
  const rows: Array<[boolean, number, 'reply' | 'skip' | 'close']> = [
    [true, 0, 'reply'],
    [true, 1000, 'reply'], // at the limit
    [true, 1001, 'skip'],
    [false, 0, 'close'],
    [false, 5000, 'close'],
  ];
  for (const [within, buffered, expected] of rows) {
    assert.equal(decideRefusal(within, buffered, 1000), expected, `${within} ${buffered}`);
  }
});

const { streams: defaults } = loadConfig({});
const MAX = defaults.wsMaxBadMessages;
const WINDOW_MS = defaults.wsBadMessageWindowMs;

function setup() {
  const clock = new FakeClock();
  const logs = logCapture();
  // The defaults, so each edge below is the one a deployment gets.
  const { maxStreams, maxPendingStreams, ...limits } = defaults;
  const registry = new StreamRegistry({
    limits,
    clock,
    log: pino({ level: 'info' }, logs),
    machineId: '0123456789abcd',
    region: 'ams',
    maxStreams,
    maxPendingStreams,
  });
  const created = registry.create({ title: 'Test', creator: 'alice' });
  assert.ok(created.ok);
  return { clock, logs, stream: created.stream, limits };
}

const errorsOf = (peer: FakePeer) =>
  peer.viewerMessages().filter((m): m is Extract<ServerToViewer, { type: 'error' }> => m.type === 'error');
// A call, not a property read: the compiler would keep a `closed === null` assertion's narrowing.
const closeCode = (peer: FakePeer) => peer.closed?.code;
const closeLogs = (logs: ReturnType<typeof logCapture>) =>
  logs.lines.filter((l) => l.msg === 'closing a socket that sent too many refused messages');

test(`a viewer may send ${MAX} refused messages per window, each answered; one more closes it with 1008, logged once`, () => {
  const { stream, logs } = setup();
  const peer = new FakePeer();
  const viewer = stream.addViewer(peer);
  for (let i = 0; i < MAX; i++) viewer.onText('z');
  assert.equal(errorsOf(peer).length, MAX);
  assert.equal(peer.closed, null, 'exactly at the budget: still open');
  assert.equal(stream.viewerTotal, 1);

  viewer.onText('z');
  assert.deepEqual(peer.closed, { code: CloseCode.policy, reason: 'too many refused messages' });
  assert.equal(errorsOf(peer).length, MAX, 'no reply to the message over the budget');
  assert.equal(stream.viewerTotal, 0, 'the viewer left the stream');
  for (let i = 0; i < 100; i++) viewer.onText('z');
  viewer.onBinary();
  const logged = closeLogs(logs);
  assert.equal(logged.length, 1);
  assert.equal(logged[0]!.level, 30, 'info');
  assert.equal(logged[0]!.role, 'viewer');
  assert.equal(logged[0]!.stream, stream.id);
});

test('the budget is per window: refusals spread over time are each answered', () => {
  const { stream, clock } = setup();
  stream.connectPublisher(new FakePeer()); // else the stream ends at its start timeout meanwhile
  const peer = new FakePeer();
  const viewer = stream.addViewer(peer);
  for (let i = 0; i < 3 * MAX; i++) {
    viewer.onText('z');
    clock.advance(WINDOW_MS / MAX);
  }
  assert.equal(peer.closed, null);
  assert.equal(errorsOf(peer).length, 3 * MAX);
});

test('every kind of refused message counts: viewer binary, bad chat, chat over the rate', () => {
  const { stream } = setup();
  const peer = new FakePeer();
  const viewer = stream.addViewer(peer);
  viewer.onBinary();
  viewer.onText(encodeControl({ type: 'chat', text: 'x'.repeat(501) }));
  for (let i = 0; i < 5; i++) viewer.onText(encodeControl({ type: 'chat', text: `ok ${i}` }));
  for (let i = 0; i < MAX - 2; i++) viewer.onText(encodeControl({ type: 'chat', text: `spam ${i}` }));
  assert.deepEqual([...new Set(errorsOf(peer).map((e) => e.code))].sort(), [
    'bad-message',
    'chat-invalid',
    'rate-limited',
  ]);
  assert.equal(peer.closed, null, 'the accepted chats did not count');
  viewer.onText(encodeControl({ type: 'chat', text: 'one more' }));
  assert.equal(closeCode(peer), CloseCode.policy);
});

test('a publisher sending bad JSON is closed with 1008 past the same budget, and its stream enters its grace', () => {
  const { stream, logs } = setup();
  const peer = new FakePeer();
  const publisher = stream.connectPublisher(peer);
  for (let i = 0; i < MAX; i++) publisher.onText('{"type":"nope"}');
  assert.equal(peer.publisherMessages().filter((m) => m.type === 'error').length, MAX);
  assert.equal(peer.closed, null);
  publisher.onText('{');
  assert.equal(closeCode(peer), CloseCode.policy);
  assert.equal(stream.state, 'grace');
  assert.equal(closeLogs(logs)[0]!.role, 'publisher');
});

test('no error reply is queued on a socket whose backlog is over the limit; the refusal still counts', () => {
  const { stream, limits } = setup();
  const peer = new FakePeer();
  const viewer = stream.addViewer(peer);
  peer.bufferedAmount = limits.viewerMaxBacklogBytes + 1;
  for (let i = 0; i < MAX; i++) viewer.onText('z');
  assert.equal(errorsOf(peer).length, 0);
  peer.bufferedAmount = limits.viewerMaxBacklogBytes;
  viewer.onText('z');
  assert.equal(closeCode(peer), CloseCode.policy, 'the silent refusals used the budget');

  const pubPeer = new FakePeer();
  const publisher = stream.connectPublisher(pubPeer);
  const sentBefore = pubPeer.texts.length;
  pubPeer.bufferedAmount = limits.viewerMaxBacklogBytes + 1;
  publisher.onText('{');
  assert.equal(pubPeer.texts.length, sentBefore, 'the publisher is held to the same limit');
  pubPeer.bufferedAmount = limits.viewerMaxBacklogBytes;
  publisher.onText('{');
  assert.equal(pubPeer.texts.length, sentBefore + 1);
  // Frames are not refusals: a publisher sending frames before its config is warned once, never closed.
  for (let i = 0; i < 3 * MAX; i++)
    publisher.onBinary(encodeFrame({ keyframe: true, timestampUs: i, payload: new Uint8Array(1) }));
  assert.equal(closeCode(pubPeer), undefined);
});

test('chat: the rate applies per client across its watch sockets; other clients and key-less viewers have their own', () => {
  const { stream } = setup();
  const [a1, a2, b, lone] = [new FakePeer(), new FakePeer(), new FakePeer(), new FakePeer()];
  const va1 = stream.addViewer(a1, 'client-a');
  const va2 = stream.addViewer(a2, 'client-a');
  const vb = stream.addViewer(b, 'client-b');
  const vLone = stream.addViewer(lone);
  for (let i = 0; i < 3; i++) va1.onText(encodeControl({ type: 'chat', text: `a1 ${i}` }));
  for (let i = 0; i < 2; i++) va2.onText(encodeControl({ type: 'chat', text: `a2 ${i}` }));
  assert.equal(errorsOf(a1).length + errorsOf(a2).length, 0, 'five in the window, across two sockets');
  va2.onText(encodeControl({ type: 'chat', text: 'sixth' }));
  assert.equal(errorsOf(a2).at(-1)?.code, 'rate-limited');
  va1.onText(encodeControl({ type: 'chat', text: 'seventh' }));
  assert.equal(errorsOf(a1).at(-1)?.code, 'rate-limited');
  vb.onText(encodeControl({ type: 'chat', text: 'from b' }));
  vLone.onText(encodeControl({ type: 'chat', text: 'in-process' }));
  assert.equal(errorsOf(b).length + errorsOf(lone).length, 0);
  const texts = b.viewerMessages().flatMap((m) => (m.type === 'chat' ? [m.text] : []));
  assert.deepEqual(texts, ['a1 0', 'a1 1', 'a1 2', 'a2 0', 'a2 1', 'from b', 'in-process']);
});
