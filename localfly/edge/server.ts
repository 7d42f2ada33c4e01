import http from 'node:http';
import type { Duplex } from 'node:stream';
import { listenTcp } from '../listen.ts';
import { deliverHttp, readBody } from './deliver-http.ts';
import {
  clientResponseHeaders,
  type EdgeRequestContext,
  flyRequestHeaders,
  nowMicros,
  plainIp,
} from './fly-headers.ts';
import type { Load } from './load.ts';
import { PROXY_ERROR_STATUS, type ProxyError, proxyErrorBody } from './proxy-error.ts';
import type { ReplayCache } from './replay-cache.ts';
import { newRequestId } from './request-id.ts';
import { type RouteContext, type RouteEvents, routeWithReplays, type Upstreams } from './route-loop.ts';
import type { Random, RoutingHeaders } from './select.ts';
import type { Stats } from './stats.ts';
import {
  deliverUpgrade,
  type HandshakeOutcome,
  MAX_HANDSHAKE_RESPONSE_BYTES,
  pipeSockets,
  rawHead,
} from './upgrade.ts';

/** Fly cannot replay a request whose body is 1 MiB or more. */
export const MAX_REPLAY_BODY_BYTES = 1024 * 1024;

export interface EdgeLogEvent {
  region: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface EdgeOptions {
  region: string;
  host?: string;
  /** 0 = any free port. */
  port: number;
  upstreams: Upstreams;
  load: Load;
  stats: Stats;
  /** How long a request waits for a stopped Machine to start when no replay timeout applies. */
  autoStartTimeoutMs: number;
  maxReplayBodyBytes?: number;
  /** fly.toml's `replay_cache` rules at work in this edge; none when absent. */
  replayCache?: ReplayCache;
  log?: (event: EdgeLogEvent) => void;
  random?: Random;
}

export interface Edge {
  region: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function routingHeaders(headers: http.IncomingHttpHeaders): RoutingHeaders {
  const routing: RoutingHeaders = {};
  const pairs = [
    ['forceInstance', 'fly-force-instance-id'],
    ['preferInstance', 'fly-prefer-instance-id'],
    ['forceRegion', 'fly-force-region'],
    ['preferRegion', 'fly-prefer-region'],
  ] as const;
  for (const [key, name] of pairs) {
    const value = first(headers[name])?.trim();
    if (value) routing[key] = value;
  }
  return routing;
}

/**
 * One region's edge: Fly's proxy as a client in that region meets it. Adds Fly's request headers,
 * picks a Machine, follows `fly-replay`, auto starts stopped Machines, and relays WebSockets.
 */
export async function startEdge(o: EdgeOptions): Promise<Edge> {
  const host = o.host ?? '127.0.0.1';
  const maxBody = o.maxReplayBodyBytes ?? MAX_REPLAY_BODY_BYTES;
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<Duplex>();
  const log = (level: EdgeLogEvent['level'], message: string) => o.log?.({ region: o.region, level, message });
  let port = o.port;

  const events: RouteEvents = {
    replay: ({ kind }) => o.stats.replay(o.region, kind),
    redeliver: ({ from, to, kind }) => log('info', `${o.region} edge -> ${from.id} replay -> ${to.id} (${kind})`),
    fallback: ({ from, wanted, reason, to }) => {
      o.stats.fallback(o.region);
      log(
        'warn',
        `${o.region} edge -> ${from.id} replay -> ${wanted} failed (${reason}); delivered to ${to.id} with fly-replay-failed`,
      );
    },
    autoStart: (m) => log('info', `${o.region} edge: auto starting Machine ${m.id} (${m.region}) for a request`),
    cacheHit: (m) => {
      o.stats.cacheHit(o.region);
      log('info', `${o.region} edge -> ${m.id} (replay cache hit)`);
    },
  };

  const context = (req: http.IncomingMessage): EdgeRequestContext => ({
    clientIp: plainIp(req.socket.remoteAddress),
    edgeIp: plainIp(req.socket.localAddress),
    edgePort: port,
    region: o.region,
    requestId: newRequestId(o.region),
    startMicros: nowMicros(),
  });

  const failed = (error: ProxyError) => {
    o.stats.error(o.region, error.code);
    log(
      error.code === 'PA03' || error.code === 'PU02' ? 'error' : 'warn',
      `${o.region} edge ${error.code}: ${error.message}`,
    );
  };

  function base<R>(req: http.IncomingMessage, ctx: EdgeRequestContext, upgrade: boolean, gone: () => boolean) {
    const routing = routingHeaders(req.headers);
    return {
      region: o.region,
      upstreams: o.upstreams,
      load: o.load,
      routing,
      // A request that names its Machine or region itself is routed by that, not by the cache.
      cache: o.replayCache?.lookup(req.url ?? '/', req.headers, Object.keys(routing).length === 0),
      request: { path: req.url ?? '/', headers: flyRequestHeaders(req.headers, ctx, upgrade) },
      autoStartTimeoutMs: o.autoStartTimeoutMs,
      cancelled: gone,
      events,
      random: o.random,
    } satisfies Partial<RouteContext<R>>;
  }

  async function onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    o.stats.request(o.region, false);
    const ctx = context(req);
    const upstream = new Set<http.ClientRequest>();
    let gone = false;
    res.on('close', () => {
      if (res.writableFinished) return;
      gone = true;
      for (const r of upstream) r.destroy();
    });
    let body: Awaited<ReturnType<typeof readBody>>;
    try {
      body = await readBody(req, maxBody);
    } catch {
      res.destroy();
      return;
    }
    const result = await routeWithReplays({
      ...base<http.IncomingMessage>(req, ctx, false, () => gone),
      bodyReplayable: body.kind === 'buffered',
      deliver: (machine, headers, path, followReplay) =>
        deliverHttp({
          machine,
          method: req.method ?? 'GET',
          path,
          headers,
          body,
          agent,
          load: o.load,
          followReplay,
          onRequest: (r) => upstream.add(r),
        }),
    });
    if (result.kind === 'cancelled') return;
    if (result.kind === 'error') {
      failed(result.error);
      const text = proxyErrorBody(result.error, ctx.requestId);
      res.writeHead(PROXY_ERROR_STATUS[result.error.code], {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        'fly-request-id': ctx.requestId,
        via: '1.1 fly.io',
        // The rest of a streamed body was never read: this connection cannot carry another request.
        ...(body.kind === 'stream' ? { connection: 'close' } : {}),
      });
      res.end(text);
      return;
    }
    const answer = result.value;
    if (gone) {
      answer.destroy();
      return;
    }
    res.writeHead(
      answer.statusCode ?? 502,
      answer.statusMessage,
      clientResponseHeaders(answer.rawHeaders, ctx.requestId),
    );
    answer.on('error', () => res.destroy());
    answer.pipe(res);
  }

