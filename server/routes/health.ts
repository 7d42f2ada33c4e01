import type { FastifyPluginAsync } from 'fastify';

/** Liveness for Fly's checks; any Machine answers it (never replayed). */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ ok: true }));
};
