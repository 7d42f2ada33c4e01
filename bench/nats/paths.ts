import net from 'node:net';
import { performance } from 'node:perf_hooks';

/** Frame layout: [seq u32][sent at, performance.now() ms, f64][filler]. One process sends and receives. */
export const HEADER_BYTES = 12;
/** Sequence number of the probes sent until every subscriber hears the publisher; never measured. */
export const PROBE_SEQ = 0xffffffff;

export function frame(seq: number, bytes: number): Uint8Array {
  const buf = Buffer.alloc(bytes);
  buf.writeUInt32BE(seq, 0);
  buf.writeDoubleBE(performance.now(), 4);
  return buf;
}

/** Latencies (ms) and the sequence numbers seen by one receiver. */
export class Receiver {
  readonly latenciesMs: number[] = [];
  readonly seen = new Set<number>();
  /** Frames with seq below this are warm-up: received, not measured. */
  constructor(private readonly firstMeasured: number) {}

  record(data: Uint8Array): void {
    const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const seq = view.readUInt32BE(0);
    const sentAt = view.readDoubleBE(4);
    this.seen.add(seq);
    if (seq !== PROBE_SEQ && seq >= this.firstMeasured) this.latenciesMs.push(performance.now() - sentAt);
  }

  missing(from: number, to: number): number {
    let n = 0;
    for (let s = from; s < to; s++) if (!this.seen.has(s)) n++;
    return n;
  }
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  return { n: s.length, p50: at(50), p99: at(99), max: s.length === 0 ? Number.NaN : s[s.length - 1]! };
}

/**
 * The baseline: the same frames over one plain TCP connection on loopback, length-prefixed, with the
 * receiving socket read the way a NATS client reads (data events, no extra copy per frame).
 */
export async function directPath(
  host: string,
  receiver: Receiver,
): Promise<{ send(data: Uint8Array): void; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const len = pending.readUInt32BE(0);
        if (pending.length < 4 + len) break;
        receiver.record(pending.subarray(4, 4 + len));
        pending = pending.subarray(4 + len);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen({ host, port: 0 }, resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect({ host, port });
  client.setNoDelay(true);
  await new Promise<void>((resolve) => client.once('connect', resolve));
  return {
    send(data) {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.byteLength, 0);
      client.write(Buffer.concat([len, data]));
    },
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A subscriber that stops reading: raw NATS protocol (CONNECT, SUB, PING), then once the server's
 * PONG confirms the subscription it pauses its socket for good, as a frozen viewer would.
 */
export async function stalledSubscriber(
  host: string,
  port: number,
  subject: string,
  name: string,
): Promise<net.Socket> {
  const socket = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('PONG\r\n')) {
        socket.off('data', onData);
        socket.pause();
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('connect', () =>
      socket.write(
        `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, name, protocol: 1 })}\r\nSUB ${subject} 1\r\nPING\r\n`,
      ),
    );
  });
  socket.on('error', () => {});
  return socket;
}