  /**
   * WebSocket (any Upgrade) handshakes arrive here with the raw client socket: the handshake is
   * routed and replayed like any request; only a Machine's 101 is passed on, and then the two
   * sockets are joined. Every other answer is written to the raw socket, which is then closed.
   */
  async function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    o.stats.request(o.region, true);
    const ctx = context(req);
    const upstream = new Set<http.ClientRequest>();
    let gone = false;
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      gone = true;
      for (const r of upstream) r.destroy();
    });
    const result = await routeWithReplays<HandshakeOutcome>({
      ...base<HandshakeOutcome>(req, ctx, true, () => gone),
      // A handshake has no body; anything after its headers (`head`) is WebSocket data for the final Machine.
      bodyReplayable: true,
      deliver: (machine, headers, path, followReplay) =>
        deliverUpgrade({
          machine,
          method: req.method ?? 'GET',
          path,
          headers,
          load: o.load,
          followReplay,
          onRequest: (r) => upstream.add(r),
        }),
    });
    if (result.kind === 'cancelled') return;
    if (result.kind === 'error') {
      failed(result.error);
      const text = proxyErrorBody(result.error, ctx.requestId);
      const status = PROXY_ERROR_STATUS[result.error.code];
      socket.end(
        rawHead(status, http.STATUS_CODES[status] ?? 'Error', {
          'content-type': 'text/plain; charset=utf-8',
          'content-length': Buffer.byteLength(text),
          'fly-request-id': ctx.requestId,
          connection: 'close',
        }) + text,
      );
      return;
    }
    const answer = result.value;
    if (answer.kind === 'switched') {
      if (gone) {
        answer.socket.destroy();
        return;
      }
      socket.write(
        rawHead(
          101,
          answer.res.statusMessage ?? 'Switching Protocols',
          clientResponseHeaders(answer.res.rawHeaders, ctx.requestId, true),
        ),
      );
      if (answer.head.length > 0) socket.write(answer.head);
      if (head.length > 0) answer.socket.write(head);
      pipeSockets(socket, answer.socket, answer.done);
      return;
    }
    // Not switched (a 4xx, a 404, a fallback page): relay it whole, then close.
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of answer.res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_HANDSHAKE_RESPONSE_BYTES) break;
      chunks.push(chunk);
    }
    answer.res.destroy();
    const bodyBytes = Buffer.concat(chunks);
    const headers = clientResponseHeaders(answer.res.rawHeaders, ctx.requestId);
    headers['content-length'] = String(bodyBytes.length);
    headers.connection = 'close';
    socket.end(
      Buffer.concat([
        Buffer.from(rawHead(answer.res.statusCode ?? 502, answer.res.statusMessage ?? '', headers)),
        bodyBytes,
      ]),
    );
  }

  const server = http.createServer();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      log('error', `${o.region} edge: ${err instanceof Error ? err.message : String(err)}`);
      res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    onUpgrade(req, socket, head).catch((err: unknown) => {
      log('error', `${o.region} edge: ${err instanceof Error ? err.message : String(err)}`);
      socket.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  port = await listenTcp(server, host, o.port, `edge ${o.region}`);
  return {
    region: o.region,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      }),
  };
}
