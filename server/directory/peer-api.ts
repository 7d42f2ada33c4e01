import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, LogController } from 'fastify';
import { errorServerOptions, errorsPlugin, sendNoSuchEndpoint } from '../errors/plugin.ts';
import type { SenderResult } from './sender-check.ts';
import { parseSnapshot, type Snapshot, type SnapshotRules, snapshotEtag } from './snapshot.ts';
import type { ApplyOutcome } from './state.ts';

/** Path of the snapshot on the private port: GET it (conditional), POST (push) yours to it. */
export const SNAPSHOT_PATH = '/internal/snapshot';

export interface PeerApiOptions {
  log: FastifyBaseLogger;
  maxSnapshotBytes: number;
  /** This Machine's current snapshot. */
  snapshot(): Snapshot;
  /** What a pushed snapshot is checked against, as of now. */
  snapshotRules(): SnapshotRules;
  /** Whether the caller is the Machine the push names (its address is an AAAA answer of that Machine). */
  verifySender(machineId: string, remoteAddress: string): Promise<SenderResult>;
  /** A peer pushed its snapshot. */
  receive(snapshot: Snapshot): ApplyOutcome;
  /** Machine records kept at most (named when a push is turned away for it). */
  maxMachines: number;
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
    // Debug: a stranger calling in a loop must not fill the log; refusals are counted in the stats.
    request.log.debug({ remote, url: request.url }, 'peer API refused a caller that is not a Machine of this app');
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
    const parsed = parseSnapshot(request.body, opts.snapshotRules());
    if (!parsed.ok) return reply.code(400).send({ error: parsed.error });
    const { snapshot } = parsed;
    // Its own id is ignored whoever sends it, without asking DNS.
    if (snapshot.machineId !== opts.snapshot().machineId) {
      const remote = request.socket.remoteAddress ?? '';
      const sender = await opts.verifySender(snapshot.machineId, remote);
      if (sender === 'unverifiable') {
        return reply.code(503).header('retry-after', '1').send({ error: 'cannot look the sender up in DNS now' });
      }
      if (sender === 'not-that-machine') {
        opts.onRefused?.(remote);
        // Debug, like every refusal here: a caller pushing in a loop must not fill the log (counted in stats).
        request.log.debug({ remote, named: snapshot.machineId }, 'peer API refused a push naming another Machine');
        return reply.code(403).send({ error: 'a Machine may only push its own snapshot' });
      }
    }
    const outcome = opts.receive(snapshot);
    if (outcome === 'full') {
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: `this directory already keeps its maximum of ${opts.maxMachines} Machines` });
    }
    return { outcome };
  });

  for (const routes of opts.routes ?? []) await api.register(routes);

  return api;
}
