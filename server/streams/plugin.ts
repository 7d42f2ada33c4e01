import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type WebSocket from 'ws';
import { CloseCode, PROTOCOL_QUERY_PARAM, protocolRefusal } from '../../shared/protocol.ts';
import { clientKey } from '../clients/client-key.ts';
import { ConnectionCaps } from '../clients/per-client.ts';
import { systemClock } from './clock.ts';
import { createRoute } from './create-route.ts';
import { goAway } from './going-away.ts';
import type { LiveStream } from './live-stream.ts';
import { type CreateResult, type RelayStats, type ResumeInput, type ResumeResult, StreamRegistry } from './registry.ts';
import type { RelayLimits } from './relay-limits.ts';
import { PublishSchema, WatchSchema } from './schemas.ts';
import { socketErrorHandler } from './socket-errors.ts';
import { MAX_MESSAGE_BYTES } from './socket-limits.ts';
import { SocketSet } from './socket-set.ts';
import type { HoldState, LocalStreamSource } from './source.ts';
import type { NewHome } from './stream-types.ts';
import { PublishTokens } from './tokens.ts';
import { WsPeer } from './ws-peer.ts';

/** The streams plugin's options, `config.streams`: the relay's limits (README "Streams and the wire protocol") and its own. */
export interface StreamsOptions extends RelayLimits {
  /** STREAM_SECRET: the key of publish tokens every Machine of the app verifies; null: one per process, no moves. */
  streamSecret: string | null;
  /** Live streams per Machine (MAX_STREAMS). */
  maxStreams: number;
  /** Created streams still waiting for their first publisher, per Machine (MAX_PENDING_STREAMS). */
  maxPendingStreams: number;
  /** `POST /api/streams` creations per client per minute (CREATE_STREAMS_PER_MINUTE). */
  createStreamsPerMinute: number;
  /** Open watch sockets per client (MAX_WATCH_SOCKETS_PER_CLIENT). */
  maxWatchSocketsPerClient: number;
  /** Ping every socket this often; one that has not answered the previous ping is cut. */
  heartbeatIntervalMs: number;
  /** On close, how long sockets get to answer the 1001 before they are cut. */
  drainTimeoutMs: number;
}

/** What `app.streams` offers: the directory's LocalStreamSource, stats for metrics, stream creation and moves. */
export interface StreamsService extends LocalStreamSource {
  stats(): RelayStats;
  /** A new stream homed here, as `POST /api/streams` makes one (the demo streams use it too). */
  create(meta: { title: string; creator: string }): CreateResult;
  /** Whether `token` is the publish token of stream `id` hosted here (thumbnail uploads carry it). */
  tokenMatches(id: string, token: unknown): boolean;
  /** Whether a stream is held here: `moving` while this Machine waits for its new home to be known. */
  holds(id: string): HoldState;
  /** Whether `token` is the stream's publish token (constant time), wherever the stream lives. */
  verifyToken(id: string, token: unknown): boolean;
  /** Takes over a stream whose home went away (its token checked first). */
  resume(input: ResumeInput): ResumeResult;
  /** Another Machine holds a newer claim on a stream held here: its viewers follow it there. */
  handOver(id: string, home: NewHome): void;
  /** What to run, repeatedly, while streams wait for their new homes on shutdown (the moves plugin's peer poll). */
  pollWhileMoving(poll: () => Promise<void>): void;
  /** Another Machine of the app verifies this one's tokens (on Fly, STREAM_SECRET set). */
  readonly canMove: boolean;
  /** The fan-out's limits (relayed streams use the same). */
  readonly limits: RelayLimits;
  /** The listed streams homed here (the relayed plugin mirrors them for relays). */
  live(): LiveStream[];
  /** Serves watch sockets of streams homed elsewhere through `relays` (set once, by the relayed plugin). */
  useRelays(relays: WatchRelays): void;
}

/** Watch sockets for streams this Machine relays rather than hosts. */
export interface WatchRelays {
  canServe(id: string): boolean;
  addViewer(id: string, peer: WsPeer, clientKey: string): Session | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    streams: StreamsService;
  }
}

export { CREATE_BODY_MAX_BYTES } from './create-route.ts';

export type Session = { onText(text: string): void; onBinary(data: Uint8Array): void; onClose(): void };

/**
 * The live-stream relay: `POST /api/streams`, `/ws/publish/:id`, `/ws/watch/:id` (shared/PROTOCOL.md),
 * and `app.streams`. Refusals (400 malformed id, 404 unknown stream, 401 bad token) are plain HTTP
 * replies from the schema and a preHandler hook, so a refused client never sees a `101`. It owns the
 * WebSocket server; on close: no new streams, every socket closed with 1001, listeners told the list
 * is empty, all within drainTimeoutMs.
 */
