import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import Type from 'typebox';

const HealthSchema = { response: { 200: Type.Object({ ok: Type.Boolean() }) } };

const health: FastifyPluginAsync = async (app) => {
  app.withTypeProvider<TypeBoxTypeProvider>().get('/healthz', { schema: HealthSchema }, async () => ({ ok: true }));
};

/** Liveness for Fly's checks; any Machine answers it (never replayed). */
export const healthRoutes = fp(health, { name: 'health', fastify: '5.x' });
