import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, LogController } from 'fastify';
import { errorServerOptions, errorsPlugin, sendNoSuchEndpoint } from '../errors/plugin.ts';
import { parseSnapshot, type Snapshot, snapshotEtag } from './snapshot.ts';
import type { ApplyOutcome } from './state.ts';

/** Path of the snapshot on the private port: GET it (conditional), POST (push) yours to it. */
export const SNAPSHOT_PATH = '/internal/snapshot';

export interface PeerApiOptions {
  log: FastifyBaseLogger;
  maxSnapshotBytes: number;
  /** This Machine's current snapshot. */
  snapshot(): Snapshot;
  /** A peer pushed its snapshot. */
  receive(snapshot: Snapshot): ApplyOutcome;
  /** Whether the caller may use the API: one of `<app>.internal`'s addresses, or the bearer token. */
  authorize(remoteAddress: string, authorization: string | undefined): Promise<boolean>;
  onRefused?(remoteAddress: string): void;
  /** Routes other plugins serve to peers (behind the same check of the caller). */
  routes?: readonly FastifyPluginAsync[];
}

/** True when an If-None-Match header (a list, possibly weak, or `*`) matches `etag`. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

/**
 * The private peer API, a Fastify instance of its own on INTERNAL_PORT so none of it is reachable
 * through the public port (and Fly's proxy only forwards the public one).
 */
export async function buildPeerApi(opts: PeerApiOptions): Promise<FastifyInstance> {
  const api = Fastify({
    loggerInstance: opts.log,
    // Peers poll every few seconds: per-request lines would drown the log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.maxSnapshotBytes,
    forceCloseConnections: true,
    // Longer than the client agent keeps an idle socket, so a reused socket is never closed under it.
    keepAliveTimeout: 65_000,
    ...errorServerOptions,
  });
  // The public app's error shape here too: `{"error"}` for an oversized or malformed snapshot.
  await api.register(errorsPlugin);
  api.setNotFoundHandler(sendNoSuchEndpoint);

  api.addHook('onRequest', async (request, reply) => {
    const remote = request.socket.remoteAddress ?? '';
    if (await opts.authorize(remote, request.headers.authorization)) return;
    opts.onRefused?.(remote);
    request.log.warn({ remote, url: request.url }, 'peer API refused a caller that is not a Machine of this app');
    return reply.code(403).send({ error: 'the peer API only answers Machines of this app' });
  });

  api.get(SNAPSHOT_PATH, async (request, reply) => {
    const snapshot = opts.snapshot();
    const etag = snapshotEtag(snapshot);
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    return snapshot;
  });

  api.post(SNAPSHOT_PATH, async (request, reply) => {
    const parsed = parseSnapshot(request.body);
    if (!parsed.ok) return reply.code(400).send({ error: parsed.error });
    return { outcome: opts.receive(parsed.snapshot) };
  });

  for (const routes of opts.routes ?? []) await api.register(routes);

  return api;
}
