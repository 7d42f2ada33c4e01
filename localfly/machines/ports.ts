import net from 'node:net';
import { listenTcp } from '../listen.ts';

/** How often a starting Machine's port is tried. */
export const PORT_POLL_INTERVAL_MS = 50;
/** One connection attempt to a starting Machine gives up after this long. */
export const CONNECT_ATTEMPT_TIMEOUT_MS = 1000;

/**
 * Proves host:port is free by listening on it for a moment; with port 0 returns a free port.
 * A Machine must never be "started" because some other process already answers on its port.
 */
export async function reservePort(host: string, port: number, what: string): Promise<number> {
  const probe = net.createServer();
  const real = await listenTcp(probe, host, port, what);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return real;
}

/** One bounded connection attempt: true when host:port accepted it. */
export function tryConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(CONNECT_ATTEMPT_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
