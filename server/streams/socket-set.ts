import type WebSocket from 'ws';

/**
 * Resolves when every socket has closed (true) or at the deadline, after cutting the rest (false).
 * Healthy clients answer a close at once; a stalled one never would.
 */
export async function drainSockets(sockets: Iterable<WebSocket>, deadlineMs: number): Promise<boolean> {
  const open = [...sockets].filter((s) => s.readyState !== s.CLOSED);
  if (open.length === 0) return true;
  const closes = open.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), deadlineMs);
  });
  const result = await Promise.race([Promise.all(closes).then(() => true as const), timedOut]);
  clearTimeout(timer);
  if (!result) for (const socket of open) socket.terminate();
  return result;
}

/**
 * Sockets pinged per event-loop turn: a heartbeat over thousands of sockets at once would hold the
 * loop (and every viewer's next frame) for tens of milliseconds; in slices, frames and acks go between.
 */
export const HEARTBEAT_SLICE_SOCKETS = 100;

/** What the heartbeat needs of a socket (a `ws` WebSocket; tests use fakes). */
export interface HeartbeatSocket {
  readonly readyState: number;
  readonly CLOSED: number;
  ping(): void;
  terminate(): void;
  on(event: 'pong' | 'close', listener: () => void): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * The relay's open sockets: a heartbeat that cuts connections which stopped answering pings
 * (a dead publisher must enter its grace period, not linger).
 */
export class SocketSet<S extends HeartbeatSocket = WebSocket> {
  private readonly alive = new Map<S, boolean>();
  private readonly heartbeat: NodeJS.Timeout;
  private slice: NodeJS.Immediate | null = null;

  constructor(heartbeatIntervalMs: number) {
    this.heartbeat = setInterval(() => this.beat(), heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.alive.size;
  }

  add(socket: S): void {
    this.alive.set(socket, true);
    socket.on('pong', () => this.alive.set(socket, true));
    socket.on('close', () => this.alive.delete(socket));
  }

  stop(): void {
    clearInterval(this.heartbeat);
    if (this.slice !== null) clearImmediate(this.slice);
    this.slice = null;
    for (const socket of this.alive.keys()) socket.terminate();
  }

  private beat(): void {
    // A beat still slicing when the next is due (thousands of sockets on a busy loop) runs to its end first.
    if (this.slice !== null) return;
    const sockets = [...this.alive.keys()];
    const next = (from: number): void => {
      this.slice = null;
      const end = Math.min(from + HEARTBEAT_SLICE_SOCKETS, sockets.length);
      for (let i = from; i < end; i++) this.check(sockets[i]!);
      if (end < sockets.length) this.slice = setImmediate(next, end);
    };
    next(0);
  }

  private check(socket: S): void {
    const answered = this.alive.get(socket);
    if (answered === undefined) return; // closed since the beat began
    if (!answered) {
      socket.terminate();
      return;
    }
    this.alive.set(socket, false);
    socket.ping();
  }
}
