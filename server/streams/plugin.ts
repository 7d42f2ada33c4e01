import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type WebSocket from 'ws';
import { CloseCode, PROTOCOL_QUERY_PARAM, protocolRefusal } from '../../shared/protocol.ts';
import { validateNewStream } from '../../shared/stream-fields.ts';
import type { Config } from '../config.ts';
import { DemoStreams } from '../demo/demo-streams.ts';
import { type Clock, systemClock } from './clock.ts';
import { type RelayStats, STREAM_ID_PATTERN, StreamRegistry } from './registry.ts';
import type { RelayLimits } from './relay-limits.ts';
import { SocketSet } from './socket-set.ts';
import type { LocalStreamSource } from './source.ts';
import { WsPeer } from './ws-peer.ts';

/** `POST /api/streams` bodies are two short strings; anything bigger is refused (413) unread. */
export const CREATE_BODY_MAX_BYTES = 4096;
/** Ping every socket this often; one that has not answered the previous ping is cut. */
export const HEARTBEAT_INTERVAL_MS = 15_000;

export interface StreamsPluginOptions {
  config: Config;
  clock?: Clock;
  heartbeatIntervalMs?: number;
}

/** What `app.streams` offers: the directory's LocalStreamSource, stats for metrics, and the registry. */
export interface StreamsService extends LocalStreamSource {
  stats(): RelayStats;
  readonly registry: StreamRegistry;
  /** Starts n demo streams now (the app starts config.demoStreams itself once it listens); returns their ids. */
  startDemoStreams(count: number): string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    streams: StreamsService;
  }
}

export function relayLimits(config: Config): RelayLimits {
  return {
    maxFrameBytes: config.maxFrameBytes,
    maxAudioFrameBytes: config.maxAudioFrameBytes,
    gopMaxFrames: config.gopMaxFrames,
    gopMaxBytes: config.gopMaxBytes,
    viewerMaxBacklogBytes: config.viewerMaxBacklogBytes,
    viewerMaxLagMs: config.viewerMaxLagMs,
    slowViewerCloseMs: config.slowViewerCloseMs,
    keyframeRequestIntervalMs: config.keyframeRequestIntervalMs,
    viewerCountIntervalMs: config.viewerCountIntervalMs,
    publishGraceMs: config.publishGraceMs,
    publishStartTimeoutMs: config.publishStartTimeoutMs,
  };
}

interface StreamParams {
  id: string;
}
/** Socket URL parameters the relay reads (`instance` is the routing layer's). */
type SocketQuery = { token?: unknown; [PROTOCOL_QUERY_PARAM]?: unknown };

type Session = { onText(text: string): void; onBinary(data: Uint8Array): void; onClose(): void };

/**
 * The live-stream relay: `POST /api/streams`, `/ws/publish/:id`, `/ws/watch/:id` (shared/PROTOCOL.md),
 * and `app.streams`. Refusals (404 unknown stream, 401 bad token) are plain HTTP replies from a
 * preValidation hook, so a refused client never sees a `101`. On close: no new streams, every
 * socket closed with 1001, listeners told the list is empty, all within shutdownTimeoutMs.
 */
