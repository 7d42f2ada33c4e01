import pino from 'pino';
import type { RelayEngine } from '../../server/relay/engine.ts';
import type { Peer } from '../../server/streams/peer.ts';
import type { ViewerSession } from '../../server/streams/viewer-session.ts';
import { decodeFrame, encodeControl } from '../../shared/protocol.ts';
import { loopbackEngine, tableResolver } from '../../test/support/loopback-engine.ts';

/** The home (dfw) and two relays (ams) of bench/relay-home, on this benchmark's loopback block. */
export const AT = { dfw: '127.0.28.2', ams1: '127.0.28.3', ams2: '127.0.28.4' };
export const IDS = { dfw: 'dddddddddddddd', ams1: 'a1a1a1a1a1a1a1', ams2: 'a2a2a2a2a2a2a2' };
const MEMBERS = [
  { id: IDS.dfw, region: 'dfw' },
  { id: IDS.ams1, region: 'ams' },
  { id: IDS.ams2, region: 'ams' },
];
const TABLE = new Map([
  ['dfw', [AT.dfw]],
  ['ams', [AT.ams1, AT.ams2]],
]);
export const silent = pino({ level: process.env.BENCH_LOG ?? 'silent' });

/** One Machine's RelayEngine (real embedded nats-server), started, its peers the other two. */
export function startEngine(id: string, region: string, address: string, secret: string): RelayEngine {
  const e = loopbackEngine({
    id,
    region,
    address,
    secret,
    appName: 'bench-relay-home',
    log: silent,
    resolver: tableResolver(TABLE),
    monitorIntervalMs: 200,
  });
  e.setMembers(MEMBERS.filter((m) => m.id !== id));
  e.start();
  return e;
}

/** Viewers ack every this many frames (half a second of media, as the client does). */
const ACK_EVERY = 15;

/** An in-process viewer that counts frames and acks like the client; no socket, so only the fan-out costs. */
export class CountingViewer implements Peer {
  bufferedAmount = 0;
  session: ViewerSession | null = null;
  frames = 0;
  sendText(): void {}
  sendBinary(data: Uint8Array): void {
    if (++this.frames % ACK_EVERY !== 0) return;
    const frame = decodeFrame(data);
    if (frame.ok) this.session?.onText(encodeControl({ type: 'ack', timestampUs: frame.value.timestampUs }));
  }
  close(): void {}
}
