import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { ConnectionCaps } from '../clients/per-client.ts';
import type { DirectoryView, ViewEvent } from './view.ts';

export interface SseLimits {
  sseHeartbeatMs: number;
  sseMaxClients: number;
  sseMaxBufferedBytes: number;
  sseRetryMs: number;
  sseMaxFeedsPerClient: number;
}

/** One Server-Sent Event: `event:` line, one `data:` line of JSON (JSON never contains a raw newline). */
export function formatEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The live feed of `GET /api/streams/events`: a `state` event with the whole view on connect, then the
 * changes, and a comment line as heartbeat. A client too slow to keep up is cut off rather than buffered
 * without bound; the browser's EventSource reconnects and gets a fresh `state`.
 */
export class SseHub {
  /** Each open feed, with the client it counts against. */
  private readonly clients = new Map<ServerResponse, string>();
  private readonly perClient: ConnectionCaps;
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly limits: SseLimits,
    private readonly log: FastifyBaseLogger,
    /** Who a request comes from, for the per-client cap (see server/clients/client-key.ts). */
    private readonly clientOf: (request: FastifyRequest) => string,
  ) {
    this.perClient = new ConnectionCaps(limits.sseMaxFeedsPerClient);
  }

  get size(): number {
    return this.clients.size;
  }

  open(request: FastifyRequest, reply: FastifyReply, view: DirectoryView): FastifyReply | undefined {
    // HEAD (Fastify answers it with the GET handler) gets the headers only, not a feed that never ends.
    if (request.method === 'HEAD') {
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-store')
        .send();
    }
    if (this.closed) {
      return reply.code(503).header('cache-control', 'no-store').send({ error: 'this Machine is shutting down' });
    }
    const client = this.clientOf(request);
    if (this.perClient.openFor(client) >= this.limits.sseMaxFeedsPerClient) {
      // Checked first: a client at its own cap is told so (429), even when the Machine is also full.
      return reply
        .code(429)
        .header('retry-after', String(Math.ceil(this.limits.sseRetryMs / 1000)))
        .header('cache-control', 'no-store')
        .send({
          error: `too many live directory feeds from your address (limit ${this.limits.sseMaxFeedsPerClient}); close one first`,
        });
    }
    if (this.clients.size >= this.limits.sseMaxClients) {
      return reply
        .code(503)
        .header('retry-after', '5')
        .header('cache-control', 'no-store')
        .send({
          error: `too many live directory feeds on this Machine (limit ${this.limits.sseMaxClients}); retry shortly`,
        });
    }
    this.perClient.tryAcquire(client);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Tell buffering proxies to pass each event through at once.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${this.limits.sseRetryMs}\n\n${formatEvent('state', view)}`);
    this.clients.set(res, client);
    const drop = () => this.drop(res);
    request.raw.on('close', drop);
    res.on('close', drop);
    res.on('error', drop);
    // Gone before the listeners were attached: no 'close' will come to release the slot.
    if (request.raw.socket.destroyed) drop();
    this.heartbeat ??= setInterval(() => this.broadcastRaw(': heartbeat\n\n'), this.limits.sseHeartbeatMs);
    return undefined;
  }

  broadcast(events: readonly ViewEvent[]): void {
    if (events.length === 0 || this.clients.size === 0) return;
    this.broadcastRaw(events.map((e) => formatEvent(e.event, e.data)).join(''));
  }

  private broadcastRaw(payload: string): void {
    for (const res of this.clients.keys()) {
      if (res.writableLength > this.limits.sseMaxBufferedBytes) {
        this.log.info({ bufferedBytes: res.writableLength }, 'directory feed: client too slow, disconnecting it');
        res.destroy();
        this.drop(res);
        continue;
      }
      res.write(payload);
    }
  }

  private drop(res: ServerResponse): void {
    const client = this.clients.get(res);
    if (client === undefined) return;
    this.clients.delete(res);
    this.perClient.release(client);
    if (this.clients.size === 0 && this.heartbeat !== null) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  /** Ends every feed (on shutdown: they would otherwise hold the server open). */
  closeAll(): void {
    this.closed = true;
    for (const res of [...this.clients.keys()]) {
      res.end();
      this.drop(res);
    }
  }
}
