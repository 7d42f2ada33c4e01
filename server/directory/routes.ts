import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Directory } from './directory.ts';
import { FeedSchema, ListSchema, OneStreamSchema } from './schemas.ts';
import type { SseHub } from './sse.ts';

const routes: FastifyPluginAsync<{ directory: Directory; hub: SseHub }> = async (app, { directory, hub }) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get('/api/streams', { schema: ListSchema }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return directory.view();
  });

  // A static route: Fastify matches it before the `:id` one below.
  api.get('/api/streams/events', { schema: FeedSchema }, (request, reply) => {
    hub.open(request, reply, directory.feedStart());
  });

  api.get('/api/streams/:id', { schema: OneStreamSchema }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const stream = directory.get(request.params.id);
    if (stream === undefined) return reply.code(404).send({ error: 'no live stream with that id' });
    return stream;
  });
};

/**
 * The public, read-only directory API. Any Machine answers from its own directory: these paths are in
 * the routing hook's any-Machine list, so they are never replayed. `POST /api/streams` belongs to the
 * streams plugin. Not encapsulated, so the app's hooks (the routing hook) reach these routes whatever
 * the order the plugins were registered in.
 */
export const directoryRoutes = fp(routes, { name: 'directory-routes', fastify: '5.x' });