async function streamsPlugin(app: FastifyInstance, opts: StreamsPluginOptions): Promise<void> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const registry = new StreamRegistry({
    limits: relayLimits(config),
    clock,
    log: app.log.child({ component: 'streams' }),
    machineId: config.machineId,
    region: config.region,
    maxStreams: config.maxStreams,
  });
  const sockets = new SocketSet(opts.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
  const demos = new DemoStreams(registry, app.log.child({ component: 'demo-streams' }), config.region);

  app.decorate('streams', {
    registry,
    list: () => registry.list(),
    onChange: (listener: () => void) => registry.onChange(listener),
    stats: () => registry.stats(),
    startDemoStreams: (count: number) => demos.start(count),
  } satisfies StreamsService);

  // Demo streams start when the Machine starts serving, not when an app is built for inject tests.
  let demosStarted = false;
  app.addHook('onListen', async () => {
    if (demosStarted) return;
    demosStarted = true;
    demos.start(config.demoStreams);
  });

  app.post('/api/streams', { bodyLimit: CREATE_BODY_MAX_BYTES }, async (request, reply) => {
    const fields = validateNewStream(request.body);
    if (!fields.ok) return reply.code(400).send({ error: fields.error });
    const created = registry.create(fields.value);
    if (!created.ok) return reply.code(created.status).header('retry-after', '10').send({ error: created.error });
    const { id } = created.stream;
    request.log.info({ stream: id, creator: fields.value.creator }, 'stream created');
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({
        id,
        machineId: config.machineId,
        region: config.region,
        publishToken: created.publishToken,
        watchUrl: config.machineId === null ? `/watch/${id}` : `/watch/${id}?instance=${config.machineId}`,
      });
  });

  const findStream = (request: FastifyRequest<{ Params: StreamParams }>) => {
    const { id } = request.params;
    return STREAM_ID_PATTERN.test(id) ? registry.get(id) : undefined;
  };

  const refuseUnknown = async (request: FastifyRequest<{ Params: StreamParams }>, reply: FastifyReply) => {
    if (findStream(request) === undefined) return reply.code(404).send({ error: 'no such stream on this Machine' });
  };

  const refusePublish = async (
    request: FastifyRequest<{ Params: StreamParams; Querystring: { token?: unknown } }>,
    reply: FastifyReply,
  ) => {
    if (findStream(request) === undefined) return reply.code(404).send({ error: 'no such stream on this Machine' });
    if (!registry.tokenMatches(request.params.id, request.query.token)) {
      return reply.code(401).send({ error: 'missing or wrong publish token' });
    }
  };

  /**
   * Takes over a socket from @fastify/websocket and wires its events to a relay session. A client that
   * named another protocol version is closed at once with a reason it can show (4010).
   */
  const attach = (socket: WebSocket, query: SocketQuery, open: (peer: WsPeer) => Session | null) => {
    // @fastify/websocket's own preClose (registered before this plugin, so run first) closes every
    // client it tracks with no status code. Taking our sockets out of its set leaves them to our
    // preClose, which closes them with 1001 as the protocol promises.
    app.websocketServer.clients.delete(socket);
    const peer = new WsPeer(socket);
    const refusal = protocolRefusal(query[PROTOCOL_QUERY_PARAM]);
    if (refusal !== null) {
      peer.close(CloseCode.protocolMismatch, refusal);
      return;
    }
    const session = open(peer);
    if (session === null) {
      peer.close(CloseCode.notFound, 'stream ended');
      return;
    }
    sockets.add(socket);
    socket.on('message', (data, isBinary) => {
      const bytes = data as Buffer;
      if (isBinary) session.onBinary(bytes);
      else session.onText(bytes.toString('utf8'));
    });
    socket.on('close', () => session.onClose());
  };

  app.get<{ Params: StreamParams; Querystring: SocketQuery }>(
    '/ws/publish/:id',
    { websocket: true, preValidation: refusePublish },
    (socket, request) => {
      attach(socket, request.query, (peer) => {
        const stream = findStream(request);
        return stream === undefined || stream.state === 'ended' ? null : stream.connectPublisher(peer);
      });
    },
  );

  app.get<{ Params: StreamParams; Querystring: SocketQuery }>(
    '/ws/watch/:id',
    { websocket: true, preValidation: refuseUnknown },
    (socket, request) => {
      attach(socket, request.query, (peer) => {
        const stream = findStream(request);
        return stream === undefined || stream.state === 'ended' ? null : stream.addViewer(peer);
      });
    },
  );

  app.addHook('preClose', async () => {
    const open = sockets.size;
    demos.stop();
    registry.shutdown();
    // Healthy clients answer the close at once; a stalled one is cut when the deadline passes.
    const drained = await sockets.drain(config.shutdownTimeoutMs / 2);
    app.log.info({ sockets: open, drained }, 'stream sockets closed');
  });
  app.addHook('onClose', async () => {
    sockets.stop();
  });
}

export const streamsPluginFp = fp(streamsPlugin, { name: 'streams', dependencies: ['@fastify/websocket'] });
export { streamsPluginFp as streamsPlugin };
