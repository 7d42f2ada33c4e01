import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RatePerClient } from '../clients/per-client.ts';
import type { MachineIdentity } from '../machine.ts';
import { FULL_RETRY_AFTER_MS, type StreamRegistry } from './registry.ts';
import { CreateStreamSchema } from './schemas.ts';

/** `POST /api/streams` bodies are two short strings; anything bigger is refused (413) unread. */
export const CREATE_BODY_MAX_BYTES = 4096;

/** A `retry-after` value: whole seconds, at least 1. */
const seconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));

export interface CreateRouteOptions {
  registry: StreamRegistry;
  machine: MachineIdentity;
  /** CREATE_STREAMS_PER_MINUTE, per client. */
  createStreamsPerMinute: number;
  keyOf(request: FastifyRequest): string;
}

/**
 * `POST /api/streams`: a new stream homed here, with its publish token. The Machine's own refusals come
 * before the client's rate, so a creation it could not have made does not count against the client.
 */
export function createRoute(app: FastifyInstance, opts: CreateRouteOptions): void {
  const { registry, machine, createStreamsPerMinute, keyOf } = opts;
  // Per client (fly-client-ip on Fly, else the socket address), so one client cannot use up the Machine's stream slots.
  const creations = new RatePerClient(createStreamsPerMinute, 60_000);
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post('/api/streams', { bodyLimit: CREATE_BODY_MAX_BYTES, schema: CreateStreamSchema }, async (request, reply) => {
    // The schema checked the fields' rules on the trimmed values; the stream keeps them trimmed.
    const fields = { title: request.body.title.trim(), creator: request.body.creator.trim() };
    // The Machine's refusals first, so a creation it could not have made does not count against the client.
    const refusal = registry.refusal();
    if (refusal !== null) {
      return reply
        .code(refusal.status)
        .header('retry-after', seconds(refusal.retryAfterMs))
        .send({ error: refusal.error });
    }
    const rate = creations.tryTake(keyOf(request), Date.now());
    if (!rate.ok) {
      return reply
        .code(429)
        .header('retry-after', seconds(rate.retryAfterMs))
        .send({ error: `at most ${createStreamsPerMinute} new streams per minute from one address; try again later` });
    }
    const created = registry.create(fields);
    if (!created.ok) {
      return reply
        .code(created.status)
        .header('retry-after', seconds(FULL_RETRY_AFTER_MS))
        .send({ error: created.error });
    }
    const { id } = created.stream;
    request.log.info({ stream: id, creator: fields.creator }, 'stream created');
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({
        id,
        machineId: machine.id,
        region: machine.region,
        publishToken: created.publishToken,
        watchUrl: machine.id === null ? `/watch/${id}` : `/watch/${id}?instance=${machine.id}`,
      });
  });
}
