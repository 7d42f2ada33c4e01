import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseCode, encodeControl } from '../../shared/protocol.ts';
import { FakePeer } from '../../test/support/fake-peer.ts';
import { waitFor } from '../../test/support/nats.ts';
import { decoderConfig, HOME, LINGER_MS, RELAY, relayPair } from '../../test/support/relay-pair.ts';

// Two Machines in two regions, each with its real nats-server on its own loopback address, joined by a
// gateway: the home (dfw) mirrors its stream, the relay (ams) serves its own viewers from one subscription.
test('a relay joins at the GOP, then gets every frame byte for byte; chat is numbered by the home; the end reaches it', async (t) => {
  const { stream, publisher, relays, publish } = await relayPair(t);
  const gop = [publish(true), publish(false), publish(false)];
  const homeViewer = new FakePeer();
  const homeSession = stream.addViewer(homeViewer);

  const relayed = new FakePeer();
  const session = relays.addViewer(stream.id, relayed);
  assert.ok(session !== null);
  await waitFor('the relayed hello and GOP', () => relayed.binaries.length === 3, 10_000);
  const hello = relayed.viewerMessages()[0]!;
  assert.equal(hello.type, 'hello');
  if (hello.type === 'hello') {
    assert.equal(hello.machineId, RELAY, 'the relay serves the socket');
    assert.equal(hello.region, 'ams');
    assert.equal(hello.stream.machineId, HOME, 'the stream stays homed on its Machine');
    assert.equal(hello.relayed, true);
    assert.equal(hello.viewers, 2, 'the home viewer and this one: a hello counts its own viewer, as on a home');
    assert.deepEqual(hello.config, decoderConfig);
  }
  assert.deepEqual(relayed.binaries.map(Buffer.from), gop.map(Buffer.from), 'the GOP, byte for byte');

  const live = [publish(false), publish(true), publish(false)];
  await waitFor('live frames', () => relayed.binaries.length === 6, 10_000);
  assert.deepEqual(relayed.binaries.slice(3).map(Buffer.from), live.map(Buffer.from));

  // The total viewer count is the home's: its own viewer plus the relay's.
  await waitFor('the home counts the relayed viewer', () => stream.totalViewers === 2, 10_000);
  await waitFor(
    'the relayed viewer sees the total',
    () => relayed.viewerMessages().some((m) => m.type === 'viewers' && m.count === 2),
    10_000,
  );

  session.onText(encodeControl({ type: 'chat', text: 'from ams', name: 'bob' }));
  await waitFor('relayed chat at the home', () => homeViewer.viewerMessages().some((m) => m.type === 'chat'), 10_000);
  homeSession.onText(encodeControl({ type: 'chat', text: 'from dfw', name: 'carol' }));
  const chats = (peer: FakePeer) =>
    peer.viewerMessages().flatMap((m) => (m.type === 'chat' ? [`${m.seq}:${m.name}:${m.text}`] : []));
  await waitFor('both chats on the relay', () => chats(relayed).length === 2, 10_000);
  assert.deepEqual(chats(relayed), ['1:bob:from ams', '2:carol:from dfw']);
  assert.deepEqual(chats(homeViewer), chats(relayed), 'one order, the home numbering');

  publisher.onText(encodeControl({ type: 'stop' }));
  await waitFor('the end on the relay', () => relayed.closed !== null, 10_000);
  assert.equal(relayed.closed?.code, CloseCode.normal);
  assert.ok(relayed.viewerMessages().some((m) => m.type === 'ended' && m.reason === 'stopped'));
  await waitFor('the relay let the stream go', () => relays.size === 0, 10_000);
});

test('a relay keeps its subscription RELAY_LINGER_MS after its last viewer, then drops it; the home forgets its count', async (t) => {
  const { stream, relays, publish } = await relayPair(t);
  publish(true);
  const first = new FakePeer();
  const session = relays.addViewer(stream.id, first);
  assert.ok(session !== null);
  await waitFor('joined', () => first.binaries.length === 1, 10_000);
  await waitFor('counted', () => stream.totalViewers === 1, 10_000);

  session.onClose();
  const left = Date.now();
  // A viewer coming back within the linger reuses the subscription (no new join: no GOP burst of the old group).
  const again = new FakePeer();
  relays.addViewer(stream.id, again)!.onClose();
  assert.equal(relays.size, 1);
  await waitFor('the subscription dropped', () => relays.size === 0, 10_000);
  assert.ok(Date.now() - left >= LINGER_MS, `dropped after ${Date.now() - left} ms, linger ${LINGER_MS} ms`);
  await waitFor('the home forgot the relay', () => stream.totalViewers === 0, 10_000);
});
