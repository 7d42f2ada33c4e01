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
  on(event: 'pong' | 'close' | 'message', listener: () => void): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** Since the last beat: it sent something (alive, no ping needed), sent nothing, or was pinged and owes a pong. */
type Liveness = 'heard' | 'quiet' | 'pinged';

/**
 * The relay's open sockets: a heartbeat that cuts connections which stopped answering
 * (a dead publisher must enter its grace period, not linger). A socket that sent anything since the
 * last beat (a publisher's frames, a viewer's acks) is alive and is not pinged: a big audience acks
 * every 500 ms, and pinging each of 1000 viewers would cost 1000 sends and 1000 reads per beat for
 * nothing. A socket quiet for a whole interval is pinged, and cut at the next beat if it did not answer.
 */
export class SocketSet<S extends HeartbeatSocket = WebSocket> {
  private readonly liveness = new Map<S, Liveness>();
  private readonly heartbeat: NodeJS.Timeout;
  private slice: NodeJS.Immediate | null = null;

  constructor(heartbeatIntervalMs: number) {
    this.heartbeat = setInterval(() => this.beat(), heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.liveness.size;
  }

  add(socket: S): void {
    const heard = () => this.liveness.set(socket, 'heard');
    heard();
    socket.on('pong', heard);
    socket.on('message', heard);
    socket.on('close', () => this.liveness.delete(socket));
  }

  stop(): void {
    clearInterval(this.heartbeat);
    if (this.slice !== null) clearImmediate(this.slice);
    this.slice = null;
    for (const socket of this.liveness.keys()) socket.terminate();
  }

  private beat(): void {
    // A beat still slicing when the next is due (thousands of sockets on a busy loop) runs to its end first.
    if (this.slice !== null) return;
    const sockets = [...this.liveness.keys()];
    const next = (from: number): void => {
      this.slice = null;
      const end = Math.min(from + HEARTBEAT_SLICE_SOCKETS, sockets.length);
      for (let i = from; i < end; i++) this.check(sockets[i]!);
      if (end < sockets.length) this.slice = setImmediate(next, end);
    };
    next(0);
  }

  private check(socket: S): void {
    switch (this.liveness.get(socket)) {
      case undefined: // closed since the beat began
        return;
      case 'heard':
        this.liveness.set(socket, 'quiet');
        return;
      case 'quiet':
        this.liveness.set(socket, 'pinged');
        socket.ping();
        return;
      case 'pinged':
        socket.terminate();
        return;
    }
  }
}
