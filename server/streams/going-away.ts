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
}

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
    moved = await registry.movesSettled(drainTimeoutMs / 2);
  }
  registry.shutdown();
  for (const socket of wss.clients) {
    if (socket.readyState === socket.OPEN) socket.close(CloseCode.goingAway, 'server shutting down');
  }
  const drained = await drainSockets(wss.clients, Math.max(0, drainTimeoutMs - (Date.now() - began)));
  wss.close();
  log.info({ sockets: open, moving, movedInTime: moved, drained }, 'sockets closed');
}
