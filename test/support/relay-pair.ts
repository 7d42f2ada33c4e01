import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { ulid } from 'ulid';
import { HomeLinks } from '../../server/relayed/home-links.ts';
import { RelayOutage } from '../../server/relayed/outage.ts';
import { RelaySet } from '../../server/relayed/relay-set.ts';
import { systemClock } from '../../server/streams/clock.ts';
import { StreamRegistry } from '../../server/streams/registry.ts';
import { newCounters } from '../../server/streams/relay-counters.ts';
import type { RelayLimits } from '../../server/streams/relay-limits.ts';
import { encodeControl, encodeFrame } from '../../shared/protocol.ts';
import { FakePeer } from './fake-peer.ts';
import { loopbackEngine, tableResolver } from './loopback-engine.ts';
import { captureLog, ownAddressBlock, requireNatsServer, waitFor } from './nats.ts';

// Two Machines in two regions, each with its real nats-server on its own loopback address, joined by a
// gateway: the home (dfw) mirrors its stream, the relay (ams) serves its own viewers from one subscription.
const APP = 'relayed-test';
const SECRET = 'relayed-test-secret-0123';
export const HOME = 'dddddddddddddd';
export const RELAY = 'aaaaaaaaaaaaaa';
export const LINGER_MS = 400;
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
export const decoderConfig = { codec: 'vp8', codedWidth: 320, codedHeight: 180 };
const silent = pino({ level: process.env.PAIR_LOG ?? 'silent' });

export interface RelayPairOptions {
  /** RELAY_JOIN_TIMEOUT_MS of the relay (and its NATS outage limit). */
  joinTimeoutMs?: number;
}

/**
 * A home (dfw) with one live stream and a relay (ams), each with its real embedded nats-server, joined by
 * a gateway. The relay follows its engine's readiness as the app does (RelayOutage).
 */
export async function relayPair(t: TestContext, opts: RelayPairOptions = {}) {
  requireNatsServer();
  const at = ownAddressBlock();
  const table = new Map([
    ['dfw', [at(0)]],
    ['ams', [at(1)]],
  ]);
  const resolver = tableResolver(table);
  const engine = (id: string, region: string, address: string, other: { id: string; region: string }) => {
    const e = loopbackEngine({
      id,
      region,
      address,
      secret: SECRET,
      appName: APP,
      log: captureLog().log,
      resolver,
      monitorIntervalMs: 100,
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
  const publisherPeer = new FakePeer();
  const publisher = stream.connectPublisher(publisherPeer);
  publisher.onText(encodeControl({ type: 'config', config: decoderConfig }));
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
  // The directory's word on the stream: false as when its home stops listing it.
  let listed = true;
  // Streams the directory places on the home that the home does not have: nobody answers their joins.
  const phantoms = new Set<string>();
  const relays = new RelaySet({
    connection: () => relay.connection(),
    homeOf: (id) => (phantoms.has(id) || (listed && registry.get(id) !== undefined) ? { machineId: HOME } : undefined),
    self: { machineId: RELAY, region: 'ams' },
    limits,
    clock: systemClock,
    counters: newCounters(),
    log: silent,
    lingerMs: LINGER_MS,
    joinTimeoutMs: opts.joinTimeoutMs ?? 5000,
    heartbeatMs: 1000,
    onChange: () => changes++,
  });
  t.after(() => relays.closeAll('test over'));
  const outage = new RelayOutage(relays, opts.joinTimeoutMs ?? 5000, systemClock);
  const unwatch = relay.onStatus((status) => outage.status(status));
  t.after(() => {
    unwatch();
    outage.cancel();
  });
  let ts = 1_000_000;
  const publish = (keyframe: boolean) => {
    ts += 33_333;
    const bytes = encodeFrame({ keyframe, timestampUs: ts, payload: new Uint8Array(3000).fill(ts % 251) });
    publisher.onBinary(bytes);
    return bytes;
  };
  return {
    stream,
    publisher,
    publisherPeer,
    relays,
    links,
    publish,
    changes: () => changes,
    relayEngine: relay,
    phantom: () => {
      const id = ulid();
      phantoms.add(id);
      return id;
    },
    unlist: () => {
      listed = false;
    },
  };
}