async function streams(app: FastifyInstance, opts: StreamsOptions): Promise<void> {
  const { machine } = app;
  const {
    maxStreams,
    maxPendingStreams,
    createStreamsPerMinute,
    maxWatchSocketsPerClient,
    heartbeatIntervalMs,
    drainTimeoutMs,
    streamSecret,
    ...limits
  } = opts;
  const registry = new StreamRegistry({
    limits,
    clock: systemClock,
    log: app.log.child({ component: 'streams' }),
    machineId: machine.id,
    region: machine.region,
    maxStreams,
    maxPendingStreams,
    tokens: PublishTokens.from(streamSecret),
  });
  const sockets = new SocketSet(heartbeatIntervalMs);
  // Per client (fly-client-ip on Fly, else the socket address), so one client cannot use up what the
  // Machine has for everyone: its stream slots, its connection limit, a stream's chat.
  const watchSockets = new ConnectionCaps(maxWatchSocketsPerClient);
  const keyOf = (request: FastifyRequest) => {
    const header = request.headers['fly-client-ip'];
    return clientKey(
      typeof header === 'string' ? header : undefined,
      request.socket.remoteAddress,
      machine.id !== null,
    );
  };

  // Moves need another Machine that verifies this one's tokens: on Fly, with STREAM_SECRET set.
  const canMove = machine.id !== null && registry.tokens.shared;
  if (streamSecret === null) {
    const level = machine.id === null ? 'info' : 'warn';
    app.log[level](
      'STREAM_SECRET is not set: publish tokens verify on this Machine only, so its streams cannot move to another',
    );
  }

  /**
   * @fastify/websocket's preClose: by default it closes every socket with no status code. The protocol
   * promises 1001 ("going away": ask the directory where the stream went), after `move` for publishers
   * whose streams can live on elsewhere (going-away.ts).
   */
  let pollPeers: (() => Promise<void>) | undefined;
  let relays: WatchRelays | null = null;
  async function closeSockets(this: FastifyInstance): Promise<void> {
    await goAway({ registry, wss: this.websocketServer, canMove, drainTimeoutMs, log: this.log, poll: pollPeers });
  }
  // allowSynchronousEvents false: one message per event-loop turn per socket, so a burst of queued publisher
  // frames is relayed with the viewers' acks read in between (the lag rule judges viewers by those acks),
  // the loop is never held for a whole burst, and a backed-up receiver pauses its socket (TCP backpressure).
  await app.register(websocket, {
    options: { maxPayload: MAX_MESSAGE_BYTES, allowSynchronousEvents: false },
    preClose: closeSockets,
    errorHandler: socketErrorHandler,
  });

  app.decorate('streams', {
    list: () => registry.list(),
    onChange: (listener: () => void) => registry.onChange(listener),
    stats: () => registry.stats(),
    create: (meta: { title: string; creator: string }) => registry.create(meta),
    tokenMatches: (id: string, token: unknown) => registry.tokenMatches(id, token),
    holds: (id: string) => registry.holds(id),
    verifyToken: (id: string, token: unknown) => registry.tokens.matches(id, token),
    resume: (input: ResumeInput) => registry.resume(input),
    handOver: (id: string, home: NewHome) => registry.handOver(id, home),
    pollWhileMoving: (poll: () => Promise<void>) => {
      pollPeers = poll;
    },
    canMove,
    limits,
    live: () => registry.list().flatMap((summary) => registry.get(summary.id) ?? []),
    useRelays: (r: WatchRelays) => {
      relays = r;
    },
  } satisfies StreamsService);

  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  createRoute(api, { registry, machine, createStreamsPerMinute, keyOf });

  // preHandler, not preValidation: the schema has checked the id by then; still before any upgrade.
  const admitViewer = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const id = request.params.id;
    if (registry.get(id) === undefined && relays?.canServe(id) !== true) {
      return reply.code(404).send({ error: 'no such stream on this Machine' });
    }
    // A plain GET gets its 404 from @fastify/websocket and holds no slot.
    if (!request.ws) return;
    const key = keyOf(request);
    if (!watchSockets.tryAcquire(key)) {
      return reply
        .code(429)
        .send({ error: `at most ${maxWatchSocketsPerClient} open watch sockets per address; close one first` });
    }
    // The TCP socket's close covers both ends of the slot: the WebSocket closing, or the upgrade never happening.
    const socket = request.raw.socket;
    if (socket.closed) watchSockets.release(key);
    else socket.once('close', () => watchSockets.release(key));
  };

  const refusePublish = async (
    request: FastifyRequest<{ Params: { id: string }; Querystring: { token?: string } }>,
    reply: FastifyReply,
  ) => {
    if (registry.get(request.params.id) === undefined) {
      return reply.code(404).send({ error: 'no such stream on this Machine' });
    }
    if (!registry.tokenMatches(request.params.id, request.query.token)) {
      return reply.code(401).send({ error: 'missing or wrong publish token' });
    }
  };

  /**
   * Wires a socket's events to a relay session; the stream may have ended since the hook looked. A client
   * whose URL named another protocol version (`?protocol=`) is closed at once with a reason it can show.
   */
  const attach = (
    socket: WebSocket,
    request: { params: { id: string }; query: unknown },
    open: (stream: LiveStream, peer: WsPeer) => Session,
    relayed?: (peer: WsPeer) => Session | null,
  ) => {
    const peer = new WsPeer(socket);
    const refusal = protocolRefusal((request.query as Record<string, unknown>)[PROTOCOL_QUERY_PARAM]);
    if (refusal !== null) {
      peer.close(CloseCode.protocolMismatch, refusal);
      return;
    }
    const stream = registry.get(request.params.id);
    const session =
      stream !== undefined && stream.state !== 'ended'
        ? open(stream, peer)
        : stream === undefined && relayed !== undefined
          ? relayed(peer)
          : null;
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

  api.get('/ws/publish/:id', { websocket: true, schema: PublishSchema, preHandler: refusePublish }, (socket, request) =>
    attach(socket, request, (stream, peer) => stream.connectPublisher(peer, true)),
  );

  api.get('/ws/watch/:id', { websocket: true, schema: WatchSchema, preHandler: admitViewer }, (socket, request) =>
    attach(
      socket,
      request,
      (stream, peer) => stream.addViewer(peer, keyOf(request)),
      (peer) => relays?.addViewer(request.params.id, peer, keyOf(request)) ?? null,
    ),
  );

  app.addHook('onClose', async () => {
    sockets.stop();
  });
}

export const streamsPlugin = fp(streams, {
  name: 'streams',
  fastify: '5.x',
  // errors: its TypeBox validator runs the body schema's field rules.
  dependencies: ['machine', 'errors'],
});
