import type WebSocket from 'ws';

/**
 * The relay's open sockets: a heartbeat that cuts connections which stopped answering pings
 * (a dead publisher must enter its grace period, not linger), and a bounded drain on shutdown.
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

  /** Resolves when every socket has closed (true) or at the deadline, after cutting the rest (false). */
  async drain(deadlineMs: number): Promise<boolean> {
    if (this.alive.size === 0) return true;
    const closes = [...this.alive.keys()].map(
      (s) => new Promise<void>((resolve) => (s.readyState === s.CLOSED ? resolve() : s.once('close', () => resolve()))),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs)));
    const result = await Promise.race([Promise.all(closes).then(() => true as const), timedOut]);
    clearTimeout(timer);
    if (!result) for (const socket of this.alive.keys()) socket.terminate();
    return result;
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
