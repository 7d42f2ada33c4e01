import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import pino from 'pino';
import { CloseCode, encodeControl, encodeFrame } from '../../shared/protocol.ts';
import { FakePeer } from '../../test/support/fake-peer.ts';
import { captureLog, ownAddressBlock, requireNatsServer, waitFor } from '../../test/support/nats.ts';
import { loadConfig } from '../config.ts';
import { RelayEngine } from '../relay/engine.ts';
import { DEFAULT_RELAY_LIMITS } from '../relay/limits.ts';
import { systemClock } from '../streams/clock.ts';
import { StreamRegistry } from '../streams/registry.ts';
import { newCounters } from '../streams/relay-counters.ts';
import type { RelayLimits } from '../streams/relay-limits.ts';
import { HomeLinks } from './home-links.ts';
import { RelaySet } from './relay-set.ts';

// Two Machines in two regions, each with its real nats-server on its own loopback address, joined by a
// gateway: the home (dfw) mirrors its stream, the relay (ams) serves its own viewers from one subscription.
const APP = 'relayed-test';
const SECRET = 'relayed-test-secret-0123';
const HOME = 'dddddddddddddd';
const RELAY = 'aaaaaaaaaaaaaa';
const LINGER_MS = 400;
const limits: RelayLimits = {
  maxFrameBytes: 200_000,
  maxAudioFrameBytes: 500,
  gopMaxFrames: 100,
  gopMaxBytes: 4_000_000,
  viewerMaxBacklogBytes: 5_000_000,
  viewerMaxLagMs: 5000,
  slowViewerCloseMs: 10_000,
  keyframeRequestIntervalMs: 0,
  viewerCountIntervalMs: 20,
  publishGraceMs: 15_000,
  publishStartTimeoutMs: 60_000,
  wsMaxBadMessages: 10,
  wsBadMessageWindowMs: 10_000,
};
const config = { codec: 'vp8', codedWidth: 320, codedHeight: 180 };
const silent = pino({ level: 'silent' });

async function cluster(t: TestContext) {
  requireNatsServer();
  const at = ownAddressBlock();
  const table = new Map([
    ['dfw', [at(0)]],
    ['ams', [at(1)]],
  ]);
  const resolver = {
    resolve6: async (name: string) => {
      const found = table.get(name.split('.')[0]!);
      if (found === undefined) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return found.map((a) => `::ffff:${a}`);
    },
  };
  const engine = (id: string, region: string, address: string, other: { id: string; region: string }) => {
    const e = new RelayEngine({
      config: {
        ...loadConfig({}).relay,
        host: address,
        privateIp: address,
        secret: SECRET,
        limits: { ...DEFAULT_RELAY_LIMITS, monitorIntervalMs: 100, firstMembershipWaitMs: 100 },
      },
      machine: { id, region, appName: APP },
      log: captureLog().log,
      resolver,
    });
    t.after(() => e.stop());
    e.setMembers([other]);
    e.start();
    return e;
  };
  const home = engine(HOME, 'dfw', at(0), { id: RELAY, region: 'ams' });
  const relay = engine(RELAY, 'ams', at(1), { id: HOME, region: 'dfw' });
  await waitFor('both linked', () => home.status() === 'ok' && relay.status() === 'ok', 20_000);

  const registry = new StreamRegistry({
    limits,
    clock: systemClock,
    log: silent,
    machineId: HOME,
    region: 'dfw',
    maxStreams: 3,
    maxPendingStreams: 3,
  });
  const created = registry.create({ title: 'Relayed', creator: 'alice' });
  assert.ok(created.ok);
  const stream = created.stream;
  const publisher = stream.connectPublisher(new FakePeer());
  publisher.onText(encodeControl({ type: 'config', config }));
  const links = new HomeLinks({
    connection: () => home.connection(),
    streams: () => registry.list().flatMap((s) => registry.get(s.id) ?? []),
    log: silent,
    now: Date.now,
    countTtlMs: 5000,
    maxViewersPerRelay: 100_000,
    relayChatMaxMessages: 100,
    relayChatWindowMs: 10_000,
  });
  registry.onChange(() => links.sync());
  links.sync();
  t.after(() => links.closeAll());
  let changes = 0;
  const relays = new RelaySet({
    connection: () => relay.connection(),
    homeOf: (id) => (registry.get(id) !== undefined ? { machineId: HOME } : undefined),
    self: { machineId: RELAY, region: 'ams' },
    limits,
    clock: systemClock,
    counters: newCounters(),
    log: silent,
    lingerMs: LINGER_MS,
    joinTimeoutMs: 5000,
    heartbeatMs: 1000,
    onChange: () => changes++,
  });
  t.after(() => relays.closeAll('test over'));
  let ts = 1_000_000;
  const publish = (keyframe: boolean) => {
    ts += 33_333;
    const bytes = encodeFrame({ keyframe, timestampUs: ts, payload: new Uint8Array(3000).fill(ts % 251) });
    publisher.onBinary(bytes);
    return bytes;
  };
  return { stream, publisher, relays, publish, changes: () => changes };
}

test('a relay joins at the GOP, then gets every frame byte for byte; chat is numbered by the home; the end reaches it', async (t) => {
  const { stream, publisher, relays, publish } = await cluster(t);
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
    assert.deepEqual(hello.config, config);
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
  const { stream, relays, publish } = await cluster(t);
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
