import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { CloseCode, encodeControl } from '../../shared/protocol.ts';
import { FakePeer } from '../../test/support/fake-peer.ts';
import { waitFor } from '../../test/support/nats.ts';
import { relayPair } from '../../test/support/relay-pair.ts';

type RelayPair = Awaited<ReturnType<typeof relayPair>>;

import type { RelayStatus } from '../relay/readiness.ts';

// What a relay does when its link to the home breaks: ride out a cut (resume at the next keyframe), or
// send its viewers back with 1001 so they are placed again (another relay or the home).

const keyframeRequests = (peer: FakePeer) =>
  peer.publisherMessages().filter((m) => m.type === 'keyframe-request').length;

/** SIGKILLs the relay's nats-server; resolves once the relay has seen NATS go. */
async function killRelayNats(t: TestContext, relayEngine: RelayPair['relayEngine']): Promise<void> {
  const statuses: RelayStatus[] = [];
  t.after(relayEngine.onStatus((s) => statuses.push(s)));
  const pid = relayEngine.stats().serverPid;
  assert.ok(pid !== null);
  process.kill(pid, 'SIGKILL');
  await waitFor('the relay saw NATS go', () => statuses.includes('down'), 10_000);
}

test("a relay whose nats-server is cut keeps its viewers, and they resume at the home's next keyframe", async (t) => {
  const { stream, publisherPeer, relays, publish, relayEngine } = await relayPair(t);
  publish(true);
  const viewer = new FakePeer();
  assert.ok(relays.addViewer(stream.id, viewer) !== null);
  publish(false);
  await waitFor('the GOP and a live frame', () => viewer.binaries.length === 2, 10_000);

  await killRelayNats(t, relayEngine);
  const before = viewer.binaries.length;
  const asked = keyframeRequests(publisherPeer);

  // Delta frames until the relay, back on NATS, gets one after the gap and asks the home for a keyframe.
  await waitFor(
    'a keyframe request from the relay',
    () => {
      publish(false);
      return keyframeRequests(publisherPeer) > asked;
    },
    30_000,
    50,
  );
  assert.equal(viewer.binaries.length, before, 'no frame after the gap before a keyframe');
  const resumed = [publish(true), publish(false)];
  await waitFor('the keyframe and the frame after it', () => viewer.binaries.length === before + 2, 10_000);
  assert.deepEqual(viewer.binaries.slice(before).map(Buffer.from), resumed.map(Buffer.from));
  assert.equal(viewer.closed, null, 'the viewer kept its socket');
  assert.equal(relays.size, 1);
});

test("a relayed viewer's chat sent while the relay's nats-server is down reaches the home once it is back", async (t) => {
  const { stream, relays, publish, relayEngine } = await relayPair(t);
  publish(true);
  const homeViewer = new FakePeer();
  assert.ok(stream.addViewer(homeViewer) !== null);
  const relayed = new FakePeer();
  const session = relays.addViewer(stream.id, relayed);
  assert.ok(session !== null);
  await waitFor('the relayed GOP', () => relayed.binaries.length === 1, 10_000);

  await killRelayNats(t, relayEngine);
  session.onText(encodeControl({ type: 'chat', text: 'sent during the cut', name: 'bob' }));

  const chats = (peer: FakePeer) => peer.viewerMessages().flatMap((m) => (m.type === 'chat' ? [m.text] : []));
  await waitFor('the chat at the home', () => chats(homeViewer).length === 1, 30_000);
  assert.deepEqual(chats(homeViewer), ['sent during the cut']);
  await waitFor('and back at the relayed viewer, numbered by the home', () => chats(relayed).length === 1, 10_000);
  assert.equal(
    relayed.viewerMessages().some((m) => m.type === 'error'),
    false,
    'nothing was refused: the client held it until NATS was back',
  );
});

test('a relay whose join gets no reply sends its viewers back with 1001 after RELAY_JOIN_TIMEOUT_MS', async (t) => {
  const joinTimeoutMs = 500;
  const { relays, phantom } = await relayPair(t, { joinTimeoutMs });
  // The directory places the stream on the home, but nothing answers on its subjects.
  const id = phantom();
  const viewer = new FakePeer();
  const asked = Date.now();
  assert.ok(relays.addViewer(id, viewer) !== null);
  await waitFor('the viewer sent back', () => viewer.closed !== null, 10_000);
  const waited = Date.now() - asked;
  assert.equal(viewer.closed?.code, CloseCode.goingAway);
  assert.ok(waited >= joinTimeoutMs, `closed after ${waited} ms, timeout ${joinTimeoutMs} ms`);
  assert.equal(viewer.binaries.length, 0);
  assert.equal(relays.size, 0, 'the subscription is dropped');
});

test('a relay drops a stream its home no longer lists: its viewers get 1001; a listed one is kept', async (t) => {
  const { stream, relays, publish, unlist } = await relayPair(t);
  publish(true);
  const viewer = new FakePeer();
  relays.addViewer(stream.id, viewer);
  await waitFor('joined', () => viewer.binaries.length === 1, 10_000);

  relays.dropOrphans();
  assert.equal(viewer.closed, null, 'still listed: kept');
  unlist();
  relays.dropOrphans();
  assert.deepEqual(viewer.closed, { code: CloseCode.goingAway, reason: 'stream no longer listed by its home' });
  assert.equal(relays.size, 0);
  assert.equal(relays.canServe(stream.id), false, 'and it is not relayed again while unlisted');
});
