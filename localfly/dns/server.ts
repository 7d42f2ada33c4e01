import dgram from 'node:dgram';
import net, { isIPv6 } from 'node:net';
import { bindUdp, LocalflyError, listenTcp } from '../listen.ts';
import type { DnsView } from './answers.ts';
import { respond } from './packet.ts';

/** An idle DNS-over-TCP connection is closed after this long. */
export const DNS_TCP_IDLE_TIMEOUT_MS = 10_000;
/** Attempts at finding a port free for both UDP and TCP when asked for port 0. */
const FREE_PORT_ATTEMPTS = 10;

export interface DnsServerOptions {
  host?: string;
  /** 0 picks a port free for both UDP and TCP. */
  port: number;
  /** The current state of the world, read at every query. */
  view: () => DnsView;
  /** Region of the Machine at this source address, for `top<N>.nearest.of`; undefined if not a Machine. */
  regionOfAddress?: (address: string) => string | undefined;
}

export interface DnsServer {
  host: string;
  port: number;
  /** `host:port`, the value for FLY_DNS_SERVER. */
  address: string;
  close(): Promise<void>;
}

/** Fly's `.internal` DNS on one port, UDP and TCP (large answers arrive truncated over UDP, then by TCP). */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const host = options.host ?? '127.0.0.1';
  const answer = (query: Buffer, from: string, transport: 'udp' | 'tcp') =>
    respond(query, options.view(), options.regionOfAddress?.(from.replace(/^::ffff:/, '')), transport);

  const makeUdp = () => {
    const socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    socket.on('message', (message, rinfo) => {
      const reply = answer(message, rinfo.address, 'udp');
      if (reply !== null) socket.send(reply, rinfo.port, rinfo.address);
    });
    return socket;
  };

  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.setTimeout(DNS_TCP_IDLE_TIMEOUT_MS, () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // Each message is framed by a 2-byte length (RFC 1035 4.2.2); one connection may carry several.
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const length = pending.readUInt16BE(0);
        const reply = answer(pending.subarray(2, 2 + length), socket.remoteAddress ?? '', 'tcp');
        pending = pending.subarray(2 + length);
        if (reply === null) {
          socket.destroy();
          return;
        }
        const frame = Buffer.alloc(2 + reply.length);
        frame.writeUInt16BE(reply.length, 0);
        reply.copy(frame, 2);
        socket.write(frame);
      }
    });
  });

  const { udp, port } = await bindPair(makeUdp, tcp, host, options.port);

  return {
    host,
    port,
    address: isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

/**
 * UDP and TCP on the same port. For port 0: a free UDP port first, then the same number for TCP,
 * and another UDP port if TCP has that one taken.
 */
async function bindPair(
  makeUdp: () => dgram.Socket,
  tcp: net.Server,
  host: string,
  wanted: number,
): Promise<{ udp: dgram.Socket; port: number }> {
  for (let attempt = 0; attempt < (wanted === 0 ? FREE_PORT_ATTEMPTS : 1); attempt++) {
    const udp = makeUdp();
    let port: number;
    try {
      port = await bindUdp(udp, host, wanted, 'DNS (UDP)');
    } catch (err) {
      udp.close();
      throw err;
    }
    try {
      await listenTcp(tcp, host, port, 'DNS (TCP)');
      return { udp, port };
    } catch (err) {
      udp.close();
      if (wanted !== 0 || !(err instanceof LocalflyError)) throw err;
    }
  }
  throw new LocalflyError(`DNS: found no port free for both UDP and TCP on ${host}`);
}
