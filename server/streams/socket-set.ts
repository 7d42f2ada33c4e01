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
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs)));
  const result = await Promise.race([Promise.all(closes).then(() => true as const), timedOut]);
  clearTimeout(timer);
  if (!result) for (const socket of open) socket.terminate();
  return result;
}

/**
 * The relay's open sockets, with a heartbeat that cuts connections which stopped answering pings
 * (a dead publisher must enter its grace period, not linger).
 */
export class SocketSet {
  private readonly alive = new Map<WebSocket, boolean>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(heartbeatIntervalMs: number) {
    this.heartbeat = setInterval(() => this.beat(), heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.alive.size;
  }

  add(socket: WebSocket): void {
    this.alive.set(socket, true);
    socket.on('pong', () => this.alive.set(socket, true));
    socket.on('close', () => this.alive.delete(socket));
  }

  stop(): void {
    clearInterval(this.heartbeat);
    for (const socket of this.alive.keys()) socket.terminate();
  }

  private beat(): void {
    for (const [socket, answered] of this.alive) {
      if (!answered) {
        socket.terminate();
        continue;
      }
      this.alive.set(socket, false);
      socket.ping();
    }
  }
}
