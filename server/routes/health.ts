import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

const health: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ ok: true }));
};

/** Liveness for Fly's checks; any Machine answers it (never replayed). */
export const healthRoutes = fp(health, { name: 'health', fastify: '5.x' });
