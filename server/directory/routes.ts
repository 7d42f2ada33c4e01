import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Directory } from './directory.ts';
import type { SseHub } from './sse.ts';

const routes: FastifyPluginAsync<{ directory: Directory; hub: SseHub }> = async (app, { directory, hub }) => {
  app.get('/api/streams', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return directory.view();
  });

  // A static route: Fastify matches it before the `:id` one below.
  app.get('/api/streams/events', (request, reply) => hub.open(request, reply, directory.view()));

  app.get<{ Params: { id: string } }>('/api/streams/:id', async (request, reply) => {
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
