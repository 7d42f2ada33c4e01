import type { WebSocketServer } from 'ws';
import { CloseCode } from '../../shared/protocol.ts';
import type { Log } from './log.ts';
import type { StreamRegistry } from './registry.ts';
import { drainSockets } from './socket-set.ts';

export interface GoingAwayOptions {
  registry: StreamRegistry;
  wss: Pick<WebSocketServer, 'clients' | 'close'>;
  /** On Fly with a shared STREAM_SECRET: another Machine can take the streams over. */
  canMove: boolean;
  /** Everything here ends within this; half of it at most goes to waiting for moved streams' new homes. */
  drainTimeoutMs: number;
  log: Log;
  /**
   * Asks the peers for news while streams move (the moves plugin: a discovery round). A stopping Machine
   * may have left DNS already, so its peers stop pushing to it: it asks them instead.
   */
  poll?: () => Promise<void>;
}

/** While streams move away, the peers are asked for their snapshots this often. */
export const MOVE_POLL_INTERVAL_MS = 200;

/**
 * The relay's part of a graceful shutdown (`@fastify/websocket`'s preClose). No new streams; publishers
 * that can resume elsewhere are told to move, and their streams stay listed, their viewers connected,
 * until the directory shows the new home (then viewers get `moved` and 1001) or half the drain time
 * passed. Then every socket left is closed with 1001 (clients ask the directory where the stream went)
 * and whatever has not answered by the end of the drain time is cut.
 */
export async function goAway(opts: GoingAwayOptions): Promise<void> {
  const { registry, wss, log, drainTimeoutMs } = opts;
  const began = Date.now();
  const open = wss.clients.size;
  const moving = registry.beginMove(opts.canMove);
  let moved = true;
  if (moving > 0) {
    log.info({ moving }, 'asked publishers to move their streams; waiting for their new homes');
    moved = await settleMoves(registry, drainTimeoutMs / 2, opts.poll);
  }
  registry.shutdown();
  for (const socket of wss.clients) {
    if (socket.readyState === socket.OPEN) socket.close(CloseCode.goingAway, 'server shutting down');
  }
  const drained = await drainSockets(wss.clients, Math.max(0, drainTimeoutMs - (Date.now() - began)));
  wss.close();
  log.info({ sockets: open, moving, movedInTime: moved, drained }, 'sockets closed');
}

/** Waits for the moving streams' new homes (true) or the timeout (false), polling the peers meanwhile. */
async function settleMoves(registry: StreamRegistry, timeoutMs: number, poll?: () => Promise<void>): Promise<boolean> {
  let settled: boolean | null = null;
  const settling = registry.movesSettled(timeoutMs).then((result) => (settled = result));
  while (poll !== undefined && settled === null) {
    await poll().catch(() => {});
    if (settled !== null) break;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settling, new Promise((resolve) => (timer = setTimeout(resolve, MOVE_POLL_INTERVAL_MS)))]);
    clearTimeout(timer);
  }
  return settling;
}
