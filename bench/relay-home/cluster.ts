import pino from 'pino';
import { loadConfig } from '../../server/config.ts';
import { RelayEngine } from '../../server/relay/engine.ts';
import { DEFAULT_RELAY_LIMITS } from '../../server/relay/limits.ts';
import type { Peer } from '../../server/streams/peer.ts';
import type { ViewerSession } from '../../server/streams/viewer-session.ts';
import { decodeFrame, encodeControl } from '../../shared/protocol.ts';

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
  const e = new RelayEngine({
    config: {
      ...loadConfig({}).relay,
      host: address,
      privateIp: address,
      secret,
      limits: { ...DEFAULT_RELAY_LIMITS, monitorIntervalMs: 200, firstMembershipWaitMs: 100 },
    },
    machine: { id, region, appName: 'bench-relay-home' },
    log: silent,
    resolver: {
      resolve6: async (name: string) => {
        const found = TABLE.get(name.split('.')[0]!);
        if (found === undefined) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
        return found.map((a) => `::ffff:${a}`);
      },
    },
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
