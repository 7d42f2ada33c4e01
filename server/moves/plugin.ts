import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { decodeTime } from 'ulid';
import { startedAtProblem } from '../directory/claims.ts';
import type { PeerFetch } from '../directory/peer-link.ts';
import { CREATE_BODY_MAX_BYTES } from '../streams/plugin.ts';
import { FULL_RETRY_AFTER_MS } from '../streams/registry.ts';
import { askHolder, holderRoutes } from './holder.ts';
import { afterAsking, type Listing, resumeStep, supersededBy } from './rules.ts';
import { ResumeSchema } from './schemas.ts';

/** The moves plugin's settings: `config.moves`. */
export interface MovesOptions {
  /** PEER_CLOCK_SKEW_MS: a resumed stream's start is checked as peers will check it in this Machine's snapshot. */
  clockSkewMs: number;
}

/**
 * Streams that outlive their home Machine. `POST /api/streams/<id>/resume` takes over a stream whose
 * home went away (shutting down, or crashed) on whatever Machine answers, with its publish token; and
 * every peer snapshot is checked for streams held here that another Machine now claims with a higher
 * epoch (they moved there): their viewers are sent after them. The decisions are rules.ts.
 */
async function moves(app: FastifyInstance, opts: MovesOptions): Promise<void> {
  const { streams, directory, machine } = app;
  const self = { machineId: machine.id, region: machine.region };

  // A stopping Machine may have left DNS, so peers stop pushing to it: it asks them while streams move.
  streams.pollWhileMoving(() => directory.discoverNow());
  // Peers ask before taking a stream over from this Machine.
  directory.addPeerRoutes(holderRoutes((id) => streams.holds(id)));
  const peerFetch = (machineId: string, path: string, opts: PeerFetch) => directory.peerFetch(machineId, path, opts);
  directory.onPeerSnapshot((snapshot) => {
    const home = { machineId: snapshot.machineId, region: snapshot.region };
    for (const id of supersededBy(streams.list(), machine.id ?? 'local', snapshot)) streams.handOver(id, home);
  });

  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/api/streams/:id/resume',
    { bodyLimit: CREATE_BODY_MAX_BYTES, schema: ResumeSchema },
    async (request, reply) => {
      const { id } = request.params;
      const { token, epoch: seenEpoch, startedAt, chatSeq } = request.body;
      const listed = directory.get(id);
      const listing: Listing | undefined =
        listed === undefined ? undefined : { machineId: listed.machineId, region: listed.region, epoch: listed.epoch };
      const first = resumeStep({
        tokenOk: streams.verifyToken(id, token),
        heldHere: streams.holds(id),
        self,
        listing,
        epoch: seenEpoch,
      });
      const step =
        first.kind === 'ask'
          ? afterAsking(await askHolder(peerFetch, first.listing.machineId, id), first.listing, seenEpoch)
          : first;
      if (step.kind === 'refuse') return reply.code(step.status).send({ error: step.error, ...step.home });
      const start = startedAtProblem(step.epoch, startedAt, {
        bootMs: 0,
        idMs: decodeTime(id),
        nowMs: Date.now(),
        clockSkewMs: opts.clockSkewMs,
      });
      if (start !== null) return reply.code(400).send({ error: `body/startedAt ${start}` });
      const title = request.body.title.trim();
      const creator = request.body.creator.trim();
      const resumed = streams.resume({ id, title, creator, startedAt, epoch: step.epoch, chatSeq });
      if (!resumed.ok && resumed.status === 409) {
        // Another resume of it got here first, between the checks and now.
        return reply.code(409).send({ error: resumed.error, ...self });
      }
      if (!resumed.ok) {
        return reply
          .code(503)
          .header('retry-after', String(Math.ceil(FULL_RETRY_AFTER_MS / 1000)))
          .send({ error: resumed.error });
      }
      request.log.info({ stream: id, epoch: step.epoch, from: listing?.machineId ?? null }, 'stream resumed here');
      return reply
        .code(200)
        .header('cache-control', 'no-store')
        .send({
          id,
          machineId: machine.id,
          region: machine.region,
          epoch: step.epoch,
          watchUrl: machine.id === null ? `/watch/${id}` : `/watch/${id}?instance=${machine.id}`,
        });
    },
  );
}

export const movesPlugin = fp(moves, {
  name: 'moves',
  fastify: '5.x',
  dependencies: ['machine', 'errors', 'streams', 'directory'],
});
